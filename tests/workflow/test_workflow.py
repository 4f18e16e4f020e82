"""The workflow as a user runs it: the DAG, a whole tiny study, reruns, and bad input."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
import yaml

from conftest import REPO, job_counts, make_workdir, one_ldct_message, snakemake
from ldct.core.storage import INCOMPLETE_FOLDER, read_table
from ldct.training.convergence import ROUNDING

METHODS = ["dncnn", "dncnn_full", "dncnn_tra", "gaussian", "median", "nl_means", "noisy", "wiener"]
METRICS = ["ssim_paper", "psnr_paper", "ssim_window", "psnr_window"]
# The jobs that follow a new stats table: the claims check, its page and the score figures.
DOWNSTREAM_OF_STATS = {"claims": 1, "statistics_page": 1, "figure_scores": 4}
#: The jobs that rerun after new CNN outputs: the tables, figures and records that read them.
AFTER_CNN_OUTPUTS = {
    "collect_metrics": 1,
    "stats": 1,
    **DOWNSTREAM_OF_STATS,
    "figure_images": 1,
    "figure_profiles": 1,
    "figure_training": 1,
    "figure_per_dose": 1,
    "run_settings": 1,
    "provenance": 1,
    "all": 1,
}


def test_dry_run_of_default_config_lists_every_job(tmp_path):
    """Default config: 49 embedded slices; 21 eval slices x 4 doses x 8 methods, a denoise and a
    metrics job per method and dose for all 21 slices and both realizations; 28 training slices,
    each simulated at the 10 training doses in one job; the authors' DnCNN-B, its last layer's
    exact optimum, fine-tuned two ways."""
    workdir = make_workdir(tmp_path)
    process = snakemake(workdir, "-n", "--cores", "1")
    assert job_counts(process.stdout) == {
        "acquire": 49,
        "to_hu": 49,
        "split": 1,
        "mtf_curve": 1,
        "full_dose_noise": 1,
        "simulate": 21 * 4,
        "simulate_training": 28,
        "import_pretrained_dncnn": 1,
        "patches": 1,
        "last_layer_optimum": 1,
        "per_dose_original": 1,
        "finetune_dncnn": 2,
        "denoise": 4 * 8,
        "metrics": 4 * 8,
        "collect_metrics": 1,
        "stats": 1,
        "claims": 1,
        "statistics_page": 1,
        "run_settings": 1,
        "provenance": 1,
        "figure_mtf": 1,
        "figure_noise_power_spectra": 1,
        "figure_noise_readings": 1,
        "figure_images": 1,
        "figure_profiles": 1,
        "figure_scores": 4,
        "figure_training": 1,
        "figure_per_dose": 1,
        "dicom_full_dose": 1,
        "dicom_denoised": 4 * 8,
        "all": 1,
    }
    assert "resources: tmpdir=/tmp, gpu=1" in process.stdout


def threads_by_rule(dry_run_output: str) -> dict[str, set[int]]:
    """Rule -> the thread counts its jobs claim, from a dry run's job listing (a job listed
    without a threads line claims one)."""
    jobs: list[list] = []
    for line in dry_run_output.splitlines():
        if line.startswith(("rule ", "localrule ")):
            jobs.append([line.split()[1].rstrip(":"), 1])
        elif line.strip().startswith("threads:") and jobs:
            jobs[-1][1] = int(line.split()[1])
    threads: dict[str, set[int]] = {}
    for rule, count in jobs:
        threads.setdefault(rule, set()).add(count)
    return threads


@pytest.mark.parametrize("cores_per_cpu", [1, 4])
def test_multi_threaded_jobs_claim_their_cpus_share_of_cores(tmp_path, cores_per_cpu):
    """--cores beyond the usable CPUs (--cores 8 on 2): a multi-threaded training or CNN job
    claims every core, so no job shares its CPUs; within the CPUs it claims its threads
    (dncnn.threads 2, dncnn.inference_threads 2 here), capped by --cores. Single-threaded CNN
    denoising (the default inference_threads 1) claims one core."""
    cpus = len(os.sched_getaffinity(0))
    cores = cpus * cores_per_cpu
    workdir = make_workdir(tmp_path)
    (workdir / "config" / "threads.yaml").write_text(yaml.safe_dump({"dncnn": {"inference_threads": 2}}))
    process = snakemake(workdir, "-n", "--cores", str(cores), "--configfile", "config/config.yaml", "config/threads.yaml")
    threads = threads_by_rule(process.stdout)
    network_job = cores if cores_per_cpu > 1 else min(2, cores)
    assert threads["finetune_dncnn"] == {network_job}
    assert threads["denoise"] == {1, network_job}  # filters, and the CNN methods
    assert threads["metrics"] == {1}
    default = threads_by_rule(snakemake(workdir, "-n", "--cores", str(cores)).stdout)
    assert default["denoise"] == {1} and default["finetune_dncnn"] == {network_job}


def dry_run_with(workdir, section: str, change: dict):
    """A dry run of the tiny config with ``change`` merged into config ``section``."""
    config = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    config[section] = {**config.get(section, {}), **change}
    (workdir / "config" / "changed.yaml").write_text(yaml.safe_dump(config))
    return snakemake(workdir, "--configfile", "config/changed.yaml", "-n", "--cores", "1")


@pytest.mark.slow
def test_tiny_study_writes_metrics_and_stats(tiny_study):
    """Every eval unit gets every metric; stats hold each dose x method x metric once."""
    metrics = read_table(tiny_study / "results/metrics/metrics.tsv")
    assert len(metrics) == 2 * 2 * 8 * 2  # doses x realizations x methods x eval slices
    assert {(row["image"], row["patient"]) for row in metrics} == {
        ("abdomen", "PANCREAS_0001"), ("kits_01", "KiTS-00072")
    }
    for row in metrics:
        for metric in METRICS:
            assert np.isfinite(float(row[metric]))
    stats = read_table(tiny_study / "results/stats/stats.tsv")
    keys = sorted((row["dose"], row["method"], row["metric"]) for row in stats)
    assert keys == sorted((d, m, k) for d in ("0.5", "0.1") for m in METHODS for k in METRICS)
    reference = [row for row in stats if row["method"] == "dncnn"]
    assert {row["significant"] for row in reference} == {"reference"}
    # Each dose's rows hold that dose's images: the noisy input's SSIM falls with the dose by
    # the noise law (measured 0.94 and 0.40). No threshold is set on the tiny CNNs' scores: a
    # network trained for a few float32 steps scores what its CPU's kernel order makes of it
    # (tests/denoising/test_originals.py asserts the original DnCNN's dose trend instead).
    noisy_ssim = {
        row["dose"]: float(row["mean"]) for row in stats if row["method"] == "noisy" and row["metric"] == "ssim_paper"
    }
    assert noisy_ssim["0.5"] - noisy_ssim["0.1"] > 0.3, noisy_ssim
    assert all(-1 <= float(row["mean"]) <= 1 for row in stats if row["metric"].startswith("ssim"))
    assert {(row["n"], row["n_patients"], row["realizations"]) for row in stats} == {("2", "2", "2")}
    split = read_table(tiny_study / "results/split.tsv")
    assert {(row["image"], row["role"], row["patient"]) for row in split} == {
        ("abdomen", "eval", "PANCREAS_0001"),
        ("kits_01", "eval", "KiTS-00072"),
        ("totalseg_01", "train", "TotalSegmentator-example"),
    }


@pytest.mark.slow
def test_completed_run_has_nothing_to_do(tiny_study):
    """A dry run right after a completed run schedules no job."""
    process = snakemake(tiny_study, "--configfile", "config/test.yaml", "-n", "--cores", "1")
    assert "Nothing to be done" in process.stdout + process.stderr


@pytest.mark.slow
def test_changing_one_eval_dose_reruns_only_that_dose(tiny_study, tmp_path):
    """Dose 0.1 -> 0.2: new simulate/denoise/metrics jobs for 0.2 only, then collect and stats;
    no file of dose 0.5 is rewritten."""
    workdir = tmp_path / "study"
    shutil.copytree(tiny_study, workdir, symlinks=True)
    config = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    config["doses"]["eval"] = [0.5, 0.2]
    (workdir / "config" / "changed.yaml").write_text(yaml.safe_dump(config))
    kept = sorted((workdir / "results").rglob("*dose0.5*")) + sorted(
        (workdir / "results" / "hu").iterdir()
    )
    mtimes = {path: path.stat().st_mtime_ns for path in kept if path.is_file()}

    dry = snakemake(workdir, "--configfile", "config/changed.yaml", "-n", "--cores", "1")
    assert len(mtimes) > 3 * 8
    assert job_counts(dry.stdout) == {
        "simulate": 2,
        "denoise": 8,
        "metrics": 8,
        "dicom_denoised": 8,
        "collect_metrics": 1,
        "stats": 1,
        **DOWNSTREAM_OF_STATS,
        "figure_noise_power_spectra": 1,
        "figure_noise_readings": 1,  # drawn at the lowest eval dose, now 0.2
        "figure_images": 1,
        "figure_profiles": 1,
        "run_settings": 1,
        "provenance": 1,
        "all": 1,
    }
    snakemake(workdir, "--configfile", "config/changed.yaml", "--cores", "2")
    assert {path: path.stat().st_mtime_ns for path in mtimes} == mtimes
    stats = read_table(workdir / "results/stats/stats.tsv")
    assert {row["dose"] for row in stats} == {"0.5", "0.2"}


@pytest.mark.slow
def test_corrupt_local_dicom_stops_with_one_message(tmp_path):
    """A truncated file in a local_dicom folder: the run fails naming it; no partial result."""
    from ldct.io.dicom_read import embedded_dicom_path

    folder = tmp_path / "dicoms"
    folder.mkdir()
    shutil.copy(embedded_dicom_path("CT_small.dcm"), folder / "small.dcm")
    shutil.copy(embedded_dicom_path("693_UNCR.dcm"), folder / "head.dcm")
    whole = embedded_dicom_path("693_UNCR.dcm").read_bytes()
    (folder / "broken.dcm").write_bytes(whole[: len(whole) // 2])
    workdir = make_workdir(tmp_path / "study", REPO / "config" / "test.yaml")
    config = {
        "data": {"source": "local_dicom", "local_dicom": {"folder": str(folder)}},
        "split": {"eval": ["small"]},
    }
    (workdir / "config" / "local.yaml").write_text(yaml.safe_dump(config))

    process = snakemake(
        workdir,
        "--configfile",
        "config/test.yaml",
        "config/local.yaml",
        "--cores",
        "1",
        check=False,
    )
    assert str(folder / "broken.dcm") in one_ldct_message(process)
    results = workdir / "results"
    assert not (results / "dicom" / "broken.dcm").exists()
    assert not (results / "hu" / "broken.npy").exists()
    assert not (results / "stats" / "stats.tsv").exists()
    assert not (results / "metrics" / "metrics.tsv").exists()
    assert not [path for path in results.rglob("*") if path.name == INCOMPLETE_FOLDER]


def test_the_split_rule_refuses_a_patient_on_both_sides(tmp_path):
    """Two slices of PANCREAS_0001 (no patient declared in the config, so only their DICOM
    PatientID tells): one evaluated, one trained on. The split rule stops naming both."""
    workdir = make_workdir(tmp_path, REPO / "config" / "test.yaml")
    config = {
        "data": {"embedded": [
            {"image": "pancreas_01", "file": "abdominal_ct/pancreas_ct_0001/98-163.dcm"},
            {"image": "pancreas_02", "file": "abdominal_ct/pancreas_ct_0001/164-229.dcm"},
        ]},
        "split": {"eval": ["pancreas_01"], "train": ["pancreas_02"]},
    }
    (workdir / "config" / "same_patient.yaml").write_text(yaml.safe_dump(config))
    process = snakemake(
        workdir, "--configfile", "config/test.yaml", "config/same_patient.yaml",
        "--cores", "1", "results/split.tsv", check=False,
    )
    assert one_ldct_message(process).endswith(
        "eval image 'pancreas_01' and train image 'pancreas_02' are from the same patient "
        "'PANCREAS_0001': a patient's slices must all be evaluated or all be trained on"
    )
    assert not (workdir / "results" / "split.tsv").exists()


@pytest.mark.parametrize(
    "change, key",
    [
        ({"doses": {"eval": [0.5, 0.0]}}, "doses.eval[1]"),
        ({"doses": {"eval": [1.5]}}, "doses.eval[0]"),
        ({"doses": {"eval": [0.5, 1]}}, "doses.eval[1]"),
        ({"split": {"eval": ["abdomen"], "train": ["abdomen"]}}, "split"),
        ({"stats": {"reference": "median"}, "denoise": {"methods": ["noisy"]}}, "stats.reference"),
        ({"noise": {"law": "linear"}}, "noise.law"),
        ({"dncnn": {"pretrain": {"source": "file"}}}, "dncnn.pretrain.checkpoint"),
        ({"figures": {"image": "spine"}}, "figures.image"),
        ({"figures": {"realization": 10}}, "figures.realization"),
        ({"figures": {"profile": {"doses": [0.2]}}}, "figures.profile.doses"),
        ({"figures": {"window": {"low_hu": 240, "high_hu": -160}}}, "figures.window"),
        ({"figures": {"window": {"level_hu": 40, "width_hu": 400}}}, "figures.window"),
        ({"hu": {"crop": {"rows": 250}}}, "hu.crop.rows: renamed to hu.crop.rows_px"),
    ],
)
def test_bad_config_stops_with_a_message_naming_the_key(tmp_path, change, key):
    """Bad config values stop the workflow before any job, naming the config key."""
    workdir = make_workdir(tmp_path)
    (workdir / "config" / "bad.yaml").write_text(yaml.safe_dump(change))
    process = snakemake(
        workdir, "--configfile", "config/config.yaml", "config/bad.yaml", "-n", check=False
    )
    assert process.returncode != 0
    output = process.stdout + process.stderr
    assert f"ldct: config key {key}" in output, output
    assert not (workdir / "results").exists()


def test_tabulated_mtf_reaches_the_curve_the_simulations_use(tmp_path):
    """mtf.model table: the mtf_curve rule writes the user's table, interpolated, 0 beyond it."""
    workdir = make_workdir(tmp_path, REPO / "config" / "test.yaml")
    (workdir / "scanner_mtf.txt").write_text("# lp/mm  MTF\n0 1\n0.4 0.6\n1.0 0\n")
    config = {"mtf": {"model": "table", "table": "scanner_mtf.txt", "curve_max_lp_per_mm": 1.2}}
    (workdir / "config" / "table.yaml").write_text(yaml.safe_dump(config))
    snakemake(
        workdir,
        "--configfile",
        "config/test.yaml",
        "config/table.yaml",
        "--cores",
        "1",
        "results/mtf/mtf_curve.tsv",
    )
    curve = {
        round(float(row["frequency_lp_per_mm"]), 3): float(row["mtf"])
        for row in read_table(workdir / "results/mtf/mtf_curve.tsv")
    }
    assert len(curve) == 241
    assert curve[0.0] == 1.0 and curve[0.4] == pytest.approx(0.6)
    assert curve[0.2] == pytest.approx(0.8) and curve[0.7] == pytest.approx(0.3)
    assert curve[1.0] == 0.0 and curve[1.2] == 0.0


