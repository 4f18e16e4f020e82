"""Claim by claim, does this run reproduce the Results of Usui et al. (2021)? From numbers only.

The input is the stats table (results/stats/stats.tsv) as ``ldct.storage.read_table`` gives it:
every value a string, ``NA`` for NaN. A comparison reads the row of one (dose, method, metric)
whose reference method is the original DnCNN (``dncnn``): D = mean_difference (method minus
dncnn, in metric units: SSIM unitless, PSNR in dB), its confidence interval [ci_low, ci_high]
(the stats' (1 - alpha) CI, dual to the t-test at alpha) and the t-test p. Against a threshold
thr in metric units, one comparison supports, contradicts or leaves unclear its expectation:

* ``lower``: supports if ci_high < thr, contradicts if ci_low > thr;
* ``higher``: supports if ci_low > thr, contradicts if ci_high < thr;
* ``not_higher`` (dncnn at least the method): contradicts if ci_low > 0, supports if D <= 0;
* ``no_difference``: supports if ci_low <= 0 <= ci_high, contradicts otherwise;

and is unclear in every other case, or when D or a CI bound is NaN. A claim is ``reproduced``
when every comparison supports it, ``not reproduced`` when any contradicts it, and
``inconclusive`` otherwise, or when a dose or method it needs is not in the run.

Claims (a) and (e) overlap: at 10 % and 5 % dose the Gaussian filter cannot be both below DnCNN
and not different from it, so at most one of the two is reproduced; the paper's own two
statements disagree there.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from .storage import table_number

FILTER_METHODS = ("median", "gaussian", "wiener")
CLAIM_COLUMNS = ("claim", "paper_statement", "test", "our_numbers", "verdict")
VERDICTS = ("reproduced", "not reproduced", "inconclusive")

REFERENCE_METHOD = "dncnn"
TRANSFER_METHOD = "dncnn_tra"
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
ULTRA_LOW_DOSES = (0.1, 0.05)
HIGH_DOSES = (0.75, 0.5)
MINUS = "\u2212"

SUPPORTS, CONTRADICTS, UNCLEAR = "supports", "contradicts", "unclear"

RowKey = tuple[float, str, str]  # (dose, method, metric column)


@dataclass(frozen=True)
class _Comparison:
    """One method against dncnn at one dose on ``metric`` ("ssim" or "psnr").

    The threshold is 0, or ``relative_gain`` x dncnn's mean at that dose when it is set.
    """

    dose: float
    method: str
    metric: str
    expectation: str
    relative_gain: float | None = None


def _dose_key(dose: float) -> float:
    """A dose fraction rounded so that 0.1 from text and 0.1 in code are the same key."""
    return round(dose, 9)


def _dose_label(dose: float) -> str:
    """A dose fraction as a percentage: 0.05 -> '5 %'."""
    return f"{round(dose * 100, 6):g} %"


class _StatsTable:
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
            (_dose_key(float(row["dose"])), row["method"], row["metric"]): {
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

    def key(self, comparison: _Comparison, method: str | None = None) -> RowKey:
        """The row key of a comparison's method (or of ``method``) at its dose and metric."""
        return (
            _dose_key(comparison.dose),
            comparison.method if method is None else method,
            self.columns[comparison.metric],
        )

    def gap(self, comparison: _Comparison) -> str | None:
        """What the run lacks for ``comparison`` (e.g. 'no 10 % dose'), or None."""
        dose = _dose_label(comparison.dose)
        if _dose_key(comparison.dose) not in self.doses:
            return f"no {dose} dose"
        if comparison.method not in self.methods:
            return f"no {comparison.method}"
        for method in (REFERENCE_METHOD, comparison.method):
            if self.key(comparison, method) not in self.rows:
                return f"no {method} {self.columns[comparison.metric]} row at {dose}"
        return None

    def reference_mean(self, comparison: _Comparison) -> float:
        """dncnn's mean at the comparison's dose, in metric units."""
        return self.rows[self.key(comparison, REFERENCE_METHOD)]["mean"]

    def threshold(self, comparison: _Comparison) -> float:
        """The comparison's threshold in metric units."""
        if comparison.relative_gain is None:
            return 0.0
        return comparison.relative_gain * self.reference_mean(comparison)

    def filters(self) -> list[str]:
        """The filters in the run; all of FILTER_METHODS when none is, so each shows as missing."""
        present = [method for method in FILTER_METHODS if method in self.methods]
        return present or list(FILTER_METHODS)


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


