"""Rule download_tcia_series: fetch one TCIA series into the cache and pick the study's slices.

The params give the series (uid), how many slices to pick (slices) in which InstanceNumber
range (instances), the image ids they become (images), and the config key that named the
series (key), which error messages cite.

The connection settings (data.tcia.base_url, retries, backoff_s, timeout_s) and the collection
check are read from the config when the job runs: they change how the series is fetched, not
which slices the study uses, so changing them reruns nothing.
"""

import logging

from ldct.core.errors import LdctInputError
from ldct.core.storage import write_table
from ldct.io.tcia.cache import fetch_series
from ldct.io.tcia.client import TciaClient
from ldct.io.tcia.manifest import select_slices
from ldct.workflow import run_rule

CACHE = "resources/tcia"
COLUMNS = ["image", "series_instance_uid", "instance_number", "sop_instance_uid", "file"]


def main():
    settings = snakemake.config["data"]["tcia"]
    params = snakemake.params
    client = TciaClient(
        settings["base_url"],
        retries=settings["retries"],
        backoff_s=settings["backoff_s"],
        timeout_s=settings["timeout_s"],
        progress=True,
    )
    series = fetch_series(client, params.uid, CACHE, collection=settings["collection"])
    try:
        picked = select_slices(series.slices, params.slices, params.instances)
    except LdctInputError as error:
        raise LdctInputError(f"config key {params.key}: series {params.uid}: {error}") from error
    logging.info(
        "series %s (%s, %s images): slices with InstanceNumber %s",
        params.uid,
        series.metadata.get("Collection"),
        len(series.slices),
        [item.instance_number for item in picked],
    )
    rows = [
        {
            "image": image,
            "series_instance_uid": params.uid,
            "instance_number": "NA" if item.instance_number is None else item.instance_number,
            "sop_instance_uid": item.sop_instance_uid,
            "file": str(item.path),
        }
        for image, item in zip(params.images, picked)
    ]
    write_table(snakemake.output.slices, rows, COLUMNS)


run_rule(snakemake, main)
