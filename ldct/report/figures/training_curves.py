"""Training curves of the DnCNN: loss and validation PSNR per epoch, for every training run."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.ticker import MaxNLocator

from ldct.core.storage import table_number
from ldct.report.figures.style import plt


def plot_training_curves(histories: Mapping[str, Sequence[Mapping[str, str]]]) -> plt.Figure:
    """Loss (log scale) and validation PSNR against epoch for each named history.

    A history is the rows of an epochs.tsv (epoch, loss in (network units)^2, val_psnr_db
    and val_input_psnr_db in dB). The dotted line of a run (a dash at each epoch, so that a
    single epoch shows) is the PSNR of its validation inputs before denoising. A run without
    rows (an imported network, such as the DnCNN authors') is named in the legend as such.
    """
    figure, (loss_axis, psnr_axis) = plt.subplots(1, 2, figsize=(10.5, 4.0), layout="constrained")
    colours = plt.get_cmap("tab10").colors
    for colour, (name, rows) in zip(colours, histories.items()):
        epoch = np.array([int(row["epoch"]) for row in rows])
        label = name if rows else f"{name}: imported, no training curve"
        loss_axis.plot(epoch, [table_number(row["loss"]) for row in rows], color=colour, marker=".", label=label)
        psnr_axis.plot(epoch, [table_number(row["val_psnr_db"]) for row in rows], color=colour, marker=".", label=label)
        psnr_axis.plot(epoch, [table_number(row["val_input_psnr_db"]) for row in rows], color=colour,
                       linestyle=":", marker="_", markersize=14)
    psnr_axis.plot([], [], color="grey", linestyle=":", marker="_", markersize=14, label="input, before denoising")
    loss_axis.set_yscale("log")
    loss_axis.set_xlabel("epoch")
    loss_axis.set_ylabel("training loss, MSE (network units²)")
    loss_axis.set_title("Training loss", fontsize=10)
    psnr_axis.set_xlabel("epoch")
    psnr_axis.set_ylabel("validation PSNR (dB)")
    psnr_axis.set_title("Validation PSNR", fontsize=10)
    for axis in (loss_axis, psnr_axis):
        axis.grid(alpha=0.3)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    figure.legend(*psnr_axis.get_legend_handles_labels(), loc="outside right upper", fontsize=9, frameon=False)
    return figure
