"""Rules dicom_full_dose and dicom_denoised: study windows of the eval slices as DICOM files.

Each output is a derived slice of its source DICOM (:mod:`ldct.io.dicom_write`) with the window's
own geometry (:mod:`ldct.io.geometry`): its position, display orientation and pixel size. Of a
stack of realizations, the first is written.
"""

import logging

from ldct import __version__
from ldct.core.doses import dose_percent
from ldct.core.methods import method
from ldct.core.storage import load_image
from ldct.io.dicom_read import read_ct_slice
from ldct.io.dicom_write import Derivation, derived_slice, hu_to_stored, write_dicom
from ldct.io.geometry import SliceGeometry, window_geometry
from ldct.workflow import run_rule


def derivation(meta):
    """What was done to the source slice to make the image of ``meta`` (a sidecar)."""
    window = (
        f"study window ({meta['pixel_spacing_mm'][0]:g} x {meta['pixel_spacing_mm'][1]:g} mm "
        f"pixels, {meta['shape'][-2]} x {meta['shape'][-1]}, display orientation)"
    )
    if "method" not in meta:
        return Derivation(summary="study window, full dose", details=f"{__version__}: {window}")
    entry, dose = method(meta["method"]), dose_percent(meta["doses"][0])
    return Derivation(
        summary=f"{entry.label} {dose} dose",
        details=(
            f"{__version__}: {window} of the simulated {dose} dose image, realization "
            f"{meta['realizations'][0]}, {entry.description} ({meta['method_parameters']})"
        ),
    )


def main():
    for image_path, source, output in zip(snakemake.input.images, snakemake.input.sources, snakemake.output.dicom):
        image, meta = load_image(image_path)
        if image.ndim == 3:
            image = image[0]
        dataset, _ = read_ct_slice(source)
        geometry = window_geometry(SliceGeometry.from_dataset(dataset, source), meta)
        done = derivation(meta)
        write_dicom(output, derived_slice(dataset, hu_to_stored(dataset, image), done, geometry))
        logging.info("%s: %s", output, done.summary)


run_rule(snakemake, main)
