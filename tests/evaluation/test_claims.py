"""Unit tests of ldct.evaluation.claims: each claim's verdict on hand-made stats tables and on summarize."""

from __future__ import annotations

import numpy as np
import pytest

from ldct.core.storage import read_table, write_table
from ldct.evaluation.claims import CLAIM_COLUMNS, VERDICTS, check_claims
from ldct.evaluation.stats import STATS_COLUMNS, summarize

MINUS = "\u2212"
DOSES = ("0.75", "0.5", "0.1", "0.05")
FILTERS = ("median", "gaussian", "wiener")
PAPER, WINDOW = ("ssim_paper", "psnr_paper"), ("ssim_window", "psnr_window")

#: dncnn's mean (SSIM, PSNR in dB) at each dose.
DNCNN_MEANS = {"0.75": ("0.9", "40"), "0.5": ("0.88", "38"), "0.1": ("0.7", "30"),
               "0.05": ("0.6", "28")}
BELOW = ("-0.05", "-0.06", "-0.04", "3.1e-05")  # mean difference, ci_low, ci_high, p
SLIGHTLY_BELOW = ("-0.01", "-0.02", "-0.005", "0.002")
ABOVE = ("0.02", "0.01", "0.03", "0.0004")
LEVEL = ("-0.002", "-0.01", "0.006", "0.6")  # CI contains 0
PSNR_BELOW = ("-2", "-2.5", "-1.5", "1.2e-06")


def _row(dose, method, metric, mean, comparison=None):
    """One stats row as read_table gives it: every value a str, 'NA' for NaN."""
    row = dict.fromkeys(STATS_COLUMNS, "NA")
    row.update(dose=dose, method=method, metric=metric, n="10", mean=mean, sd="0.01",
               reference_method="dncnn")
    if comparison is None:
        row.update(significant="reference", significant_holm="reference")
    else:
        difference, low, high, p = comparison
        row.update(mean_difference=difference, ci_low=low, ci_high=high, p_value=p,
                   significant="yes" if p != "NA" and float(p) < 0.05 else "no")
    return row


def _paper_like():
    """{(dose, method, metric kind): (D, ci_low, ci_high, p)}: claims (a)-(d) hold, (e) fails."""
    spec = {}
    for dose in DOSES:
        ultra_low = dose in ("0.1", "0.05")
        for method in FILTERS:
            spec[(dose, method, "ssim")] = BELOW if ultra_low else SLIGHTLY_BELOW
            spec[(dose, method, "psnr")] = PSNR_BELOW
        spec[(dose, "dncnn_tra", "ssim")] = (
            ("0.07", "0.06", "0.08", "1e-06") if ultra_low else BELOW
        )
        spec[(dose, "dncnn_tra", "psnr")] = (
            ("1", "0.5", "1.5", "0.001") if ultra_low else PSNR_BELOW
        )
    return spec


def _gaussian_level(spec):
    """The same with the Gaussian filter's SSIM level with dncnn at every dose."""
    return {**spec, **{(dose, "gaussian", "ssim"): LEVEL for dose in DOSES}}


def _all_contradicted():
    """Filters above dncnn at 10 % and 5 %, dncnn_tra below dncnn there and above it at 75 %."""
    spec = _paper_like()
    for dose in ("0.1", "0.05"):
        for method in FILTERS:
            spec[(dose, method, "ssim")] = ABOVE
        spec[(dose, "dncnn_tra", "ssim")] = ("-0.1", "-0.12", "-0.08", "2e-07")
    spec[("0.75", "dncnn_tra", "ssim")] = ABOVE
    return spec


def _table(spec, window_spec=None, means=None):
    """Stats rows of dncnn and of every method in ``spec``, in the paper and window columns
    (the window columns from ``window_spec``, default the same numbers)."""
    means = means or DNCNN_MEANS
    rows = []
    for columns, numbers in ((PAPER, spec), (WINDOW, window_spec or spec)):
        for dose in DOSES:
            for kind, column, mean in zip(("ssim", "psnr"), columns, means[dose], strict=True):
                rows.append(_row(dose, "dncnn", column, mean))
                rows += [
                    _row(d, method, column, "0.5", comparison)
                    for (d, method, k), comparison in numbers.items()
                    if d == dose and k == kind
                ]
    return rows


def _verdicts(rows, **settings):
    return "".join(
        {"reproduced": "R", "not reproduced": "N", "inconclusive": "I",
         "inconclusive (network did not converge)": "C"}[row["verdict"]]
        for row in check_claims(rows, **settings)
    )


