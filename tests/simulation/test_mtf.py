"""Unit tests of ldct.simulation.mtf: the generalized-Gaussian MTF model, the MTF table, and the filter.

Every expectation is an analytic value or an independent computation (hand-built grids,
closed forms), never the function's own output.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from ldct.core.errors import LdctInputError
from ldct.simulation.mtf import (
    CURVE_STEP_LP_PER_MM,
    blur_image,
    curve_table,
    generalized_gaussian_parameters,
    mtf_filter,
    mtf_from_config,
    parametric_mtf,
    radial_frequency,
    read_mtf_table,
    tabulated_mtf,
)

# (MTF50, MTF10) pairs in lp/mm: the study's default, a sharp kernel and a soft one.
MTF_PAIRS = [(0.35, 0.60), (0.5, 1.1), (0.2, 0.25)]


# --------------------------------------------------------------------------- parametric model


@pytest.mark.parametrize("mtf50, mtf10", MTF_PAIRS)
def test_parametric_mtf_hits_its_defining_points(mtf50, mtf10):
    """MTF(0) = 1, MTF(MTF50) = 0.5 and MTF(MTF10) = 0.1 exactly (to rounding)."""
    curve = parametric_mtf(mtf50, mtf10)
    values = curve(np.array([0.0, mtf50, mtf10]))
    assert_allclose(values, [1.0, 0.5, 0.1], rtol=1e-12, atol=0)


@pytest.mark.parametrize("mtf50, mtf10", MTF_PAIRS)
def test_generalized_gaussian_parameters_solve_both_conditions(mtf50, mtf10):
    """exp(-(f/a)^b) evaluated by hand with the returned (a, b) gives 0.5 and 0.1."""
    a, b = generalized_gaussian_parameters(mtf50, mtf10)
    assert a > 0 and b > 0
    assert_allclose(math.exp(-((mtf50 / a) ** b)), 0.5, rtol=1e-12)
    assert_allclose(math.exp(-((mtf10 / a) ** b)), 0.1, rtol=1e-12)


@pytest.mark.parametrize("mtf50, mtf10", MTF_PAIRS)
def test_parametric_mtf_is_monotone_decreasing_and_even(mtf50, mtf10):
    """The curve decreases strictly while positive, stays in [0, 1], and MTF(-f) = MTF(f)."""
    curve = parametric_mtf(mtf50, mtf10)
    f = np.linspace(0.0, 3.0 * mtf10, 2001)
    values = curve(f)
    assert np.all(values <= 1.0) and np.all(values >= 0.0)
    assert np.all(np.diff(values) <= 0.0)
    positive = values > 1e-200
    assert np.all(np.diff(values[positive]) < 0.0)
    assert_array_equal(curve(-f), values)


def test_shape_two_is_a_gaussian():
    """With MTF10/MTF50 = sqrt(ln10/ln2), b = 2 and MTF(f) = exp(-ln2 (f/MTF50)^2), a Gaussian."""
    mtf50 = 0.4
    mtf10 = mtf50 * math.sqrt(math.log(10.0) / math.log(2.0))
    a, b = generalized_gaussian_parameters(mtf50, mtf10)
    assert_allclose(b, 2.0, rtol=1e-12)
    assert_allclose(a, mtf50 / math.sqrt(math.log(2.0)), rtol=1e-12)
    f = np.linspace(0.0, 2.0, 401)
    gaussian = np.exp(-math.log(2.0) * (f / mtf50) ** 2)
    assert_allclose(parametric_mtf(mtf50, mtf10)(f), gaussian, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize("mtf50, mtf10", [(0.6, 0.35), (0.5, 0.5), (0.0, 0.5), (-0.1, 0.5)])
def test_generalized_gaussian_parameters_rejects_bad_order(mtf50, mtf10):
    """MTF50 must be positive and below MTF10, else ValueError."""
    with pytest.raises(ValueError):
        generalized_gaussian_parameters(mtf50, mtf10)


# --------------------------------------------------------------------------- frequency grid


def _hand_fft_frequencies(n: int, spacing: float) -> np.ndarray:
    """Frequencies of the n FFT bins, k/(n d) for k < n/2 and (k - n)/(n d) above, by hand."""
    return np.array([(k if k < (n + 1) // 2 else k - n) / (n * spacing) for k in range(n)])


@pytest.mark.parametrize("shape, spacing", [((64, 64), (0.5, 0.5)), ((7, 10), (0.7, 0.4))])
def test_radial_frequency_matches_a_hand_built_grid(shape, spacing):
    """|f| on every FFT bin equals hypot of hand-built row and column frequencies."""
    rows = _hand_fft_frequencies(shape[0], spacing[0])
    cols = _hand_fft_frequencies(shape[1], spacing[1])
    expected = np.array([[math.hypot(fr, fc) for fc in cols] for fr in rows])
    got = radial_frequency(shape, spacing)
    assert got.shape == shape
    assert_allclose(got, expected, rtol=1e-14, atol=0)


def test_radial_frequency_known_bins():
    """64 columns at 0.5 mm: bin (0,1) is 1/32 lp/mm, (0,32) is Nyquist 1 lp/mm, rows use row spacing."""
    got = radial_frequency((32, 64), (0.25, 0.5))
    assert got[0, 0] == 0.0
    assert_allclose(got[0, 1], 1.0 / (64 * 0.5), rtol=1e-15)
    assert_allclose(got[0, 63], 1.0 / (64 * 0.5), rtol=1e-15)
    assert_allclose(got[0, 32], 1.0, rtol=1e-15)
    assert_allclose(got[1, 0], 1.0 / (32 * 0.25), rtol=1e-15)
    assert_allclose(got[3, 4], math.hypot(3 / 8.0, 4 / 32.0), rtol=1e-15)


# --------------------------------------------------------------------------- filter


@pytest.mark.parametrize("k_row, k_col", [(0, 5), (3, 0), (4, 7)])
def test_mtf_filter_scales_an_on_bin_cosine_by_mtf(k_row, k_col):
    """A cosine on an exact FFT bin is an eigenfunction: output = MTF(|f|) x input."""
    rows, cols, spacing = 64, 96, (0.6, 0.8)
    r = np.arange(rows)[:, None]
    c = np.arange(cols)[None, :]
    image = 50.0 * np.cos(2 * np.pi * (k_row * r / rows + k_col * c / cols))
    frequency = math.hypot(k_row / (rows * spacing[0]), k_col / (cols * spacing[1]))
    curve = lambda f: np.exp(-((np.abs(f) / 0.45) ** 1.7))  # noqa: E731 - any even curve
    gain = math.exp(-((frequency / 0.45) ** 1.7))
    assert 0.05 < gain < 0.99  # a meaningful, non-trivial attenuation
    assert_allclose(mtf_filter(image, spacing, curve), gain * image, rtol=0, atol=1e-10)


def test_mtf_filter_keeps_constant_and_kills_cut_frequency():
    """DC passes with gain MTF(0) = 1; a cosine above a table's last frequency is removed."""
    spacing = (0.5, 0.5)
    constant = np.full((32, 32), 42.0)
    curve = tabulated_mtf(np.array([0.0, 0.5]), np.array([1.0, 0.0]))
    assert_allclose(mtf_filter(constant, spacing, curve), constant, rtol=0, atol=1e-12)
    c = np.arange(32)[None, :].repeat(32, axis=0)
    cosine = np.cos(2 * np.pi * 12 * c / 32)  # 12 / (32 * 0.5) = 0.75 lp/mm > 0.5
    assert_allclose(mtf_filter(cosine, spacing, curve), 0.0, atol=1e-12)


