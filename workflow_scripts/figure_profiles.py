"""Rule figure_profiles: vertical CT-number profiles at the chosen doses (the paper's Fig. 4)."""

from ldct.errors import LdctInputError
from ldct.figures.profiles import plot_profiles
from ldct.figures.style import DisplayWindow, save_figure
from ldct.storage import load_image
from ldct.workflow import run_rule


def main():
    params = snakemake.params
    full_dose, meta = load_image(snakemake.input.full_dose)
    column = params.column
    if column >= full_dose.shape[1]:
        raise LdctInputError(
            f"config key figures.profile.column: {column} is outside image '{meta['image']}' "
            f"of {full_dose.shape[1]} columns"
        )
    low_dose = {}
    for path in snakemake.input.low_dose:
        image, image_meta = load_image(path)
        low_dose[image_meta["dose"]] = image
    denoised = {}
    for path in snakemake.input.denoised:
        image, image_meta = load_image(path)
        denoised[(image_meta["dose"], image_meta["method"])] = image
    figure = plot_profiles(
        full_dose,
        low_dose,
        denoised,
        params.doses,
        params.methods,
        column,
        meta["pixel_spacing_mm"][0],
        DisplayWindow(**params.window),
    )
    save_figure(figure, snakemake.output.figure, params.dpi)


run_rule(snakemake, main)
