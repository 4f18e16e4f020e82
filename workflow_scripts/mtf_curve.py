"""Rule mtf_curve: tabulate the configured MTF for the simulations and the figures."""

import logging

from ldct.core.storage import write_table
from ldct.simulation.mtf import curve_table, mtf_from_config
from ldct.workflow import config_value, run_rule


def main():
    with config_value("mtf.table"):
        curve = mtf_from_config(snakemake.params.mtf)
    rows = curve_table(curve, snakemake.params.mtf["curve_max_lp_per_mm"])
    logging.info("MTF model %s, %d frequencies", snakemake.params.mtf["model"], len(rows))
    write_table(snakemake.output.table, rows, ["frequency_lp_per_mm", "mtf"])


run_rule(snakemake, main)
