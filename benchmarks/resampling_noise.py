"""What resampling to one pixel size does to the noise a full-dose slice already carries.

For every patient ldct ships, the first four slices at their own spacing and at ``--pixel-mm``
(default 1 mm): the median local SD (HU) in square windows of about 9 mm lying wholly in soft
tissue (0 to 150 HU after a light smoothing), which is noise plus fine texture. Prints a
Markdown table; docs/data.md, "The embedded CT slices: the default study", quotes it.

    python benchmarks/resampling_noise.py
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy import ndimage

from ldct.io.embedded import DATA
from ldct.io.prepare import SliceSettings, prepare_slice

WINDOW_MM = 9.0


def soft_tissue_sd(image: np.ndarray, pixel_mm: float) -> float:
    """Median local SD (HU) over windows of about :data:`WINDOW_MM` wholly in soft tissue."""
    size = int(round(WINDOW_MM / pixel_mm)) | 1
    image = image.astype(np.float64)
    mean = ndimage.uniform_filter(image, size)
    variance = np.clip(ndimage.uniform_filter(image**2, size) - mean**2, 0.0, None)
    smooth = ndimage.gaussian_filter(image, size / 4)
    inside = ndimage.minimum_filter(((smooth > 0) & (smooth < 150)).astype(np.uint8), size) > 0
    return float(np.median(np.sqrt(variance[inside])))


def native_and_resampled(path, pixel_mm: float) -> tuple[float, float, float]:
    """(native spacing mm, SD at it, SD at ``pixel_mm``) of one slice, whole image, display
    orientation (the window about the body is as large as the image)."""
    native, meta = prepare_slice(path, SliceSettings(pixel_mm=None, rows_px=1024, cols_px=1024, centre="image"))
    resampled, _ = prepare_slice(path, SliceSettings(pixel_mm=pixel_mm, rows_px=1024, cols_px=1024, centre="image"))
    spacing = meta["pixel_spacing_mm"][0]
    return spacing, soft_tissue_sd(native, spacing), soft_tissue_sd(resampled, pixel_mm)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pixel-mm", type=float, default=1.0)
    args = parser.parse_args()
    print(f"| patient folder | pixel (mm) | soft-tissue SD at it (HU) | at {args.pixel_mm:g} mm (HU) | ratio |")
    print("| --- | --- | --- | --- | --- |")
    for folder in sorted(path for path in (DATA / "abdominal_ct").iterdir() if path.is_dir()):
        rows = [native_and_resampled(path, args.pixel_mm) for path in sorted(folder.glob("*.dcm"))[:4]]
        spacing, before, after = (float(np.mean(column)) for column in zip(*rows))
        print(f"| `{folder.name}` | {spacing:.3f} | {before:.1f} | {after:.1f} | {after / before:.2f} |")


if __name__ == "__main__":
    main()
