"""Unit tests of ldct.evaluation.mixed: the patient random-intercept model against the balanced one-way
ANOVA closed form, and the cases where it is not estimated."""

from __future__ import annotations

import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats as scipy_stats
from statsmodels.regression.mixed_linear_model import MixedLM
from statsmodels.tools.sm_exceptions import ConvergenceWarning

import ldct.evaluation.mixed
from ldct.evaluation.mixed import patient_mixed_test
from ldct.evaluation.paired_tests import paired_t_test


def _balanced(g, m, mean, patient_sd, slice_sd, seed):
    """Differences of g patients x m slices (patient-major) and the patient of each."""
    rng = np.random.default_rng(seed)
    offsets = rng.normal(scale=patient_sd, size=g)
    differences = mean + np.repeat(offsets, m) + rng.normal(scale=slice_sd, size=g * m)
    return differences, [f"P{i}" for i in range(g) for _ in range(m)]


def _anova_wald(differences, g, m):
    """(grand mean, two-sided Wald p, MS_between / MS_within) of a balanced design, by hand.

    REML with a positive between-patient variance estimate: the intercept is the grand mean,
    its SE sqrt(MS_between / (g m)), MS_between = m sum_i (mean_i - grand)^2 / (g - 1).
    """
    by_patient = np.asarray(differences).reshape(g, m)
    means, grand = by_patient.mean(axis=1), by_patient.mean()
    ms_between = m * ((means - grand) ** 2).sum() / (g - 1)
    ms_within = ((by_patient - means[:, None]) ** 2).sum() / (g * (m - 1))
    z = grand / math.sqrt(ms_between / (g * m))
    return grand, 2 * (1 - scipy_stats.norm.cdf(abs(z))), ms_between / ms_within


@pytest.mark.parametrize(
    "g, m, mean, patient_sd, slice_sd, seed",
    [
        (2, 10, 0.3, 1.0, 0.5, 0),
        (3, 7, 0.2, 1.0, 0.5, 1),
        (4, 5, 0.002, 0.004, 0.001, 2),  # SSIM-sized differences
        (5, 4, -1.5, 2.0, 1.0, 3),  # PSNR-sized, dB
    ],
)
def test_balanced_design_equals_the_anova_closed_form(g, m, mean, patient_sd, slice_sd, seed):
    """Intercept = grand mean, p = 2 (1 - Phi(|grand| / sqrt(MS_between / (g m)))), rtol 1e-4."""
    differences, patients = _balanced(g, m, mean, patient_sd, slice_sd, seed)
    grand, p, ratio = _anova_wald(differences, g, m)
    assert ratio > 1  # the between-patient variance estimate (MS_b - MS_w) / m is positive
    result = patient_mixed_test(differences, patients)
    assert result.reason is None
    assert_allclose(result.mean_difference, grand, rtol=1e-4)
    assert_allclose(result.p_value, p, rtol=1e-4)


def test_the_fit_does_not_depend_on_the_scale_of_the_differences():
    """d x 1e-4: the intercept scales by 1e-4, the p value stays (the fit runs on d / sd(d))."""
    differences, patients = _balanced(3, 6, 0.4, 1.0, 0.5, 4)
    result = patient_mixed_test(differences, patients)
    scaled = patient_mixed_test(differences * 1e-4, patients)
    # d / sd(d) differs by rounding between the two, which moves the optimiser's end point by
    # up to its tolerance (about 4e-5 relative on p, ldct.evaluation.mixed.OPTIMIZER).
    assert_allclose(scaled.mean_difference, result.mean_difference * 1e-4, rtol=1e-4)
    assert_allclose(scaled.p_value, result.p_value, rtol=1e-4)


def test_strong_patient_offsets_make_the_mixed_p_much_larger_than_the_t_test():
    """Patients at d = +0.9, +1.1, -0.2 with +-0.01 within: t-test p < 0.01 on 12 'independent'
    slices, the mixed model's p (3 patients) above 0.05 and over 20 times larger."""
    differences = np.array([0.89, 0.91, 0.90, 0.90, 1.09, 1.11, 1.10, 1.10,
                            -0.21, -0.19, -0.20, -0.20])
    patients = [f"P{i // 4}" for i in range(12)]
    _, t_p = paired_t_test(differences, np.zeros(12))
    result = patient_mixed_test(differences, patients)
    assert t_p < 0.01 and result.p_value > 0.05 and result.p_value > 20 * t_p
    grand, p, _ = _anova_wald(differences, 3, 4)
    assert_allclose([result.mean_difference, result.p_value], [grand, p], rtol=1e-4)


