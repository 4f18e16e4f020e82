"""SSIM or PSNR by dose and method, with the paired t-test stars (the paper's Figs. 6 and 7)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ldct.core.doses import dose_caption
from ldct.core.methods import method_label
from ldct.core.storage import table_number
from ldct.report.figures.style import plt

#: Axis label of each metric of ldct.evaluation.metrics, with its unit.
METRIC_AXIS_LABELS = {
    "ssim_paper": "SSIM (unitless), paper convention",
    "psnr_paper": "PSNR (dB), paper convention",
    "ssim_window": "SSIM (unitless), HU window",
    "psnr_window": "PSNR (dB), HU window",
}


def plot_scores(
    stats_rows: Sequence[Mapping[str, str]],
    metric: str,
    methods: Sequence[str],
    alpha: float,
) -> plt.Figure:
    """Mean ± SD over eval slices of ``metric`` per dose (groups, highest first) and method.

    ``stats_rows`` are rows of the stats table (results/stats/stats.tsv, values as text). A
    star marks a mean that differs from the reference method's with paired t-test p < ``alpha``
    (over eval slices); a NaN SD (one slice) draws no error bar.
    """
    rows = {
        (float(row["dose"]), row["method"]): row for row in stats_rows if row["metric"] == metric
    }
    if not rows:
        raise ValueError(f"the stats table has no rows for metric '{metric}'")
    doses = sorted({dose for dose, _ in rows}, reverse=True)
    reference = next(iter(rows.values()))["reference_method"]
    width = 0.8 / len(methods)
    figure, axis = plt.subplots(figsize=(2.0 + 1.9 * len(doses), 4.6), layout="constrained")
    colours = plt.get_cmap("tab10").colors
    tops = []
    for k, method in enumerate(methods):
        x = np.arange(len(doses)) - 0.4 + width * (k + 0.5)
        means = np.array([float(rows[(dose, method)]["mean"]) for dose in doses])
        sds = np.array([table_number(rows[(dose, method)]["sd"]) for dose in doses])
        axis.bar(
            x,
            means,
            width,
            yerr=sds,
            capsize=2,
            color=colours[k % len(colours)],
            label=method_label(method),
            edgecolor="black" if method == reference else "none",
            linewidth=1.2,
        )
        tops.extend(means + np.nan_to_num(sds))
        for position, top, dose in zip(x, means + np.nan_to_num(sds), doses):
            if method != reference and table_number(rows[(dose, method)]["p_value"]) < alpha:
                axis.text(position, top, "*", ha="center", va="bottom", fontsize=11)
    low = min(0.0, min(float(row["mean"]) for row in rows.values()))
    axis.set_ylim(low, max(tops) * 1.12)
    axis.set_xticks(np.arange(len(doses)), [dose_caption(dose) for dose in doses])
    axis.set_ylabel(METRIC_AXIS_LABELS.get(metric, metric))
    axis.set_title(
        f"{METRIC_AXIS_LABELS.get(metric, metric).split(' (')[0]}: mean ± SD; "
        f"* p < {alpha:g} against {method_label(reference)} (paired t-test)",
        fontsize=10,
    )
    figure.legend(loc="outside right upper", fontsize=9, frameon=False)
    return figure
