"""Unit tests of ldct.evaluation.stats: paired tests, CI, Holm, the slice-level dose x method x metric
summary with its patient mixed-model columns, and the patient join."""

from __future__ import annotations

import logging
import math
import random

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats as scipy_stats

from ldct.evaluation.mixed import patient_mixed_test
from ldct.evaluation.paired_tests import paired_t_test
from ldct.evaluation.stats import STATS_COLUMNS, realization_sd, summarize
from ldct.study.split import with_patients

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
IMAGES = tuple(f"s{i}" for i in range(8))
REALIZATIONS = range(4)


def _patient(image):
    """Two slices per patient: s0, s1 -> P0; s2, s3 -> P1; ..."""
    return f"P{int(image[1:]) // 2}"


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
                           "realization": realization, "patient": _patient(image)}
                    row.update({m: base[m] + offsets[method][m] for m in METRICS})
                    rows.append(row)
    return rows


def _index(summary):
    return {(row["dose"], row["method"], row["metric"]): row for row in summary}


def _slice_values(rows, dose, method, metric):
    """slices x realizations array of one sample, by hand: images and realizations sorted."""
    return np.array([
        [next(r[metric] for r in rows if r["dose"] == dose and r["method"] == method
              and r["image"] == image and r["realization"] == realization)
         for realization in REALIZATIONS]
        for image in IMAGES
    ])


def test_summarize_has_one_row_per_dose_method_metric():
    """len = doses x methods x metrics, every key once, with exactly the STATS_COLUMNS keys; doses descend."""
    summary = summarize(_rows(), METRICS, "noisy")
    assert len(summary) == len(DOSES) * len(METHODS) * len(METRICS)
    assert len(_index(summary)) == len(summary)
    assert all(tuple(row) == STATS_COLUMNS for row in summary)
    assert [row["dose"] for row in summary] == sorted((row["dose"] for row in summary), reverse=True)


def test_summarize_values_by_hand():
    """n, mean, SD, realization SD, mean difference, t and p of each row equal a hand/scipy
    computation on the slice means (realizations averaged first)."""
    rows = _rows()
    summary = _index(summarize(rows, METRICS, "noisy"))
    for dose in DOSES:
        for method in METHODS:
            for metric in METRICS:
                values = _slice_values(rows, dose, method, metric)
                observed = values.mean(axis=1)
                reference = _slice_values(rows, dose, "noisy", metric).mean(axis=1)
                row = summary[(dose, method, metric)]
                assert row["n"] == len(IMAGES)
                assert row["n_patients"] == len(IMAGES) // 2
                assert row["realizations"] == len(REALIZATIONS)
                assert row["reference_method"] == "noisy"
                assert_allclose(row["mean"], observed.mean(), rtol=1e-12)
                assert_allclose(row["sd"], observed.std(ddof=1), rtol=1e-12)
                pooled = math.sqrt(np.mean([np.var(slice_, ddof=1) for slice_ in values]))
                assert_allclose(row["realization_sd"], pooled, rtol=1e-12)
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


def _hand_rows():
    """3 slices x 2 realizations of metric 'x'; slices a, b of patient P1, c of P2.

    ref:   a [1, 3], b [2, 2], c [4, 6] -> slice means 2, 2, 5
    m:     a [2, 6], b [3, 7], c [6, 8] -> slice means 4, 5, 7; differences 2, 3, 2
    """
    values = {"ref": {"a": (1, 3), "b": (2, 2), "c": (4, 6)},
              "m": {"a": (2, 6), "b": (3, 7), "c": (6, 8)}}
    patients = {"a": "P1", "b": "P1", "c": "P2"}
    return [
        {"dose": 0.5, "method": method, "image": image, "realization": realization,
         "patient": patients[image], "x": float(value)}
        for method, by_image in values.items()
        for image, pair in by_image.items()
        for realization, value in enumerate(pair)
    ]


def test_summarize_averages_realizations_first_by_hand():
    """n = 3 slices (not 6 units); mean 16/3, SD sqrt(7/3) of the slice means 4, 5, 7;
    realization SD sqrt((8 + 8 + 2) / 3) = sqrt(6); d = 2, 3, 2: t = (7/3) / (sqrt(1/3) /
    sqrt(3)) = 7, two-tailed p (df 2) = 1 - 7 / sqrt(51)."""
    summary = _index(summarize(_hand_rows(), ["x"], "ref"))
    row = summary[(0.5, "m", "x")]
    assert (row["n"], row["realizations"], row["n_patients"]) == (3, 2, 2)
    assert_allclose([row["mean"], row["sd"], row["realization_sd"]],
                    [16 / 3, math.sqrt(7 / 3), math.sqrt(6)], rtol=1e-12)
    assert_allclose([row["mean_difference"], row["t_statistic"], row["p_value"]],
                    [7 / 3, 7.0, 1 - 7 / math.sqrt(51)], rtol=1e-12)
    reference = summary[(0.5, "ref", "x")]
    assert_allclose([reference["mean"], reference["realization_sd"]], [3.0, math.sqrt(4 / 3)],
                    rtol=1e-12)


