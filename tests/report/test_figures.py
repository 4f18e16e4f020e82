"""The figure functions: what each panel shows, one window per grid, and no overlapping text."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.text import Text

from ldct.core.window import HuWindow
from ldct.report.figures.images import RegionOfInterest, plot_image_grid
from ldct.report.figures.profiles import plot_profiles
from ldct.report.figures.scores import plot_scores
from ldct.report.figures.simulation import plot_mtf, plot_noise_power_spectra
from ldct.report.figures.style import plt, save_figure
from ldct.report.figures.training_curves import plot_training_curves
from ldct.simulation.low_dose import NoiseSettings
from ldct.simulation.mtf import curve_table, parametric_mtf
from ldct.simulation.nps import simulated_noise_spectra

WINDOW = HuWindow(low_hu=-160, high_hu=240)
METHODS = ["noisy", "median", "gaussian", "wiener", "dncnn", "dncnn_tra", "dncnn_full"]
DOSES = [0.75, 0.5, 0.1, 0.05]


def _drawn_texts(figure) -> list[Text]:
    """The texts ``figure`` draws: titles, labels, annotations, legends and the tick labels
    whose ticks lie inside their axis' view interval."""
    texts = list(figure.texts)  # the suptitle is one of them
    for legend in figure.legends:
        texts += legend.get_texts()
    for axes in figure.axes:
        texts += [axes.title, axes._left_title, axes._right_title, *axes.texts]
        texts += [axes.xaxis.label, axes.yaxis.label]
        if axes.get_legend():
            texts += axes.get_legend().get_texts()
        for axis in (axes.xaxis, axes.yaxis):
            low, high = sorted(axis.get_view_interval())
            scale = axis.get_transform()
            for tick in axis.get_major_ticks():
                inside = low <= tick.get_loc() <= high or np.isclose(
                    scale.transform(tick.get_loc()), scale.transform([low, high])
                ).any()
                if inside:
                    texts += [label for label in (tick.label1, tick.label2) if label.get_visible()]
    return [text for text in texts if text.get_visible() and text.get_text().strip()]


def overlapping_texts(figure) -> list[tuple[str, str]]:
    """Pairs of drawn texts of ``figure`` whose boxes overlap by more than a pixel each way."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    boxes = [(text.get_text(), text.get_window_extent(renderer)) for text in _drawn_texts(figure)]
    return [
        (a, b)
        for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
        if min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0) > 1
        and min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0) > 1
    ]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _slice(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(40, 60, size=(50, 70)).astype(np.float32)


def _grid_panels():
    rows = [f"{dose * 100:g} % dose" for dose in DOSES]
    columns = ["Full dose", "Low dose", "Median", "DnCNN"]
    panels = {(r, c): _slice(i) for i, (r, c) in enumerate(itertools.product(rows, columns))}
    return panels, rows, columns


def test_region_of_interest_fits_and_crops():
    region = RegionOfInterest(row_px=10, col_px=20, height_px=5, width_px=8)
    image = np.arange(50 * 70).reshape(50, 70)
    assert region.crop(image).shape == (5, 8)
    assert region.crop(image)[0, 0] == image[10, 20]
    assert region.fits((50, 70))
    assert not RegionOfInterest(row_px=46, col_px=0, height_px=5, width_px=8).fits((50, 70))
    assert not RegionOfInterest(row_px=0, col_px=-1, height_px=5, width_px=8).fits((50, 70))


@pytest.mark.parametrize("enlarge", [False, True])
def test_image_grid_uses_one_window_in_every_panel(enlarge):
    """Every panel has clim = the window; enlarged panels show exactly the region's pixels."""
    panels, rows, columns = _grid_panels()
    region = RegionOfInterest(row_px=5, col_px=10, height_px=20, width_px=30)
    figure = plot_image_grid(panels, rows, columns, WINDOW, "test", region, enlarge=enlarge)
    images = [image for axis in figure.axes for image in axis.get_images()]
    assert len(images) == len(rows) * len(columns)
    assert {image.get_clim() for image in images} == {(-160.0, 240.0)}
    first = images[0].get_array()
    expected = region.crop(panels[(rows[0], columns[0])]) if enlarge else panels[(rows[0], columns[0])]
    np.testing.assert_array_equal(first, expected)
    assert overlapping_texts(figure) == []


