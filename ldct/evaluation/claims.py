"""Claim by claim, does this run reproduce the Results of Usui et al. (2021)? From numbers only.

Each claim is a list of comparisons of one method with the original DnCNN at one dose, read from the
stats table (see :mod:`ldct.evaluation.comparisons` for what supports or contradicts each). A claim
is ``reproduced`` when every comparison supports it, ``not reproduced`` when any contradicts it, and
``inconclusive`` otherwise, or when a dose or method it needs is not in the run. A claim about a
fine-tuned network that did not converge (its ``optimum.json``, :mod:`ldct.training.convergence`)
is ``inconclusive (network did not converge)`` whatever its comparisons say: an unfinished
training says nothing about the paper. The filters are the paper's, as the method registry
(:mod:`ldct.core.methods`) marks them.

Claims (a) and (e) overlap: at 10 % and 5 % dose the Gaussian filter cannot be both below DnCNN
and not different from it, so at most one of the two is reproduced; the paper's own two
statements disagree there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ldct.core.methods import paper_filters
from ldct.evaluation.comparisons import (
    CONTRADICTS,
    UNCLEAR,
    Comparison,
    StatsTable,
    describe,
    outcome,
)

CLAIM_COLUMNS = ("claim", "paper_statement", "test", "our_numbers", "verdict")
NOT_CONVERGED = "inconclusive (network did not converge)"
VERDICTS = ("reproduced", "not reproduced", "inconclusive", NOT_CONVERGED)
ULTRA_LOW_DOSES = (0.1, 0.05)
HIGH_DOSES = (0.75, 0.5)


@dataclass(frozen=True)
class Reading:
    """How the claims check reads the paper: ``min_relative_gain`` (a fraction of dncnn's mean
    SSIM) is the least gain that counts as "approximately 10 %"; ``transfer_method`` is the
    fine-tuned method the paper's DnCNN_Tra is (``dncnn_tra``, last layer; or ``dncnn_full``,
    every layer, as MATLAB's ``trainNetwork`` updates unless told otherwise)."""

    min_relative_gain: float = 0.05
    transfer_method: str = "dncnn_tra"


def _filters(table: StatsTable) -> list[str]:
    """The paper's filters in the run; all of them when none is, so each shows as missing."""
    present = [method for method in paper_filters() if method in table.methods]
    return present or paper_filters()


def _verdict(outcomes: list[str], incomplete: bool) -> str:
    """One of VERDICTS from the comparisons' outcomes; ``incomplete``: something was not tested."""
    if CONTRADICTS in outcomes:
        return "not reproduced"
    if incomplete or not outcomes or UNCLEAR in outcomes:
        return "inconclusive"
    return "reproduced"


def _filters_below_dncnn(table: StatsTable, reading: Reading) -> list[Comparison]:
    """(a) Every filter's SSIM below dncnn's at 10 % and 5 % dose."""
    return [
        Comparison(dose, method, "ssim", "lower")
        for dose in ULTRA_LOW_DOSES
        for method in _filters(table)
    ]


def _dncnn_at_least_filters(table: StatsTable, reading: Reading) -> list[Comparison]:
    """(b) No filter's SSIM above dncnn's at any dose of the run."""
    return [
        Comparison(dose, method, "ssim", "not_higher")
        for dose in table.doses
        for method in _filters(table)
    ]


def _transfer_gain(table: StatsTable, reading: Reading) -> list[Comparison]:
    """(c) DnCNN_Tra's SSIM above dncnn's by min_relative_gain of its mean at 10 % and 5 %."""
    return [
        Comparison(dose, reading.transfer_method, "ssim", "higher", relative_gain=reading.min_relative_gain)
        for dose in ULTRA_LOW_DOSES
    ]


def _transfer_over_smooths(table: StatsTable, reading: Reading) -> list[Comparison]:
    """(d) DnCNN_Tra's SSIM and PSNR below dncnn's at 75 % and 50 % dose."""
    return [
        Comparison(dose, reading.transfer_method, metric, "lower")
        for dose in HIGH_DOSES
        for metric in ("ssim", "psnr")
    ]


def _gaussian_like_dncnn(table: StatsTable, reading: Reading) -> list[Comparison]:
    """(e) The Gaussian filter's SSIM not significantly different from dncnn's at any dose."""
    return [Comparison(dose, "gaussian", "ssim", "no_difference") for dose in table.doses]


