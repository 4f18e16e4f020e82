"""Unit tests of ldct.stats: paired tests, CI, Holm and the dose x method x metric summary."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats as scipy_stats

from ldct.stats import STATS_COLUMNS, paired_t_test, summarize

# --------------------------------------------------------------------------- paired t-test


@pytest.mark.parametrize("n, shift, seed", [(5, 0.3, 0), (10, 0.0, 1), (40, 0.05, 2), (3, 2.0, 3)])
def test_paired_t_test_equals_scipy_ttest_rel(n, shift, seed):
    """t and p equal scipy.stats.ttest_rel on random paired data to 1e-10."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = a + shift + rng.normal(scale=0.5, size=n)
    expected = scipy_stats.ttest_rel(a, b)
    t, p = paired_t_test(a, b)
    assert_allclose(t, expected.statistic, rtol=1e-10, atol=1e-12)
    assert_allclose(p, expected.pvalue, rtol=1e-10, atol=1e-12)


def test_paired_t_test_hand_statistic():
    """d = [1, 2, 3, 4, 5]: mean 3, sd sqrt(2.5), t = 3 / (sqrt(2.5)/sqrt(5)) = 3 sqrt(2)."""
    b = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    a = b + np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    t, _ = paired_t_test(a, b)
    assert_allclose(t, 3.0 * math.sqrt(2.0), rtol=1e-12)
    t_reversed, _ = paired_t_test(b, a)
    assert_allclose(t_reversed, -3.0 * math.sqrt(2.0), rtol=1e-12)


@pytest.mark.parametrize("t_critical, p_expected", [(2.776, 0.05), (4.604, 0.01), (2.132, 0.10)])
def test_paired_t_test_tabulated_critical_values_df4(t_critical, p_expected):
    """Differences built to give t = tabulated two-tailed critical value for df = 4 give that p within 1e-3."""
    spread = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])  # sample SD sqrt(2.5)
    mean = t_critical * math.sqrt(2.5) / math.sqrt(5.0)
    t, p = paired_t_test(mean + spread, np.zeros(5))
    assert_allclose(t, t_critical, rtol=1e-12)
    assert_allclose(p, p_expected, atol=1e-3)


def test_paired_t_test_closed_form_p_df2():
    """For df = 2 the two-tailed p is exactly 1 - |t| / sqrt(2 + t^2)."""
    d = np.array([1.0, 2.0, 4.0])
    t_hand = d.mean() / (d.std(ddof=1) / math.sqrt(3))
    t, p = paired_t_test(d, np.zeros(3))
    assert_allclose(t, t_hand, rtol=1e-12)
    assert_allclose(p, 1.0 - abs(t_hand) / math.sqrt(2.0 + t_hand**2), rtol=1e-10)


def test_paired_t_test_closed_form_p_df1():
    """For df = 1 (Cauchy) the two-tailed p is exactly 1 - (2/pi) arctan|t|."""
    d = np.array([0.5, 3.0])
    t_hand = d.mean() / (d.std(ddof=1) / math.sqrt(2))
    t, p = paired_t_test(d, np.zeros(2))
    assert_allclose(t, t_hand, rtol=1e-12)
    assert_allclose(p, 1.0 - 2.0 / math.pi * math.atan(abs(t_hand)), rtol=1e-10)


def test_paired_t_test_constant_differences_give_nan():
    """All differences equal (zero or not): t and p are NaN."""
    a = np.array([1.0, 2.0, 3.0, 4.0])
    for shift in (0.0, 0.5):
        t, p = paired_t_test(a + shift, a)
        assert math.isnan(t) and math.isnan(p)


def test_paired_t_test_needs_two_pairs():
    """A single pair is a ValueError."""
    with pytest.raises(ValueError):
        paired_t_test(np.array([1.0]), np.array([2.0]))


# --------------------------------------------------------------------------- summarize

DOSES = (0.75, 0.1)
METHODS = ("noisy", "median", "wiener", "same")
METRICS = ("ssim_paper", "psnr_paper")
IMAGES = ("abdomen", "head")
REALIZATIONS = range(4)