def test_realization_sd_by_hand():
    """Slices [1, 3] (variance 2), [2, 2] (0), [4, 7] (4.5): sqrt(6.5 / 3); one realization: NaN."""
    assert_allclose(realization_sd(np.array([[1.0, 3.0], [2.0, 2.0], [4.0, 7.0]])),
                    math.sqrt(6.5 / 3), rtol=1e-12)
    assert math.isnan(realization_sd(np.array([[1.0], [2.0]])))


def test_summarize_with_one_realization_has_nan_realization_sd():
    """One realization per slice: slice values are the metric values, realization_sd NaN."""
    rows = [row for row in _hand_rows() if row["realization"] == 0]
    row = _index(summarize(rows, ["x"], "ref"))[(0.5, "m", "x")]
    assert row["realizations"] == 1 and math.isnan(row["realization_sd"])
    assert_allclose(row["mean"], (2 + 3 + 6) / 3, rtol=1e-12)


def test_summarize_with_one_slice_has_nan_tests_and_logs_why(caplog):
    """One eval slice: n = 1, SD and every test column NaN, the mean difference still set,
    tests_agree 'n/a', and the log says why."""
    rows = [row for row in _hand_rows() if row["image"] == "a"]
    with caplog.at_level(logging.WARNING, logger="ldct.evaluation.stats"):
        row = _index(summarize(rows, ["x"], "ref"))[(0.5, "m", "x")]
    assert (row["n"], row["n_patients"], row["realizations"]) == (1, 1, 2)
    assert math.isnan(row["sd"])
    assert_allclose(row["realization_sd"], math.sqrt(8.0), rtol=1e-12)
    assert row["mean_difference"] == 2.0
    for column in ("ci_low", "ci_high", "t_statistic", "p_value", "p_holm", "wilcoxon_statistic",
                   "wilcoxon_p", "mixed_mean_difference", "mixed_p"):
        assert math.isnan(row[column]), column
    assert (row["significant"], row["significant_holm"], row["tests_agree"]) == ("no", "no", "n/a")
    assert "1 eval slice" in caplog.text and "1 patient" in caplog.text


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
    """Shuffling the input rows gives the identical summary (pairs matched on the image)."""
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


def test_summarize_pairs_on_image_not_position():
    """Reversing only the method rows leaves t unchanged; pairing by position would change it."""
    rows = _rows(seed=4)
    reference_rows = [r for r in rows if r["method"] == "noisy"]
    other_rows = [r for r in rows if r["method"] != "noisy"]
    expected = _index(summarize(rows, METRICS, "noisy"))
    got = _index(summarize(reference_rows + other_rows[::-1], METRICS, "noisy"))
    key = (0.1, "wiener", "ssim_paper")
    assert_allclose(got[key]["t_statistic"], expected[key]["t_statistic"], rtol=1e-12)


@pytest.mark.parametrize(
    "dropped",
    [
        lambda r: r["image"] == "s3",  # a whole slice
        lambda r: r["realization"] == 2,  # the same realization of every slice
    ],
)
def test_summarize_raises_when_a_method_misses_units_of_the_reference(dropped):
    """A method without slices or realizations the reference has is a ValueError naming both."""
    rows = [r for r in _rows()
            if not (r["method"] == "wiener" and r["dose"] == 0.1 and dropped(r))]
    with pytest.raises(ValueError, match="'wiener' and 'noisy' were not evaluated on the same"):
        summarize(rows, METRICS, "noisy")


def test_summarize_raises_when_slices_have_different_realization_counts():
    """One slice of a sample with a realization fewer than the others is a ValueError."""
    rows = [r for r in _rows()
            if not (r["method"] == "wiener" and r["dose"] == 0.1 and r["image"] == "s5"
                    and r["realization"] == 2)]
    with pytest.raises(ValueError, match="method wiener.*different numbers of realizations"):
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


def test_summarize_raises_when_an_image_has_two_patients():
    """Rows of one image naming different patients are a ValueError naming the image."""
    rows = _rows()
    rows[0] = dict(rows[0], patient="someone else")
    with pytest.raises(ValueError, match="image s0 has metric rows of patients"):
        summarize(rows, METRICS, "noisy")


# --------------------------------------------------------------------------- patients

def test_with_patients_joins_the_split_table_on_image():
    """Each metric row gets its image's patient; the input rows are left as they were."""
    metric_rows = [{"image": "a", "x": "1"}, {"image": "b", "x": "2"}, {"image": "a", "x": "3"}]
    split_rows = [{"image": "a", "role": "eval", "patient": "P1"},
                  {"image": "b", "role": "eval", "patient": "P2"},
                  {"image": "t", "role": "train", "patient": "P3"}]
    joined = with_patients(metric_rows, split_rows)
    assert [row["patient"] for row in joined] == ["P1", "P2", "P1"]
    assert [row["x"] for row in joined] == ["1", "2", "3"]
    assert "patient" not in metric_rows[0]


