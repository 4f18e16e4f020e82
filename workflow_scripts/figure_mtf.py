"""Rule figure_mtf: the CT unit's MTF used by every simulation (the paper's Fig. 2)."""

from ldct.report.figures.simulation import plot_mtf
from ldct.report.figures.style import save_figure
from ldct.simulation.mtf import read_mtf_table
from ldct.workflow import run_rule


def main():
    frequency, mtf = read_mtf_table(snakemake.input.table)
    settings = snakemake.params.mtf
    title = (
        f"MTF model '{settings['model']}'"
        if settings["model"] == "table"
        else f"Parametric MTF (MTF50 {settings['mtf50_lp_per_mm']:g}, MTF10 {settings['mtf10_lp_per_mm']:g} lp/mm)"
    )
    save_figure(plot_mtf(frequency, mtf, title), snakemake.output.figure, snakemake.params.dpi)


run_rule(snakemake, main)
