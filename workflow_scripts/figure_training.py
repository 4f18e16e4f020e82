"""Rule figure_training: loss and validation PSNR per epoch of pretraining and fine-tuning."""

from ldct.core.storage import read_table
from ldct.report.figures.style import save_figure
from ldct.report.figures.training_curves import plot_training_curves
from ldct.workflow import run_rule


def main():
    histories = {
        name: read_table(path) for name, path in zip(snakemake.params.names, snakemake.input.epochs)
    }
    save_figure(plot_training_curves(histories), snakemake.output.figure, snakemake.params.dpi)


run_rule(snakemake, main)