@pytest.mark.slow
def test_training_logs_show_a_bar_and_a_line_per_epoch(tiny_study):
    """Pretraining and dncnn_full train with Adam; dncnn_tra is the last layer's exact optimum."""
    for log in ("pretrain_dncnn.log", "finetune_dncnn/dncnn_full.log"):
        text = (tiny_study / "results/logs" / log).read_text()
        for epoch in (1, 2):
            assert f"epoch {epoch}/2: 100%" in text, log  # the progress bar, finished
            assert f"INFO epoch {epoch}/2: loss " in text and "validation PSNR" in text, log
    epochs = read_table(tiny_study / "results/dncnn/dncnn_full/epochs.tsv")
    assert [int(row["epoch"]) for row in epochs] == [1, 2]
    assert (tiny_study / "results/checkpoints/dncnn_full/last.pt").exists()
    assert "last layer solved exactly" in (tiny_study / "results/logs/finetune_dncnn/dncnn_tra.log").read_text()
    records = {
        variant: json.loads((tiny_study / f"results/dncnn/{variant}/optimum.json").read_text())
        for variant in ("dncnn_tra", "dncnn_full")
    }
    tra, full = records["dncnn_tra"], records["dncnn_full"]
    assert tra["converged"] and tra["ratio"] == pytest.approx(1.0, abs=ROUNDING)  # the optimum itself
    assert full["limit"] == pytest.approx((1 + ROUNDING) * full["optimum_loss"], rel=1e-12)
    assert full["converged"] == (full["trained_loss"] <= full["limit"])
    # Two Adam epochs on one validation patch: which epoch it keeps, and so whether it converges,
    # is the kernel order's call; kept at its start it is the optimum, and so converged.
    if full["kept_epoch"] == 0:
        assert full["converged"] and full["trained_loss"] == pytest.approx(tra["trained_loss"], rel=1e-6)