def _rows(seed=0):
    """Metric rows: 'median' beats 'noisy' clearly, 'wiener' is noise around it, 'same' is noisy + tiny jitter."""
    rng = np.random.default_rng(seed)
    rows = []
    for dose in DOSES:
        for image in IMAGES:
            for realization in REALIZATIONS:
                base = {m: rng.normal(30.0 if m == "psnr_paper" else 0.7, 1.0) for m in METRICS}
                offsets = {
                    "noisy": {m: 0.0 for m in METRICS},
                    "median": {m: 3.0 + rng.normal(scale=0.3) for m in METRICS},
                    "wiener": {m: rng.normal(scale=1.0) for m in METRICS},
                    "same": {m: rng.normal(scale=1e-3) for m in METRICS},
                }
                for method in METHODS:
                    row = {"dose": dose, "method": method, "image": image,
                           "realization": realization}
                    row.update({m: base[m] + offsets[method][m] for m in METRICS})
                    rows.append(row)
    return rows


def _index(summary):
    return {(row["dose"], row["method"], row["metric"]): row for row in summary}


def test_summarize_has_one_row_per_dose_method_metric():
    """len = doses x methods x metrics, every key once, with exactly the STATS_COLUMNS keys; doses descend."""
    summary = summarize(_rows(), METRICS, "noisy")
    assert len(summary) == len(DOSES) * len(METHODS) * len(METRICS)
    assert len(_index(summary)) == len(summary)
    assert all(tuple(row) == STATS_COLUMNS for row in summary)
    assert [row["dose"] for row in summary] == sorted((row["dose"] for row in summary), reverse=True)


def test_summarize_values_by_hand():
    """n, mean, SD, mean difference, t and p of each row equal a hand/scipy computation on the paired data."""
    rows = _rows()
    summary = _index(summarize(rows, METRICS, "noisy"))
    for dose in DOSES:
        for method in METHODS:
            for metric in METRICS:
                def sample(name, dose=dose, metric=metric):
                    selected = sorted(
                        ((r["image"], r["realization"]), r[metric]) for r in rows
                        if r["dose"] == dose and r["method"] == name
                    )
                    return np.array([value for _, value in selected])

                observed, reference = sample(method), sample("noisy")
                row = summary[(dose, method, metric)]
                assert row["n"] == len(IMAGES) * len(REALIZATIONS)
                assert row["reference_method"] == "noisy"
                assert_allclose(row["mean"], observed.mean(), rtol=1e-12)
                assert_allclose(row["sd"], observed.std(ddof=1), rtol=1e-12)
                if method == "noisy":
                    assert row["significant"] == "reference"
                    assert math.isnan(row["t_statistic"]) and math.isnan(row["p_value"])
                    assert math.isnan(row["mean_difference"])
                    continue
                expected = scipy_stats.ttest_rel(observed, reference)
                assert_allclose(row["mean_difference"], (observed - reference).mean(), rtol=1e-12)
                assert_allclose(row["t_statistic"], expected.statistic, rtol=1e-10)
                assert_allclose(row["p_value"], expected.pvalue, rtol=1e-10, atol=1e-300)
                assert row["significant"] == ("yes" if expected.pvalue < 0.05 else "no")


def test_summarize_flags_significance_at_alpha():
    """A clear improvement is 'yes'; the p of a noisy method decides yes/no against alpha."""
    rows = _rows()
    summary = _index(summarize(rows, METRICS, "noisy"))
    for dose in DOSES:
        for metric in METRICS:
            assert summary[(dose, "median", metric)]["significant"] == "yes"
            assert summary[(dose, "median", metric)]["p_value"] < 1e-6
    p = summary[(0.75, "wiener", "psnr_paper")]["p_value"]
    just_above, just_below = _index(summarize(rows, METRICS, "noisy", alpha=p * 1.0001)), \
        _index(summarize(rows, METRICS, "noisy", alpha=p))
    assert just_above[(0.75, "wiener", "psnr_paper")]["significant"] == "yes"
    assert just_below[(0.75, "wiener", "psnr_paper")]["significant"] == "no"  # p < alpha is strict


def test_summarize_is_independent_of_row_order():
    """Shuffling the input rows gives the identical summary (pairs matched on image, realization)."""
    rows = _rows(seed=3)
    expected = summarize(rows, METRICS, "noisy")
    shuffled = list(rows)
    random.Random(12).shuffle(shuffled)
    got = summarize(shuffled, METRICS, "noisy")
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert a.keys() == b.keys()
        for key in a:
            if isinstance(a[key], float) and math.isnan(a[key]):
                assert math.isnan(b[key])
            else:
                assert a[key] == b[key], key


