"""Rule acquire: check that the source is a decodable CT slice, then copy it into the study.

The source is a DICOM file, or for TCIA data the row of this image in its series' slice table.
A slice ldct ships must first match the SHA-256 of its manifest.
"""

import logging
from pathlib import Path

from ldct.core.errors import LdctInputError
from ldct.core.storage import copy_file, read_table
from ldct.io.dicom_read import read_ct_slice
from ldct.io.embedded import verify_sha256
from ldct.io.memory import STUDY_SETTING, SliceMemoryLimit
from ldct.workflow import run_rule


def source_file():
    if "slices" not in snakemake.input.keys():
        return snakemake.input.dicom
    table = snakemake.input.slices
    row = next((r for r in read_table(table) if r["image"] == snakemake.wildcards.image), None)
    if row is None:
        raise LdctInputError(f"{table}: no slice for image '{snakemake.wildcards.image}'")
    if not Path(row["file"]).is_file():
        raise LdctInputError(
            f"{row['file']}: missing from the TCIA cache (listed in {table}); fetch it again "
            "with: snakemake --forcerun download_tcia_series"
        )
    logging.info(
        "TCIA series %s, InstanceNumber %s", row["series_instance_uid"], row["instance_number"]
    )
    return row["file"]


def main():
    source = source_file()
    if snakemake.params.sha256:
        verify_sha256(source, snakemake.params.sha256)
        logging.info("%s: SHA-256 as in the manifest", source)
    memory = SliceMemoryLimit(snakemake.params.max_slice_mb, STUDY_SETTING)
    dataset, pixels = read_ct_slice(source, memory)
    logging.info(
        "%s: CT slice %s, transfer syntax %s",
        source,
        pixels.shape,
        dataset.file_meta.get("TransferSyntaxUID", "unknown"),
    )
    copy_file(source, snakemake.output.dicom)


run_rule(snakemake, main)
