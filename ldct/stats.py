"""Per dose x method summaries and paired tests of every method against a reference method.

Each non-reference row compares the method with the reference on the same (image,
realization) pairs: the mean paired difference (method - reference, in metric units) with its
(1 - alpha) t confidence interval, a two-tailed paired t-test, the Wilcoxon signed-rank test,
and the t-test p-values Holm-adjusted over every comparison of the summary.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np
from scipy import stats as scipy_stats
from statsmodels.stats.multitest import multipletests

Unit = tuple[str, int]  # (image, realization)
SampleKey = tuple[float, str, str]  # (dose, method, metric)


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


STATS_COLUMNS = (
    "dose",
    "method",
    "metric",
    "n",
    "mean",
    "sd",
    "reference_method",
    "mean_difference",
    "ci_low",
    "ci_high",
    "t_statistic",
    "p_value",
    "p_holm",
    "wilcoxon_statistic",
    "wilcoxon_p",
    "significant",
    "significant_holm",
)


def _samples(
    rows: Iterable[Mapping[str, object]], metrics: list[str]
) -> dict[SampleKey, dict[Unit, float]]:
    """Metric values by (dose, method, metric), each keyed by its (image, realization)."""
    values: dict[SampleKey, dict[Unit, float]] = defaultdict(dict)
    for row in rows:
        unit = (str(row["image"]), int(row["realization"]))
        for metric in metrics:
            sample = values[(float(row["dose"]), str(row["method"]), metric)]
            if unit in sample:
                raise ValueError(
                    f"two metric rows for dose {row['dose']}, method {row['method']}, "
                    f"image {unit[0]}, realization {unit[1]}"
                )
            sample[unit] = float(row[metric])
    return values


def _comparison(observed: np.ndarray, reference: np.ndarray, alpha: float) -> dict[str, object]:
    """Test columns of one method against the reference on paired values (metric units)."""
    t, p = paired_t_test(observed, reference)
    ci_low, ci_high = mean_difference_ci(observed - reference, alpha)
    wilcoxon_statistic, wilcoxon_p = wilcoxon_test(observed, reference)
    return {
        "mean_difference": float((observed - reference).mean()),
        "ci_low": ci_low,
        "ci_high": ci_high,
        "t_statistic": t,
        "p_value": p,
        "wilcoxon_statistic": wilcoxon_statistic,
        "wilcoxon_p": wilcoxon_p,
        "significant": "yes" if p < alpha else "no",
    }


def _summary_row(
    values: dict[SampleKey, dict[Unit, float]],
    key: SampleKey,
    reference_method: str,
    alpha: float,
) -> dict[str, object]:
    """The STATS_COLUMNS row of one (dose, method, metric); Holm columns are filled later."""
    dose, method, metric = key
    sample = values[key]
    units = sorted(sample)
    observed = np.array([sample[unit] for unit in units])
    is_reference = method == reference_method
    row: dict[str, object] = dict.fromkeys(STATS_COLUMNS, float("nan"))
    row.update(
        dose=dose,
        method=method,
        metric=metric,
        n=len(units),
        mean=float(observed.mean()),
        sd=float(observed.std(ddof=1)) if len(units) > 1 else float("nan"),
        reference_method=reference_method,
        significant="reference" if is_reference else "no",
        significant_holm="reference" if is_reference else "no",
    )
    if not is_reference:
        reference = values[(dose, reference_method, metric)]
        if set(reference) != set(units):
            raise ValueError(
                f"dose {dose}, metric {metric}: '{method}' and '{reference_method}' "
                "were not evaluated on the same images and realizations"
            )
        paired = np.array([reference[unit] for unit in units])
        row.update(_comparison(observed, paired, alpha))
    return row


def _add_holm(summary: list[dict[str, object]], alpha: float) -> None:
    """Fill p_holm and significant_holm: Holm step-down over every non-reference row with a p.

    Rows whose t-test p is NaN keep a NaN p_holm, are not counted among the comparisons, and
    are not significant.
    """
    tested = [
        row
        for row in summary
        if row["method"] != row["reference_method"] and not np.isnan(float(row["p_value"]))
    ]
    if tested:
        adjusted = multipletests([float(row["p_value"]) for row in tested], method="holm")[1]
        for row, p_holm in zip(tested, adjusted, strict=True):
            row["p_holm"] = float(p_holm)
    for row in summary:
        if row["method"] != row["reference_method"]:
            row["significant_holm"] = "yes" if float(row["p_holm"]) < alpha else "no"


def summarize(
    rows: Iterable[Mapping[str, object]],
    metrics: Iterable[str],
    reference_method: str,
    alpha: float = 0.05,
) -> list[dict[str, object]]:
    """One STATS_COLUMNS row per (dose, method, metric), doses descending.

    ``rows`` are per-image metric rows with keys dose, method, image, realization and each
    metric. Pairs are matched on (image, realization). Each non-reference row carries the mean
    difference (method - reference, metric units) with its (1 - ``alpha``) confidence interval,
    the paired t-test, the Wilcoxon signed-rank test, and ``p_holm``, the t-test p Holm-adjusted
    over all non-reference rows of the summary. ``significant`` is ``yes`` when p < ``alpha``
    and ``significant_holm`` when p_holm < ``alpha``, else ``no``; the reference method's own
    rows carry NaN test columns and ``reference`` in both.
    """
    metrics = list(metrics)
    values = _samples(rows, metrics)
    methods = sorted({key[1] for key in values})
    if reference_method not in methods:
        raise ValueError(f"reference method '{reference_method}' has no metric rows")
    summary = [
        _summary_row(values, (dose, method, metric), reference_method, alpha)
        for dose in sorted({key[0] for key in values}, reverse=True)
        for method in methods
        for metric in metrics
    ]
    _add_holm(summary, alpha)
    return summary