@pytest.mark.parametrize(
    "differences, patients, reason",
    [
        ([0.1, 0.3, 0.2], ["P1", "P1", "P1"], "1 patient(s)"),
        ([0.1], ["P1"], "1 patient(s)"),
        ([0.1, 0.3, 0.2], ["P1", "P2", "P3"], "every patient has one slice"),
        ([0.2, 0.2, 0.2, 0.2], ["P1", "P1", "P2", "P2"], "the same difference"),
    ],
)
def test_not_estimable_designs_give_nan_and_a_reason(differences, patients, reason):
    """< 2 patients, one slice per patient, identical differences: NaN, NaN and why."""
    result = patient_mixed_test(np.array(differences), patients)
    assert math.isnan(result.mean_difference) and math.isnan(result.p_value)
    assert reason in result.reason


def test_a_fit_on_the_boundary_is_the_z_test_of_independent_slices_and_no_warning_escapes():
    """Both patients with the same slice differences (MS_between = 0): the patient variance is
    estimated at 0 and statsmodels warns; the fit is kept, equal to the z-test of the mean
    difference with SE sd / sqrt(n), with a note, and no warning is re-emitted."""
    differences = np.array([1.0, 2.0, 4.0, 1.0, 2.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = patient_mixed_test(differences, ["A", "A", "A", "B", "B", "B"])
    z = differences.mean() / (differences.std(ddof=1) / np.sqrt(differences.size))
    assert result.mean_difference == pytest.approx(differences.mean(), rel=1e-6)
    assert result.p_value == pytest.approx(2 * scipy_stats.norm.sf(z), rel=1e-4)
    assert result.reason is None and "estimated at or near 0" in result.note


def test_other_warnings_give_nan_and_the_message(monkeypatch):
    """A warning that is not the boundary's (here: a failed optimiser) leaves no estimate."""
    original_fit = MixedLM.fit

    def warning_fit(self, *args, **kwargs):
        warnings.warn("Retrying MixedLM optimization with lbfgs", ConvergenceWarning)
        return original_fit(self, *args, **kwargs)

    monkeypatch.setattr(MixedLM, "fit", warning_fit)
    result = patient_mixed_test(np.array([1.0, 2.0, 4.0, 3.0, 5.0, 9.0]), ["A", "A", "A", "B", "B", "B"])
    assert math.isnan(result.p_value)
    assert result.reason == "the fit did not converge cleanly: Retrying MixedLM optimization with lbfgs"


def test_a_fit_that_raises_gives_nan_and_the_error(monkeypatch):
    """A numerical error inside statsmodels (e.g. a singular matrix) becomes NaN and the reason."""

    class SingularMixedLM:
        def __init__(self, *args, **kwargs):
            pass

        def fit(self, **kwargs):
            raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(ldct.evaluation.mixed, "MixedLM", SingularMixedLM)
    differences, patients = _balanced(3, 4, 0.5, 1.0, 0.5, 5)
    result = patient_mixed_test(differences, patients)
    assert math.isnan(result.mean_difference) and math.isnan(result.p_value)
    assert result.reason == "the fit failed: Singular matrix"


@pytest.mark.parametrize("converged, p_value", [(False, 0.5), (True, float("nan"))])
def test_a_fit_that_ends_unconverged_or_non_finite_gives_nan(monkeypatch, converged, p_value):
    """A result flagged not converged, or with a NaN p, is not reported even without a warning."""

    class QuietMixedLM:
        def __init__(self, *args, **kwargs):
            pass

        def fit(self, **kwargs):
            return SimpleNamespace(converged=converged, fe_params=np.array([0.1]),
                                   pvalues=np.array([p_value]), cov_re=np.array([[0.3]]))

    monkeypatch.setattr(ldct.evaluation.mixed, "MixedLM", QuietMixedLM)
    differences, patients = _balanced(3, 4, 0.5, 1.0, 0.5, 5)
    result = patient_mixed_test(differences, patients)
    assert math.isnan(result.mean_difference) and math.isnan(result.p_value)
    assert result.reason == "the fit did not converge"