@pytest.mark.parametrize("sigma_mm, spacing", [(1.5, (1.0, 1.0)), (1.2, (0.7, 0.9))])
def test_blur_image_is_the_gaussian_blur_of_a_gaussian_mtf_up_to_the_edges(sigma_mm, spacing):
    """MTF(f) = exp(-2 pi^2 s^2 f^2) is the transfer function of a Gaussian PSF of SD s mm, so
    blurring by it equals scipy's Gaussian filter with mirrored edges, on every pixel; the
    periodic filter alone differs at the edges by hundreds of HU (edges wrap around)."""
    from scipy import ndimage

    rng = np.random.default_rng(3)
    r, c = np.arange(60)[:, None], np.arange(90)[None, :]
    image = np.where((r - 20) ** 2 + (c - 10) ** 2 < 15**2, 60.0, -1000.0)
    image = image + rng.normal(0.0, 20.0, image.shape)
    image[:, 70:] = 300.0  # bone at the right edge, air and tissue at the left
    curve = lambda f: np.exp(-2 * math.pi**2 * sigma_mm**2 * f**2)  # noqa: E731
    expected = ndimage.gaussian_filter(
        image, (sigma_mm / spacing[0], sigma_mm / spacing[1]), mode="reflect", truncate=8.0
    )
    got = blur_image(image, spacing, curve)
    assert got.dtype == np.float32 and got.shape == image.shape
    assert_allclose(got, expected, rtol=0, atol=0.01)
    assert np.abs(mtf_filter(image, spacing, curve) - expected).max() > 100.0


def test_blur_image_keeps_a_constant_image():
    """MTF(0) = 1: a uniform slice comes back unchanged (float32)."""
    constant = np.full((40, 50), -37.5)
    got = blur_image(constant, (1.0, 1.0), parametric_mtf(0.35, 0.60))
    assert_allclose(got, constant, rtol=0, atol=1e-4)


# --------------------------------------------------------------------------- MTF table


def test_read_mtf_table_parses_header_comments_and_commas(tmp_path):
    """A header line, '#' comments, blank lines, commas and whitespace are all handled."""
    path = tmp_path / "mtf.csv"
    path.write_text(
        "# measured MTF, scanner X\n"
        "frequency_lp_per_mm, mtf\n"
        "0, 1.0\n"
        "\n"
        "0.1,0.9\n"
        "# a comment between rows\n"
        "0.25   0.5\n"
        "  0.4 ,\t0.1\n"
    )
    frequency, mtf = read_mtf_table(path)
    assert_array_equal(frequency, [0.0, 0.1, 0.25, 0.4])
    assert_array_equal(mtf, [1.0, 0.9, 0.5, 0.1])


