"""The sensitivity heat map: one cell per claim and variant, coloured by the verdict."""

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
