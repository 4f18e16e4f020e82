"""Rule full_dose_noise: the noise SD every full-dose slice carries, one table."""

import logging

from ldct.core.storage import load_image, read_table, write_table
from ldct.simulation.full_dose_noise import NOISE_TABLE_COLUMNS, noise_table
from ldct.workflow import run_rule


def main():
    split = {row["image"]: row for row in read_table(snakemake.input.split)}
    slices = []
    for path in snakemake.input.images:
        image, meta = load_image(path)
        slices.append((split[meta["image"]], image, tuple(meta["pixel_spacing_mm"])))
    rows = noise_table(slices)
    for row in rows:
        logging.info("%s: %.2f HU (%s)", row["image"], row["used_sd_hu"], row["source"])
    write_table(snakemake.output.table, rows, NOISE_TABLE_COLUMNS)


run_rule(snakemake, main)
