"""One comparison against DnCNN: what supports or contradicts each expectation, and its text."""

from __future__ import annotations

import math

import pytest

from ldct.evaluation.comparisons import (
    CONTRADICTS,
    SUPPORTS,
    UNCLEAR,
    Comparison,
    StatsTable,
    describe,
    outcome,
)


def row(difference: float, low: float, high: float) -> dict[str, float]:
    return {"mean_difference": difference, "ci_low": low, "ci_high": high}


@pytest.mark.parametrize(
    "expectation, ci, threshold, expected",
    [
        ("lower", (-0.2, -0.3, -0.1), 0.0, SUPPORTS),
        ("lower", (0.2, 0.1, 0.3), 0.0, CONTRADICTS),
        ("lower", (-0.1, -0.2, 0.1), 0.0, UNCLEAR),
        ("higher", (0.2, 0.1, 0.3), 0.05, SUPPORTS),
        ("higher", (0.06, 0.03, 0.09), 0.05, UNCLEAR),  # above 0, not clearly above the threshold
        ("higher", (0.02, 0.01, 0.04), 0.05, CONTRADICTS),
        ("not_higher", (-0.01, -0.05, 0.03), 0.0, SUPPORTS),
        ("not_higher", (0.01, -0.05, 0.07), 0.0, UNCLEAR),
        ("not_higher", (0.1, 0.05, 0.15), 0.0, CONTRADICTS),
        ("no_difference", (0.01, -0.05, 0.07), 0.0, SUPPORTS),
        ("no_difference", (0.1, 0.05, 0.15), 0.0, CONTRADICTS),
        ("lower", (math.nan, math.nan, math.nan), 0.0, UNCLEAR),
    ],
)
def test_outcome_of_each_expectation(expectation, ci, threshold, expected):
    assert outcome(expectation, row(*ci), threshold) == expected


def stats_rows():
    rows = []
    for metric in ("ssim_paper", "psnr_paper"):
        for method, mean, difference in (("dncnn", 0.80, "NA"), ("dncnn_tra", 0.90, 0.10)):
            rows.append({
                "dose": "0.1", "method": method, "metric": metric, "mean": str(mean),
                "reference_method": "dncnn", "mean_difference": str(difference),
                "ci_low": "0.08" if method != "dncnn" else "NA",
                "ci_high": "0.12" if method != "dncnn" else "NA",
                "p_value": "3.1e-05" if method != "dncnn" else "NA",
            })
    return rows


def test_relative_threshold_and_description():
    table = StatsTable(stats_rows(), "paper")
    gain = Comparison(0.1, "dncnn_tra", "ssim", "higher", relative_gain=0.05)
    assert table.threshold(gain) == pytest.approx(0.04)  # 5 % of DnCNN's 0.80
    assert table.gap(gain) is None
    assert table.gap(Comparison(0.05, "dncnn_tra", "ssim", "higher")) == "no 5 % dose"
    text = describe(table, gain, table.rows[table.key(gain)])
    assert text == (
        "10 %: dncnn_tra \u2212 dncnn SSIM 0.100 [0.080, 0.120], +12.5 % of dncnn's 0.800 "
        "(threshold 5 % = 0.040), p = 3.1e-05"
    )


def test_a_table_without_the_reference_rows_is_refused():
    with pytest.raises(ValueError, match="no rows of the reference 'dncnn'"):
        StatsTable([dict(row, reference_method="median") for row in stats_rows()], "paper")
