"""Rule sensitivity_table: every claim under every variant, its robustness, the claims each
variant reproduces, and the figures."""

import json
import logging

from ldct.core.storage import atomic_write, read_table, write_table
from ldct.evaluation.sensitivity_table import (
    ROBUSTNESS_COLUMNS,
    SENSITIVITY_COLUMNS,
    claim_robustness,
    reproduced_per_variant,
    sensitivity_rows,
)
from ldct.report.figures.sensitivity import plot_reproduced, plot_sensitivity
from ldct.report.figures.style import save_figure
from ldct.report.html_tables import html_page, table_html
from ldct.workflow import run_rule

VARIANT_COLUMNS = ("name", "reading", "set", "why")


def main():
    names, variants = snakemake.params.names, snakemake.params.variants
    default = names[0]
    claims = {name: read_table(path) for name, path in zip(names, snakemake.input.claims)}
    readings = {default: "the study's own settings"} | {v["name"]: v["reading"] for v in variants}
    rows = sensitivity_rows(claims, readings)
    statements = {row["claim"]: row["paper_statement"] for row in claims[default]}
    robustness = claim_robustness(rows, statements)
    for entry in robustness:
        logging.info("claim %s: %s", entry["claim"], entry["conclusion"])
    write_table(snakemake.output.table, rows, SENSITIVITY_COLUMNS)
    write_table(snakemake.output.robustness, robustness, ROBUSTNESS_COLUMNS)
    per_variant, per_variant_columns = reproduced_per_variant(rows)
    best = max(row["reproduced"] for row in per_variant)
    logging.info(
        "most claims reproduced: %d, by %s", best,
        ", ".join(row["variant"] for row in per_variant if row["reproduced"] == best),
    )
    write_table(snakemake.output.reproduced, per_variant, per_variant_columns)
    save_figure(plot_sensitivity(rows), snakemake.output.figure, snakemake.params.dpi)
    save_figure(plot_reproduced(per_variant), snakemake.output.reproduced_figure, snakemake.params.dpi)
    declared = [dict(v, set=json.dumps(v["set"])) for v in variants]
    page = html_page(
        "Sensitivity study",
        [
            ("Each claim over the variants", table_html(robustness, ROBUSTNESS_COLUMNS)),
            ("Claims reproduced per variant", table_html(per_variant, per_variant_columns)),
            ("The variants, declared before any result", table_html(declared, VARIANT_COLUMNS)),
            ("Every verdict and its numbers", table_html(rows, SENSITIVITY_COLUMNS)),
        ],
        "The paper's claims checked under the default study and under each open reading of "
        "the paper changed alone, and under every combination of the factorials' readings "
        "(config/sensitivity.yaml).",
    )
    atomic_write(snakemake.output.page, lambda handle: handle.write(page.encode("utf-8")))


run_rule(snakemake, main)
