"""Unit tests of ldct.stats: the paired t-test and the per dose x method x metric summary."""

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
                def sample(name):
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
