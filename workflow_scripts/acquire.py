"""Rule acquire: check that the source is a decodable CT slice, then copy it into the study."""

import logging

from ldct.dicom import read_ct_slice
from ldct.storage import copy_file
from ldct.workflow import run_rule


def main():
    dataset, pixels = read_ct_slice(snakemake.input.dicom)
    logging.info(
        "%s: CT slice %s, transfer syntax %s",
        snakemake.input.dicom,
        pixels.shape,
        dataset.file_meta.get("TransferSyntaxUID", "unknown"),
    )
    copy_file(snakemake.input.dicom, snakemake.output.dicom)


run_rule(snakemake, main)
