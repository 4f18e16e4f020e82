"""Property tests (hypothesis) of the low-dose simulation, SSIM and PSNR, and config validation.

CI-sized: images of at most 96 x 96 pixels and a few dozen examples per property. The search is
derandomized and keeps no example database, so every run checks the same examples.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import yaml
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from conftest import REPO
from ldct.core.errors import LdctInputError
from ldct.core.storage import write_table
from ldct.core.window import HuWindow
from ldct.evaluation.metrics import METRIC_NAMES, paper_metrics, psnr, ssim, window_metrics
from ldct.simulation.low_dose import (
    MULTIPLIER_READINGS,
    NOISE_LAWS,
    NOISE_SPECTRA,
    NoiseSettings,
    noise_sd_multiplier,
    noise_transfer,
    simulate_low_dose,
    simulation_seed,
)
from ldct.simulation.mtf import parametric_mtf
from ldct.study.config import validate_config
from ldct.study.design import load_study

SCHEMA = REPO / "config" / "schema.yaml"
DEFAULT_CONFIG = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def ci_settings(max_examples: int) -> settings:
    """Reproducible settings: no example database, derandomized search, no per-example deadline."""
    return settings(max_examples=max_examples, deadline=None, database=None, derandomize=True)


# --- strategies -----------------------------------------------------------------------------

HU = st.floats(-1000, 1500, width=32)


@st.composite
def phantoms(draw, min_side: int = 32, max_side: int = 96) -> np.ndarray:
    """A float32 HU image (not necessarily square): a background with up to four ellipses or
    rectangles of random HU between -1000 and 1500 (float32, as the to_hu rule writes slices)."""
    rows, cols = draw(st.integers(min_side, max_side)), draw(st.integers(min_side, max_side))
    image = np.full((rows, cols), draw(HU), dtype=np.float32)
    row, col = np.mgrid[:rows, :cols]
    for _ in range(draw(st.integers(0, 4))):
        centre_row, centre_col = draw(st.integers(0, rows - 1)), draw(st.integers(0, cols - 1))
        half_rows, half_cols = draw(st.integers(1, rows // 2)), draw(st.integers(1, cols // 2))
        if draw(st.booleans()):
            inside = ((row - centre_row) / half_rows) ** 2 + ((col - centre_col) / half_cols) ** 2 <= 1
        else:
            inside = (abs(row - centre_row) <= half_rows) & (abs(col - centre_col) <= half_cols)
        image[inside] = draw(HU)
    return image


noise_settings = st.builds(
    NoiseSettings,
    law=st.sampled_from(NOISE_LAWS),
    multiplier_applies_to=st.sampled_from(MULTIPLIER_READINGS),
    spectrum=st.sampled_from(NOISE_SPECTRA),
    full_dose_sigma_hu=st.floats(1.0, 50.0),
    full_dose_photons=st.floats(1e3, 1e5),
)
pixel_spacings = st.tuples(st.floats(0.4, 2.0), st.floats(0.4, 2.0))
#: (MTF50, MTF10) in lp/mm around the default 0.35 and 0.60.
mtf_points = st.floats(0.2, 0.6).flatmap(
    lambda mtf50: st.tuples(st.just(mtf50), st.floats(1.3, 2.5).map(lambda factor: mtf50 * factor))
)
#: 0, or a factor from 1e-3 to 2 (never 1e-300: values that small underflow when squared, as no
#: image's values do).
factors = st.just(0.0) | st.floats(1e-3, 2)
image_ids = st.text("abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=12)


@st.composite
def image_pairs(draw) -> tuple[np.ndarray, np.ndarray, float]:
    """Two images x, y of one shape (>= 11 x 11, the SSIM window) and their magnitude ``scale``.

    x is ``offset + scale * uniform`` or constant; y is ``gain * x`` plus independent noise
    (either may be constant, y may be anti-correlated with x). ``scale`` runs from 1e-6 to 1e6,
    the offset up to ten times ``scale``.
    """
    shape = (draw(st.integers(11, 40)), draw(st.integers(11, 40)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = 10.0 ** draw(st.integers(-6, 6))
    offset = scale * 5 * draw(st.sampled_from([-1.0, 1.0])) * draw(factors)
    x = offset + scale * rng.random(shape) * draw(st.sampled_from([0.0, 1.0]))
    gain = draw(st.sampled_from([-1.0, 1.0])) * draw(factors)
    y = gain * x + scale * draw(factors) * rng.random(shape)
    return x, y, scale


# --- simulation -----------------------------------------------------------------------------

#: Doses in the order of growing noise; 1.0 adds nothing.
DOSES_FALLING = (1.0, 0.75, 0.5, 0.25, 0.1)
#: Fewest independent noise samples an image must hold for its SD to be checked (below).
MIN_INDEPENDENT_SAMPLES = 600


def independent_samples(shape, spacing_mm, curve, spectrum) -> float:
    """The effective number of independent samples in the noise variance of one image.

    The variance S over the N pixels of Gaussian white noise filtered by T (DFT bins, DC 0) has
    mean sum(T^2) / N and variance 2 sum(T^4) / N^2 (Parseval), so Var(S) / E(S)^2 = 2 / N_eff
    with N_eff = sum(T^2)^2 / sum(T^4): as many independent pixels give the same spread.
    Poisson counts (excess kurtosis 1 / lambda) add 1 / (lambda N) to that, under 5 % of it
    here (lambda = photons / r >= 10).
    """
    transfer_squared = noise_transfer(shape, spacing_mm, curve, spectrum) ** 2
    return float(transfer_squared.sum() ** 2 / np.sum(transfer_squared**2))


@ci_settings(40)
@given(
    phantom=phantoms(),
    spacing_mm=pixel_spacings,
    noise=noise_settings,
    mtf=mtf_points,
    global_seed=st.integers(0, 2**32 - 1),
    image_id=image_ids,
    realization=st.integers(0, 9),
)
def test_simulation_keeps_the_mean_and_noise_grows_as_dose_falls(
    phantom, spacing_mm, noise, mtf, global_seed, image_id, realization
):
    """The simulated image's mean is the phantom's, and its added noise SD matches
    ``NoiseSettings.added_sd_hu`` and grows strictly as the dose falls.

    Mean: the added noise has no DC bin, so only the float32 rounding of the result (at most
    2^-24 of each pixel's magnitude) moves the mean. SD: each dose draws its own noise (the
    dose is part of the seed), so the measured SD is checked against the expected one within
    5 standard errors of a variance estimated from ``independent_samples`` (at least 600, so
    SD within -16 % / +13 %; smaller or finer-sampled images are skipped, not given a looser
    tolerance). Strict growth of the measured SDs is then about 5 standard errors away from
    failing for the closest doses (quantum law, added reading: 1.15 and 1.41 sigma0 at 75 %
    and 50 %).
    """
    curve = parametric_mtf(*mtf)
    samples = independent_samples(phantom.shape, spacing_mm, curve, noise.spectrum)
    assume(samples >= MIN_INDEPENDENT_SAMPLES)
    variance_tolerance = 5 * math.sqrt(2 / samples)
    reference = phantom.astype(np.float64)
    measured_sds, expected_sds = [], []
    for dose in DOSES_FALLING:
        seed = simulation_seed(global_seed, image_id, dose, realization)
        simulated = simulate_low_dose(phantom, spacing_mm, dose, noise, curve, seed)
        assert simulated.dtype == np.float32 and simulated.shape == phantom.shape
        simulated = simulated.astype(np.float64)
        rounding = 2.0**-24 * np.max(np.abs(simulated)) + 1e-9
        assert abs(simulated.mean() - reference.mean()) <= rounding
        measured, expected = float(np.std(simulated - reference)), noise.added_sd_hu(dose)
        if dose == 1.0:
            assert expected == 0 and np.array_equal(simulated, reference)
        else:
            assert abs((measured / expected) ** 2 - 1) <= variance_tolerance
        measured_sds.append(measured)
        expected_sds.append(expected)
    assert all(a < b for a, b in zip(expected_sds, expected_sds[1:]))
    assert all(a < b for a, b in zip(measured_sds, measured_sds[1:]))


# --- SSIM -----------------------------------------------------------------------------------


@st.composite
def pairs_with_data_range(draw) -> tuple[np.ndarray, np.ndarray, float]:
    """An image pair and a dynamic range as :mod:`ldct.evaluation.metrics` takes it: the reference y's own
    range (paper convention; only where y is not constant, as SSIM is undefined for L = 0) or a
    window width of the pair's magnitude (window convention)."""
    x, y, scale = draw(image_pairs())
    if draw(st.booleans()):
        data_range = float(np.max(y) - np.min(y))
        assume(data_range > 0)
    else:
        data_range = scale * draw(st.floats(0.1, 3))
    return x, y, data_range


