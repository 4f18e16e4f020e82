"""Rule patches: the CT training patches of every training slice at every training dose."""

import logging

from ldct.core.stacks import draws
from ldct.core.storage import load_image, save_array, write_table
from ldct.training.patches import PATCH_COLUMNS, build_patch_set
from ldct.workflow import run_rule


def main():
    slices = []
    for low_path, full_path in zip(snakemake.input.low_dose, snakemake.input.full_dose):
        stack, meta = load_image(low_path)
        full_dose, _ = load_image(full_path)
        for low_dose, (dose, _) in zip(stack, draws(meta)):
            slices.append((meta["image"], dose, low_dose, full_dose))
    low, full, index = build_patch_set(slices, snakemake.params.settings, snakemake.params.seed)
    logging.info(
        "%d patches from %d slice-dose pairs, %d for validation",
        len(index), len(slices), sum(row["split"] == "validation" for row in index),
    )
    save_array(snakemake.output.low_dose, low)
    save_array(snakemake.output.full_dose, full)
    write_table(snakemake.output.index, index, PATCH_COLUMNS)


run_rule(snakemake, main)