def test_summarize_pairs_on_image_and_realization_not_position():
    """Reversing only the method rows leaves t unchanged; pairing by position would change it."""
    rows = _rows(seed=4)
    reference_rows = [r for r in rows if r["method"] == "noisy"]
    other_rows = [r for r in rows if r["method"] != "noisy"]
    expected = _index(summarize(rows, METRICS, "noisy"))
    got = _index(summarize(reference_rows + other_rows[::-1], METRICS, "noisy"))
    key = (0.1, "wiener", "ssim_paper")
    assert_allclose(got[key]["t_statistic"], expected[key]["t_statistic"], rtol=1e-12)


def test_summarize_raises_when_a_method_misses_a_realization():
    """A method without a (image, realization) the reference has is a ValueError."""
    rows = [r for r in _rows()
            if not (r["method"] == "wiener" and r["dose"] == 0.1 and r["image"] == "head"
                    and r["realization"] == 2)]
    with pytest.raises(ValueError, match="wiener"):
        summarize(rows, METRICS, "noisy")


def test_summarize_raises_without_reference_rows():
    """A reference method with no rows at all is a ValueError."""
    with pytest.raises(ValueError, match="gaussian"):
        summarize(_rows(), METRICS, "gaussian")


def test_summarize_raises_on_a_duplicated_evaluation_unit():
    """Two rows for the same dose, method, image and realization are a ValueError, not a silent pick."""
    rows = _rows()
    with pytest.raises(ValueError, match="two metric rows"):
        summarize(rows + [dict(rows[5])], METRICS, "noisy")


# --------------------------------------------------------------------------- CI, Wilcoxon, Holm

NEW_NUMERIC_COLUMNS = ("ci_low", "ci_high", "p_holm", "wilcoxon_statistic", "wilcoxon_p")


def _paired_rows(reference, differences, dose=0.5):
    """Rows of methods 'ref' and 'm' on one image, realization i pairing reference[i] with
    reference[i] + differences[i], metric 'x'."""
    rows = []
    for realization, (value, difference) in enumerate(zip(reference, differences, strict=True)):
        common = {"dose": dose, "image": "abdomen", "realization": realization}
        rows.append(dict(common, method="ref", x=value))
        rows.append(dict(common, method="m", x=value + difference))
    return rows


def _method_row(rows, alpha=0.05):
    return _index(summarize(rows, ["x"], "ref", alpha=alpha))[(0.5, "m", "x")]


@pytest.mark.parametrize(
    "alpha, t_critical", [(0.05, 2.776445105), (0.10, 2.131846786)]  # tabulated t_{1-a/2, 4}
)
def test_summarize_ci_of_mean_difference_by_hand(alpha, t_critical):
    """d = [1..5]: mean 3, se = sqrt(2.5 / 5), CI = 3 -/+ t_{1-alpha/2, 4} se.

    The 95 % CI is [1.036757, 4.963243]."""
    reference = [10.0, 20.0, 30.0, 40.0, 50.0]
    row = _method_row(_paired_rows(reference, [1.0, 2.0, 3.0, 4.0, 5.0]), alpha=alpha)
    se = math.sqrt(2.5 / 5)
    assert_allclose([row["ci_low"], row["ci_high"]], [3 - t_critical * se, 3 + t_critical * se],
                    rtol=1e-6)
    if alpha == 0.05:
        assert_allclose([row["ci_low"], row["ci_high"]], [1.036757, 4.963243], rtol=1e-6)


def test_summarize_ci_collapses_to_the_mean_for_constant_differences():
    """sd(d) = 0: t and p are NaN and both CI bounds equal the mean difference."""
    row = _method_row(_paired_rows([1.0, 2.0, 3.0, 4.0], [0.5] * 4))
    assert math.isnan(row["t_statistic"]) and math.isnan(row["p_value"])
    assert row["ci_low"] == row["ci_high"] == row["mean_difference"] == 0.5


def _exact_wilcoxon_by_enumeration(differences):
    """(min(W+, W-), exact two-sided p) over all 2^n sign assignments of the ranks of |d|."""
    ranks = scipy_stats.rankdata(np.abs(differences))
    w_plus = ranks[np.asarray(differences) > 0].sum()
    observed = min(w_plus, ranks.sum() - w_plus)
    sums = [
        sum(rank for bit, rank in enumerate(ranks) if signs >> bit & 1)
        for signs in range(2 ** len(ranks))
    ]
    tail = sum(1 for total in sums if total <= observed) / len(sums)
    return observed, min(1.0, 2 * tail)


