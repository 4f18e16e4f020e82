"""One method against the original DnCNN at one dose, read from the stats table.

The input is the stats table (results/stats/stats.tsv) as ``ldct.core.storage.read_table`` gives it:
every value a string, ``NA`` for NaN. A comparison reads the row of one (dose, method, metric)
whose reference method is the original DnCNN (``dncnn``): D = mean_difference (method minus
dncnn, in metric units: SSIM unitless, PSNR in dB, the mean over eval slices of the per-slice
difference, each slice averaged over its noise realizations first), its confidence interval
[ci_low, ci_high] (the stats' (1 - alpha) CI, dual to the paired t-test at alpha) and the t-test
p; with a single eval slice the CI and p are NaN. Against a threshold thr in metric units, one
comparison supports, contradicts or leaves unclear its expectation:

* ``lower``: supports if ci_high < thr, contradicts if ci_low > thr;
* ``higher``: supports if ci_low > thr, contradicts if ci_high < thr;
* ``not_higher`` (dncnn at least the method): contradicts if ci_low > 0, supports if D <= 0;
* ``no_difference``: supports if ci_low <= 0 <= ci_high, contradicts otherwise;

and is unclear in every other case, or when D or a CI bound is NaN.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ldct.core.doses import dose_key, dose_percent
from ldct.core.storage import table_number

REFERENCE_METHOD = "dncnn"
CONVENTIONS = {
    "paper": {"ssim": "ssim_paper", "psnr": "psnr_paper"},
    "window": {"ssim": "ssim_window", "psnr": "psnr_window"},
}
REQUIRED_COLUMNS = (
    "dose",
    "method",
    "metric",
    "mean",
    "reference_method",
    "mean_difference",
    "ci_low",
    "ci_high",
    "p_value",
)
NUMERIC_COLUMNS = ("mean", "mean_difference", "ci_low", "ci_high", "p_value")
MINUS = "\u2212"

SUPPORTS, CONTRADICTS, UNCLEAR = "supports", "contradicts", "unclear"

RowKey = tuple[float, str, str]  # (dose, method, metric column)


@dataclass(frozen=True)
class Comparison:
    """One method against dncnn at one dose on ``metric`` ("ssim" or "psnr").

    The threshold is 0, or ``relative_gain`` x dncnn's mean at that dose when it is set.
    """

    dose: float
    method: str
    metric: str
    expectation: str
    relative_gain: float | None = None


class StatsTable:
    """The stats rows compared with dncnn, as floats, keyed by (dose, method, metric column)."""

    def __init__(self, rows: Iterable[Mapping[str, str]], convention: str) -> None:
        if convention not in CONVENTIONS:
            raise ValueError(
                f"convention must be one of {sorted(CONVENTIONS)}, not '{convention}'"
            )
        self.columns = CONVENTIONS[convention]
        rows = list(rows)
        missing = [name for name in REQUIRED_COLUMNS if any(name not in row for row in rows)]
        if missing:
            raise ValueError(f"stats table lacks the column(s) {', '.join(missing)}")
        self.rows: dict[RowKey, dict[str, float]] = {
            (dose_key(float(row["dose"])), row["method"], row["metric"]): {
                column: table_number(row[column]) for column in NUMERIC_COLUMNS
            }
            for row in rows
            if row["reference_method"] == REFERENCE_METHOD
        }
        reference_keys = [key for key in self.rows if key[1] == REFERENCE_METHOD]
        if not reference_keys:
            raise ValueError(f"stats table has no rows of the reference '{REFERENCE_METHOD}'")
        for column in self.columns.values():
            if not any(key[2] == column for key in reference_keys):
                raise ValueError(f"stats table has no {column} rows of '{REFERENCE_METHOD}'")
        self.doses = sorted({key[0] for key in reference_keys}, reverse=True)
        self.methods = {key[1] for key in self.rows}

    def key(self, comparison: Comparison, method: str | None = None) -> RowKey:
        """The row key of a comparison's method (or of ``method``) at its dose and metric."""
        return (
            dose_key(comparison.dose),
            comparison.method if method is None else method,
            self.columns[comparison.metric],
        )

    def gap(self, comparison: Comparison) -> str | None:
        """What the run lacks for ``comparison`` (e.g. 'no 10 % dose'), or None."""
        dose = dose_percent(comparison.dose)
        if dose_key(comparison.dose) not in self.doses:
            return f"no {dose} dose"
        if comparison.method not in self.methods:
            return f"no {comparison.method}"
        for method in (REFERENCE_METHOD, comparison.method):
            if self.key(comparison, method) not in self.rows:
                return f"no {method} {self.columns[comparison.metric]} row at {dose}"
        return None

    def reference_mean(self, comparison: Comparison) -> float:
        """dncnn's mean at the comparison's dose, in metric units."""
        return self.rows[self.key(comparison, REFERENCE_METHOD)]["mean"]

    def threshold(self, comparison: Comparison) -> float:
        """The comparison's threshold in metric units."""
        if comparison.relative_gain is None:
            return 0.0
        return comparison.relative_gain * self.reference_mean(comparison)



