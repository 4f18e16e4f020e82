"""Rule to_hu: one DICOM slice to the study's float32 HU window and its JSON sidecar.

The sidecar holds the header facts, the image id, its source and under ``inputs`` the path and
hex SHA-256 of the DICOM file read.
"""

from ldct.core.storage import save_image
from ldct.io.prepare import SliceSettings, prepare_slice
from ldct.report.provenance import input_checksums
from ldct.workflow import run_rule


def main():
    params = snakemake.params
    settings = SliceSettings(
        fill_hu=params.fill_hu,
        pixel_mm=params.pixel_mm,
        rows_px=params.rows_px,
        cols_px=params.cols_px,
        centre=params.centre,
        max_slice_mb=params.max_slice_mb,
    )
    window, meta = prepare_slice(snakemake.input.dicom, settings)
    meta.update(
        image=snakemake.wildcards.image,
        source=params.source,
        inputs=input_checksums(snakemake.input),
    )
    save_image(snakemake.output.image, window, meta)


run_rule(snakemake, main)
