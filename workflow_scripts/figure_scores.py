"""Rule figure_scores: one metric by dose and method with significance stars (Figs. 6 and 7)."""

import logging

from ldct.core.methods import method_label
from ldct.core.storage import read_table
from ldct.report.figures.scores import plot_scores
from ldct.report.figures.style import save_figure
from ldct.workflow import run_rule


def main():
    logging.info("bars: %s", ", ".join(method_label(m) for m in snakemake.params.methods))
    figure = plot_scores(
        read_table(snakemake.input.table),
        snakemake.wildcards.metric,
        snakemake.params.methods,
        snakemake.params.alpha,
    )
    save_figure(figure, snakemake.output.figure, snakemake.params.dpi)


run_rule(snakemake, main)
