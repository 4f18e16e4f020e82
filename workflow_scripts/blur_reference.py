"""Rule blur_reference: one full-dose slice blurred by the CT unit's MTF (mtf.blur_image: true).

The blurred slice is the study's full-dose reference and the image its noise is added to. Its
sidecar keeps the HU slice's entries, records ``blurred_by_mtf: true`` and replaces ``inputs``
with the checksums of the HU slice and the MTF table.
"""

from ldct.core.storage import load_image, save_image
from ldct.report.provenance import input_checksums
from ldct.simulation.mtf import blur_image, read_mtf_table, tabulated_mtf
from ldct.workflow import run_rule


def main():
    image, meta = load_image(snakemake.input.image)
    curve = tabulated_mtf(*read_mtf_table(snakemake.input.mtf))
    blurred = blur_image(image, tuple(meta["pixel_spacing_mm"]), curve)
    meta.update(blurred_by_mtf=True, inputs=input_checksums(snakemake.input))
    save_image(snakemake.output.image, blurred, meta)


run_rule(snakemake, main)
