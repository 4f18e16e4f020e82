"""Rule provenance: results/provenance.json, what this study's results came from.

Keys: ``config`` (the resolved config, defaults filled in), ``config_sha256``
(ldct.report.provenance), ``git`` ({commit, dirty} of the workflow's checkout, null outside one),
``inputs`` (``dicom`` and ``checkpoints``: path -> hex SHA-256 of every acquired DICOM and of the
original DnCNN's checkpoints) and ``software`` (name -> version). No timestamp: a fixed checkout,
config and data give the same bytes.
"""

from ldct.core.storage import save_json
from ldct.report.provenance import input_checksums
from ldct.workflow import run_rule


def main():
    params = snakemake.params
    save_json(
        snakemake.output.provenance,
        {
            "config": params.config,
            "config_sha256": params.config_sha256,
            "git": params.git,
            "inputs": {
                "dicom": input_checksums(snakemake.input.dicoms),
                "checkpoints": input_checksums(snakemake.input.checkpoints),
            },
            "software": params.software,
        },
    )


run_rule(snakemake, main)