@pytest.mark.parametrize(
    "differences",
    [
        [0.3, -1.1, 2.2, 0.7, 1.9, -0.4, 2.8, 1.5],  # W- = 2 + 4 = 6
        [-0.3, -1.1, -2.2, 0.7, -1.9, -0.4, -2.8, 1.5],  # W+ = 3 + 5 = 8
        [0.25, -0.5, 0.75, -1.0, 1.25, -1.5, 1.75, -2.0],  # W+ = 16, W- = 20
    ],
)
def test_summarize_wilcoxon_equals_exact_enumeration(differences):
    """n = 8 untied differences: statistic min(W+, W-), exact two-sided p over all 2^8 signs."""
    reference = [0.5 + 0.01 * i for i in range(8)]
    row = _method_row(_paired_rows(reference, differences))
    statistic, p = _exact_wilcoxon_by_enumeration(differences)
    assert row["wilcoxon_statistic"] == statistic
    assert_allclose(row["wilcoxon_p"], p, rtol=1e-12)


def test_wilcoxon_hand_example():
    """d = [0.3, -1.1, 2.2, 0.7, 1.9, -0.4, 2.8, 1.5]: W- = 6, P(W <= 6) = 14/256, p = 28/256."""
    row = _method_row(_paired_rows([0.0] * 8, [0.3, -1.1, 2.2, 0.7, 1.9, -0.4, 2.8, 1.5]))
    assert row["wilcoxon_statistic"] == 6.0
    assert_allclose(row["wilcoxon_p"], 28 / 256, rtol=1e-12)


def test_summarize_wilcoxon_is_nan_when_every_difference_is_zero():
    """Identical values: no rank to test, so both Wilcoxon columns are NaN."""
    row = _method_row(_paired_rows([0.1, 0.2, 0.3, 0.4], [0.0] * 4))
    assert math.isnan(row["wilcoxon_statistic"]) and math.isnan(row["wilcoxon_p"])


def _holm_by_hand(p_values):
    """Textbook Holm: sort ascending, p_(i) (m - i + 1) for i = 1..m, running max, clip at 1."""
    m = len(p_values)
    adjusted = [0.0] * m
    running = 0.0
    for i, position in enumerate(sorted(range(m), key=lambda k: p_values[k]), start=1):
        running = max(running, (m - i + 1) * p_values[position])
        adjusted[position] = min(1.0, running)
    return adjusted


def _rows_with_a_copy(seed=0):
    """_rows plus a method 'copy' identical to 'noisy': its t-test p is NaN."""
    rows = _rows(seed)
    return rows + [dict(row, method="copy") for row in rows if row["method"] == "noisy"]


def test_summarize_holm_over_every_comparison_by_hand():
    """p_holm equals the hand step-down over all non-reference rows of all doses and metrics;
    NaN p rows keep NaN and are not counted in m."""
    summary = summarize(_rows_with_a_copy(), METRICS, "noisy")
    compared = [row for row in summary if row["method"] != "noisy"]
    tested = [row for row in compared if not math.isnan(row["p_value"])]
    untested = [row for row in compared if math.isnan(row["p_value"])]
    m = len(DOSES) * (len(METHODS) - 1) * len(METRICS)
    assert len(tested) == m and len(untested) == len(DOSES) * len(METRICS)
    expected = _holm_by_hand([row["p_value"] for row in tested])
    assert_allclose([row["p_holm"] for row in tested], expected, rtol=1e-12)
    smallest = min(row["p_value"] for row in tested)
    assert_allclose(min(row["p_holm"] for row in tested), m * smallest, rtol=1e-12)
    assert 0 < m * smallest < 1
    assert all(math.isnan(row["p_holm"]) for row in untested)
    assert {row["significant_holm"] for row in untested} == {"no"}


def test_summarize_holm_significance_at_alpha():
    """significant_holm is 'yes' exactly when p_holm < alpha, and only where significant is."""
    for alpha in (0.05, 0.2):
        for row in summarize(_rows_with_a_copy(seed=5), METRICS, "noisy", alpha=alpha):
            if row["method"] == "noisy":
                continue
            assert row["significant_holm"] == ("yes" if row["p_holm"] < alpha else "no")
            assert row["significant_holm"] != "yes" or row["significant"] == "yes"


def test_summarize_reference_rows_have_nan_in_every_new_column():
    """Reference rows: NaN CI, Holm and Wilcoxon columns, 'reference' in significant_holm."""
    reference_rows = [row for row in summarize(_rows(), METRICS, "noisy")
                      if row["method"] == "noisy"]
    assert len(reference_rows) == len(DOSES) * len(METRICS)
    for row in reference_rows:
        assert all(math.isnan(row[column]) for column in NEW_NUMERIC_COLUMNS)
        assert row["significant_holm"] == "reference"