@pytest.mark.parametrize("split_patient", [None, ""])
def test_with_patients_raises_naming_an_image_without_patient(split_patient):
    """An image missing from the split table, or with an empty patient: ValueError naming it."""
    split_rows = [{"image": "a", "role": "eval", "patient": "P1"}]
    if split_patient is not None:
        split_rows.append({"image": "b", "role": "eval", "patient": split_patient})
    with pytest.raises(ValueError, match="no patient for the image\\(s\\) b$"):
        with_patients([{"image": "a"}, {"image": "b"}], split_rows)


# --------------------------------------------------------------------------- mixed model columns

def _patient_rows(differences_by_patient, dose=0.5):
    """Methods 'ref' and 'm' on one realization per slice, metric 'x': patient i's slices have
    ref = slice index and m = ref + the patient's given differences."""
    rows = []
    for patient, differences in differences_by_patient.items():
        for k, difference in enumerate(differences):
            common = {"dose": dose, "image": f"{patient}_{k}", "realization": 0,
                      "patient": patient}
            rows.append(dict(common, method="ref", x=float(k)))
            rows.append(dict(common, method="m", x=k + difference))
    return rows


STRONG_PATIENT_OFFSETS = {  # d = patient offset +- 0.01: the t-test sees 12 independent slices
    "P1": [0.89, 0.91, 0.90, 0.90],
    "P2": [1.09, 1.11, 1.10, 1.10],
    "P3": [-0.29, -0.31, -0.30, -0.30],
}


def test_summarize_mixed_columns_and_disagreement_with_the_t_test():
    """Strong patient offsets: the t-test is significant, the mixed model (p from
    ldct.evaluation.mixed.patient_mixed_test on the same differences) is not: tests_agree 'no'."""
    row = _method_row(_patient_rows(STRONG_PATIENT_OFFSETS))
    differences = np.concatenate(list(STRONG_PATIENT_OFFSETS.values()))
    expected = patient_mixed_test(differences, [p for p, d in STRONG_PATIENT_OFFSETS.items()
                                                for _ in d])
    assert row["n_patients"] == 3
    assert row["p_value"] < 0.05 < row["mixed_p"]
    assert_allclose([row["mixed_mean_difference"], row["mixed_p"]],
                    [expected.mean_difference, expected.p_value],
                    rtol=1e-4)  # d = (k + d) - k: rounding moves the optimiser's end point, by up
    # to its tolerance (about 4e-5 relative on p, ldct.evaluation.mixed.OPTIMIZER)
    assert row["tests_agree"] == "no"


def test_summarize_tests_agree_when_both_are_significant():
    """A shift of 1 with patient offsets of +-0.05: both tests significant, tests_agree 'yes'."""
    rng = np.random.default_rng(7)
    by_patient = {f"P{i}": list(1.0 + offset + rng.normal(scale=0.1, size=4))
                  for i, offset in enumerate((-0.05, 0.0, 0.05))}
    row = _method_row(_patient_rows(by_patient))
    assert row["p_value"] < 0.05 and row["mixed_p"] < 0.05
    assert row["tests_agree"] == "yes"


def test_summarize_logs_why_there_is_no_mixed_model(caplog):
    """One patient: mixed columns NaN, tests_agree 'n/a', the reason logged with the row's key."""
    with caplog.at_level(logging.WARNING, logger="ldct.evaluation.stats"):
        row = _method_row(_patient_rows({"P1": [0.1, 0.3, 0.2, 0.5]}))
    assert math.isnan(row["mixed_mean_difference"]) and math.isnan(row["mixed_p"])
    assert row["tests_agree"] == "n/a" and not math.isnan(row["p_value"])
    assert "dose 0.5, method m, metric x: no mixed model: 1 patient(s)" in caplog.text


# --------------------------------------------------------------------------- CI, Wilcoxon, Holm

NEW_NUMERIC_COLUMNS = ("ci_low", "ci_high", "p_holm", "wilcoxon_statistic", "wilcoxon_p",
                       "mixed_mean_difference", "mixed_p")


def _paired_rows(reference, differences, dose=0.5):
    """Rows of methods 'ref' and 'm', one realization per slice, slice i (of patient i mod 2)
    pairing reference[i] with reference[i] + differences[i], metric 'x'."""
    rows = []
    for i, (value, difference) in enumerate(zip(reference, differences, strict=True)):
        common = {"dose": dose, "image": f"s{i}", "realization": 0, "patient": f"P{i % 2}"}
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
    """sd(d) = 0: t, p and the mixed model are NaN and both CI bounds equal the mean difference."""
    row = _method_row(_paired_rows([1.0, 2.0, 3.0, 4.0], [0.5] * 4))
    assert math.isnan(row["t_statistic"]) and math.isnan(row["p_value"])
    assert math.isnan(row["mixed_p"]) and row["tests_agree"] == "n/a"
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
    """Reference rows: NaN CI, Holm, Wilcoxon and mixed-model columns, 'reference' in
    significant_holm and tests_agree."""
    reference_rows = [row for row in summarize(_rows(), METRICS, "noisy")
                      if row["method"] == "noisy"]
    assert len(reference_rows) == len(DOSES) * len(METRICS)
    for row in reference_rows:
        assert all(math.isnan(row[column]) for column in NEW_NUMERIC_COLUMNS)
        assert row["significant_holm"] == row["tests_agree"] == "reference"
