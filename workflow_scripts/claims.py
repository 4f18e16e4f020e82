"""Rule claims: claim by claim, whether this run reproduces the paper, from the stats table."""

import logging

from ldct.core.errors import LdctInputError
from ldct.core.storage import atomic_write, load_json, read_table, write_table
from ldct.evaluation.claims import CLAIM_COLUMNS, check_claims
from ldct.report.html_tables import html_page, table_html
from ldct.workflow import run_rule


def main():
    try:
        claims = check_claims(
            read_table(snakemake.input.table),
            **snakemake.params.settings,
            convergence={
                method: load_json(path) for method, path in zip(snakemake.params.trained, snakemake.input.convergence)
            },
        )
    except ValueError as error:
        raise LdctInputError(
            f"{snakemake.input.table}: {error} (a table from an older ldct? "
            "rerun it with: snakemake --forcerun stats)"
        ) from error
    for claim in claims:
        logging.info("claim %s: %s", claim["claim"], claim["verdict"])
    write_table(snakemake.output.table, claims, CLAIM_COLUMNS)
    page = html_page(
        "Claims check",
        [("Claims of Usui et al. (2021)", table_html(claims, CLAIM_COLUMNS))],
        "Each claim of the paper, how this run tests it, this run's numbers (mean paired "
        "differences over eval slices against DnCNN with their confidence intervals and t-test "
        "p) and the verdict.",
    )
    atomic_write(snakemake.output.page, lambda handle: handle.write(page.encode("utf-8")))


run_rule(snakemake, main)