@pytest.mark.slow
def test_every_network_has_its_per_dose_table(tiny_study):
    """The original once (epoch 0); dncnn_tra its start and the solved epoch; dncnn_full its
    start (the optimum: the same rows as dncnn_tra's epoch 1) and both Adam epochs."""
    index = read_table(tiny_study / "results/patches/index.tsv")
    doses = {row["dose"] for row in index if row["split"] == "validation"}
    expected_epochs = {"pretrained": [0], "dncnn_tra": [0, 1], "dncnn_full": [0, 1, 2]}
    tables = {network: read_table(tiny_study / f"results/dncnn/{network}/per_dose.tsv") for network in expected_epochs}
    for network, rows in tables.items():
        assert sorted({int(row["epoch"]) for row in rows}) == expected_epochs[network], network
        assert len(rows) == len(doses) * len(expected_epochs[network]), network
        assert {float(row["dose"]) for row in rows} == {float(dose) for dose in doses}, network
    assert [row for row in tables["dncnn_tra"] if row["epoch"] == "0"] == tables["pretrained"]
    solved = [{**row, "epoch": "0"} for row in tables["dncnn_tra"] if row["epoch"] == "1"]
    started = [row for row in tables["dncnn_full"] if row["epoch"] == "0"]
    for a, b in zip(solved, started):  # the same network, computed on the device twice
        assert a["rmse_input_hu"] == b["rmse_input_hu"]
        assert float(a["rmse_output_hu"]) == pytest.approx(float(b["rmse_output_hu"]), rel=1e-4)


