"""The CT training set of the transfer learning: paired low-dose / full-dose patches.

As in Usui et al. (2021): from every training slice at every training dose, ``per_image``
random square patches of ``size`` pixels, each rotated by a uniform random angle in
``[0, max_rotation_deg]`` degrees and mirrored left-right with probability 1/2 (when
``horizontal_flip``); a random ``validation_fraction`` of all patches is held out for
validation. The low-dose and the full-dose patch share one geometry.

A rotated patch samples the slice bilinearly on a rotated grid around its centre, which is
drawn so that the whole grid lies inside the slice: no padding enters a patch. At angle 0
the grid falls on pixel centres and the patch is an exact copy. Bilinear sampling at other
angles averages neighbouring pixels, as an image-generator augmentation does: it lowers the SD
of white noise to 2/3, and that of the simulated, MTF-correlated CT noise by about 5 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import ndimage

from ldct.core.errors import LdctInputError
from ldct.core.storage import table_number
from ldct.core.window import HuWindow
from ldct.denoising.scaling import HuScaling, minmax_scaling, window_scaling
from ldct.simulation.low_dose import simulation_seed
from ldct.workflow import config_value

#: Columns of the patch index table; ``low_dose_min_hu`` and ``low_dose_max_hu`` are the
#: minimum and maximum HU of the whole low-dose slice the patch was cut from (what
#: ``dncnn.hu_scaling: minmax`` maps to 0 and 1).
PATCH_COLUMNS = (
    "index", "image", "dose", "centre_row", "centre_col", "angle_deg", "flipped", "split",
    "low_dose_min_hu", "low_dose_max_hu",
)


@dataclass(frozen=True)
class PatchGeometry:
    """Where one patch comes from: centre (pixels, may be half-integer), angle, mirror."""

    centre_row: float
    centre_col: float
    angle_deg: float
    flipped: bool


def _reach(size: int) -> float:
    """Farthest distance (pixels) of a patch sample from the patch centre, at any angle."""
    return (size - 1) / 2 * np.sqrt(2)


def random_geometries(
    shape: tuple[int, int],
    count: int,
    size: int,
    max_rotation_deg: float,
    horizontal_flip: bool,
    rng: np.random.Generator,
) -> list[PatchGeometry]:
    """``count`` random patch geometries inside an image of ``shape`` (rows, cols)."""
    margin = int(np.ceil(_reach(size) - (size - 1) / 2))
    free_rows, free_cols = shape[0] - size - 2 * margin, shape[1] - size - 2 * margin
    if free_rows < 0 or free_cols < 0:
        raise ValueError(
            f"a {shape[0]}x{shape[1]} slice is too small for rotated {size}-pixel patches "
            f"(needs {size + 2 * margin} pixels a side)"
        )
    geometries = []
    for _ in range(count):
        top = margin + rng.integers(free_rows + 1)
        left = margin + rng.integers(free_cols + 1)
        geometries.append(
            PatchGeometry(
                centre_row=top + (size - 1) / 2,
                centre_col=left + (size - 1) / 2,
                angle_deg=float(rng.uniform(0.0, max_rotation_deg)),
                flipped=bool(horizontal_flip and rng.integers(2)),
            )
        )
    return geometries


def extract_patch(image: np.ndarray, geometry: PatchGeometry, size: int) -> np.ndarray:
    """The ``size`` x ``size`` patch of ``image`` with ``geometry`` (bilinear), float32."""
    offsets = np.arange(size) - (size - 1) / 2
    d_row, d_col = np.meshgrid(offsets, offsets, indexing="ij")
    angle = np.deg2rad(geometry.angle_deg)
    rows = geometry.centre_row + np.cos(angle) * d_row - np.sin(angle) * d_col
    cols = geometry.centre_col + np.sin(angle) * d_row + np.cos(angle) * d_col
    # Round away float error so angle 0 samples exactly on pixel centres.
    coordinates = np.round(np.stack([rows, cols]), 9)
    patch = ndimage.map_coordinates(image.astype(np.float64), coordinates, order=1, mode="nearest")
    return (patch[:, ::-1] if geometry.flipped else patch).astype(np.float32)


def validation_mask(count: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask of ``round(fraction * count)`` (at least 1) randomly chosen patches."""
    chosen = np.zeros(count, dtype=bool)
    chosen[rng.permutation(count)[: max(1, round(fraction * count))]] = True
    return chosen