def _outcome(expectation: str, row: Mapping[str, float], threshold: float) -> str:
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


def _describe(table: _StatsTable, comparison: _Comparison, row: Mapping[str, float]) -> str:
    """E.g. '10 %: wiener − dncnn SSIM −0.057 [−0.062, −0.052], p = 3.1e-05'."""
    decimals, unit = (3, "") if comparison.metric == "ssim" else (2, " dB")
    text = (
        f"{_dose_label(comparison.dose)}: {comparison.method} {MINUS} {REFERENCE_METHOD} "
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


def _verdict(outcomes: list[str], incomplete: bool) -> str:
    """One of VERDICTS from the comparisons' outcomes; ``incomplete``: something was not tested."""
    if CONTRADICTS in outcomes:
        return "not reproduced"
    if incomplete or not outcomes or UNCLEAR in outcomes:
        return "inconclusive"
    return "reproduced"


def _filters_below_dncnn(table: _StatsTable, min_relative_gain: float) -> list[_Comparison]:
    """(a) Every filter's SSIM below dncnn's at 10 % and 5 % dose."""
    return [
        _Comparison(dose, method, "ssim", "lower")
        for dose in ULTRA_LOW_DOSES
        for method in table.filters()
    ]


def _dncnn_at_least_filters(table: _StatsTable, min_relative_gain: float) -> list[_Comparison]:
    """(b) No filter's SSIM above dncnn's at any dose of the run."""
    return [
        _Comparison(dose, method, "ssim", "not_higher")
        for dose in table.doses
        for method in table.filters()
    ]


def _transfer_gain(table: _StatsTable, min_relative_gain: float) -> list[_Comparison]:
    """(c) dncnn_tra's SSIM above dncnn's by min_relative_gain of its mean at 10 % and 5 %."""
    return [
        _Comparison(dose, TRANSFER_METHOD, "ssim", "higher", relative_gain=min_relative_gain)
        for dose in ULTRA_LOW_DOSES
    ]


def _transfer_over_smooths(table: _StatsTable, min_relative_gain: float) -> list[_Comparison]:
    """(d) dncnn_tra's SSIM and PSNR below dncnn's at 75 % and 50 % dose."""
    return [
        _Comparison(dose, TRANSFER_METHOD, metric, "lower")
        for dose in HIGH_DOSES
        for metric in ("ssim", "psnr")
    ]


def _gaussian_like_dncnn(table: _StatsTable, min_relative_gain: float) -> list[_Comparison]:
    """(e) The Gaussian filter's SSIM not significantly different from dncnn's at any dose."""
    return [_Comparison(dose, "gaussian", "ssim", "no_difference") for dose in table.doses]


@dataclass(frozen=True)
class _Claim:
    """A claim of the paper; ``test`` has the fields {ssim}, {psnr} (metric columns) and {gain}
    (min_relative_gain in %); ``comparisons`` lists what to read for a table and that gain."""

    claim: str
    paper_statement: str
    test: str
    comparisons: Callable[[_StatsTable, float], list[_Comparison]]


CLAIMS = (
    _Claim(
        "a",
        "Regarding the ultra-low-dose levels (equivalent to 10% and 5% doses) [...] The image "
        "quality improvement obtained by the filter-denoising methods at ultra-low doses was "
        "insufficient.",
        "At 10 % and 5 % dose, for each filter (median, gaussian, wiener) in the run, the CI of "
        "the filter's {ssim} minus dncnn's must lie entirely below 0; a CI entirely above 0 "
        "contradicts the claim.",
        _filters_below_dncnn,
    ),
    _Claim(
        "b",
        "For the SSIM values, the DnCNN method tended to provide improvements at all dose "
        "reduction levels.",
        "At every dose in the run, for each filter in the run, the filter's mean {ssim} minus "
        "dncnn's must be at most 0; a CI entirely above 0 contradicts the claim, a higher but "
        "not significantly higher filter is inconclusive.",
        _dncnn_at_least_filters,
    ),
    _Claim(
        "c",
        "For DnCNN_Tra, the SSIM was improved by approximately 10% relative to that of the "
        "original DnCNN method in the 5% and 10% dose-equivalent images.",
        "At 10 % and 5 % dose the CI of dncnn_tra's {ssim} minus dncnn's must lie entirely above "
        "{gain} % of dncnn's mean {ssim} ('approximately 10 %' read as at least {gain} %); a CI "
        "entirely below that threshold contradicts the claim.",
        _transfer_gain,
    ),
    _Claim(
        "d",
        "[DnCNN_Tra:] excessive smoothing at dose-reduction levels of 75% and 50% [...] in the "
        "results for the 75% and 50% dose-equivalent images, SSIM and PSNR were significantly "
        "degraded relative to the results for the original DnCNN method.",
        "At 75 % and 50 % dose the CIs of dncnn_tra's {ssim} and {psnr} minus dncnn's must both "
        "lie entirely below 0; a CI entirely above 0 contradicts the claim.",
        _transfer_over_smooths,
    ),
    _Claim(
        "e",
        "For the SSIM values, [...] no significant difference was observed with respect to the "
        "results of the Gaussian filter method.",
        "At every dose in the run the CI of the gaussian filter's {ssim} minus dncnn's must "
        "contain 0 (no significant difference at the stats' alpha); a CI excluding 0 "
        "contradicts the claim.",
        _gaussian_like_dncnn,
    ),
)


def _check(claim: _Claim, table: _StatsTable, min_relative_gain: float) -> dict[str, str]:
    """The CLAIM_COLUMNS row of one claim."""
    outcomes: list[str] = []
    numbers: list[str] = []
    gaps: list[str] = []
    for comparison in claim.comparisons(table, min_relative_gain):
        gap = table.gap(comparison)
        if gap is not None:
            if gap not in gaps:
                gaps.append(gap)
            continue
        row = table.rows[table.key(comparison)]
        outcomes.append(_outcome(comparison.expectation, row, table.threshold(comparison)))
        numbers.append(_describe(table, comparison, row))
    if gaps:
        numbers.append(f"not tested: {', '.join(gaps)} in this run")
    test = claim.test.format(
        ssim=table.columns["ssim"], psnr=table.columns["psnr"], gain=f"{min_relative_gain * 100:g}"
    )
    return {
        "claim": claim.claim,
        "paper_statement": claim.paper_statement,
        "test": test,
        "our_numbers": "; ".join(numbers),
        "verdict": _verdict(outcomes, bool(gaps)),
    }


def check_claims(
    stats_rows: Iterable[Mapping[str, str]],
    convention: str = "paper",
    min_relative_gain: float = 0.05,
) -> list[dict[str, str]]:
    """One CLAIM_COLUMNS row per claim (a) to (e) of the paper, with its verdict from VERDICTS.

    ``stats_rows`` are stats-table rows as ``read_table`` gives them. ``convention`` picks the
    metric columns: "paper" (ssim_paper, psnr_paper) or "window" (ssim_window, psnr_window).
    ``min_relative_gain`` (a fraction of dncnn's mean SSIM) is the least SSIM gain of dncnn_tra
    over dncnn that counts as the paper's "approximately 10 %" in claim (c).
    Raises ValueError when the table lacks a needed column, the dncnn rows, or the metrics.
    """
    table = _StatsTable(stats_rows, convention)
    return [_check(claim, table, min_relative_gain) for claim in CLAIMS]