@pytest.mark.slow
def test_cnn_methods_change_the_image_and_record_their_model(tiny_study):
    low = np.load(tiny_study / "results/simulated/abdomen/dose0.1.npy")
    assert low.shape == (2, 128, 128)  # the realizations of the tiny study
    for method in ("dncnn", "dncnn_tra", "dncnn_full"):
        path = tiny_study / f"results/denoised/{method}/abdomen/dose0.1.npy"
        assert np.abs(np.load(path) - low).mean() > 0.1, method
        meta = yaml.safe_load(path.with_suffix(".json").read_text())
        assert meta["method_parameters"]["model"].startswith("results/dncnn/")


@pytest.mark.slow
def test_kair_checkpoint_named_in_config_becomes_the_original_dncnn(tmp_path):
    import torch
    from denoising.test_checkpoints import kair_dncnn

    from ldct.core.storage import file_sha256
    from ldct.denoising.checkpoints import load_model

    workdir = make_workdir(tmp_path, REPO / "config" / "test.yaml")
    kair = kair_dncnn(depth=4, channels=8, batch_norm=False)
    torch.save(kair.state_dict(), workdir / "dncnn_25.pth")
    change = {"dncnn": {"pretrain": {"source": "file", "checkpoint": "dncnn_25.pth"}}}
    (workdir / "config" / "kair.yaml").write_text(yaml.safe_dump(change))
    args = ["--configfile", "config/test.yaml", "config/kair.yaml", "--cores", "1"]
    counts = job_counts(snakemake(workdir, *args, "-n").stdout)
    assert counts["import_pretrained_dncnn"] == 1 and "pretrain_dncnn" not in counts
    snakemake(workdir, *args, "results/dncnn/pretrained/model.pt")
    ours, _ = load_model(workdir / "results/dncnn/pretrained/model.pt")
    x = torch.rand(1, 1, 20, 20)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), kair(x), rtol=1e-5, atol=1e-5)
    manifest = yaml.safe_load((workdir / "results/dncnn/pretrained/manifest.json").read_text())
    assert manifest["original_sha256"] == file_sha256(workdir / "dncnn_25.pth")


