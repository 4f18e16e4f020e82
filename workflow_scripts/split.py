"""Rule split: the train / eval table with patients, refusing a slice or a patient in both."""

from ldct.core.storage import load_image, write_table
from ldct.study.split import split_table
from ldct.workflow import config_value, run_rule


def main():
    images = {}
    for path in snakemake.input.images:
        image, meta = load_image(path)
        images[meta["image"]] = (image, meta)
    with config_value("split"):
        rows = split_table(
            images,
            snakemake.params.eval_images,
            snakemake.params.train_images,
            snakemake.params.patients,
        )
    write_table(snakemake.output.table, rows, list(rows[0]))


run_rule(snakemake, main)