@ci_settings(50)
@given(pair=pairs_with_data_range())
def test_ssim_is_one_for_identical_images_symmetric_and_within_minus_one_and_one(pair):
    """SSIM(x, x) = 1, SSIM(x, y) = SSIM(y, x) and -1 <= SSIM <= 1 (Wang et al. 2004), for
    constant, correlated and anti-correlated images of magnitudes 1e-6 to 1e6. The bounds
    follow from Cauchy-Schwarz on positively weighted local moments; 1e-12 allows for
    rounding only."""
    x, y, data_range = pair
    assert abs(ssim(x, x, data_range) - 1) <= 1e-12
    assert abs(ssim(y, y, data_range) - 1) <= 1e-12
    forward, backward = ssim(x, y, data_range), ssim(y, x, data_range)
    assert abs(forward - backward) <= 1e-12
    assert -1 - 1e-12 <= forward <= 1 + 1e-12


# --- PSNR -----------------------------------------------------------------------------------

#: Images whose paper-convention peak max|x| is 0.
all_zero_images = st.tuples(st.integers(11, 40), st.integers(11, 40)).map(np.zeros)


@ci_settings(30)
@given(
    image=phantoms(min_side=11, max_side=40) | all_zero_images,
    peak=st.floats(0, 1e4),
    low_hu=st.floats(-1000, 1000),
    width_hu=st.floats(1, 2000),
)
def test_identical_images_have_psnr_inf_which_the_metrics_table_refuses(
    image, peak, low_hu, width_hu, tmp_path_factory
):
    """PSNR of identical images is ``inf``, as ``ldct.evaluation.metrics.psnr`` documents, for any peak
    (also 0, as the paper convention gives for an all-zero image); ``paper_metrics`` and
    ``window_metrics`` give inf PSNR and SSIM 1 (paper SSIM only where the reference is not
    constant, its range being L). A metrics table written as the metrics rule writes it (every
    metric finite) refuses such a row: one error naming the table, and no table (docs/methods.md: every
    metric must be finite, which is why eval doses lie below 1)."""
    assert psnr(image, image.copy(), peak) == math.inf
    window = HuWindow(low_hu, low_hu + width_hu)
    with np.errstate(invalid="ignore"):  # a constant reference has L = 0: its paper SSIM is 0 / 0
        metrics = {**paper_metrics(image, image.copy()), **window_metrics(image, image.copy(), window)}
    assert metrics["psnr_paper"] == metrics["psnr_window"] == math.inf
    assert abs(metrics["ssim_window"] - 1) <= 1e-12
    if np.ptp(image) > 0:
        assert abs(metrics["ssim_paper"] - 1) <= 1e-12
    row = {"image": "phantom", "dose": 1.0, "realization": 0, "method": "none", **metrics}
    table = tmp_path_factory.mktemp("metrics") / "metrics.tsv"
    with pytest.raises(LdctInputError) as refusal:
        write_table(table, [row], list(row), finite_columns=METRIC_NAMES)
    message = str(refusal.value)
    assert message.startswith(f"{table}: ") and message.endswith("must be a finite number; nothing written")
    assert not table.exists()


