"""The tiny study on a real SLURM cluster through profiles/slurm, against a local run.

Needs a running cluster: tests/slurm/start_cluster.sh (root, Debian's slurm packages) starts a
one-node one on this machine; .ci/run does so and sets LDCT_REQUIRE_SLURM=1, which turns a
missing cluster into a failure instead of a skip.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import yaml

from conftest import REPO, make_workdir, snakemake
from ldct.core.storage import read_table

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

# A cluster without accounting: squeue answers status queries (the slurm.conf keeps finished
# jobs for MinJobAge seconds), no account is guessed, and small DAGs are polled every 2 s.
CLUSTER_OPTIONS = [
    "--slurm-status-command",
    "squeue",
    "--slurm-no-account",
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--slurm-keep-successful-logs",
    "--max-threads",
    "1",  # the tiny study's threads, below the profile's 4 for training
]
# Fewer methods than the tiny study, to keep the number of sbatch jobs small: a filter, the
# original DnCNN (the stats reference) and DnCNN_Tra (a GPU-tagged fine-tuning job).
METHODS = ["gaussian", "dncnn", "dncnn_tra"]


@pytest.fixture(scope="module")
def cluster():
    """Skip (or, with LDCT_REQUIRE_SLURM=1, fail) unless sinfo reaches an idle or mixed node."""
    try:  # sinfo gives up on an unreachable controller by itself (slurm.conf MessageTimeout)
        state = subprocess.run(["sinfo", "-h", "-N", "-o", "%t"], capture_output=True, text=True).stdout.split()
    except FileNotFoundError:
        state = []
    if not any(s.startswith(("idle", "mix")) for s in state):
        message = f"no SLURM node ready (sinfo: {state or 'not available'})"
        if os.environ.get("LDCT_REQUIRE_SLURM") == "1":
            pytest.fail(message)
        pytest.skip(message)


def _config(path):
    config = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    config["denoise"] = {"methods": METHODS}
    path.write_text(yaml.safe_dump(config))


def test_tiny_study_through_slurm_matches_a_local_run(cluster, tmp_path):
    """Every job goes through sbatch; the GPU-tagged rule asks for a GPU; the metrics and
    stats equal those of the same config run locally."""
    slurm_dir = make_workdir(tmp_path / "slurm")
    local_dir = make_workdir(tmp_path / "local")
    for workdir in (slurm_dir, local_dir):
        _config(workdir / "config" / "slurm_test.yaml")
    snakemake(local_dir, "--configfile", "config/slurm_test.yaml", "--cores", "2")

    process = snakemake(
        slurm_dir,
        "--profile",
        str(REPO / "profiles" / "slurm"),
        "--configfile",
        "config/slurm_test.yaml",
        *CLUSTER_OPTIONS,
    )
    output = process.stdout + process.stderr
    job_ids = re.findall(r"SLURM jobid (\d+)", output)
    logs = sorted((slurm_dir / ".snakemake" / "slurm_logs").rglob("*.log"))
    assert job_ids and len(logs) == len(job_ids), output[-3000:]

    finetune_log = next(path for path in logs if "rule_finetune_dncnn" in str(path))
    finetune_id = finetune_log.stem
    job = subprocess.run(
        ["scontrol", "show", "job", finetune_id], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"TresPerJob=gres:gpu:1\b", job), job
    assert "JobState=COMPLETED" in job, job
    assert "NumCPUs=1" in job, job

    for table in ("results/metrics/metrics.tsv", "results/stats/stats.tsv"):
        assert read_table(slurm_dir / table) == read_table(local_dir / table), table