def _claim(rows, claim, **settings):
    return next(row for row in check_claims(rows, **settings) if row["claim"] == claim)


# --------------------------------------------------------------------------- shape


def test_one_row_per_claim_with_the_claim_columns():
    """Claims a-e in order, CLAIM_COLUMNS keys, non-empty text, a verdict from VERDICTS."""
    claims = check_claims(_table(_paper_like()))
    assert [row["claim"] for row in claims] == ["a", "b", "c", "d", "e"]
    for row in claims:
        assert tuple(row) == CLAIM_COLUMNS
        assert all(isinstance(value, str) and value for value in row.values())
        assert row["verdict"] in VERDICTS


def test_claims_table_survives_the_tsv_writer(tmp_path):
    """write_table then read_table gives the claims back unchanged, Unicode minus included."""
    claims = check_claims(_table(_all_contradicted()))
    write_table(tmp_path / "claims.tsv", claims, CLAIM_COLUMNS)
    assert read_table(tmp_path / "claims.tsv") == claims
    assert MINUS in claims[0]["our_numbers"]


# --------------------------------------------------------------------------- verdicts


def test_paper_like_table_reproduces_a_to_d_and_not_e():
    """Filters below dncnn at ultra-low dose, dncnn_tra +10 % there and below at 75/50 %:
    (a)-(d) reproduced; the Gaussian filter, below dncnn, contradicts (e)."""
    assert _verdicts(_table(_paper_like())) == "RRRRN"


def test_gaussian_level_with_dncnn_reproduces_b_to_e_and_leaves_a_open():
    """Gaussian SSIM CI around 0 everywhere: (e) reproduced, (a) inconclusive for that filter.
    No table reproduces both (a) and (e) while the run has the Gaussian filter."""
    assert _verdicts(_table(_gaussian_level(_paper_like()))) == "IRRRR"


def test_all_contradicted_table_reproduces_nothing():
    """Filters above dncnn, dncnn_tra below it at ultra-low dose and above at 75 %: all fail."""
    assert _verdicts(_table(_all_contradicted())) == "NNNNN"


@pytest.mark.parametrize(
    "changes, expected",
    [
        # (b) alone: a filter significantly above dncnn at 75 % only
        ({("0.75", "median", "ssim"): ABOVE}, "RNRRN"),
        # (b) inconclusive: a filter above dncnn at 50 %, not significantly
        ({("0.5", "wiener", "ssim"): ("0.004", "-0.002", "0.01", "0.2")}, "RIRRN"),
        # (a) inconclusive: a filter's CI straddles 0 at 5 %
        ({("0.05", "wiener", "ssim"): ("-0.003", "-0.01", "0.004", "0.4")}, "IRRRN"),
        # (c) alone: dncnn_tra below dncnn at 5 %
        ({("0.05", "dncnn_tra", "ssim"): ("-0.02", "-0.03", "-0.01", "0.001")}, "RRNRN"),
        # (c) inconclusive: 10 % CI [0.02, 0.06] straddles 5 % of 0.7 = 0.035
        ({("0.1", "dncnn_tra", "ssim"): ("0.04", "0.02", "0.06", "0.001")}, "RRIRN"),
        # (c) not reproduced: the CI lies above 0 but below the threshold 0.035
        ({("0.1", "dncnn_tra", "ssim"): ("0.02", "0.01", "0.03", "0.01")}, "RRNRN"),
        # (d) alone, through PSNR only: dncnn_tra PSNR above dncnn at 50 %
        ({("0.5", "dncnn_tra", "psnr"): ("1", "0.5", "1.5", "0.001")}, "RRRNN"),
        # (d) inconclusive: PSNR CI straddles 0 at 75 %
        ({("0.75", "dncnn_tra", "psnr"): ("-0.2", "-0.6", "0.2", "0.3")}, "RRRIN"),
        # (e) contradicted at one dose only
        ({**{(dose, "gaussian", "ssim"): LEVEL for dose in DOSES},
          ("0.5", "gaussian", "ssim"): SLIGHTLY_BELOW}, "IRRRN"),
    ],
)
def test_one_changed_comparison_changes_only_its_claims(changes, expected):
    """From the paper-like table, one changed row flips the verdicts it belongs to."""
    assert _verdicts(_table({**_paper_like(), **changes})) == expected


