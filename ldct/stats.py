"""Per dose x method summaries and paired two-tailed t-tests against a reference method."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Mapping

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


STATS_COLUMNS = (
    "dose",
    "method",
    "metric",
    "n",
    "mean",
    "sd",
    "reference_method",
    "mean_difference",
    "t_statistic",
    "p_value",
    "significant",
)


def summarize(
    rows: Iterable[Mapping[str, object]],
    metrics: Iterable[str],
    reference_method: str,
    alpha: float = 0.05,
) -> list[dict[str, object]]:
    """One row per (dose, method, metric): n, mean, SD and the paired test against the reference.

    ``rows`` are per-image metric rows with keys dose, method, image, realization and each
    metric. Pairs are matched on (image, realization); the reference method's own rows carry
    NaN test columns. ``significant`` is ``yes`` when p < ``alpha``, else ``no``.
    """
    values: dict[tuple, dict[tuple, float]] = defaultdict(dict)
    metrics = list(metrics)
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
    methods = sorted({key[1] for key in values})
    if reference_method not in methods:
        raise ValueError(f"reference method '{reference_method}' has no metric rows")
    summary = []
    for dose in sorted({key[0] for key in values}, reverse=True):
        for method in methods:
            for metric in metrics:
                sample = values[(dose, method, metric)]
                units = sorted(sample)
                observed = np.array([sample[unit] for unit in units])
                row = {
                    "dose": dose,
                    "method": method,
                    "metric": metric,
                    "n": len(units),
                    "mean": float(observed.mean()),
                    "sd": float(observed.std(ddof=1)) if len(units) > 1 else float("nan"),
                    "reference_method": reference_method,
                    "mean_difference": float("nan"),
                    "t_statistic": float("nan"),
                    "p_value": float("nan"),
                    "significant": "reference" if method == reference_method else "no",
                }
                if method != reference_method:
                    reference = values[(dose, reference_method, metric)]
                    if set(reference) != set(units):
                        raise ValueError(
                            f"dose {dose}, metric {metric}: '{method}' and '{reference_method}' "
                            "were not evaluated on the same images and realizations"
                        )
                    paired = np.array([reference[unit] for unit in units])
                    t, p = paired_t_test(observed, paired)
                    row.update(
                        mean_difference=float((observed - paired).mean()),
                        t_statistic=t,
                        p_value=p,
                        significant="yes" if p < alpha else "no",
                    )
                summary.append(row)
    return summary