def test_read_mtf_table_accepts_overshoot_up_to_1_05(tmp_path):
    """MTF values up to 1.05 (mid-frequency overshoot of sharp kernels) are accepted."""
    path = tmp_path / "mtf.txt"
    path.write_text("0 1\n0.1 1.04\n0.2 0.3\n")
    _, mtf = read_mtf_table(path)
    assert_array_equal(mtf, [1.0, 1.04, 0.3])


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("0.05 1.0\n0.1 0.8\n", id="first-frequency-not-0"),
        pytest.param("0 0.9\n0.1 0.8\n", id="first-mtf-not-1"),
        pytest.param("0 1\n0.2 0.5\n0.2 0.4\n", id="repeated-frequency"),
        pytest.param("0 1\n0.3 0.5\n0.2 0.4\n", id="decreasing-frequency"),
        pytest.param("0 1\n0.1 1.1\n0.2 0.4\n", id="mtf-above-1.05"),
        pytest.param("0 1\n0.1 -0.1\n", id="negative-mtf"),
        pytest.param("0 1\n", id="single-row"),
        pytest.param("0 1\n0.1 abc\n", id="bad-row-after-data"),
    ],
)
def test_read_mtf_table_rejects_bad_tables_naming_the_path(tmp_path, text):
    """Each malformed table raises LdctInputError whose message contains the file path."""
    path = tmp_path / "bad_mtf.txt"
    path.write_text(text)
    with pytest.raises(LdctInputError, match=re.escape(str(path))):
        read_mtf_table(path)


def test_read_mtf_table_missing_file(tmp_path):
    """A missing file is an LdctInputError naming the path, not a bare OSError."""
    path = tmp_path / "does_not_exist.txt"
    with pytest.raises(LdctInputError, match=re.escape(str(path))):
        read_mtf_table(path)


def test_tabulated_mtf_interpolates_linearly_and_is_zero_beyond():
    """Midpoints are linear averages, table points are exact, |f| is used, beyond the table is 0."""
    curve = tabulated_mtf(np.array([0.0, 0.2, 0.4]), np.array([1.0, 0.6, 0.2]))
    f = np.array([0.0, 0.1, 0.2, 0.3, 0.35, 0.4, 0.4000001, 0.5, 5.0, -0.1, -0.3])
    expected = [1.0, 0.8, 0.6, 0.4, 0.3, 0.2, 0.0, 0.0, 0.0, 0.8, 0.4]
    assert_allclose(curve(f), expected, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- curve table


def test_curve_table_rows_start_at_zero_with_fixed_step():
    """Rows go 0, 0.005, ..., max (inclusive) and carry curve(f) at each frequency."""
    assert CURVE_STEP_LP_PER_MM == 0.005
    rows = curve_table(lambda f: 1.0 - f / 4.0, 2.0)
    assert len(rows) == 401
    assert set(rows[0]) == {"frequency_lp_per_mm", "mtf"}
    frequency = np.array([row["frequency_lp_per_mm"] for row in rows])
    mtf = np.array([row["mtf"] for row in rows])
    assert frequency[0] == 0.0
    assert_allclose(np.diff(frequency), 0.005, rtol=0, atol=1e-12)
    assert_allclose(frequency[-1], 2.0, rtol=0, atol=1e-12)
    assert_allclose(mtf, 1.0 - frequency / 4.0, rtol=0, atol=1e-15)
    assert all(isinstance(row["mtf"], float) for row in rows)


def test_curve_table_small_range():
    """0.02 lp/mm gives exactly five rows 0, 0.005, 0.01, 0.015, 0.02."""
    rows = curve_table(lambda f: np.ones_like(f), 0.02)
    assert_allclose([row["frequency_lp_per_mm"] for row in rows],
                    [0.0, 0.005, 0.01, 0.015, 0.02], rtol=0, atol=1e-15)
    assert [row["mtf"] for row in rows] == [1.0] * 5


def test_mtf_from_config_picks_the_model(tmp_path):
    """config section mtf: 'parametric' uses MTF50/MTF10, 'table' reads and interpolates the file."""
    parametric = mtf_from_config(
        {"model": "parametric", "mtf50_lp_per_mm": 0.35, "mtf10_lp_per_mm": 0.6, "table": None}
    )
    assert_allclose(parametric(np.array([0.35, 0.6])), [0.5, 0.1], rtol=1e-12)
    table = tmp_path / "mtf.csv"
    table.write_text("frequency,mtf\n0,1\n1.0,0\n")
    tabulated = mtf_from_config(
        {"model": "table", "mtf50_lp_per_mm": 0.35, "mtf10_lp_per_mm": 0.6, "table": str(table)}
    )
    assert_allclose(tabulated(np.array([0.0, 0.25, 0.5, 1.5])), [1.0, 0.75, 0.5, 0.0], atol=1e-12)
