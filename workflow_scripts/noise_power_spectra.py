"""Rule noise_power_spectra: the NPS of the simulated noise at each dose and at full dose."""

from ldct.figures.simulation import plot_noise_power_spectra
from ldct.figures.style import save_figure
from ldct.mtf import read_mtf_table, tabulated_mtf
from ldct.nps import NPS_COLUMNS, simulated_noise_spectra
from ldct.storage import draws, load_image, write_table
from ldct.workflow import run_rule


def main():
    full_dose, meta = load_image(snakemake.input.full_dose)
    low_dose = {}
    for path in snakemake.input.low_dose:
        stack, stack_meta = load_image(path)
        for image, (dose, _) in zip(stack, draws(stack_meta)):
            low_dose.setdefault(dose, []).append(image)
    noise = snakemake.params.noise
    rows = simulated_noise_spectra(
        full_dose,
        low_dose,
        tuple(meta["pixel_spacing_mm"]),
        tabulated_mtf(*read_mtf_table(snakemake.input.mtf)),
        noise["full_dose_sigma_hu"],
        noise["law"],
    )
    write_table(snakemake.output.table, rows, NPS_COLUMNS)
    realizations = len(next(iter(low_dose.values())))
    title = (
        f"Noise added by the simulation, image {meta['image']}, mean of {realizations} realizations\n"
        f"noise law '{noise['law']}', full-dose noise SD {noise['full_dose_sigma_hu']:g} HU"
    )
    save_figure(plot_noise_power_spectra(rows, title), snakemake.output.figure, snakemake.params.dpi)


run_rule(snakemake, main)
