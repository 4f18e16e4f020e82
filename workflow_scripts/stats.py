"""Rule stats: per dose x method x metric summary over eval slices, and paired tests (t-test,
Wilcoxon, patient mixed model) against the reference; why a test is NaN goes to the log, and a value
that is not finite where :func:`ldct.evaluation.stats.finite_columns` expects one stops the rule."""

from ldct.core.storage import read_table, write_table
from ldct.evaluation.metrics import METRIC_NAMES
from ldct.evaluation.stats import STATS_COLUMNS, finite_columns, summarize
from ldct.workflow import run_rule


def main():
    summary = summarize(
        read_table(snakemake.input.table),
        METRIC_NAMES,
        reference_method=snakemake.params.reference,
        alpha=snakemake.params.alpha,
    )
    write_table(snakemake.output.table, summary, STATS_COLUMNS, finite_columns=finite_columns)


run_rule(snakemake, main)