@dataclass(frozen=True)
class _Claim:
    """A claim of the paper; ``test`` has the fields {ssim}, {psnr} (metric columns), {gain}
    (min_relative_gain in %), {filters} (the paper's filters) and {transfer} (the method read as
    DnCNN_Tra); ``comparisons`` lists what to read for a table and a :class:`Reading`."""

    claim: str
    paper_statement: str
    test: str
    comparisons: Callable[[StatsTable, Reading], list[Comparison]]


CLAIMS = (
    _Claim(
        "a",
        "Regarding the ultra-low-dose levels (equivalent to 10% and 5% doses) [...] The image "
        "quality improvement obtained by the filter-denoising methods at ultra-low doses was "
        "insufficient.",
        "At 10 % and 5 % dose, for each filter ({filters}) in the run, the CI of "
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
        "At 10 % and 5 % dose the CI of {transfer}'s {ssim} minus dncnn's must lie entirely above "
        "{gain} % of dncnn's mean {ssim} ('approximately 10 %' read as at least {gain} %); a CI "
        "entirely below that threshold contradicts the claim.",
        _transfer_gain,
    ),
    _Claim(
        "d",
        "[DnCNN_Tra:] excessive smoothing at dose-reduction levels of 75% and 50% [...] in the "
        "results for the 75% and 50% dose-equivalent images, SSIM and PSNR were significantly "
        "degraded relative to the results for the original DnCNN method.",
        "At 75 % and 50 % dose the CIs of {transfer}'s {ssim} and {psnr} minus dncnn's must both "
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


def _check(
    claim: _Claim, table: StatsTable, reading: Reading, convergence: Mapping[str, Mapping]
) -> dict[str, str]:
    """The CLAIM_COLUMNS row of one claim."""
    outcomes: list[str] = []
    numbers: list[str] = []
    gaps: list[str] = []
    comparisons = claim.comparisons(table, reading)
    unconverged = [
        method for method in dict.fromkeys(comparison.method for comparison in comparisons)
        if method in convergence and not convergence[method]["converged"]
    ]
    for comparison in comparisons:
        gap = table.gap(comparison)
        if gap is not None:
            if gap not in gaps:
                gaps.append(gap)
            continue
        row = table.rows[table.key(comparison)]
        outcomes.append(outcome(comparison.expectation, row, table.threshold(comparison)))
        numbers.append(describe(table, comparison, row))
    if gaps:
        numbers.append(f"not tested: {', '.join(gaps)} in this run")
    for method in unconverged:
        record = convergence[method]
        numbers.append(
            f"{method} did not converge: training loss {record['trained_loss']:.4g} is "
            f"{record['ratio']:.3f} x the last layer's optimum {record['optimum_loss']:.4g} "
            f"(limit {record['limit']:.4g})"
        )
    test = claim.test.format(
        ssim=table.columns["ssim"],
        psnr=table.columns["psnr"],
        gain=f"{reading.min_relative_gain * 100:g}",
        transfer=reading.transfer_method,
        filters=", ".join(paper_filters()),
    )
    return {
        "claim": claim.claim,
        "paper_statement": claim.paper_statement,
        "test": test,
        "our_numbers": "; ".join(numbers),
        "verdict": NOT_CONVERGED if unconverged else _verdict(outcomes, bool(gaps)),
    }


def check_claims(
    stats_rows: Iterable[Mapping[str, str]],
    convention: str = "paper",
    min_relative_gain: float = 0.05,
    transfer_method: str = "dncnn_tra",
    convergence: Mapping[str, Mapping] | None = None,
) -> list[dict[str, str]]:
    """One CLAIM_COLUMNS row per claim (a) to (e) of the paper, with its verdict from VERDICTS.

    ``stats_rows`` are stats-table rows as ``read_table`` gives them. ``convention`` picks the
    metric columns: "paper" (ssim_paper, psnr_paper) or "window" (ssim_window, psnr_window).
    ``min_relative_gain`` (a fraction of dncnn's mean SSIM) is the least SSIM gain of dncnn_tra
    over dncnn that counts as the paper's "approximately 10 %" in claim (c).
    ``transfer_method`` is the method claims (c) and (d) treat as DnCNN_Tra. ``convergence``
    maps a fine-tuned method to its convergence record (``optimum.json``); a claim comparing a
    method whose record says it did not converge gets :data:`NOT_CONVERGED`.
    Raises ValueError when the table lacks a needed column, the dncnn rows, or the metrics.
    """
    table = StatsTable(stats_rows, convention)
    reading = Reading(min_relative_gain, transfer_method)
    return [_check(claim, table, reading, convergence or {}) for claim in CLAIMS]
