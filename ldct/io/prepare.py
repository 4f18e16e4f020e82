"""One DICOM CT slice to the study's HU image: rescale, padding to air, display orientation,
one pixel size, a window about the body; with the header facts for its JSON sidecar."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ldct.io.crop import body_centre, crop_about, image_centre
from ldct.io.dicom_read import read_ct_slice
from ldct.io.header import slice_metadata
from ldct.io.hu import to_hu
from ldct.io.memory import STUDY_SETTING, SliceMemoryLimit
from ldct.io.orientation import display_reorientation
from ldct.io.resample import resample_to_pixel_size


@dataclass(frozen=True)
class SliceSettings:
    """Config section ``hu``: fill value (HU), pixel size (mm; None keeps the file's), the
    window in pixels and what it is centred on ('body' or 'image'), and the most memory (MB)
    reading one whole slice may take (None: no limit)."""

    fill_hu: float = -1000.0
    pixel_mm: float | None = 1.0
    rows_px: int = 250
    cols_px: int = 350
    centre: str = "body"
    max_slice_mb: float | None = None


def prepare_slice(path: str | Path, settings: SliceSettings) -> tuple[np.ndarray, dict[str, Any]]:
    """The float32 HU window of the CT slice at ``path`` and its sidecar facts.

    Steps: modality rescale with padding and outside-FOV pixels set to ``fill_hu``
    (:func:`ldct.io.hu.to_hu`); display orientation from ImageOrientationPatient
    (:mod:`ldct.io.orientation`); pixel-area resampling to ``pixel_mm`` (:mod:`ldct.io.resample`);
    the ``rows_px`` x ``cols_px`` window about the body or the image centre, padded with
    ``fill_hu`` where the image is smaller (:mod:`ldct.io.crop`).
    """
    memory = None if settings.max_slice_mb is None else SliceMemoryLimit(settings.max_slice_mb, STUDY_SETTING)
    dataset, pixels = read_ct_slice(path, memory)
    meta = slice_metadata(dataset, path)
    hu, filled = to_hu(dataset, pixels, fill_hu=settings.fill_hu)
    logging.info("%d padding / outside-FOV pixels set to %s HU", filled, settings.fill_hu)
    orientation = dataset.get("ImageOrientationPatient")
    reorientation = display_reorientation(orientation, path)
    hu = reorientation.apply(hu)
    logging.info("orientation %s: %s", list(orientation), reorientation.describe())
    original_spacing = spacing = reorientation.spacing(meta["pixel_spacing_mm"])
    if settings.pixel_mm is not None:
        hu = resample_to_pixel_size(hu, spacing, settings.pixel_mm)
        logging.info("resampled from %s mm to %s mm pixels: %s", spacing, settings.pixel_mm, hu.shape)
        spacing = [settings.pixel_mm, settings.pixel_mm]
    centre = body_centre(hu, min(spacing)) if settings.centre == "body" else None
    if settings.centre == "body" and centre is None:
        logging.warning("no body found above the air threshold: window about the image centre")
    centred_on = "image" if centre is None else "body"
    centre = centre or image_centre(hu)
    window, origin = crop_about(hu, centre, settings.rows_px, settings.cols_px, settings.fill_hu)
    logging.info("window %s about (%.1f, %.1f) px, top-left %s", window.shape, *centre, origin)
    meta.update(
        filled_pixels=filled,
        fill_hu=settings.fill_hu,
        image_orientation_patient=[float(value) for value in orientation],
        reoriented=reorientation.describe(),
        original_pixel_spacing_mm=[float(value) for value in original_spacing],
        pixel_spacing_mm=[float(value) for value in spacing],
        crop_centre=centred_on,
        crop_centre_px=[float(value) for value in centre],
        crop_origin=list(origin),
        units="HU",
    )
    return window, meta