@pytest.mark.slow
def test_the_authors_dncnn_b_is_imported_and_named_in_the_provenance(tmp_path):
    """The default source on the tiny config: the shipped conversion, checked and copied, with an
    empty epoch table (the authors publish no training curve), its SHA-256 in provenance.json."""
    from ldct.core.storage import file_sha256
    from ldct.denoising.originals import DEFAULT_ORIGINAL

    workdir = make_workdir(tmp_path, REPO / "config" / "test.yaml")
    (workdir / "config" / "authors.yaml").write_text(yaml.safe_dump({"dncnn": {"pretrain": {"source": "authors"}}}))
    snakemake(workdir, "--configfile", "config/test.yaml", "config/authors.yaml", "--cores", "1",
              "results/provenance.json")
    expected = json.loads(DEFAULT_ORIGINAL.with_suffix(".json").read_text())["sha256"]
    assert file_sha256(workdir / "results/dncnn/pretrained/model.pt") == expected
    assert read_table(workdir / "results/dncnn/pretrained/epochs.tsv") == []
    assert json.loads((workdir / "results/dncnn/pretrained/manifest.json").read_text())["source"] == "authors"
    checkpoints = json.loads((workdir / "results/provenance.json").read_text())["inputs"]["checkpoints"]
    assert checkpoints["ldct/models/authors_dncnn_b.pt"] == expected


