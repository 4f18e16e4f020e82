"""The library's shape: small modules, and imports that match each module's job."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO

MAX_LINES = 300


def test_no_module_is_longer_than_300_lines():
    long = {
        str(path.relative_to(REPO)): lines
        for path in (REPO / "ldct").rglob("*.py")
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


@pytest.mark.parametrize(
    "module, absent",
    [
        ("ldct.dncnn", "ldct.training"),  # the model needs no training code
        ("ldct.tcia.manifest", "requests"),  # reading a manifest needs no network library
    ],
)
def test_a_module_does_not_pull_in_what_it_does_not_use(module, absent):
    code = f"import sys, {module}; assert {absent!r} not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