def patch_pairs(
    low_dose: np.ndarray,
    full_dose: np.ndarray,
    geometries: Sequence[PatchGeometry],
    size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The low-dose and full-dose patches (N, size, size) of ``geometries``, float32 HU."""
    if low_dose.shape != full_dose.shape:
        raise ValueError(f"low-dose {low_dose.shape} and full-dose {full_dose.shape} differ")
    low = np.stack([extract_patch(low_dose, g, size) for g in geometries])
    full = np.stack([extract_patch(full_dose, g, size) for g in geometries])
    return low, full


def patch_seed(global_seed: int, image: str, dose: float) -> np.random.SeedSequence:
    """The seed of one slice's patches: a child of its realization-0 simulation seed."""
    return simulation_seed(global_seed, image, dose, 0).spawn(1)[0]


def build_patch_set(
    slices: Sequence[tuple[str, float, np.ndarray, np.ndarray]],
    settings: dict,
    global_seed: int,
) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Patches of every (image id, dose, low-dose HU, full-dose HU) slice.

    ``settings`` is config ``dncnn.patches``. Returns the low-dose and full-dose patch stacks
    (N, size, size) float32 HU and one index row per patch (``PATCH_COLUMNS``).
    """
    size = settings["size_px"]
    lows, fulls, rows = [], [], []
    for image, dose, low_dose, full_dose in slices:
        rng = np.random.default_rng(patch_seed(global_seed, image, dose))
        try:
            geometries = random_geometries(
                low_dose.shape, settings["per_image"], size, settings["max_rotation_deg"],
                settings["horizontal_flip"], rng,
            )
        except ValueError as error:
            raise ValueError(f"training image '{image}': {error}") from error
        low, full = patch_pairs(low_dose, full_dose, geometries, size)
        lows.append(low)
        fulls.append(full)
        extremes = dict(low_dose_min_hu=float(np.min(low_dose)), low_dose_max_hu=float(np.max(low_dose)))
        rows += [dict(image=image, dose=dose, **vars(g), **extremes) for g in geometries]
    held_out = validation_mask(
        len(rows), settings["validation_fraction"],
        np.random.default_rng(np.random.SeedSequence([global_seed, 0x5A11D])),
    )
    for index, (row, is_validation) in enumerate(zip(rows, held_out)):
        row.update(index=index, split="validation" if is_validation else "train")
    return np.concatenate(lows), np.concatenate(fulls), rows


def patch_scaling(
    index: Sequence[dict], hu_scaling: str, hu_window: dict, index_path: str
) -> HuScaling:
    """How every patch of a patch index (rows of ``index.tsv``) maps to network units:
    ``dncnn.hu_scaling`` ``window`` (``hu_window``, config ``dncnn.hu_window``), or ``minmax``
    (each patch by the minimum and maximum of the low-dose slice it was cut from). An index
    without those columns names ``index_path``."""
    if hu_scaling == "window":
        with config_value("dncnn.hu_window"):
            return window_scaling(HuWindow.from_settings(hu_window))
    try:
        extremes = [(table_number(row["low_dose_min_hu"]), table_number(row["low_dose_max_hu"])) for row in index]
    except KeyError as error:
        raise LdctInputError(f"{index_path}: no column {error}; make the patches again") from error
    names = [f"training image '{row['image']}' at dose {row['dose']}" for row in index]
    # The slices are float32: the table's 10 significant digits give their extremes back exactly.
    return minmax_scaling(*np.array(extremes, dtype=np.float32).T, names)


def patch_doses(index: Sequence[dict]) -> np.ndarray:
    """Each patch's dose (fraction of the full dose) from the rows of a patch index, float64 (N,)."""
    return np.array([table_number(row["dose"]) for row in index])


def validation_flags(index: Sequence[dict]) -> np.ndarray:
    """Whether each patch of a patch index is a validation patch (else a training patch), bool (N,)."""
    return np.array([row["split"] == "validation" for row in index])
