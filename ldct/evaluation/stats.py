"""Per dose x method summaries and paired tests of every method against a reference method.

The unit of every test is the evaluation slice. A slice's value is its metric averaged over
its noise realizations; ``n`` counts slices, ``mean`` and ``sd`` are across slice values, and
``realization_sd`` is the pooled SD over realizations within a slice (all in metric units).
Each non-reference row compares the method with the reference on the same slices: the mean
paired difference (method - reference, in metric units) with its (1 - alpha) t confidence
interval, a two-tailed paired t-test, the Wilcoxon signed-rank test, the t-test p-values
Holm-adjusted over every comparison of the summary, and, since slices of one patient are not
independent, a mixed model with a random intercept per patient (:mod:`ldct.evaluation.mixed`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np
from statsmodels.stats.multitest import multipletests

from ldct.evaluation.mixed import patient_mixed_test
from ldct.evaluation.paired_tests import mean_difference_ci, paired_t_test, wilcoxon_test

Unit = tuple[str, int]  # (image, realization)
SampleKey = tuple[float, str, str]  # (dose, method, metric)
NAN = float("nan")

logger = logging.getLogger(__name__)


STATS_COLUMNS = (
    "dose",
    "method",
    "metric",
    "n",
    "n_patients",
    "realizations",
    "mean",
    "sd",
    "realization_sd",
    "reference_method",
    "mean_difference",
    "ci_low",
    "ci_high",
    "t_statistic",
    "p_value",
    "p_holm",
    "wilcoxon_statistic",
    "wilcoxon_p",
    "mixed_mean_difference",
    "mixed_p",
    "significant",
    "significant_holm",
    "tests_agree",
)


def realization_sd(values: np.ndarray) -> float:
    """Pooled within-slice SD over noise realizations, in metric units.

    ``values`` is slices x realizations: sqrt of the mean over slices of each slice's sample
    variance (ddof 1) across its realizations. NaN with a single realization.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.shape[1] < 2:
        return NAN
    return float(np.sqrt(values.var(axis=1, ddof=1).mean()))


def _samples(
    rows: Iterable[Mapping[str, object]], metrics: list[str]
) -> tuple[dict[SampleKey, dict[Unit, float]], dict[str, str]]:
    """Metric values by (dose, method, metric), each keyed by its (image, realization), and
    the patient of each image."""
    values: dict[SampleKey, dict[Unit, float]] = defaultdict(dict)
    patients: dict[str, str] = {}
    for row in rows:
        unit = (str(row["image"]), int(row["realization"]))
        patient = str(row["patient"])
        if patients.setdefault(unit[0], patient) != patient:
            raise ValueError(
                f"image {unit[0]} has metric rows of patients {patients[unit[0]]} and {patient}"
            )
        for metric in metrics:
            sample = values[(float(row["dose"]), str(row["method"]), metric)]
            if unit in sample:
                raise ValueError(
                    f"two metric rows for dose {row['dose']}, method {row['method']}, "
                    f"image {unit[0]}, realization {unit[1]}"
                )
            sample[unit] = float(row[metric])
    return values, patients


def _slice_matrix(sample: Mapping[Unit, float], where: str) -> tuple[list[str], np.ndarray]:
    """The images of a sample, sorted, and its values as slices x realizations (metric units).

    Raises ValueError naming ``where`` when its slices have different numbers of realizations.
    """
    by_image: dict[str, dict[int, float]] = defaultdict(dict)
    for (image, realization), value in sample.items():
        by_image[image][realization] = value
    images = sorted(by_image)
    counts = {image: len(by_image[image]) for image in images}
    if len(set(counts.values())) > 1:
        raise ValueError(f"{where}: the slices have different numbers of realizations {counts}")
    matrix = np.array([[by_image[image][r] for r in sorted(by_image[image])] for image in images])
    return images, matrix


def _paired_tests(observed: np.ndarray, reference: np.ndarray, alpha: float) -> dict[str, object]:
    """CI, t-test and Wilcoxon columns of at least two paired slice values (metric units)."""
    t, p = paired_t_test(observed, reference)
    ci_low, ci_high = mean_difference_ci(observed - reference, alpha)
    wilcoxon_statistic, wilcoxon_p = wilcoxon_test(observed, reference)
    return {
        "ci_low": ci_low,
        "ci_high": ci_high,
        "t_statistic": t,
        "p_value": p,
        "wilcoxon_statistic": wilcoxon_statistic,
        "wilcoxon_p": wilcoxon_p,
        "significant": "yes" if p < alpha else "no",
    }


def _mixed_columns(
    differences: np.ndarray, patients: list[str], p_value: float, alpha: float, where: str
) -> dict[str, object]:
    """The mixed-model columns, and whether its p and the t-test's p agree at ``alpha``.

    When the model is not estimated its columns are NaN, ``tests_agree`` is ``n/a`` and the
    reason is logged.
    """
    test = patient_mixed_test(differences, patients)
    if test.reason is None:
        agree = "yes" if (p_value < alpha) == (test.p_value < alpha) else "no"
        if test.note:
            logger.info("%s: mixed model: %s", where, test.note)
    else:
        logger.warning("%s: no mixed model: %s", where, test.reason)
        agree = "n/a"
    return {
        "mixed_mean_difference": test.mean_difference,
        "mixed_p": test.p_value,
        "tests_agree": agree,
    }