@pytest.mark.slow
def test_pretraining_on_a_picture_folder_reruns_when_a_picture_changes(tmp_path):
    from skimage import io

    workdir = make_workdir(tmp_path, REPO / "config" / "test.yaml")
    pictures = workdir / "pictures"
    pictures.mkdir()
    rng = np.random.default_rng(1)
    for name in ("a.png", "b.png"):
        io.imsave(pictures / name, rng.integers(0, 256, (48, 48), dtype=np.uint8), check_contrast=False)
    (workdir / "config" / "folder.yaml").write_text(yaml.safe_dump({"dncnn": {"pretrain": {"image_folder": "pictures"}}}))
    args = ["--configfile", "config/test.yaml", "config/folder.yaml", "--cores", "1"]
    snakemake(workdir, *args, "results/dncnn/pretrained/model.pt")
    manifest = yaml.safe_load((workdir / "results/dncnn/pretrained/manifest.json").read_text())
    assert manifest["data"]["pictures"] == 2
    assert job_counts(snakemake(workdir, *args, "-n", "results/dncnn/pretrained/model.pt").stdout) == {}
    io.imsave(pictures / "b.png", np.zeros((48, 48), dtype=np.uint8), check_contrast=False)
    later = os.path.getmtime(workdir / "results/dncnn/pretrained/model.pt") + 10
    os.utime(pictures / "b.png", (later, later))  # newer than the model, whatever the clock's grain
    rerun = job_counts(snakemake(workdir, *args, "-n", "results/dncnn/pretrained/model.pt").stdout)
    assert rerun == {"pretrain_dncnn": 1}


@pytest.mark.slow
def test_changing_the_cnn_hu_window_reruns_only_cnn_jobs(tiny_study):
    """dncnn.hu_window: the last layer's optimum, fine-tuning and CNN denoising rerun; filters,
    patches, pretraining do not."""
    dry = dry_run_with(tiny_study, "dncnn", {"hu_window": {"low_hu": -1024, "high_hu": 1024}})
    assert job_counts(dry.stdout) == {
        "last_layer_optimum": 1,
        "per_dose_original": 1,
        "finetune_dncnn": 2,
        "denoise": 3 * 2,
        "metrics": 3 * 2,
        "dicom_denoised": 3 * 2,
        **AFTER_CNN_OUTPUTS,
    }


@pytest.mark.slow
def test_changing_the_fine_tuning_loss_reruns_the_optimum_and_the_fine_tunings_only(tiny_study):
    """dncnn.finetune.loss: the last layer's optimum and both fine-tunings rerun with their CNN
    outputs; patches, the original DnCNN and its per-dose table do not."""
    config = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    finetune = {**config["dncnn"].get("finetune", {}), "loss": "dose_weighted_mse"}
    dry = dry_run_with(tiny_study, "dncnn", {"finetune": finetune})
    assert job_counts(dry.stdout) == {
        "last_layer_optimum": 1,
        "finetune_dncnn": 2,
        "denoise": 2 * 2,
        "metrics": 2 * 2,
        "dicom_denoised": 2 * 2,
        **AFTER_CNN_OUTPUTS,
    }


@pytest.mark.slow
def test_the_dose_weighted_loss_trains_to_its_own_optimum(tiny_study, tmp_path):
    """dncnn.finetune.loss: dose_weighted_mse, run: the optimum and both fine-tunings name the
    loss and measure against the weighted optimum, which differs from the plain one; dncnn_tra
    is that optimum. (The tiny config's dncnn_full trains batch norms on 4-patch batches and
    keeps its best epoch by one validation patch: whether it converges is not the question.)"""
    workdir = tmp_path / "study"
    shutil.copytree(tiny_study, workdir, symlinks=True)
    plain = json.loads((workdir / "results/dncnn/last_layer_optimum.json").read_text())
    config = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    config["dncnn"]["finetune"] = {**config["dncnn"].get("finetune", {}), "loss": "dose_weighted_mse"}
    (workdir / "config" / "weighted.yaml").write_text(yaml.safe_dump(config))
    targets = [f"results/dncnn/{variant}/optimum.json" for variant in ("dncnn_tra", "dncnn_full")]
    snakemake(workdir, "--configfile", "config/weighted.yaml", "--cores", "2", *targets)
    weighted = json.loads((workdir / "results/dncnn/last_layer_optimum.json").read_text())
    assert weighted["loss"] == "dose_weighted_mse" and plain["loss"] == "mse"
    assert weighted["optimum_loss"] != pytest.approx(plain["optimum_loss"], rel=1e-3)
    for target in targets:
        record = json.loads((workdir / target).read_text())
        assert record["loss"] == "dose_weighted_mse" and record["optimum_loss"] == weighted["optimum_loss"], target
    assert json.loads((workdir / targets[0]).read_text())["ratio"] == pytest.approx(1.0, abs=ROUNDING)