#: (supports, contradicts) of each expectation from (D, ci_low, ci_high, threshold).
EXPECTATIONS: dict[str, Callable[[float, float, float, float], tuple[bool, bool]]] = {
    "lower": lambda difference, low, high, threshold: (high < threshold, low > threshold),
    "higher": lambda difference, low, high, threshold: (low > threshold, high < threshold),
    "not_higher": lambda difference, low, high, threshold: (difference <= 0, low > 0),
    "no_difference": lambda difference, low, high, threshold: (
        low <= 0 <= high,
        low > 0 or high < 0,
    ),
}


def outcome(expectation: str, row: Mapping[str, float], threshold: float) -> str:
    """SUPPORTS, CONTRADICTS or UNCLEAR for one stats row; threshold in metric units."""
    difference, low, high = row["mean_difference"], row["ci_low"], row["ci_high"]
    if math.isnan(difference) or math.isnan(low) or math.isnan(high):
        return UNCLEAR
    supports, contradicts = EXPECTATIONS[expectation](difference, low, high, threshold)
    if contradicts:
        return CONTRADICTS
    return SUPPORTS if supports else UNCLEAR


def _signed(value: float, decimals: int) -> str:
    """``value`` with ``decimals`` decimals and a Unicode minus; NaN is 'NA'."""
    return "NA" if math.isnan(value) else f"{value:.{decimals}f}".replace("-", MINUS)


def _p_label(p: float) -> str:
    """A p value to 2 significant digits: '0.043', '3.1e-05'; NaN is 'NA'."""
    if math.isnan(p):
        return "NA"
    return f"{p:.1e}" if p < 1e-3 else f"{p:#.2g}"


def describe(table: StatsTable, comparison: Comparison, row: Mapping[str, float]) -> str:
    """E.g. '10 %: wiener − dncnn SSIM −0.057 [−0.062, −0.052], p = 3.1e-05'."""
    decimals, unit = (3, "") if comparison.metric == "ssim" else (2, " dB")
    text = (
        f"{dose_percent(comparison.dose)}: {comparison.method} {MINUS} {REFERENCE_METHOD} "
        f"{comparison.metric.upper()} {_signed(row['mean_difference'], decimals)} "
        f"[{_signed(row['ci_low'], decimals)}, {_signed(row['ci_high'], decimals)}]{unit}"
    )
    if comparison.relative_gain is not None:
        reference_mean = table.reference_mean(comparison)
        gain = 100 * row["mean_difference"] / reference_mean
        threshold = _signed(table.threshold(comparison), decimals)
        text += (
            f", {'+' if gain >= 0 else ''}{_signed(gain, 1)} % of {REFERENCE_METHOD}'s "
            f"{_signed(reference_mean, decimals)} "
            f"(threshold {comparison.relative_gain * 100:g} % = {threshold})"
        )
    return f"{text}, p = {_p_label(row['p_value'])}"
