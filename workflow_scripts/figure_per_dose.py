"""Rule figure_per_dose: RMSE and SSIM per dose of the original DnCNN and of each fine-tuning
(the epoch each keeps) against the undenoised input, on the validation patches."""

from ldct.core.storage import read_table
from ldct.report.figures.per_dose import kept_epoch, plot_per_dose
from ldct.report.figures.style import save_figure
from ldct.workflow import run_rule


def main():
    names = snakemake.params.names
    tables = {name: read_table(path) for name, path in zip(names, snakemake.input.per_dose)}
    kept = {name: kept_epoch(read_table(path)) for name, path in zip(names, snakemake.input.epochs)}
    save_figure(plot_per_dose(tables, kept), snakemake.output.figure, snakemake.params.dpi)


run_rule(snakemake, main)
