"""Rule statistics_page: the stats table as HTML tables, one per metric, for the report."""

from ldct.html_tables import html_page, table_html
from ldct.storage import atomic_write, read_table
from ldct.workflow import run_rule

SHOWN_COLUMNS = (
    "dose",
    "method",
    "n",
    "mean",
    "sd",
    "mean_difference",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "wilcoxon_p",
    "significant",
    "significant_holm",
)


def main():
    stats = read_table(snakemake.input.table)
    reference = stats[0]["reference_method"]
    alpha = snakemake.params.alpha
    sections = [
        (metric, table_html([row for row in stats if row["metric"] == metric], SHOWN_COLUMNS))
        for metric in dict.fromkeys(row["metric"] for row in stats)
    ]
    introduction = (
        f"Every method against {reference}, paired on (image, realization). mean_difference "
        f"is the method minus {reference}, with its {100 * (1 - alpha):g} % confidence "
        "interval [ci_low, ci_high]; p_value is the paired two-tailed t-test (the paper's "
        "test), p_holm the same p-values Holm-corrected over all comparisons of this table, "
        f"wilcoxon_p the Wilcoxon signed-rank test. significant: p < {alpha:g}."
    )
    page = html_page("Statistics", sections, introduction)
    atomic_write(snakemake.output.page, lambda handle: handle.write(page.encode("utf-8")))


run_rule(snakemake, main)