@ci_settings(30)
@given(pair=image_pairs())
def test_psnr_is_symmetric_finite_and_bounded_below_for_different_images(pair):
    """For x != y, PSNR is finite and symmetric; with peak max(|x|, |y|) it is at least
    -20 log10(2) dB (|x - y| <= 2 peak), and in the window convention at least 0 dB (clipped
    images differ by at most the window width; 1e-9 dB allows for rounding)."""
    x, y, scale = pair
    assume(not np.array_equal(x, y))
    peak = float(max(np.max(np.abs(x)), np.max(np.abs(y))))
    forward = psnr(x, y, peak)
    assert forward == psnr(y, x, peak)
    assert math.isfinite(forward) and forward >= -20 * math.log10(2) - 1e-9
    window = HuWindow(float(np.min(y)), float(np.min(y)) + scale)
    assert window_metrics(x, y, window)["psnr_window"] >= -1e-9


@ci_settings(30)
@given(
    image=phantoms(min_side=11, max_side=40),
    noise_seed=st.integers(0, 2**32 - 1),
    gain=st.floats(1e-2, 1e2),
    growth=st.floats(1.01, 100),
    peak=st.floats(1, 1e4),
)
def test_psnr_falls_as_the_same_noise_grows(image, noise_seed, gain, growth, peak):
    """Scaling one noise field up lowers PSNR: strictly at a fixed peak (by 20 log10(growth)
    dB), and never raises it in the window convention (clipping keeps each pixel's error
    non-decreasing). The paper convention is left out: its peak is max|x| of the noisy image
    and grows with the noise (docs/methods.md, "Metrics: two conventions")."""
    reference = image.astype(np.float64)
    noise = np.random.default_rng(noise_seed).normal(size=image.shape)
    weaker, stronger = reference + gain * noise, reference + gain * growth * noise
    assert psnr(weaker, reference, peak) > psnr(stronger, reference, peak)
    drop = psnr(weaker, reference, peak) - psnr(stronger, reference, peak)
    assert math.isclose(drop, 20 * math.log10(growth), rel_tol=1e-6)
    window = HuWindow(-160, 240)
    assert window_metrics(weaker, reference, window)["psnr_window"] >= window_metrics(
        stronger, reference, window
    )["psnr_window"]


