"""Rule statistics_page: the stats table as HTML tables, one per metric, for the report."""

from ldct.core.doses import dose_percent
from ldct.core.storage import atomic_write, read_table
from ldct.report.html_tables import html_page, table_html
from ldct.workflow import run_rule

SHOWN_COLUMNS = (
    "dose",
    "method",
    "n",
    "n_patients",
    "realizations",
    "mean",
    "sd",
    "realization_sd",
    "mean_difference",
    "ci_low",
    "ci_high",
    "p_value",
    "p_holm",
    "wilcoxon_p",
    "mixed_p",
    "tests_agree",
    "significant",
    "significant_holm",
)


def _disagreements(stats):
    """'10 % wiener ssim_paper, ...': the rows whose mixed model and t-test disagree, or 'none'."""
    rows = [row for row in stats if row["tests_agree"] == "no"]
    return ", ".join(
        f"{dose_percent(float(row['dose']))} {row['method']} {row['metric']}" for row in rows
    ) or "none"


def main():
    stats = read_table(snakemake.input.table)
    reference = stats[0]["reference_method"]
    alpha = snakemake.params.alpha
    sections = [
        (metric, table_html([row for row in stats if row["metric"] == metric], SHOWN_COLUMNS))
        for metric in dict.fromkeys(row["metric"] for row in stats)
    ]
    introduction = (
        "The unit of every test is the eval slice: each slice's metric is first averaged over "
        "its noise realizations, so n counts eval slices (of n_patients patients), mean and sd "
        "are over those slice values, and realization_sd is the pooled SD over realizations "
        f"within a slice. Every method against {reference}, paired on the slice. "
        f"mean_difference is the method minus {reference}, with its "
        f"{100 * (1 - alpha):g} % confidence interval [ci_low, ci_high]; p_value is the paired "
        "two-tailed t-test (the paper's test), p_holm the same p-values Holm-corrected over all "
        "comparisons of this table, wilcoxon_p the Wilcoxon signed-rank test. Slices of one "
        "patient are not independent, so mixed_p tests the same per-slice differences with a "
        "linear mixed model (REML, a fixed mean difference and a random intercept per patient, "
        "two-sided Wald z-test); it is a dash, and tests_agree n/a, with fewer than 2 patients, "
        "one slice per patient, identical differences or a fit that does not converge cleanly "
        "(the reason is in results/logs/stats.log). tests_agree: whether p_value and mixed_p "
        f"fall on the same side of {alpha:g}. With a single eval slice no test is defined and "
        f"its columns are dashes. significant: p < {alpha:g}. "
        f"Rows where the mixed model disagrees with the paired t-test: {_disagreements(stats)}."
    )
    page = html_page("Statistics", sections, introduction)
    atomic_write(snakemake.output.page, lambda handle: handle.write(page.encode("utf-8")))


run_rule(snakemake, main)
