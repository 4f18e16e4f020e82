"""The software a run used: Python, the platform, ldct and the packages its science relies on."""

from __future__ import annotations

import platform
import sys
from importlib import metadata

#: Distributions whose versions the report lists.
PACKAGES = (
    "ldct",
    "snakemake",
    "numpy",
    "scipy",
    "scikit-image",
    "torch",
    "pydicom",
    "pydicom-data",
    "pylibjpeg",
    "pylibjpeg-openjpeg",
    "statsmodels",
    "matplotlib",
)


def software_versions() -> list[dict[str, str]]:
    """Rows {software, version}: Python, the platform, then each of :data:`PACKAGES`."""
    rows = [
        {"software": "python", "version": sys.version.split()[0]},
        {"software": "platform", "version": platform.platform()},
    ]
    for package in PACKAGES:
        try:
            version = metadata.version(package)
        except metadata.PackageNotFoundError:
            version = "not installed"
        rows.append({"software": package, "version": version})
    return rows
