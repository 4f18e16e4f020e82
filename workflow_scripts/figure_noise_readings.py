"""Rule figure_noise_readings: the noise of every reading of the studies on the figure image,
beside projection-domain noise (:mod:`ldct.simulation.noise_readings`).

A reading whose full-dose noise SD is ``measure`` takes the image's value from the noise table.
"""

from ldct.core.storage import load_image, read_table, write_table
from ldct.report.figures.simulation import plot_noise_readings
from ldct.report.figures.style import save_figure
from ldct.simulation.full_dose_noise import MEASURE, used_sigma
from ldct.simulation.mtf import read_mtf_table, tabulated_mtf
from ldct.simulation.noise_readings import READING_COLUMNS, reading_spectra
from ldct.workflow import run_rule


def main():
    image, meta = load_image(snakemake.input.image)
    readings = {}
    for name, reading in snakemake.params.readings.items():
        noise = dict(reading["noise"])
        if noise["full_dose_sigma_hu"] == MEASURE:
            table = snakemake.input.noise_table
            noise["full_dose_sigma_hu"] = used_sigma(read_table(table), meta["image"], table)[0]
        readings[name] = (noise, reading["blur_image"])
    dose = snakemake.params.dose
    rows = reading_spectra(
        image,
        tuple(meta["pixel_spacing_mm"]),
        tabulated_mtf(*read_mtf_table(snakemake.input.mtf)),
        readings,
        dose,
        snakemake.params.realizations,
        snakemake.params.seed,
        meta["image"],
    )
    write_table(snakemake.output.table, rows, READING_COLUMNS)
    title = f"Noise each reading adds to image {meta['image']} at {dose * 100:g} % dose"
    projection = next(name for name, (noise, _) in readings.items() if noise["domain"] == "projection")
    figure = plot_noise_readings(rows, title, projection)
    save_figure(figure, snakemake.output.figure, snakemake.params.dpi)


run_rule(snakemake, main)