# --- config ---------------------------------------------------------------------------------


def key_paths(value, path=()) -> list[tuple]:
    """Every key path of a validated config: mappings' keys, and index 0 standing for a list's
    items (the edit picks the actual index)."""
    paths = [path] if path else []
    if isinstance(value, dict):
        for name, item in value.items():
            paths += key_paths(item, path + (name,))
    elif isinstance(value, list) and value:
        paths += key_paths(value[0], path + (0,))
    return paths


#: Every key the schema fills in, whether or not config.yaml spells it out.
KEY_PATHS = key_paths(validate_config(copy.deepcopy(DEFAULT_CONFIG), SCHEMA))
#: Words a user might type: enum values of the schema, image ids and patterns, method names.
WORDS = [
    "embedded", "local_dicom", "tcia", "parametric", "table", "quantum", "paper", "total", "added",
    "mtf2", "fbp", "measure", "authors", "ldct", "train", "file", "blind", "fixed", "window", "minmax",
    "auto", "cpu", "cuda", "abdomen", "kits_*", "kits_01", "cmb_01", "dncnn", "median", "gaussian",
]
numbers = st.one_of(
    st.integers(-10**4, 10**4),
    st.floats(-1e4, 1e4),
    st.sampled_from([0, 1, 0.5, 1.0, -1, 25, 1e-9, math.nan, math.inf, -math.inf]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.sampled_from(WORDS), st.text(max_size=8))
yaml_values = st.one_of(
    scalars,
    st.lists(scalars, max_size=4),
    st.lists(numbers, min_size=1, max_size=4),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=4, unique=True),
    st.fixed_dictionaries({"low_hu": numbers, "high_hu": numbers}),
    st.fixed_dictionaries(
        {"id": st.sampled_from(["a", "kits_01", "a_000"]), "uid": st.sampled_from(["1.2", "1.2.3"])},
        optional={"slices": st.integers(-1, 20), "instances": st.lists(st.integers(-5, 50), max_size=3)},
    ),
)