def test_a_nan_confidence_interval_is_unclear():
    """A comparison row with NA bounds supports nothing: (b) and (e), which read it, are
    inconclusive."""
    spec = _gaussian_level(_paper_like())
    spec[("0.75", "gaussian", "ssim")] = ("NA", "NA", "NA", "NA")
    assert _verdicts(_table(spec)) == "IIRRI"


# --------------------------------------------------------------------------- missing input


def _without(rows, **key):
    return [row for row in rows if any(row[name] != value for name, value in key.items())]


def test_missing_dose_is_inconclusive_and_says_not_tested():
    """No 5 % dose: (a) and (c) inconclusive with 'not tested', (b) and (d) still reproduced."""
    rows = _without(_table(_paper_like()), dose="0.05")
    assert _verdicts(rows) == "IRIRN"
    for claim in ("a", "c"):
        numbers = _claim(rows, claim)["our_numbers"]
        assert "not tested: no 5 % dose in this run" in numbers
        assert numbers.startswith("10 %: ")
    assert "not tested" not in _claim(rows, "b")["our_numbers"]


def test_missing_dose_does_not_hide_a_contradiction():
    """No 10 % dose but a filter above dncnn at 5 %: (a) is not reproduced."""
    spec = _paper_like()
    spec[("0.05", "median", "ssim")] = ABOVE
    rows = _without(_table(spec), dose="0.1")
    row = _claim(rows, "a")
    assert row["verdict"] == "not reproduced"
    assert "not tested: no 10 % dose in this run" in row["our_numbers"]


def test_missing_methods_are_inconclusive():
    """Without dncnn_tra, (c) and (d) are inconclusive; without gaussian, (e) is; the other
    filters still decide (a) and (b)."""
    rows = _without(_without(_table(_paper_like()), method="dncnn_tra"), method="gaussian")
    assert _verdicts(rows) == "RRIII"
    assert _claim(rows, "d")["our_numbers"] == "not tested: no dncnn_tra in this run"
    assert _claim(rows, "e")["our_numbers"] == "not tested: no gaussian in this run"
    assert "gaussian" not in _claim(rows, "a")["our_numbers"]


def test_no_filter_at_all_is_inconclusive():
    """A run without any filter cannot test (a) or (b)."""
    rows = _table(_paper_like())
    for method in FILTERS:
        rows = _without(rows, method=method)
    assert _verdicts(rows)[:2] == "II"
    assert _claim(rows, "b")["our_numbers"] == (
        "not tested: no median, no gaussian, no wiener in this run"
    )


# --------------------------------------------------------------------------- threshold of (c)


def _boundary_table():
    """dncnn mean SSIM 0.5 at every dose; dncnn_tra - dncnn CI [1/32, 1/16] at 10 % and 5 %."""
    spec = _paper_like()
    for dose in ("0.1", "0.05"):
        spec[(dose, "dncnn_tra", "ssim")] = ("0.046875", "0.03125", "0.0625", "1e-04")
    means = {dose: ("0.5", psnr) for dose, (_, psnr) in DNCNN_MEANS.items()}
    return _table(spec, means=means)


@pytest.mark.parametrize(
    "gain, verdict",
    [
        (0.05, "reproduced"),  # threshold 0.025
        (0.0624, "reproduced"),  # threshold 0.0312 < ci_low
        (0.0625, "inconclusive"),  # threshold 1/32 = ci_low: not strictly above
        (0.125, "inconclusive"),  # threshold 1/16 = ci_high: not strictly below
        (0.1251, "not reproduced"),  # threshold above ci_high
    ],
)
def test_min_relative_gain_at_its_boundaries(gain, verdict):
    """(c) needs ci_low > gain x dncnn mean; ci_high < it contradicts; equality is unclear."""
    assert _claim(_boundary_table(), "c", min_relative_gain=gain)["verdict"] == verdict


def test_relative_gain_and_threshold_are_reported():
    """(c) states the gain in % of dncnn's mean and the threshold it was held to."""
    row = _claim(_boundary_table(), "c")
    assert row["our_numbers"].startswith(
        f"10 %: dncnn_tra {MINUS} dncnn SSIM 0.047 [0.031, 0.062], +9.4 % of dncnn's 0.500 "
        "(threshold 5 % = 0.025), p = 1.0e-04; 5 %: "
    )
    assert "at least 5 %" in row["test"]
    assert "at least 7.5 %" in _claim(_boundary_table(), "c", min_relative_gain=0.075)["test"]


# --------------------------------------------------------------------------- text


