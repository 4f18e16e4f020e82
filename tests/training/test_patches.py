"""CT training patches: geometry, rotation, flip, validation split, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

from ldct.training.patches import (
    PatchGeometry,
    build_patch_set,
    extract_patch,
    random_geometries,
    validation_mask,
)

SETTINGS = {
    "size_px": 50,
    "per_image": 15,
    "max_rotation_deg": 90,
    "horizontal_flip": True,
    "validation_fraction": 0.05,
}


def ramp_image(rows=120, cols=150):
    return np.arange(rows * cols, dtype=np.float64).reshape(rows, cols)


def test_unrotated_patch_is_an_exact_copy_and_flip_mirrors_it():
    image = ramp_image()
    geometry = PatchGeometry(centre_row=40 + 24.5, centre_col=30 + 24.5, angle_deg=0.0, flipped=False)
    np.testing.assert_array_equal(extract_patch(image, geometry, 50), image[40:90, 30:80])
    mirrored = PatchGeometry(geometry.centre_row, geometry.centre_col, 0.0, True)
    np.testing.assert_array_equal(extract_patch(image, mirrored, 50), image[40:90, 30:80][:, ::-1])


def test_right_angle_rotation_permutes_pixels_exactly():
    image = np.random.default_rng(0).random((100, 100))
    geometry = PatchGeometry(centre_row=30 + 19.5, centre_col=25 + 19.5, angle_deg=90.0, flipped=False)
    region = image[30:70, 25:65]
    np.testing.assert_allclose(extract_patch(image, geometry, 40), np.rot90(region, -1), atol=1e-6)


def test_rotation_by_45_degrees_samples_a_linear_ramp_exactly():
    """Bilinear sampling reproduces a linear function: the value at each rotated point."""
    rows, cols = np.mgrid[0:100, 0:100]
    image = 2.0 * rows + 3.0 * cols
    geometry = PatchGeometry(centre_row=50.0, centre_col=50.0, angle_deg=45.0, flipped=False)
    patch = extract_patch(image, geometry, 11)
    offsets = np.arange(11) - 5
    d_row, d_col = np.meshgrid(offsets, offsets, indexing="ij")
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)
    expected = 2.0 * (50 + c * d_row - s * d_col) + 3.0 * (50 + s * d_row + c * d_col)
    np.testing.assert_allclose(patch, expected, rtol=1e-5)


def test_random_geometries_keep_every_rotated_sample_inside_the_slice():
    rng = np.random.default_rng(1)
    shape, size = (128, 128), 50
    geometries = random_geometries(shape, 2000, size, 90, True, rng)
    half = (size - 1) / 2
    corners = np.array([(-half, -half), (-half, half), (half, -half), (half, half)])
    angles = np.array([g.angle_deg for g in geometries])
    assert 0 <= angles.min() < 5 and 85 < angles.max() <= 90
    assert 0.4 < np.mean([g.flipped for g in geometries]) < 0.6
    for g in geometries:
        a = np.deg2rad(g.angle_deg)
        rows = g.centre_row + np.cos(a) * corners[:, 0] - np.sin(a) * corners[:, 1]
        cols = g.centre_col + np.sin(a) * corners[:, 0] + np.cos(a) * corners[:, 1]
        assert rows.min() >= 0 and cols.min() >= 0
        assert rows.max() <= shape[0] - 1 and cols.max() <= shape[1] - 1


def test_too_small_slice_is_refused():
    with pytest.raises(ValueError, match="too small"):
        random_geometries((60, 200), 1, 50, 90, True, np.random.default_rng(0))


def test_validation_mask_holds_out_five_percent():
    mask = validation_mask(600, 0.05, np.random.default_rng(0))
    assert mask.sum() == 30
    assert validation_mask(10, 0.05, np.random.default_rng(0)).sum() == 1


def test_patch_set_counts_pairs_and_is_reproducible():
    rng = np.random.default_rng(2)
    full = {name: rng.normal(0, 300, (140, 160)).astype(np.float32) for name in ("a", "b")}
    doses = (0.5, 0.1)
    slices = [(name, dose, full[name] + 1000 * dose, full[name]) for name in full for dose in doses]
    low, high, index = build_patch_set(slices, SETTINGS, global_seed=7)
    assert low.shape == high.shape == (2 * 2 * 15, 50, 50)
    assert sum(row["split"] == "validation" for row in index) == 3
    # The low-dose stand-in is the full-dose image plus 1000 * dose HU: same geometry.
    offsets = np.array([row["dose"] * 1000 for row in index], dtype=np.float32)
    np.testing.assert_allclose(low - high, np.broadcast_to(offsets[:, None, None], low.shape), atol=1e-3)
    again = build_patch_set(slices, SETTINGS, global_seed=7)
    np.testing.assert_array_equal(again[0], low)
    assert again[2] == index
    other = build_patch_set(slices, SETTINGS, global_seed=8)
    assert not np.array_equal(other[0], low)


def test_every_patch_records_the_extremes_of_its_low_dose_slice(tmp_path):
    from ldct.core.storage import read_table, table_number, write_table
    from ldct.training.patches import PATCH_COLUMNS

    rng = np.random.default_rng(6)
    full = {name: rng.normal(level, 200, (140, 160)).astype(np.float32) for name, level in (("a", -500), ("b", 300))}
    slices = [(name, dose, full[name] + rng.normal(0, 100 / dose, (140, 160)).astype(np.float32), full[name])
              for name in full for dose in (0.5, 0.1)]
    _, _, index = build_patch_set(slices, SETTINGS, global_seed=7)
    write_table(tmp_path / "index.tsv", index, PATCH_COLUMNS)
    extremes = {(name, dose): (low.min(), low.max()) for name, dose, low, _ in slices}
    assert len(set(extremes.values())) == 4
    for row in read_table(tmp_path / "index.tsv"):
        key = (row["image"], float(row["dose"]))
        # 10 significant digits carry a float32 exactly: the slice's own float32 extremes come back.
        recorded = np.float32(table_number(row["low_dose_min_hu"])), np.float32(table_number(row["low_dose_max_hu"]))
        assert recorded == extremes[key]


def test_patch_set_names_a_training_slice_that_is_too_small():
    tiny = np.zeros((40, 40), dtype=np.float32)
    with pytest.raises(ValueError, match="training image 'thumb'"):
        build_patch_set([("thumb", 0.5, tiny, tiny)], SETTINGS, global_seed=0)


def test_bilinear_rotation_lowers_white_noise_sd_by_the_analytic_two_thirds():
    """Bilinear weights (u, 1-u) x (v, 1-v) at offsets spread over [0, 1) keep on average
    E[u^2 + (1-u)^2]^2 = (2/3)^2 of white-noise variance: the SD falls to 2/3."""
    white = np.random.default_rng(0).normal(0.0, 1.0, (400, 400))
    centres = [(r + 24.5, c + 24.5) for r in range(40, 320, 40) for c in range(40, 320, 40)]
    sd = {
        angle: np.mean([extract_patch(white, PatchGeometry(r, c, angle, False), 50).std() for r, c in centres])
        for angle in (0.0, 30.0)
    }
    assert sd[30.0] / sd[0.0] == pytest.approx(2 / 3, rel=0.02)


def test_patches_of_a_real_window_cover_the_body_its_edge_and_the_air_around_it():
    """The default settings on a shipped slice at 1 mm (250 x 350 window about the
    body), 10 doses x 15 patches: patches fall in tissue, across the skin line and in air, and
    their centres spread over the whole window, not only the body."""
    from ldct.io.embedded import DATA
    from ldct.io.prepare import SliceSettings, prepare_slice

    path = sorted((DATA / "abdominal_ct" / "pancreas_ct_0001").glob("*.dcm"))[0]
    window, _ = prepare_slice(path, SliceSettings())
    settings = {"size_px": 50, "per_image": 15, "max_rotation_deg": 90, "horizontal_flip": True,
                "validation_fraction": 0.05}
    slices = [("pancreas_01", dose, window, window) for dose in np.linspace(0.9, 0.01, 10)]
    _, full, index = build_patch_set(slices, settings, global_seed=20210621)
    air_share = (full < -900).mean(axis=(1, 2))
    assert (air_share == 0).any() and (air_share > 0.25).any()
    assert (full[:, 24:26, 24:26] < -900).all(axis=(1, 2)).any()  # a patch centred in air
    rows = [row["centre_row"] for row in index]
    cols = [row["centre_col"] for row in index]
    assert min(rows) < 60 and max(rows) > 190 and min(cols) < 70 and max(cols) > 280
