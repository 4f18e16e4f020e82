"""Rule figure_noise_power_spectra: the NPS of the simulated noise at each dose and at full dose.

The full-dose noise SD is the one the simulation of these stacks used, from their sidecars
(measured on the slice or from the config), so model and simulation share it.
"""

from ldct.core.errors import LdctInputError
from ldct.core.stacks import draws
from ldct.core.storage import load_image, write_table
from ldct.report.figures.simulation import plot_noise_power_spectra
from ldct.report.figures.style import save_figure
from ldct.simulation.low_dose import NoiseSettings
from ldct.simulation.mtf import read_mtf_table, tabulated_mtf
from ldct.simulation.nps import NPS_COLUMNS, simulated_noise_spectra
from ldct.workflow import run_rule


def main():
    full_dose, meta = load_image(snakemake.input.full_dose)
    low_dose, sigmas = {}, {}
    for path in snakemake.input.low_dose:
        stack, stack_meta = load_image(path)
        used = stack_meta["noise"]
        sigmas[path] = (used["full_dose_sigma_hu"], used["full_dose_sigma_source"])
        for image, (dose, _) in zip(stack, draws(stack_meta)):
            low_dose.setdefault(dose, []).append(image)
    if len(set(sigmas.values())) != 1:
        raise LdctInputError(f"the simulated stacks disagree on the full-dose noise SD: {sigmas}")
    sigma, source = next(iter(sigmas.values()))
    settings = NoiseSettings.from_config(snakemake.params.noise, full_dose_sigma_hu=sigma)
    rows = simulated_noise_spectra(
        full_dose,
        low_dose,
        tuple(meta["pixel_spacing_mm"]),
        tabulated_mtf(*read_mtf_table(snakemake.input.mtf)),
        settings,
    )
    write_table(snakemake.output.table, rows, NPS_COLUMNS)
    realizations = len(next(iter(low_dose.values())))
    title = (
        f"Noise added by the simulation, image {meta['image']}, {realizations} realizations\n"
        f"noise law '{settings.law}' on the {settings.multiplier_applies_to} noise, spectrum '{settings.spectrum}'\n"
        f"full-dose noise SD {sigma:.3g} HU ({source})"
    )
    save_figure(plot_noise_power_spectra(rows, title), snakemake.output.figure, snakemake.params.dpi)


run_rule(snakemake, main)
