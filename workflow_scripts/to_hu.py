"""Rule to_hu: decoded DICOM -> float32 HU, padding to air, display orientation, centre crop,
JSON sidecar."""

import logging

from ldct.dicom import read_ct_slice
from ldct.hu import centre_crop, slice_metadata, to_hu
from ldct.orientation import display_reorientation
from ldct.storage import save_image
from ldct.workflow import run_rule


def main():
    path = snakemake.input.dicom
    dataset, pixels = read_ct_slice(path)
    meta = slice_metadata(dataset, path)
    hu, filled = to_hu(dataset, pixels, fill_hu=snakemake.params.fill_hu)
    orientation = dataset.get("ImageOrientationPatient")
    reorientation = display_reorientation(orientation, path)
    hu = reorientation.apply(hu)
    logging.info("orientation %s: %s", list(orientation), reorientation.describe())
    meta["pixel_spacing_mm"] = reorientation.spacing(meta["pixel_spacing_mm"])
    rows_px, cols_px = snakemake.params.rows_px, snakemake.params.cols_px
    crop, origin = centre_crop(hu, rows_px, cols_px)
    if crop.shape != (rows_px, cols_px):
        logging.warning("image %s is smaller than the crop: kept %s", hu.shape, crop.shape)
    logging.info("%d padding / outside-FOV pixels set to %s HU", filled, snakemake.params.fill_hu)
    meta.update(
        image=snakemake.wildcards.image,
        source=snakemake.params.source,
        filled_pixels=filled,
        fill_hu=snakemake.params.fill_hu,
        image_orientation_patient=[float(value) for value in orientation],
        reoriented=reorientation.describe(),
        crop_origin=list(origin),
        units="HU",
    )
    save_image(snakemake.output.image, crop, meta)


run_rule(snakemake, main)
