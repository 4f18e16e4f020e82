"""Rule figure_scores: one metric by dose and method with significance stars (Figs. 6 and 7)."""

from ldct.figures.scores import plot_scores
from ldct.figures.style import save_figure
from ldct.storage import read_table
from ldct.workflow import run_rule


def main():
    figure = plot_scores(
        read_table(snakemake.input.table),
        snakemake.wildcards.metric,
        snakemake.params.methods,
        snakemake.params.alpha,
    )
    save_figure(figure, snakemake.output.figure, snakemake.params.dpi)


run_rule(snakemake, main)
