"""No NaN or infinity reaches a saved image, a metric or a statistic silently: each is an error
naming the file, and nothing is written; the statistics that are NA by design still are."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from ldct.core.errors import LdctInputError
from ldct.core.storage import read_table, save_array, save_image, save_stack, write_table
from ldct.evaluation.metrics import METRIC_NAMES
from ldct.evaluation.stats import STATS_COLUMNS, finite_columns, summarize

REPO = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- images


@pytest.mark.parametrize(
    "write, shape",
    [
        (lambda path, array: save_stack(path, array, {"doses": [0.5]}), (2, 3, 4)),
        (lambda path, array: save_image(path, array, {}), (6, 4)),
        (save_array, (2, 3, 4)),
    ],
    ids=["save_stack", "save_image", "save_array"],
)
def test_an_image_with_a_nan_is_refused_naming_the_file_and_nothing_is_written(tmp_path, write, shape):
    array = np.zeros(shape, dtype=np.float32)
    array.flat[9] = np.nan
    array.flat[17] = np.nan
    path = tmp_path / "out" / "image.npy"
    first = tuple(int(i) for i in np.unravel_index(9, shape))
    with pytest.raises(LdctInputError) as raised:
        write(path, array)
    assert str(raised.value) == (
        f"{path}: 2 of 24 values are not finite (the first, nan, at index {first}); nothing written"
    )
    assert not path.parent.exists() or list(path.parent.iterdir()) == []


@pytest.mark.filterwarnings("ignore:overflow encountered in cast")
def test_a_value_beyond_float32_counts_as_infinite(tmp_path):
    """Images are stored as float32: 1e39 (float64) would be saved as inf."""
    path = tmp_path / "patches.npy"
    message = r"1 of 3 values are not finite \(the first, inf, at index \(1,\)\)"
    with pytest.raises(LdctInputError, match=message):
        save_array(path, np.array([0.0, 1e39, 2.0]))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- tables


def test_a_nan_in_a_must_be_finite_column_is_refused_naming_the_table(tmp_path):
    path = tmp_path / "metrics.tsv"
    rows = [
        {"image": "a", "dose": 0.5, "realization": 0, "method": "median", "ssim": 0.9, "note": float("nan")},
        {"image": "b", "dose": 0.5, "realization": 1, "method": "median", "ssim": float("nan"), "note": 1.0},
    ]
    with pytest.raises(LdctInputError) as raised:
        write_table(path, rows, list(rows[0]), finite_columns=["ssim"])
    assert str(raised.value) == (
        f"{path}: ssim is nan in row 2 (image b, dose 0.5, realization 1, method median) but must be "
        "a finite number; nothing written"
    )
    assert list(tmp_path.iterdir()) == []


def test_other_columns_still_write_na_and_the_normal_path_is_unchanged(tmp_path):
    rows = [{"name": "a", "value": 0.123456789012, "spread": float("nan")}]
    write_table(tmp_path / "checked.tsv", rows, ["name", "value", "spread"], finite_columns=["value"])
    write_table(tmp_path / "plain.tsv", rows, ["name", "value", "spread"])
    text = (tmp_path / "checked.tsv").read_text()
    assert text == "name\tvalue\tspread\na\t0.123456789\tNA\n"
    assert text == (tmp_path / "plain.tsv").read_text()


def test_finite_columns_may_depend_on_the_row(tmp_path):
    rows = [{"kind": "reference", "p": float("nan")}, {"kind": "comparison", "p": float("inf")}]

    def must_be_finite(row):
        return ["p"] if row["kind"] == "comparison" else []

    write_table(tmp_path / "first.tsv", rows[:1], ["kind", "p"], finite_columns=must_be_finite)
    assert (tmp_path / "first.tsv").read_text() == "kind\tp\nreference\tNA\n"
    with pytest.raises(LdctInputError, match=r"p is inf in row 2 \(kind comparison, p inf\)"):
        write_table(tmp_path / "both.tsv", rows, ["kind", "p"], finite_columns=must_be_finite)
    assert not (tmp_path / "both.tsv").exists()


# --------------------------------------------------------------------------- statistics


def paired_rows(reference, differences, patients=None, realizations=1):
    """Metric rows of 'ref' and 'm' for metric 'x': slice i pairs reference[i] with
    reference[i] + differences[i], each repeated over ``realizations``."""
    patients = patients or [f"P{i % 2}" for i in range(len(reference))]
    return [
        {"dose": 0.5, "image": f"s{i}", "realization": r, "patient": patients[i], "method": method,
         "x": value + (difference if method == "m" else 0.0)}
        for i, (value, difference) in enumerate(zip(reference, differences, strict=True))
        for r in range(realizations)
        for method in ("ref", "m")
    ]


#: Metric rows whose summary has each NA by design: a reference row (no tests), and a
#: comparison with one slice; every difference equal; every difference 0; one patient.
DESIGNED_NA = {
    "varied differences": (paired_rows([1.0, 2.0, 3.0, 4.0], [0.1, 0.4, 0.2, 0.3], realizations=2), []),
    "one slice": (
        paired_rows([1.0], [0.5]), ["sd", "realization_sd", "ci_low", "p_value", "wilcoxon_p", "mixed_p"]
    ),
    "equal differences": (paired_rows([1.0, 2.0, 3.0, 4.0], [0.5] * 4), ["t_statistic", "p_holm", "mixed_p"]),
    "no difference": (paired_rows([1.0, 2.0, 3.0, 4.0], [0.0] * 4), ["p_value", "wilcoxon_statistic"]),
    "one patient": (paired_rows([1.0, 2.0, 3.0], [0.1, 0.3, 0.2], patients=["P"] * 3), ["mixed_p"]),
}


@pytest.mark.parametrize("case", DESIGNED_NA)
def test_statistics_that_are_na_by_design_are_written_as_na(tmp_path, case):
    rows, na_in_comparison = DESIGNED_NA[case]
    write_table(tmp_path / "stats.tsv", summarize(rows, ["x"], "ref"), STATS_COLUMNS, finite_columns)
    by_method = {row["method"]: row for row in read_table(tmp_path / "stats.tsv")}
    reference, comparison = by_method["ref"], by_method["m"]
    assert reference["p_value"] == reference["mean_difference"] == "NA"
    assert comparison["mean_difference"] != "NA" and comparison["mean"] != "NA"
    for column in na_in_comparison:
        assert comparison[column] == "NA", column
    if not na_in_comparison:
        assert "NA" not in comparison.values()


@pytest.mark.parametrize(
    "column, value",
    [("p_value", float("nan")), ("ci_high", float("nan")), ("wilcoxon_p", float("nan")),
     ("mixed_p", float("nan")), ("sd", float("inf"))],
)
def test_an_unexpected_non_finite_statistic_is_refused_naming_the_table(tmp_path, column, value):
    """Differences that vary, over two patients with two slices each: every column is defined."""
    summary = summarize(paired_rows([1.0, 2.0, 3.0, 4.0], [0.1, 0.4, 0.2, 0.3]), ["x"], "ref")
    assert [row["method"] for row in summary] == ["m", "ref"]
    write_table(tmp_path / "before.tsv", summary, STATS_COLUMNS, finite_columns)
    summary[0][column] = value
    path = tmp_path / "stats.tsv"
    message = rf"^{path}: {column} is {value} in row 1 \(dose 0.5, method m, "
    with pytest.raises(LdctInputError, match=message):
        write_table(path, summary, STATS_COLUMNS, finite_columns)
    assert not path.exists()


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_an_infinite_metric_makes_a_non_finite_mean(tmp_path):
    rows = paired_rows([1.0, 2.0, 3.0, 4.0], [0.1, 0.4, 0.2, 0.3])
    rows[1]["x"] = float("inf")  # method m, slice s0
    with pytest.raises(LdctInputError, match=r"stats.tsv: mean is inf in row 1 \(dose 0.5, method m,"):
        write_table(tmp_path / "stats.tsv", summarize(rows, ["x"], "ref"), STATS_COLUMNS, finite_columns)


# --------------------------------------------------------------------------- rule scripts

#: Runs a rule script (argv[1]) with a stand-in ``snakemake`` object built from JSON (argv[2]).
RUN_SCRIPT = textwrap.dedent(
    """
    import json, runpy, sys
    from types import SimpleNamespace
    spec = json.loads(sys.argv[2])
    snakemake = SimpleNamespace(
        input=SimpleNamespace(**spec["input"]), output=SimpleNamespace(**spec["output"]),
        params=SimpleNamespace(**spec["params"]), log=[spec["log"]], rule="test", wildcards={},
    )
    runpy.run_path(sys.argv[1], init_globals={"snakemake": snakemake})
    """
)


def run_script(tmp_path, name, inputs, outputs, params=None) -> subprocess.CompletedProcess:
    spec = {"input": inputs, "output": outputs, "params": params or {}, "log": str(tmp_path / f"{name}.log")}
    return subprocess.run(
        [sys.executable, "-c", RUN_SCRIPT, str(REPO / "workflow_scripts" / f"{name}.py"), json.dumps(spec)],
        capture_output=True, text=True, cwd=tmp_path,
    )


def ldct_lines(process: subprocess.CompletedProcess) -> list[str]:
    return [line for line in process.stderr.splitlines() if line.startswith("ldct:")]


def test_the_metrics_rule_refuses_the_infinite_psnr_of_an_image_equal_to_its_original(tmp_path):
    rng = np.random.default_rng(0)
    reference = rng.normal(40.0, 50.0, (32, 32)).astype(np.float32)
    save_image(tmp_path / "reference.npy", reference, {})
    meta = {"image": "s0", "method": "noisy", "doses": [1.0], "realizations": [0]}
    save_stack(tmp_path / "test.npy", reference[None], meta)
    table = tmp_path / "metrics.tsv"
    process = run_script(
        tmp_path,
        "metrics",
        {"test": [str(tmp_path / "test.npy")], "reference": [str(tmp_path / "reference.npy")]},
        {"table": [str(table)]},
        {"window": {"low_hu": -160, "high_hu": 240}},
    )
    assert process.returncode == 1, process.stderr
    assert ldct_lines(process) == [
        f"ldct: {table}: psnr_paper is inf in row 1 (image s0, dose 1, realization 0, method noisy) "
        "but must be a finite number; nothing written"
    ]
    assert not table.exists()


def test_collect_metrics_refuses_an_na_metric_and_keeps_finite_tables_byte_for_byte(tmp_path):
    split = tmp_path / "split.tsv"
    write_table(split, [{"image": "s0", "role": "eval", "patient": "P0"}], ["image", "role", "patient"])
    rows = [{"image": "s0", "dose": 0.5, "realization": r, "method": "median",
             **{metric: 0.1234567891 + r / 3 for metric in METRIC_NAMES}} for r in (0, 1)]
    write_table(tmp_path / "per_image.tsv", rows, list(rows[0]))
    collected = tmp_path / "collected.tsv"
    inputs = {"split": str(split), "tables": [str(tmp_path / "per_image.tsv")]}
    assert run_script(tmp_path, "collect_metrics", inputs, {"table": str(collected)}).returncode == 0
    expected = [dict(row, patient="P0") for row in rows]
    write_table(tmp_path / "expected.tsv", expected, list(expected[0]))
    assert collected.read_bytes() == (tmp_path / "expected.tsv").read_bytes()
    collected.unlink()
    rows[1]["ssim_window"] = float("nan")
    write_table(tmp_path / "per_image.tsv", rows, list(rows[0]))
    process = run_script(tmp_path, "collect_metrics", inputs, {"table": str(collected)})
    assert process.returncode == 1, process.stderr
    assert ldct_lines(process) == [
        f"ldct: {collected}: ssim_window is nan in row 2 (image s0, dose 0.5, realization 1, method median) "
        "but must be a finite number; nothing written"
    ]
    assert not collected.exists()


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_the_stats_rule_writes_designed_na_and_refuses_an_unexpected_non_finite_value(tmp_path):
    rng = np.random.default_rng(1)
    rows = [{"image": f"s{i}", "dose": 0.5, "realization": r, "method": method, "patient": f"P{i % 2}",
             **{metric: rng.normal(30.0, 1.0) for metric in METRIC_NAMES}}
            for i in range(4) for r in (0, 1) for method in ("dncnn", "median")]
    metrics, stats = tmp_path / "metrics.tsv", tmp_path / "stats.tsv"
    params = {"reference": "dncnn", "alpha": 0.05}
    write_table(metrics, rows, list(rows[0]))
    process = run_script(tmp_path, "stats", {"table": str(metrics)}, {"table": str(stats)}, params)
    assert process.returncode == 0, process.stderr
    written = read_table(stats)
    assert {row["p_value"] for row in written if row["method"] == "dncnn"} == {"NA"}
    assert "NA" not in {row["p_value"] for row in written if row["method"] == "median"}
    stats.unlink()
    rows[0]["psnr_paper"] = float("inf")  # a table written before metrics had to be finite
    write_table(metrics, rows, list(rows[0]))
    process = run_script(tmp_path, "stats", {"table": str(metrics)}, {"table": str(stats)}, params)
    assert process.returncode == 1, process.stderr
    assert ldct_lines(process) == [
        f"ldct: {stats}: mean is inf in row 2 (dose 0.5, method dncnn, metric psnr_paper, n 4) "
        "but must be a finite number; nothing written"
    ]
    assert not stats.exists()