def test_image_grid_outlines_the_region_on_whole_slices():
    panels, rows, columns = _grid_panels()
    region = RegionOfInterest(row_px=5, col_px=10, height_px=20, width_px=30)
    figure = plot_image_grid(panels, rows, columns, WINDOW, "test", region)
    rectangles = [patch for axis in figure.axes for patch in axis.patches]
    assert len(rectangles) == len(rows) * len(columns)
    assert (rectangles[0].get_width(), rectangles[0].get_height()) == (30, 20)
    assert rectangles[0].get_xy() == (9.5, 4.5)


def test_profiles_plot_the_chosen_column():
    """Each panel's three lines are the full-dose, low-dose and denoised values of the column."""
    full = _slice(1)
    low = {dose: _slice(2 + i) for i, dose in enumerate((0.5, 0.1))}
    denoised = {(dose, m): _slice(10 + i) for i, (dose, m) in enumerate(itertools.product((0.5, 0.1), METHODS[1:]))}
    figure = plot_profiles(full, low, denoised, [0.5, 0.1], METHODS[1:], 33, 0.8, WINDOW)
    panels = [axis for axis in figure.axes if axis.get_lines() and not axis.get_images()]
    assert len(panels) == 2 * 6
    full_line, low_line, denoised_line = panels[0].get_lines()[:3]
    np.testing.assert_allclose(full_line.get_xdata(), np.arange(50) * 0.8)
    np.testing.assert_array_equal(full_line.get_ydata(), full[:, 33])
    np.testing.assert_array_equal(low_line.get_ydata(), low[0.5][:, 33])
    np.testing.assert_array_equal(denoised_line.get_ydata(), denoised[(0.5, "median")][:, 33])
    assert all("HU" in axis.get_ylabel() for axis in panels if axis.get_ylabel())
    assert {axis.get_ylim() for axis in panels} == {(-160.0, 240.0)}
    assert overlapping_texts(figure) == []


def _stats_rows(p_values):
    rows = []
    for dose in DOSES:
        for k, method in enumerate(METHODS):
            rows.append(
                {
                    "dose": str(dose),
                    "method": method,
                    "metric": "ssim_paper",
                    "mean": str(0.5 + 0.05 * k),
                    "sd": "0.02",
                    "reference_method": "dncnn",
                    "p_value": "NA" if method == "dncnn" else str(p_values[(dose, method)]),
                }
            )
    return rows


def test_scores_bars_are_the_means_and_stars_mark_p_below_alpha():
    rng = np.random.default_rng(5)
    p_values = {(d, m): float(rng.choice([0.001, 0.2])) for d in DOSES for m in METHODS}
    figure = plot_scores(_stats_rows(p_values), "ssim_paper", METHODS, alpha=0.05)
    axis = figure.axes[0]
    heights = sorted(round(bar.get_height(), 6) for bar in axis.patches)
    assert heights == sorted(round(0.5 + 0.05 * k, 6) for k in range(len(METHODS)) for _ in DOSES)
    stars = [text for text in axis.texts if text.get_text() == "*"]
    assert len(stars) == sum(p < 0.05 for (d, m), p in p_values.items() if m != "dncnn")
    assert "SSIM" in axis.get_ylabel()
    assert [label.get_text() for label in axis.get_xticklabels()] == ["75 % dose", "50 % dose", "10 % dose", "5 % dose"]
    assert overlapping_texts(figure) == []


