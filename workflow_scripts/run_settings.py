"""Rule run_settings: the effective configuration and the software versions of this run."""

import yaml

from ldct.core.storage import atomic_write, write_table
from ldct.report.html_tables import html_page, preformatted, table_html
from ldct.report.versions import software_versions
from ldct.workflow import run_rule


def main():
    versions = software_versions()
    write_table(snakemake.output.versions, versions, ["software", "version"])
    config_text = yaml.safe_dump(snakemake.params.config, sort_keys=True, allow_unicode=True)
    page = html_page(
        "Run settings",
        [
            ("Configuration, defaults filled in", preformatted(config_text)),
            ("Software versions", table_html(versions, ["software", "version"])),
        ],
        "The configuration every rule of this run saw, after validation against "
        "config/schema.yaml, and the versions of the software in the environment that wrote this page.",
    )
    atomic_write(snakemake.output.page, lambda handle: handle.write(page.encode("utf-8")))


run_rule(snakemake, main)
