"""The sensitivity figures: the heat map of every claim under every variant (one cell each,
coloured by the verdict), and how many claims each variant reproduces."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.colors import ListedColormap

from ldct.evaluation.claims import NOT_CONVERGED, VERDICTS
from ldct.report.figures.style import plt

#: Cell colour of each verdict of ldct.evaluation.claims.VERDICTS (green, red, grey, purple).
VERDICT_COLOURS = {
    "reproduced": "#4daf4a", "not reproduced": "#e41a1c", "inconclusive": "#bdbdbd",
    NOT_CONVERGED: "#984ea3",
}
VERDICT_MARKS = {"reproduced": "yes", "not reproduced": "no", "inconclusive": "?", NOT_CONVERGED: "n.c."}


def plot_sensitivity(rows: Sequence[Mapping[str, str]]) -> plt.Figure:
    """Claims (rows) x variants (columns, in the order of ``rows``), each cell its verdict.

    ``rows`` are rows of the sensitivity table
    (:data:`ldct.evaluation.sensitivity_table.SENSITIVITY_COLUMNS`).
    """
    claims = list(dict.fromkeys(row["claim"] for row in rows))
    variants = list(dict.fromkeys(row["variant"] for row in rows))
    verdict = {(row["claim"], row["variant"]): row["verdict"] for row in rows}
    codes = np.array([[VERDICTS.index(verdict[c, v]) for v in variants] for c in claims])
    figure, axis = plt.subplots(
        figsize=(2.2 + 1.0 * len(variants), 1.4 + 0.5 * len(claims)), layout="constrained"
    )
    colours = ListedColormap([VERDICT_COLOURS[name] for name in VERDICTS])
    axis.imshow(codes, cmap=colours, vmin=-0.5, vmax=len(VERDICTS) - 0.5, aspect="auto")
    for i, claim in enumerate(claims):
        for j, variant in enumerate(variants):
            axis.text(j, i, VERDICT_MARKS[verdict[claim, variant]], ha="center", va="center")
    axis.set_xticks(range(len(variants)), variants, rotation=35, ha="right")
    axis.set_yticks(range(len(claims)), [f"claim ({claim})" for claim in claims])
    axis.set_title("Claims of Usui et al. (2021) under each reading (yes: reproduced)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=VERDICT_COLOURS[name]) for name in VERDICTS]
    figure.legend(handles, VERDICTS, loc="outside lower center", ncols=len(VERDICTS), frameon=False)
    return figure


def plot_reproduced(per_variant: Sequence[Mapping[str, object]]) -> plt.Figure:
    """One bar per variant (top to bottom in the given order): how many of the paper's claims
    it reproduces, labelled with which. ``per_variant`` are rows of
    :func:`ldct.evaluation.sensitivity_table.reproduced_per_variant`."""
    names = [str(row["variant"]) for row in per_variant]
    counts = [int(row["reproduced"]) for row in per_variant]
    total = max(int(row["claims"]) for row in per_variant)
    figure, axis = plt.subplots(figsize=(7.0, 1.2 + 0.32 * len(names)), layout="constrained")
    positions = np.arange(len(names))
    axis.barh(positions, counts, color=VERDICT_COLOURS["reproduced"])
    for position, row in zip(positions, per_variant):
        axis.text(int(row["reproduced"]) + 0.05, position, str(row["reproduced_claims"]), va="center")
    axis.set_yticks(positions, names)
    axis.invert_yaxis()
    axis.set_xlim(0, total + 0.8)
    axis.set_xticks(range(total + 1))
    axis.set_xlabel(f"claims reproduced (of {total}), labelled with which")
    axis.set_title("How many claims of Usui et al. (2021) each reading reproduces")
    return figure
