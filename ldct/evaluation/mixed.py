"""A patient-aware test of paired per-slice differences: a linear mixed model.

Slices of one patient lie 1-2.5 mm apart and are not independent, so next to the paired
t-test (which treats every slice as independent) the per-slice differences d = method -
reference are fitted with d_ij = mu + u_i + e_ij, u_i ~ N(0, tau^2) a random intercept of
patient i and e_ij ~ N(0, sigma^2) the slice's own deviation (statsmodels ``MixedLM``, REML).
The test of mu = 0 is the two-sided Wald z-test of the fixed intercept.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from statsmodels.regression.mixed_linear_model import MixedLM

#: The REML optimiser, alone (statsmodels' fallbacks warn, which counts as a failure anyway):
#: Nelder-Mead over the one variance parameter. On random balanced designs it converged
#: wherever the patient variance estimate is positive, where BFGS stopped in about 6 % of
#: them, and flagged every boundary estimate. Its tolerance on the REML criterion: at the
#: default 1e-4 the p value is good to about 5e-4 relative, at 1e-14 to about 4e-5.
OPTIMIZER = {"method": "nm", "ftol": 1e-14}


#: What statsmodels warns when the patient variance estimate is at or near 0 (a "singular"
#: fit). At 0 the model treats the slices as independent: the intercept is the mean difference
#: and its standard error sd / sqrt(n), which statsmodels still computes; the fit is kept.
BOUNDARY_WARNINGS = frozenset(
    {
        "The MLE may be on the boundary of the parameter space.",
        "The Hessian matrix at the estimated parameter values is not positive definite.",
    }
)
#: A patient variance below this share of the differences' variance is noted as 0.
BOUNDARY_VARIANCE = 1e-6


class PatientTest(NamedTuple):
    """The mixed model's intercept (units of the differences) and its two-sided Wald p value.

    Both are NaN when the model was not estimated; ``reason`` then says why, else it is None.
    ``note`` says when the patient variance was estimated at 0 (the values are then kept).
    """

    mean_difference: float
    p_value: float
    reason: str | None
    note: str | None = None


def _not_estimated(reason: str) -> PatientTest:
    """NaN intercept and p value, and ``reason``."""
    return PatientTest(float("nan"), float("nan"), reason)


def _not_estimable(differences: np.ndarray, patients: Sequence[str]) -> str | None:
    """Why the random-intercept model cannot be fitted to these differences, or None."""
    n_patients = len(set(patients))
    if n_patients < 2:
        return f"{n_patients} patient(s): a patient variance needs at least 2"
    if n_patients == differences.size:
        return "every patient has one slice: patient and slice variance cannot be told apart"
    if np.ptp(differences) == 0:
        return "every slice has the same difference: no variance to model"
    return None


def patient_mixed_test(differences: np.ndarray, patients: Sequence[str]) -> PatientTest:
    """REML fit of d = mu + patient intercept + slice error; mu and its Wald z-test p.

    ``differences`` are per-slice paired differences (method - reference, metric units),
    ``patients`` the patient of each slice. The fit runs on d / sd(d) (the optimiser's
    tolerances are absolute: on SSIM-sized differences of 1e-4 it fails to converge), and mu
    is scaled back, so ``mean_difference`` is in metric units; the p value does not depend on
    the scale. In a balanced design whose between-patient variance estimate is positive, mu is
    the grand mean and its standard error sqrt(MS_between / n). The standard error is
    statsmodels' (inverse observed information of all parameters); in unbalanced designs it
    can exceed the GLS one, sqrt(1 / sum_i m_i / (sigma^2 + m_i tau^2)).

    A patient variance estimated at or near 0 (the boundary; statsmodels warns) keeps the fit,
    whose intercept test at 0 is the z-test of the mean difference with SE sd / sqrt(n), and
    says so in ``note``. NaN with a reason when there are fewer than 2 patients, every patient has one
    slice, every difference is the same, or the fit fails: raises, warns otherwise, does not
    converge, or gives a non-finite estimate.
    """
    differences = np.asarray(differences, dtype=np.float64)
    reason = _not_estimable(differences, patients)
    if reason is not None:
        return _not_estimated(reason)
    scale = differences.std(ddof=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = MixedLM(differences / scale, np.ones((differences.size, 1)), groups=patients)
            fit = model.fit(reml=True, **OPTIMIZER)
        except (ArithmeticError, ValueError) as error:  # numpy's LinAlgError is a ValueError
            return _not_estimated(f"the fit failed: {error}")
    messages = set(str(warning.message) for warning in caught)
    if not messages <= BOUNDARY_WARNINGS:
        return _not_estimated(f"the fit did not converge cleanly: {'; '.join(sorted(messages))}")
    mean_difference, p_value = float(fit.fe_params[0] * scale), float(fit.pvalues[0])
    if not (fit.converged and np.isfinite(mean_difference) and np.isfinite(p_value)):
        return _not_estimated("the fit did not converge")
    patient_variance = float(np.asarray(fit.cov_re)[0, 0])
    note = None
    if messages or patient_variance < BOUNDARY_VARIANCE:
        note = f"patient variance estimated at or near 0 ({patient_variance:.2g} of the differences' variance)"
    return PatientTest(mean_difference, p_value, None, note)