def values_like(current) -> st.SearchStrategy:
    """Values of the type ``current`` has, as a user changing a number or a word writes them."""
    if isinstance(current, bool):
        return st.booleans()
    if isinstance(current, (int, float)):
        return numbers
    if isinstance(current, str):
        return st.sampled_from(WORDS)
    if isinstance(current, list) and current:
        return st.lists(values_like(current[0]), max_size=4)
    return yaml_values


def parent_and_key(config: dict, path: tuple, pick_index) -> tuple:
    """The mapping or list holding the key at ``path`` of ``config``, and that key; list indices
    are chosen by ``pick_index(length)``. (None, None) where an earlier edit changed the shape."""
    parent = config
    for depth, part in enumerate(path):
        if isinstance(part, int):
            if not isinstance(parent, list) or not parent:
                return None, None
            part = pick_index(len(parent))
        elif not isinstance(parent, dict):
            return None, None
        if depth == len(path) - 1:
            return parent, part
        parent = parent[part] if isinstance(part, int) else parent.setdefault(part, {})


@st.composite
def edited_configs(draw) -> dict:
    """The default config after one to three edits a user might make in config.yaml: set a known
    key (at any depth, in any list item) to a value of its type (3 in 4) or any YAML value,
    misspell a key, or delete one."""
    config = copy.deepcopy(DEFAULT_CONFIG)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(KEY_PATHS))
        parent, key = parent_and_key(config, path, lambda length: draw(st.integers(0, length - 1)))
        if parent is None:
            continue
        if isinstance(parent, dict) and draw(st.integers(0, 5)) == 0:
            key = draw(st.sampled_from([f"{key}s", key[:-1], "colour"]))
        if isinstance(parent, dict) and draw(st.integers(0, 5)) == 0:
            parent.pop(key, None)
        else:
            current = parent.get(key) if isinstance(parent, dict) else parent[key]
            parent[key] = draw(yaml_values if draw(st.integers(0, 3)) == 0 else values_like(current))
    return config


def with_edit(path: tuple, value) -> dict:
    """The default config with the key at ``path`` set to ``value``."""
    config = copy.deepcopy(DEFAULT_CONFIG)
    parent = config
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return config


def numbers_in(value) -> list:
    """Every int and float in a nested config."""
    if isinstance(value, dict):
        return [number for item in value.values() for number in numbers_in(item)]
    if isinstance(value, list):
        return [number for item in value for number in numbers_in(item)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


@ci_settings(50)
@given(config=edited_configs())
@example(config=with_edit(("doses", "train"), [0.5, math.nan]))
@example(config=with_edit(("metrics", "window"), {"low_hu": -160, "high_hu": math.inf}))
@example(config=with_edit(("noise", "full_dose_photons"), math.nan))
def test_edited_config_loads_or_fails_with_one_config_key_line(config):
    """``load_study`` (what rules/common.smk runs on the config) either builds the study or raises
    one LdctInputError, shown as 'ldct: config key <key>: ...' on one line; never another
    exception, which Snakemake would show as a traceback.

    A config that loads is also usable: every number is finite (YAML .nan and .inf pass the
    schema's bounds), and the noise settings, MTF, doses and HU windows the rules build from
    it are accepted by their constructors.
    """
    try:
        study = load_study(config, SCHEMA)
    except LdctInputError as error:
        message = str(error)
        assert message.startswith("config key ") and "\n" not in message, message
        return
    assert all(math.isfinite(number) for number in numbers_in(config))
    noise = config["noise"]
    if noise["full_dose_sigma_hu"] != "measure":
        NoiseSettings.from_config(noise)
    for dose in study.eval_doses + study.train_doses:
        noise_sd_multiplier(dose, noise["law"])
    if config["mtf"]["model"] == "parametric":
        parametric_mtf(config["mtf"]["mtf50_lp_per_mm"], config["mtf"]["mtf10_lp_per_mm"])
    for section in (config["metrics"], config["figures"]):
        HuWindow.from_settings(section["window"])
    HuWindow.from_settings(config["dncnn"]["hu_window"])
