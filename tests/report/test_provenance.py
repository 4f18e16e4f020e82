"""Provenance: the config hash, the git state, input checksums, versions, results/provenance.json
and the ``inputs`` of every image sidecar."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import snakemake
from ldct.report.provenance import (
    PACKAGE,
    config_sha256,
    git_state,
    input_checksums,
    installed_versions,
    shown_path,
)
from ldct.denoising.originals import DEFAULT_ORIGINAL

#: The software provenance.json must name.
REQUIRED_SOFTWARE = {
    "python", "ldct", "torch", "numpy", "scipy", "scikit-image", "pydicom", "statsmodels", "snakemake"
}
#: The tests that make git repositories.
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_config_hash_is_the_sha256_of_the_canonical_json():
    config = {"seed": 3, "doses": {"eval": [0.5, 0.1]}, "name": "é", "a": None}
    canonical = '{"a":null,"doses":{"eval":[0.5,0.1]},"name":"\\u00e9","seed":3}'
    assert config_sha256(config) == hashlib.sha256(canonical.encode()).hexdigest()
    reordered = {"name": "é", "a": None, "doses": {"eval": [0.5, 0.1]}, "seed": 3}
    assert config_sha256(reordered) == config_sha256(config)
    assert config_sha256(dict(config, seed=4)) != config_sha256(config)


def git(folder: Path, *arguments: str) -> str:
    command = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", "-C", str(folder)]
    return subprocess.run([*command, *arguments], check=True, capture_output=True, text=True).stdout


@needs_git
def test_git_state_names_the_commit_and_whether_the_tree_changed(tmp_path):
    (tmp_path / ".gitignore").write_text("results/\n")
    (tmp_path / "Snakefile").write_text("rule all:\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    commit = git(tmp_path, "rev-parse", "HEAD").strip()
    assert git_state(tmp_path) == {"commit": commit, "dirty": False}
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "out.txt").write_text("ignored by git")
    assert git_state(tmp_path) == {"commit": commit, "dirty": False}
    (tmp_path / "notes.txt").write_text("untracked")
    assert git_state(tmp_path) == {"commit": commit, "dirty": True}
    (tmp_path / "notes.txt").unlink()
    (tmp_path / "Snakefile").write_text("rule all:\n    input: []\n")
    assert git_state(tmp_path) == {"commit": commit, "dirty": True}


@needs_git
def test_git_state_is_null_outside_a_checkout_and_below_its_top(tmp_path):
    assert git_state(tmp_path) == {"commit": None, "dirty": None}
    git(tmp_path, "init", "-q")
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "Snakefile").write_text("rule all:\n")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "first")
    assert git_state(tmp_path / "copy") == {"commit": None, "dirty": None}


@needs_git
def test_git_state_is_null_in_a_repository_without_a_commit(tmp_path):
    git(tmp_path, "init", "-q")
    assert git_state(tmp_path) == {"commit": None, "dirty": None}


def test_versions_name_python_and_every_required_package():
    versions = installed_versions()
    assert REQUIRED_SOFTWARE <= set(versions)
    assert all(versions[name] != "not installed" for name in REQUIRED_SOFTWARE)


def test_input_checksums_name_shipped_files_relative_to_the_package(tmp_path):
    image = tmp_path / "image.npy"
    image.write_bytes(b"\x93NUMPY")
    assert input_checksums([str(image)]) == {str(image): sha256_of(image)}
    shipped = "ldct/models/authors_dncnn_b.pt"
    assert shown_path(DEFAULT_ORIGINAL) == shipped
    assert input_checksums([DEFAULT_ORIGINAL]) == {shipped: sha256_of(DEFAULT_ORIGINAL)}
    assert (PACKAGE.parent / shipped).resolve() == DEFAULT_ORIGINAL.resolve()


def check_provenance(workdir: Path) -> None:
    """results/provenance.json of a finished tiny study, and the ``inputs`` of its sidecars."""
    provenance = json.loads((workdir / "results" / "provenance.json").read_text())
    canonical = json.dumps(provenance["config"], sort_keys=True, separators=(",", ":"))
    assert provenance["config_sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
    assert provenance["config"]["realizations"] == 2  # the resolved config/test.yaml
    dicoms = provenance["inputs"]["dicom"]
    assert set(dicoms) == {f"results/dicom/{image}.dcm" for image in ("abdomen", "kits_01", "totalseg_01")}
    checkpoints = provenance["inputs"]["checkpoints"]
    assert set(checkpoints) == {"results/dncnn/pretrained/model.pt"}  # pretrained in the DAG
    for path, digest in {**dicoms, **checkpoints}.items():
        assert sha256_of(workdir / path) == digest, path
    assert REQUIRED_SOFTWARE <= set(provenance["software"])
    assert set(provenance["git"]) == {"commit", "dirty"}
    assert provenance["git"]["commit"] is None or len(provenance["git"]["commit"]) == 40
    sidecars = sorted((workdir / "results").glob("hu/*.json"))
    sidecars += sorted((workdir / "results").glob("simulated/*/*.json"))
    sidecars += sorted((workdir / "results").glob("denoised/*/*/*.json"))
    assert len(sidecars) == 3 + 2 * 2 + 8 * 2 * 2
    for sidecar in sidecars:
        inputs = json.loads(sidecar.read_text())["inputs"]
        assert inputs, sidecar
        for path, digest in inputs.items():
            assert sha256_of(workdir / path) == digest, f"{sidecar}: {path}"
    denoised = json.loads((workdir / "results/denoised/dncnn_tra/abdomen/dose0.1.json").read_text())
    assert set(denoised["inputs"]) == {
        "results/simulated/abdomen/dose0.1.npy",
        "results/dncnn/dncnn_tra/model.pt",
    }


@pytest.mark.slow
def test_tiny_study_records_its_provenance(tiny_study, tmp_path):
    """provenance.json and the sidecars match the files; rewriting it gives the same bytes."""
    check_provenance(tiny_study)
    workdir = tmp_path / "study"
    shutil.copytree(tiny_study, workdir, symlinks=True)
    written = (workdir / "results" / "provenance.json").read_bytes()
    (workdir / "results" / "provenance.json").unlink()
    snakemake(workdir, "--configfile", "config/test.yaml", "--cores", "1", "results/provenance.json")
    assert (workdir / "results" / "provenance.json").read_bytes() == written