@pytest.mark.slow
def test_changing_one_filter_reruns_only_that_filter(tiny_study):
    """denoise.parameters.median: the median's denoise and metrics jobs rerun, no other method's."""
    dry = dry_run_with(tiny_study, "denoise", {"parameters": {"median": {"size_px": 5}}})
    assert job_counts(dry.stdout) == {
        "denoise": 2,
        "metrics": 2,
        "dicom_denoised": 2,
        "collect_metrics": 1,
        "stats": 1,
        **DOWNSTREAM_OF_STATS,
        "figure_images": 1,
        "figure_profiles": 1,
        "run_settings": 1,
        "provenance": 1,
        "all": 1,
    }
    assert dry.stdout.count("method=median") == 6  # denoise 2, metrics 2, dicom_denoised 2


# Every figure and table the report must hold, as paths relative to the working directory.
REPORT_FIGURES = [
    "results/figures/mtf.png",
    "results/figures/noise_power_spectra.png",
    "results/figures/slices.png",
    "results/figures/slices_roi.png",
    "results/figures/profiles.png",
    "results/figures/cnn_closeups.png",
    *(f"results/figures/scores_{metric}.png" for metric in METRICS),
    "results/figures/training_curves.png",
    "results/figures/per_dose.png",
]
REPORT_TABLES = [
    "results/mtf/mtf_curve.tsv",
    "results/provenance.json",
    "results/figures/noise_power_spectra.tsv",
    "results/metrics/metrics.tsv",
    "results/stats/stats.tsv",
    "results/report/statistics.html",
    "results/claims/claims.tsv",
    "results/report/claims.html",
    "results/report/settings.html",
    "results/dncnn/pretrained/epochs.tsv",
    "results/dncnn/dncnn_tra/epochs.tsv",
    "results/dncnn/dncnn_full/epochs.tsv",
]
REPORT_CATEGORIES = ["Simulation", "Denoising", "Statistical tests", "Training", "Claims", "Settings"]