def test_our_numbers_format():
    """Doses in %, SSIM to 3 decimals, PSNR to 2 (dB), p to 2 significant digits, Unicode minus."""
    rows = _table(_paper_like())
    assert (
        f"10 %: wiener {MINUS} dncnn SSIM {MINUS}0.050 [{MINUS}0.060, {MINUS}0.040], p = 3.1e-05"
        in _claim(rows, "a")["our_numbers"].split("; ")
    )
    assert (
        f"75 %: dncnn_tra {MINUS} dncnn PSNR {MINUS}2.00 [{MINUS}2.50, {MINUS}1.50] dB, "
        "p = 1.2e-06" in _claim(rows, "d")["our_numbers"].split("; ")
    )
    assert len(_claim(rows, "b")["our_numbers"].split("; ")) == len(DOSES) * len(FILTERS)


def test_window_convention_reads_the_window_columns():
    """Window columns where dncnn_tra beats dncnn at 75 %: (d) fails there but not in the paper
    convention; the test text names the columns used."""
    window_spec = {**_paper_like(), ("0.75", "dncnn_tra", "ssim"): ABOVE}
    rows = _table(_paper_like(), window_spec=window_spec)
    assert _verdicts(rows) == "RRRRN"
    assert _verdicts(rows, convention="window") == "RRRNN"
    window_d = _claim(rows, "d", convention="window")
    assert "ssim_window" in window_d["test"] and "psnr_window" in window_d["test"]
    assert "ssim_paper" not in window_d["test"]
    assert "SSIM 0.020 [0.010, 0.030]" in window_d["our_numbers"]
    assert "ssim_paper" in _claim(rows, "d")["test"]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "rows, settings, message",
    [
        (_without(_table(_paper_like()), method="dncnn"), {}, "dncnn"),
        ([], {}, "dncnn"),
        ([dict(row, reference_method="noisy") for row in _table(_paper_like())], {}, "dncnn"),
        ([{k: v for k, v in row.items() if k != "ci_low"} for row in _table(_paper_like())], {},
         "ci_low"),
        ([{k: v for k, v in row.items() if k not in ("ci_low", "ci_high")}
          for row in _table(_paper_like())], {}, "ci_low, ci_high"),
        (_without(_table(_paper_like()), metric="ssim_window"), {"convention": "window"},
         "ssim_window"),
        (_table(_paper_like()), {"convention": "hu"}, "convention"),
    ],
)
def test_bad_input_raises_naming_what_is_missing(rows, settings, message):
    with pytest.raises(ValueError, match=message):
        check_claims(rows, **settings)


# --------------------------------------------------------------------------- from summarize

#: Shift of each method from dncnn: {method: {dose: (SSIM shift, PSNR shift in dB)}}.
PAPER_LIKE_SHIFTS = {
    "median": {0.75: (-0.01, -1.0), 0.5: (-0.01, -1.0), 0.1: (-0.08, -3.0), 0.05: (-0.08, -3.0)},
    "gaussian": {0.75: (-0.01, -1.0), 0.5: (-0.01, -1.0), 0.1: (-0.06, -2.0), 0.05: (-0.06, -2.0)},
    "wiener": {0.75: (-0.02, -1.0), 0.5: (-0.02, -1.0), 0.1: (-0.05, -2.0), 0.05: (-0.05, -2.0)},
    "dncnn_tra": {0.75: (-0.05, -2.0), 0.5: (-0.04, -1.5), 0.1: (0.07, 1.0), 0.05: (0.06, 1.0)},
}
#: DnCNN_Tra below DnCNN at every dose; the Gaussian filter 0.0002 below DnCNN, a tenth of the
#: noise SD, so its CI holds 0.
TRANSFER_FAILS_SHIFTS = {
    **PAPER_LIKE_SHIFTS,
    "gaussian": {dose: (-0.0002, 0.0) for dose in (0.75, 0.5, 0.1, 0.05)},
    "dncnn_tra": {dose: (-0.2, -4.0) for dose in (0.75, 0.5, 0.1, 0.05)},
}