def test_scores_reject_a_metric_without_rows():
    with pytest.raises(ValueError, match="psnr_paper"):
        plot_scores(_stats_rows({(d, m): 0.5 for d in DOSES for m in METHODS}), "psnr_paper", METHODS, 0.05)


def test_mtf_figure_marks_mtf50_and_mtf10():
    rows = curve_table(parametric_mtf(0.35, 0.6), 2.0)
    frequency = np.array([row["frequency_lp_per_mm"] for row in rows])
    mtf = np.array([row["mtf"] for row in rows])
    figure = plot_mtf(frequency, mtf, "MTF")
    labels = [text.get_text() for text in figure.axes[0].texts]
    assert labels == ["MTF50 = 0.35 lp/mm", "MTF10 = 0.60 lp/mm"]
    assert "lp/mm" in figure.axes[0].get_xlabel()
    assert overlapping_texts(figure) == []


def test_noise_power_figure_has_a_curve_per_dose_and_the_full_dose():
    curve = parametric_mtf(0.35, 0.6)
    full = _slice(0).astype(np.float64)
    low = {dose: [full + np.random.default_rng(i).normal(0, 10 / dose, full.shape)] for i, dose in enumerate(DOSES)}
    settings = NoiseSettings(law="paper", multiplier_applies_to="total", spectrum="mtf2",
                             full_dose_sigma_hu=10.0, full_dose_photons=10_000)
    rows = simulated_noise_spectra(full, low, (0.8, 0.8), curve, settings)
    figure = plot_noise_power_spectra(rows, "NPS")
    labels = [text.get_text() for text in figure.legends[0].get_texts()]
    assert labels == [f"{d * 100:g} % dose: added noise" for d in DOSES] + [
        "Full-dose noise (model)",
        "model of each dose",
    ]
    assert figure.axes[0].get_yscale() == "log"
    assert "HU² mm²" in figure.axes[0].get_ylabel()
    assert overlapping_texts(figure) == []


def test_training_curves_have_one_line_per_run_and_integer_epochs():
    history = [
        {"epoch": str(e), "loss": str(0.1 / e), "val_psnr_db": str(20 + e), "val_input_psnr_db": "18"}
        for e in range(1, 6)
    ]
    figure = plot_training_curves({"pretraining": history, "DnCNN_Tra": history[:3]})
    loss_axis, psnr_axis = figure.axes
    assert len(loss_axis.get_lines()) == 2
    np.testing.assert_allclose(loss_axis.get_lines()[0].get_ydata(), [0.1 / e for e in range(1, 6)])
    assert loss_axis.get_yscale() == "log"
    assert "dB" in psnr_axis.get_ylabel()
    assert overlapping_texts(figure) == []


def test_save_figure_writes_a_png(tmp_path):
    figure, axis = plt.subplots()
    axis.plot([0, 1], [0, 1])
    save_figure(figure, tmp_path / "figure.png", dpi=50)
    assert (tmp_path / "figure.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(tmp_path.iterdir()) == [tmp_path / "figure.png"]


def test_training_curves_accept_an_imported_model_without_history():
    """A checkpoint imported from a file has an empty epochs table: no line, no error."""
    figure = plot_training_curves({"imported": [], "DnCNN_Tra": [
        {"epoch": "1", "loss": "0.01", "val_psnr_db": "NA", "val_input_psnr_db": "30"}
    ]})
    loss_axis, psnr_axis = figure.axes
    assert len(loss_axis.get_lines()) == 2 and len(loss_axis.get_lines()[0].get_xdata()) == 0
    assert np.isnan(psnr_axis.get_lines()[2].get_ydata()[0])
    labels = figure.legends[0].get_texts()
    assert [text.get_text() for text in labels][:2] == ["imported: imported, no training curve", "DnCNN_Tra"]
    assert psnr_axis.get_lines()[3].get_marker() == "_"  # one epoch's input PSNR still shows