def _comparison(
    observed: np.ndarray, reference: np.ndarray, patients: list[str], alpha: float, where: str
) -> dict[str, object]:
    """Test columns of one method against the reference on paired slice values (metric units).

    With a single slice only the mean difference is defined; the rest stays NaN (logged).
    """
    differences = observed - reference
    columns: dict[str, object] = {"mean_difference": float(differences.mean())}
    if differences.size < 2:
        logger.warning("%s: 1 eval slice, so no paired test", where)
    else:
        columns.update(_paired_tests(observed, reference, alpha))
    columns.update(_mixed_columns(differences, patients, columns.get("p_value", NAN), alpha, where))
    return columns


def _summary_row(
    values: dict[SampleKey, dict[Unit, float]],
    patients: Mapping[str, str],
    key: SampleKey,
    reference_method: str,
    alpha: float,
) -> dict[str, object]:
    """The STATS_COLUMNS row of one (dose, method, metric); Holm columns are filled later."""
    dose, method, metric = key
    where = f"dose {dose:g}, method {method}, metric {metric}"
    images, matrix = _slice_matrix(values[key], where)
    slice_values = matrix.mean(axis=1)
    is_reference = method == reference_method
    row: dict[str, object] = dict.fromkeys(STATS_COLUMNS, NAN)
    row.update(
        dose=dose,
        method=method,
        metric=metric,
        n=len(images),
        n_patients=len({patients[image] for image in images}),
        realizations=matrix.shape[1],
        mean=float(slice_values.mean()),
        sd=float(slice_values.std(ddof=1)) if len(images) > 1 else NAN,
        realization_sd=realization_sd(matrix),
        reference_method=reference_method,
        significant="reference" if is_reference else "no",
        significant_holm="reference" if is_reference else "no",
        tests_agree="reference" if is_reference else "n/a",
    )
    if not is_reference:
        reference = values[(dose, reference_method, metric)]
        if set(reference) != set(values[key]):
            raise ValueError(
                f"dose {dose}, metric {metric}: '{method}' and '{reference_method}' "
                "were not evaluated on the same images and realizations"
            )
        reference_values = _slice_matrix(reference, where)[1].mean(axis=1)
        slice_patients = [patients[image] for image in images]
        row.update(_comparison(slice_values, reference_values, slice_patients, alpha, where))
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

    ``rows`` are per-image metric rows with keys dose, method, image, realization, patient and
    each metric. Each image's values are first averaged over its realizations (every slice of
    a sample must have as many); ``n`` is the number of slices, ``n_patients`` of their
    patients, ``mean`` and ``sd`` (ddof 1) are over slice values, ``realization_sd`` is
    :func:`realization_sd`. Pairs are matched on the image, and method and reference must
    cover the same (image, realization) units. Each non-reference row carries the mean
    difference (method - reference, metric units) with its (1 - ``alpha``) confidence
    interval, the paired t-test, the Wilcoxon signed-rank test, ``p_holm``, the t-test p
    Holm-adjusted over all non-reference rows of the summary, and the patient mixed model
    (:func:`ldct.evaluation.mixed.patient_mixed_test`: ``mixed_mean_difference``, ``mixed_p``).
    ``significant`` is ``yes`` when p < ``alpha`` and ``significant_holm`` when p_holm <
    ``alpha``, else ``no``; ``tests_agree`` is ``yes`` when p and mixed_p fall on the same side
    of ``alpha``, ``no`` when not, ``n/a`` without a mixed model. With one slice the tests are
    NaN (and logged). The reference method's own rows carry NaN test columns and
    ``reference`` in significant, significant_holm and tests_agree.
    """
    metrics = list(metrics)
    values, patients = _samples(rows, metrics)
    methods = sorted({key[1] for key in values})
    if reference_method not in methods:
        raise ValueError(f"reference method '{reference_method}' has no metric rows")
    summary = [
        _summary_row(values, patients, (dose, method, metric), reference_method, alpha)
        for dose in sorted({key[0] for key in values}, reverse=True)
        for method in methods
        for metric in metrics
    ]
    _add_holm(summary, alpha)
    return summary


def finite_columns(row: Mapping[str, object]) -> list[str]:
    """The columns of a :func:`summarize` row that must hold finite numbers; the rest are NA by
    design there.

    Always dose and mean; sd with 2+ slices, realization_sd with 2+ realizations. The reference's
    own rows compare nothing: every test column is NA. A comparison row always has
    mean_difference, and with 2+ slices ci_low and ci_high; t_statistic, p_value and p_holm
    unless every difference is equal (the interval then has zero width), the Wilcoxon columns
    unless every difference is 0, and the mixed-model columns unless the model was not
    estimated (``tests_agree`` ``n/a``, the reason logged).
    """
    columns = ["dose", "mean"]
    columns += ["sd"] if row["n"] > 1 else []
    columns += ["realization_sd"] if row["realizations"] > 1 else []
    if row["method"] == row["reference_method"]:
        return columns
    columns.append("mean_difference")
    if row["n"] < 2:
        return columns
    columns += ["ci_low", "ci_high"]
    differences_vary = row["ci_low"] != row["ci_high"]
    columns += ["t_statistic", "p_value", "p_holm"] if differences_vary else []
    if differences_vary or row["mean_difference"] != 0:
        columns += ["wilcoxon_statistic", "wilcoxon_p"]
    columns += ["mixed_mean_difference", "mixed_p"] if row["tests_agree"] != "n/a" else []
    return columns