def _metric_rows(shifts, seed=0, images="abcdef"):
    """Per-image rows of ``images`` (two slices per patient) x 2 realizations: dncnn values
    drawn at random, every other method = dncnn + its shift + noise of SD 0.002 (SSIM) /
    0.05 dB (PSNR) with mean exactly 0."""
    rng = np.random.default_rng(seed)
    units = [(image, realization) for image in images for realization in range(2)]
    rows = []
    for dose in (0.75, 0.5, 0.1, 0.05):
        dncnn = np.stack([rng.uniform(0.6, 0.9, len(units)), rng.uniform(28.0, 40.0, len(units))])
        values = {"dncnn": dncnn}
        for method, shift in shifts.items():
            noise = rng.normal(size=dncnn.shape)
            noise -= noise.mean(axis=1, keepdims=True)
            values[method] = dncnn + np.array(shift[dose])[:, None] + [[0.002], [0.05]] * noise
        rows += [
            {"dose": dose, "method": method, "image": image, "realization": realization,
             "patient": f"P{images.index(image) // 2}", "ssim_paper": ssim, "psnr_paper": psnr}
            for method, (ssim_values, psnr_values) in values.items()
            for (image, realization), ssim, psnr in zip(units, ssim_values, psnr_values,
                                                         strict=True)
        ]
    return rows


@pytest.mark.parametrize(
    "shifts, expected",
    [
        (PAPER_LIKE_SHIFTS, "RRRRN"),  # filters below, +10 % gain, over-smoothing; gaussian below
        (TRANSFER_FAILS_SHIFTS, "IRNRR"),  # gaussian level: (a) open, (e) holds; no gain at all
    ],
)
def test_check_claims_on_summarize_output(tmp_path, shifts, expected):
    """summarize on synthetic rows, written and read back as stats.tsv, gives the verdicts that
    the shifts imply."""
    summary = summarize(_metric_rows(shifts), PAPER, "dncnn")
    write_table(tmp_path / "stats.tsv", summary, STATS_COLUMNS)
    assert _verdicts(read_table(tmp_path / "stats.tsv")) == expected


def test_check_claims_on_a_single_eval_slice_is_inconclusive(tmp_path):
    """One eval slice: summarize leaves every CI and p NaN (no test with n = 1), so each
    comparison is unclear and every claim inconclusive, its numbers showing NA."""
    summary = summarize(_metric_rows(PAPER_LIKE_SHIFTS, images="a"), PAPER, "dncnn")
    write_table(tmp_path / "stats.tsv", summary, STATS_COLUMNS)
    stats = read_table(tmp_path / "stats.tsv")
    assert _verdicts(stats) == "IIIII"
    assert all("[NA, NA]" in claim["our_numbers"] and "p = NA" in claim["our_numbers"]
               for claim in check_claims(stats))


def _record(converged: bool, ratio: float) -> dict:
    return {"converged": converged, "trained_loss": 0.002 * ratio, "optimum_loss": 0.002, "ratio": ratio,
            "limit": 0.00202}


def test_claims_about_a_network_that_did_not_converge_are_inconclusive_with_the_numbers():
    """(c) and (d) compare dncnn_tra: not converged, they say so whatever the comparisons say;
    (a), (b), (e) compare filters with the original DnCNN and keep their verdicts."""
    rows = _table(_paper_like())
    converged = _verdicts(rows, convergence={"dncnn_tra": _record(True, 1.0), "dncnn_full": _record(False, 3.0)})
    assert converged == _verdicts(rows)  # dncnn_full is in no claim
    stalled = check_claims(rows, convergence={"dncnn_tra": _record(False, 1.7)})
    assert _verdicts(rows) == "RRRRN"
    assert _verdicts(rows, convergence={"dncnn_tra": _record(False, 1.7)}) == "RRCCN"
    numbers = next(row["our_numbers"] for row in stalled if row["claim"] == "c")
    assert numbers.endswith("dncnn_tra did not converge: training loss 0.0034 is 1.700 x the last layer's "
                            "optimum 0.002 (limit 0.00202)")


def test_the_method_read_as_dncnn_tra_decides_claims_c_and_d_only():
    """dncnn_full as DnCNN_Tra: (c) and (d) read its rows (here those of the paper-like
    dncnn_tra, under the other name, and a contradicting dncnn_tra); (a), (b), (e) do not move."""
    spec = _paper_like()
    spec = {**{(d, "dncnn_full", k): v for (d, m, k), v in spec.items() if m == "dncnn_tra"},
            **_all_contradicted()}
    rows = _table(spec)
    assert _verdicts(rows)[2:4] == "NN"
    assert _verdicts(rows, transfer_method="dncnn_full")[2:4] == "RR"
    assert _verdicts(rows, transfer_method="dncnn_full")[::4] == _verdicts(rows)[::4]
    claim_c = _claim(rows, "c", transfer_method="dncnn_full")
    assert "CI of dncnn_full's ssim_paper" in claim_c["test"] and "dncnn_full − dncnn" in claim_c["our_numbers"]
