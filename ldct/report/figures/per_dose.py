"""What each DnCNN does dose by dose: RMSE and SSIM of its output on the validation patches
against those of its undenoised input (``per_dose.tsv`` of every network)."""

from __future__ import annotations

from typing import Mapping, Sequence

from ldct.core.storage import table_number
from ldct.report.figures.style import plt


def kept_epoch(history: Sequence[Mapping[str, str]]) -> int:
    """The epoch whose weights a network keeps, from its epochs table: the row marked ``kept``
    (``True``), else 0, the network it started as (an imported original has no rows)."""
    return next((int(row["epoch"]) for row in history if row.get("kept") == "True"), 0)


def plot_per_dose(tables: Mapping[str, Sequence[Mapping[str, str]]], kept: Mapping[str, int]) -> plt.Figure:
    """RMSE (HU, log scale) and mean SSIM against dose (log scale) of each named network at the
    epoch ``kept[name]`` of its ``per_dose.tsv`` rows, and of the undenoised input (black,
    dashed: the same patches for every network). Below the input's line a network helps."""
    figure, (rmse_axis, ssim_axis) = plt.subplots(1, 2, figsize=(10.5, 4.0), layout="constrained")
    colours = plt.get_cmap("tab10").colors
    input_rows: Sequence[Mapping[str, str]] = ()
    for colour, (name, rows) in zip(colours, tables.items()):
        chosen = [row for row in rows if int(row["epoch"]) == kept[name]]
        if not chosen:
            raise ValueError(f"{name}: no per-dose rows of epoch {kept[name]}")
        input_rows = chosen
        dose = [100 * table_number(row["dose"]) for row in chosen]
        label = f"{name} (epoch {kept[name]})"
        rmse_axis.plot(dose, [table_number(row["rmse_output_hu"]) for row in chosen], color=colour, marker="o",
                       markersize=4, label=label)
        ssim_axis.plot(dose, [table_number(row["ssim_output"]) for row in chosen], color=colour, marker="o",
                       markersize=4, label=label)
    dose = [100 * table_number(row["dose"]) for row in input_rows]
    for axis, column in ((rmse_axis, "rmse_input_hu"), (ssim_axis, "ssim_input")):
        axis.plot(dose, [table_number(row[column]) for row in input_rows], color="black", linestyle="--",
                  marker="_", markersize=10, label="input, before denoising")
        axis.set_xscale("log")
        axis.set_xlabel("dose (% of full dose)")
        axis.grid(alpha=0.3, which="both")
    rmse_axis.set_yscale("log")
    rmse_axis.set_ylabel("RMSE against full dose (HU)")
    rmse_axis.set_title("RMSE per dose, validation patches", fontsize=10)
    ssim_axis.set_ylabel("mean SSIM (paper convention)")
    ssim_axis.set_title("SSIM per dose, validation patches", fontsize=10)
    ssim_axis.set_ylim(top=1.0)
    figure.legend(*rmse_axis.get_legend_handles_labels(), loc="outside right upper", fontsize=9, frameon=False)
    return figure
