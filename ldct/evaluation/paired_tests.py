"""Paired tests of two methods' per-slice values: the two-tailed t-test, the confidence
interval of the mean difference dual to it, and the Wilcoxon signed-rank test."""

from __future__ import annotations

import numpy as np
from scipy import stats as scipy_stats


def paired_t_test(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-tailed paired t-test of mean(a - b) = 0: (t statistic, p value).

    t = mean(d) / (sd(d) / sqrt(n)) with d = a - b and sd the sample SD (n - 1); p from the
    t distribution with n - 1 degrees of freedom. When all differences are equal, t is
    undefined and both values are NaN.
    """
    differences = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    n = differences.size
    if n < 2:
        raise ValueError("a paired t-test needs at least two pairs")
    sd = differences.std(ddof=1)
    if sd == 0:
        return float("nan"), float("nan")
    t = differences.mean() / (sd / np.sqrt(n))
    p = 2 * scipy_stats.t.sf(abs(t), df=n - 1)
    return float(t), float(p)


def mean_difference_ci(differences: np.ndarray, alpha: float) -> tuple[float, float]:
    """(1 - alpha) confidence interval of mean(d), in the units of d: (low, high).

    mean(d) -/+ t_{1 - alpha/2, n - 1} * sd(d) / sqrt(n), sd the sample SD (n - 1). The interval
    is dual to the two-tailed paired t-test: it excludes 0 exactly when p < alpha. When all
    differences are equal both bounds are their mean.
    """
    differences = np.asarray(differences, dtype=np.float64)
    n = differences.size
    if n < 2:
        raise ValueError("a confidence interval of a mean difference needs at least two pairs")
    mean = differences.mean()
    half_width = scipy_stats.t.ppf(1 - alpha / 2, df=n - 1) * differences.std(ddof=1) / np.sqrt(n)
    return float(mean - half_width), float(mean + half_width)


def wilcoxon_test(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Two-sided Wilcoxon signed-rank test of a - b: (statistic min(W+, W-), p value).

    ``scipy.stats.wilcoxon`` with its defaults (zero differences dropped, exact p for small
    samples without ties). When every difference is zero there is nothing to rank and both
    values are NaN.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if not np.any(a - b):
        return float("nan"), float("nan")
    result = scipy_stats.wilcoxon(a, b)
    return float(result.statistic), float(result.pvalue)
