"""Rule collect_metrics: one table of every per-image metric row, eval images only, each with
the patient of its image from the split table; every metric must be a finite number."""

from ldct.core.storage import read_table, table_number, write_table
from ldct.evaluation.metrics import METRIC_NAMES
from ldct.study.split import check_eval_rows, with_patients
from ldct.workflow import run_rule


def main():
    split = read_table(snakemake.input.split)
    rows = [row for path in snakemake.input.tables for row in read_table(path)]
    check_eval_rows(rows, split)
    rows = with_patients(rows, split)
    rows.sort(key=lambda row: (-float(row["dose"]), row["method"], row["image"], int(row["realization"])))
    # As numbers, so that NA or inf is refused; 10 significant digits are written back unchanged.
    rows = [dict(row, **{metric: table_number(row[metric]) for metric in METRIC_NAMES}) for row in rows]
    write_table(snakemake.output.table, rows, list(rows[0]), finite_columns=METRIC_NAMES)


run_rule(snakemake, main)
