"""The software versions the report lists."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

from ldct.report.versions import PACKAGES, software_versions


def test_versions_list_python_platform_and_every_package_as_installed():
    rows = {row["software"]: row["version"] for row in software_versions()}
    assert rows["python"] == sys.version.split()[0]
    assert rows["platform"] == platform.platform()
    assert set(PACKAGES) <= set(rows)
    assert rows["numpy"] == metadata.version("numpy")
    assert rows["ldct"] == metadata.version("ldct")
