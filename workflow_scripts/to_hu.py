"""Rule to_hu: one DICOM slice to the study's float32 HU window and its JSON sidecar."""

from ldct.prepare import SliceSettings, prepare_slice
from ldct.storage import save_image
from ldct.workflow import run_rule


def main():
    params = snakemake.params
    settings = SliceSettings(
        fill_hu=params.fill_hu,
        pixel_mm=params.pixel_mm,
        rows_px=params.rows_px,
        cols_px=params.cols_px,
        centre=params.centre,
    )
    window, meta = prepare_slice(snakemake.input.dicom, settings)
    meta.update(image=snakemake.wildcards.image, source=params.source)
    save_image(snakemake.output.image, window, meta)


run_rule(snakemake, main)
