"""Rule figure_profiles: vertical CT-number profiles at the chosen doses (the paper's Fig. 4)."""

from ldct.core.errors import LdctInputError
from ldct.core.stacks import realization_images
from ldct.core.storage import load_image
from ldct.core.window import HuWindow
from ldct.report.figures.profiles import plot_profiles
from ldct.report.figures.style import save_figure
from ldct.workflow import run_rule


def main():
    params = snakemake.params
    full_dose, meta = load_image(snakemake.input.full_dose)
    column = params.column_px
    if column >= full_dose.shape[1]:
        raise LdctInputError(
            f"config key figures.profile.column_px: {column} is outside image '{meta['image']}' "
            f"of {full_dose.shape[1]} columns"
        )
    figure = plot_profiles(
        full_dose,
        realization_images(snakemake.input.low_dose, params.realization),
        realization_images(snakemake.input.denoised, params.realization, "method"),
        params.doses,
        params.methods,
        column,
        meta["pixel_spacing_mm"][0],
        HuWindow.from_settings(params.window),
    )
    save_figure(figure, snakemake.output.figure, params.dpi)


run_rule(snakemake, main)
