"""The CT unit's modulation transfer function (MTF): model, table, and use on 2-D images.

Spatial frequencies are in line pairs per millimetre (lp/mm); pixel spacings in mm.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from ldct.core.errors import LdctInputError

MTFCurve = Callable[[np.ndarray], np.ndarray]


def generalized_gaussian_parameters(mtf50: float, mtf10: float) -> tuple[float, float]:
    """Scale ``a`` (lp/mm) and shape ``b`` of MTF(f) = exp(-(f/a)^b) through MTF50 and MTF10.

    The two conditions MTF(mtf50) = 0.5 and MTF(mtf10) = 0.1 have the closed-form solution
    b = ln(ln 10 / ln 2) / ln(mtf10 / mtf50) and a = mtf50 / (ln 2)^(1/b).
    b = 2 is a Gaussian MTF (a Gaussian point spread function).
    """
    if not 0 < mtf50 < mtf10:
        raise ValueError(f"need 0 < MTF50 < MTF10, got MTF50={mtf50}, MTF10={mtf10} lp/mm")
    shape = np.log(np.log(10.0) / np.log(2.0)) / np.log(mtf10 / mtf50)
    scale = mtf50 / np.log(2.0) ** (1.0 / shape)
    return float(scale), float(shape)


def parametric_mtf(mtf50: float, mtf10: float) -> MTFCurve:
    """The MTF curve f (lp/mm) -> MTF(f) of :func:`generalized_gaussian_parameters`."""
    scale, shape = generalized_gaussian_parameters(mtf50, mtf10)
    return lambda frequency: np.exp(-((np.abs(frequency) / scale) ** shape))


def read_mtf_table(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a tabulated MTF: two whitespace- or comma-separated columns, frequency (lp/mm) and MTF.

    Lines starting with '#' and one non-numeric header line are skipped. Frequencies must
    start at 0 with MTF 1 and increase strictly; MTF values must lie in [0, 1.05].
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise LdctInputError(f"{path}: cannot read the MTF table ({error.strerror})") from error
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.replace(",", " ").split()
        if not fields or fields[0].startswith("#"):
            continue
        try:
            rows.append([float(fields[0]), float(fields[1])])
        except (ValueError, IndexError):
            if rows:
                raise LdctInputError(f"{path}: line {number} is not 'frequency mtf'") from None
    table = np.array(rows, dtype=float).reshape(-1, 2)
    frequency, mtf = table[:, 0], table[:, 1]
    if len(frequency) < 2:
        raise LdctInputError(f"{path}: an MTF table needs at least two rows")
    if frequency[0] != 0 or abs(mtf[0] - 1) > 1e-6:
        raise LdctInputError(f"{path}: the first row must be frequency 0 with MTF 1")
    if np.any(np.diff(frequency) <= 0):
        raise LdctInputError(f"{path}: frequencies must increase strictly")
    if np.any(mtf < 0) or np.any(mtf > 1.05):
        raise LdctInputError(f"{path}: MTF values must lie between 0 and 1.05")
    return frequency, mtf


def tabulated_mtf(frequency: np.ndarray, mtf: np.ndarray) -> MTFCurve:
    """Linear interpolation of a tabulated MTF; 0 beyond the last tabulated frequency."""
    return lambda f: np.interp(np.abs(f), frequency, mtf, right=0.0)


def mtf_from_config(mtf_config: dict) -> MTFCurve:
    """The MTF curve that config section ``mtf`` describes (``model: parametric`` or ``table``)."""
    if mtf_config["model"] == "table":
        return tabulated_mtf(*read_mtf_table(mtf_config["table"]))
    return parametric_mtf(mtf_config["mtf50_lp_per_mm"], mtf_config["mtf10_lp_per_mm"])


def radial_frequency(shape: tuple[int, int], spacing_mm: tuple[float, float]) -> np.ndarray:
    """|f| in lp/mm of every bin of ``numpy.fft.fft2`` for an image of ``shape`` and spacing."""
    f_rows = np.fft.fftfreq(shape[0], d=spacing_mm[0])
    f_cols = np.fft.fftfreq(shape[1], d=spacing_mm[1])
    return np.hypot(f_rows[:, None], f_cols[None, :])


def mtf_filter(image: np.ndarray, spacing_mm: tuple[float, float], curve: MTFCurve) -> np.ndarray:
    """Multiply the 2-D spectrum of ``image`` by MTF(|f|): a circularly symmetric blur."""
    transfer = curve(radial_frequency(image.shape, spacing_mm))
    return np.fft.ifft2(np.fft.fft2(image) * transfer).real


#: Mirrored margin (pixels) around an image blurred by :func:`blur_image`.
BLUR_MARGIN_PX = 64


def blur_image(image: np.ndarray, spacing_mm: tuple[float, float], curve: MTFCurve) -> np.ndarray:
    """``image`` (HU) blurred by the MTF as a scanner of that MTF would see it (float32 HU).

    :func:`mtf_filter` is periodic: on its own it would blur each edge with the opposite one.
    The image is therefore mirrored by :data:`BLUR_MARGIN_PX` pixels on every side (64 mm at
    1 mm pixels, many times the width of the point spread function of any MTF whose MTF10 is
    above 0.05 lp/mm), filtered and cropped back. MTF(0) = 1, so mean HU are kept.
    """
    margin = BLUR_MARGIN_PX
    padded = np.pad(np.asarray(image, dtype=np.float64), margin, mode="symmetric")
    blurred = mtf_filter(padded, spacing_mm, curve)
    return blurred[margin:-margin, margin:-margin].astype(np.float32)


#: Frequency step of the tabulated MTF curve, lp/mm.
CURVE_STEP_LP_PER_MM = 0.005


def curve_table(curve: MTFCurve, max_lp_per_mm: float) -> list[dict[str, float]]:
    """Rows {frequency_lp_per_mm, mtf} from 0 to ``max_lp_per_mm`` in steps of 0.005 lp/mm."""
    count = int(round(max_lp_per_mm / CURVE_STEP_LP_PER_MM)) + 1
    frequency = np.arange(count) * CURVE_STEP_LP_PER_MM
    return [
        {"frequency_lp_per_mm": float(f), "mtf": float(m)}
        for f, m in zip(frequency, curve(frequency))
    ]
