"""The shipped abdominal CT slices: found by name, listed in their manifest, checked by acquire."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import REPO, make_workdir, one_ldct_message, snakemake
from ldct.core.errors import LdctInputError
from ldct.io.dicom_read import embedded_dicom_path, read_ct_slice
from ldct.io.embedded import DATA, expected_sha256, shipped_path, verify_sha256

FOLDERS = {"cmb_crc_msb_01068": 8, "kits_00072": 8, "pancreas_ct_0001": 12, "totalsegmentator_example": 20}


def shipped_slices() -> list[Path]:
    return sorted((DATA / "abdominal_ct").glob("*/*.dcm"))


def test_48_slices_from_four_patients_are_shipped_and_readable():
    counts = {folder: len(list((DATA / "abdominal_ct" / folder).glob("*.dcm"))) for folder in FOLDERS}
    assert counts == FOLDERS
    dataset, pixels = read_ct_slice(shipped_slices()[0])
    assert dataset.Modality == "CT" and pixels.shape == (512, 512)


def test_the_manifest_lists_every_shipped_slice_with_its_bytes_digest():
    """Each digest recomputed here with hashlib matches the manifest's line for the file."""
    manifest = (DATA / "abdominal_ct" / "SHA256SUMS").read_text().splitlines()
    assert len(manifest) == len(shipped_slices()) == 48
    for path in shipped_slices():
        assert expected_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest(), path


def test_embedded_names_resolve_to_ldct_first_then_to_pydicom():
    path = embedded_dicom_path("abdominal_ct/kits_00072/1-011.dcm")
    assert path == DATA / "abdominal_ct" / "kits_00072" / "1-011.dcm"
    assert embedded_dicom_path("CT_small.dcm").name == "CT_small.dcm"
    assert shipped_path("CT_small.dcm") is None
    assert shipped_path("../embedded.py") is None  # nothing outside ldct/data


def test_a_changed_file_fails_verification_naming_it(tmp_path):
    changed = tmp_path / "1-011.dcm"
    data = bytearray((DATA / "abdominal_ct" / "kits_00072" / "1-011.dcm").read_bytes())
    data[-1] ^= 0xFF
    changed.write_bytes(bytes(data))
    expected = expected_sha256(DATA / "abdominal_ct" / "kits_00072" / "1-011.dcm")
    with pytest.raises(LdctInputError, match=f"{changed}: SHA-256 .* differs from {expected}"):
        verify_sha256(changed, expected)


@pytest.mark.slow
def test_acquire_refuses_a_shipped_slice_whose_sha256_differs_from_the_manifest(tmp_path):
    """A code tree whose shipped slice lost one byte: acquire stops with one message and
    leaves no copy of it in the study."""
    code = tmp_path / "code"
    shutil.copytree(REPO, code, ignore=shutil.ignore_patterns(".git", ".venv", "results", ".snakemake", "__pycache__"))
    slice_file = code / "ldct" / "data" / "abdominal_ct" / "kits_00072" / "1-011.dcm"
    slice_file.write_bytes(slice_file.read_bytes()[:-1])
    workdir = make_workdir(tmp_path / "work")
    (workdir / "config" / "kits.yaml").write_text(
        "data:\n  embedded:\n    - {image: abdomen, file: explicit_VR-UN.dcm}\n"
        "    - {image: kits, file: abdominal_ct/kits_00072/1-011.dcm}\n"
        "split:\n  eval: [kits]\n"
    )
    process = snakemake(
        workdir, "--configfile", "config/kits.yaml", "--cores", "1", "results/dicom/kits.dcm", check=False, code=code
    )
    message = one_ldct_message(process)
    assert "1-011.dcm: SHA-256" in message and "differs from" in message
    assert not (workdir / "results" / "dicom" / "kits.dcm").exists()