@pytest.mark.slow
def test_report_holds_every_figure_and_table(tiny_study, tmp_path):
    """snakemake --report writes one self-contained HTML holding each figure and table, in
    its category, with the figures embedded as PNG data."""
    report = tmp_path / "report.html"
    snakemake(tiny_study, "--configfile", "config/test.yaml", "--report", str(report))
    text = report.read_text()
    for path in REPORT_FIGURES + REPORT_TABLES:
        assert (tiny_study / path).is_file(), path
        assert f'"{path}"' in text or f"{path}" in text, f"{path} is not in the report"
    for category in REPORT_CATEGORIES:
        assert f'"{category}"' in text, category
    assert text.count("data:image/png") >= len(REPORT_FIGURES)
    for path in REPORT_FIGURES:
        assert (tiny_study / path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    claims = read_table(tiny_study / "results/claims/claims.tsv")
    assert [row["claim"] for row in claims] == ["a", "b", "c", "d", "e"]
    assert {row["verdict"] for row in claims} <= {"reproduced", "not reproduced", "inconclusive"}
    versions = {row["software"] for row in read_table(tiny_study / "results/report/software_versions.tsv")}
    assert {"python", "ldct", "snakemake", "torch", "numpy"} <= versions


@pytest.mark.slow
def test_changing_the_display_window_redraws_only_the_image_figures(tiny_study):
    """figures.window is a parameter of the image and profile figures only."""
    dry = dry_run_with(tiny_study, "figures", {"window": {"low_hu": -115, "high_hu": 235}})
    assert job_counts(dry.stdout) == {
        "figure_images": 1,
        "figure_profiles": 1,
        "run_settings": 1,
        "provenance": 1,
        "all": 1,
    }


@pytest.mark.slow
def test_region_outside_the_slice_stops_with_one_message(tiny_study, tmp_path):
    """figures.roi beyond the 128 x 128 slice: one 'ldct: config key figures.roi' line, no PNG."""
    workdir = tmp_path / "study"
    shutil.copytree(tiny_study, workdir, symlinks=True)
    for name in ("slices.png", "slices_roi.png", "cnn_closeups.png"):
        (workdir / "results" / "figures" / name).unlink()
    config = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    config["figures"]["roi"] = {"row_px": 80, "col_px": 80, "height_px": 64, "width_px": 64}
    (workdir / "config" / "roi.yaml").write_text(yaml.safe_dump(config))
    process = snakemake(
        workdir,
        "--configfile",
        "config/roi.yaml",
        "--cores",
        "1",
        "results/figures/slices.png",
        check=False,
    )
    message = one_ldct_message(process)
    assert "config key figures.roi" in message and "128 x 128" in message
    figures = workdir / "results" / "figures"
    assert not [path for path in figures.iterdir() if path.name.startswith(("slices", "cnn_"))]


@pytest.mark.slow
def test_stats_table_without_the_new_columns_stops_the_claims_with_one_message(tiny_study, tmp_path):
    """A stats.tsv of an older ldct (no confidence intervals): one ldct: line naming the file."""
    workdir = tmp_path / "study"
    shutil.copytree(tiny_study, workdir, symlinks=True)
    stats = workdir / "results" / "stats" / "stats.tsv"
    rows = read_table(stats)
    old_columns = [column for column in rows[0] if column not in ("ci_low", "ci_high")]
    stats.write_text(
        "\n".join(["\t".join(old_columns)] + ["\t".join(row[c] for c in old_columns) for row in rows])
        + "\n"
    )
    process = snakemake(
        workdir, "--configfile", "config/test.yaml", "--cores", "1", "results/claims/claims.tsv",
        check=False,
    )
    message = one_ldct_message(process)
    assert "results/stats/stats.tsv" in message and "ci_low" in message
    assert not (workdir / "results" / "claims" / "claims.tsv").exists()


def test_an_error_about_a_config_value_names_its_key():
    """ldct.workflow.config_value: the boundary of a rule script names the key of the value."""
    from ldct.core.errors import LdctInputError
    from ldct.workflow import config_value

    with pytest.raises(LdctInputError) as error:
        with config_value("dncnn.device"):
            raise ValueError("'cuda' asked for, but no CUDA GPU is visible")
    assert str(error.value) == "config key dncnn.device: 'cuda' asked for, but no CUDA GPU is visible"
    with config_value("split"):
        pass


def test_a_study_listing_bm3d_without_its_extra_stops_at_parse_time(tmp_path):
    """One line names the extra; nothing runs."""
    from importlib.util import find_spec

    if find_spec("bm3d") is not None:
        pytest.skip("the bm3d extra is installed here")
    workdir = make_workdir(tmp_path, REPO / "config" / "test.yaml")
    config = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    config["denoise"] = {"methods": ["noisy", "gaussian", "bm3d", "dncnn"]}
    (workdir / "config" / "bm3d.yaml").write_text(yaml.safe_dump(config))
    process = snakemake(workdir, "--configfile", "config/bm3d.yaml", "-n", "--cores", "1", check=False)
    assert process.returncode != 0
    assert (
        "ldct: config key denoise.methods: bm3d needs the optional extra 'bm3d': "
        "pip install 'ldct[bm3d]'" in process.stdout + process.stderr
    )
    assert not (workdir / "results").exists()


@pytest.mark.slow
def test_bm3d_runs_in_a_tiny_study_with_its_extra(tmp_path):
    """With ldct[bm3d] installed: told each image's noise spectrum, bm3d denoises the tiny
    study's eval slices and beats the Gaussian filter's SSIM at the lower dose."""
    pytest.importorskip("bm3d")
    workdir = make_workdir(tmp_path, REPO / "config" / "test.yaml")
    config = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    config["denoise"] = {"methods": ["noisy", "gaussian", "bm3d", "dncnn"]}
    (workdir / "config" / "bm3d.yaml").write_text(yaml.safe_dump(config))
    snakemake(workdir, "--configfile", "config/bm3d.yaml", "--cores", "2", "results/stats/stats.tsv")
    stats = read_table(workdir / "results/stats/stats.tsv")
    ssim = {(r["method"], r["dose"]): float(r["mean"]) for r in stats if r["metric"] == "ssim_paper"}
    assert ssim[("bm3d", "0.1")] > ssim[("gaussian", "0.1")]
    meta = yaml.safe_load(next((workdir / "results/denoised/bm3d").rglob("*.json")).read_text())
    assert meta["method"] == "bm3d"
