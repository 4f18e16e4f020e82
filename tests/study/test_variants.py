"""The sensitivity study: declared variants, which jobs they share, and the claims side by side."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import REPO, job_counts, make_workdir, snakemake
from ldct.core.errors import LdctInputError
from ldct.core.methods import METHODS
from ldct.core.storage import read_table
from ldct.evaluation.sensitivity_table import (
    claim_robustness,
    reproduced_per_variant,
    sensitivity_rows,
)
from ldct.report.figures.sensitivity import plot_reproduced, plot_sensitivity
from ldct.study.design import load_study
from ldct.study.variants import (
    STAGE_KEYS,
    StudyVariants,
    merged,
    method_keys,
    read_variants,
    value_at,
)

SCHEMA = REPO / "config" / "schema.yaml"
VARIANTS = REPO / "config" / "sensitivity.yaml"


def base_config() -> dict:
    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    return merged(config, yaml.safe_load((REPO / "config" / "test.yaml").read_text()))


def write_variants(path: Path, variants: list) -> Path:
    path.write_text(yaml.safe_dump({"variants": variants}))
    return path


def variant(name="minmax", changes=None) -> dict:
    return {"name": name, "reading": "r", "why": "w", "set": changes or {"dncnn": {"hu_scaling": "minmax"}}}


def studies(tmp_path, variants) -> StudyVariants:
    config = base_config()
    study = load_study(config, SCHEMA)
    return StudyVariants(config, study, read_variants(write_variants(tmp_path / "v.yaml", variants), config), SCHEMA)


def test_merged_changes_only_the_keys_given_and_leaves_the_base_alone():
    base = {"noise": {"law": "paper", "full_dose_sigma_hu": 10.0}, "seed": 1}
    changed = merged(base, {"noise": {"law": "quantum"}})
    assert changed == {"noise": {"law": "quantum", "full_dose_sigma_hu": 10.0}, "seed": 1}
    assert base["noise"]["law"] == "paper"
    assert value_at(changed, "noise.law") == "quantum" and value_at(changed, "noise.nothing") is None


def test_shipped_variants_file_declares_each_open_reading_and_the_factorial():
    config = base_config()
    load_study(config, SCHEMA)
    declared = read_variants(VARIANTS, config)
    alone = declared[: len(yaml.safe_load(VARIANTS.read_text())["variants"])]
    assert {path for v in alone for path in _leaf_paths(v.changes)} == {
        "noise.law", "noise.multiplier_applies_to", "noise.full_dose_sigma_hu", "noise.spectrum",
        "noise.domain", "mtf.blur_image", "doses.train", "dncnn.hu_scaling", "dncnn.pretrain.noise",
        "dncnn.finetune.loss", "claims.transfer_method",
    }
    assert all(v.why and v.reading for v in declared)
    grid = declared[len(alone):]
    assert len(grid) == 3 * 2 * 2 and all(v.name.startswith("grid_") for v in grid)
    assert {path for v in grid for path in _leaf_paths(v.changes)} == {
        "mtf.blur_image", "noise.spectrum", "dncnn.pretrain.noise", "dncnn.pretrain.noise_sigma",
        "claims.transfer_method",
    }


def _leaf_paths(changes: dict, prefix: str = "") -> set[str]:
    """The dotted key paths a variant sets."""
    paths = set()
    for key, value in changes.items():
        path = f"{prefix}{key}"
        paths |= _leaf_paths(value, f"{path}.") if isinstance(value, dict) else {path}
    return paths


def factorial(factors, name="g") -> dict:
    return {"name": name, "why": "w", "factors": factors}


def factor(name, *levels) -> dict:
    return {"factor": name, "levels": [
        {"level": level, "reading": f"{name} {level}", "set": changes} for level, changes in levels
    ]}


def test_a_factorial_declares_every_combination_of_its_levels(tmp_path, caplog):
    noise = factor("noise", ("mtf2", {"noise": {"spectrum": "mtf2"}}),
                   ("white", {"noise": {"spectrum": "white"}}))
    law = factor("law", ("p", {"noise": {"law": "paper"}}), ("q", {"noise": {"law": "quantum"}}),
                 ("a", {"noise": {"law": "quantum", "multiplier_applies_to": "added"}}))
    path = tmp_path / "v.yaml"
    path.write_text(yaml.safe_dump({"variants": [variant("one")], "factorials": [factorial([noise, law])]}))
    config = base_config()
    declared = read_variants(path, config)
    assert [v.name for v in declared] == [
        "one", "g_mtf2_p", "g_mtf2_q", "g_mtf2_a", "g_white_p", "g_white_q", "g_white_a",
    ]
    cell = declared[-1]
    assert cell.changes == {"noise": {"spectrum": "white", "law": "quantum", "multiplier_applies_to": "added"}}
    assert cell.reading == "noise white; law a" and cell.why == "w"
    variants = StudyVariants(config, load_study(config, SCHEMA), declared, SCHEMA)
    # g_mtf2_p sets what the tiny study already sets: every job is the default's, and as the
    # factorial's own corner it is no cause for a warning.
    assert variants.owner("g_mtf2_p", STAGE_KEYS["finetuned"]) == ""
    assert "g_mtf2_p" not in caplog.text
    assert variants.owner("g_white_q", STAGE_KEYS["simulated"]) == "sensitivity/g_white_q/"


@pytest.mark.parametrize(
    "document, message",
    [
        ({"factorials": {"name": "g"}}, "expected a list under 'factorials'"),
        ({"factorials": [{"name": "g", "factors": []}]}, "factorial 1: expected exactly the keys"),
        ({"factorials": [factorial([])]}, "non-empty list under 'factors'"),
        ({"factorials": [factorial([factor("n", ("x", {"noise": {"law": "quantum"}}))])]},
         "at least 2 levels"),
        ({"factorials": [factorial([{"factor": "n", "levels": [{"level": "x"}, {"level": "y"}]}])]},
         "level 1: expected exactly the keys level, reading, set"),
        ({"factorials": [factorial([factor("n", ("x", {"hu": {"pixel_mm": 2}}),
                                           ("y", {"noise": {"law": "quantum"}}))])]},
         "cell g_x ('g_x'): cannot vary ['hu']"),
    ],
)
def test_bad_factorials_are_refused_with_one_message(tmp_path, document, message):
    path = tmp_path / "v.yaml"
    path.write_text(yaml.safe_dump({"variants": [variant("one")], **document}))
    with pytest.raises(LdctInputError, match="v.yaml") as error:
        read_variants(path, base_config())
    assert message in str(error.value)


def test_a_variant_may_change_the_training_doses_but_not_the_eval_doses(tmp_path):
    ladder = studies(tmp_path, [variant("ladder", {"doses": {"train": [0.5, 0.1, 0.01]}})])
    assert ladder.config("ladder")["doses"]["train"] == [0.5, 0.1, 0.01]
    assert ladder.owner("ladder", STAGE_KEYS["simulated"]) == ""
    assert ladder.owner("ladder", STAGE_KEYS["patches"]) == "sensitivity/ladder/"
    with pytest.raises(LdctInputError, match=r"cannot vary \['doses'\]"):
        studies(tmp_path, [variant("eval", {"doses": {"eval": [0.5]}})])


def test_the_blurred_reading_shares_the_mtf_curve_but_owns_its_reference(tmp_path):
    blurred = studies(tmp_path, [variant("blur", {"mtf": {"blur_image": True}})])
    assert blurred.owner("blur", STAGE_KEYS["mtf"]) == ""
    assert blurred.owner("blur", STAGE_KEYS["reference"]) == "sensitivity/blur/"
    assert blurred.owner("blur", STAGE_KEYS["simulated"]) == "sensitivity/blur/"


def test_a_scaling_variant_shares_simulations_and_filters_but_not_the_networks(tmp_path):
    variants = studies(tmp_path, [variant("minmax")])
    assert variants.names == ["default", "minmax"]
    own = "sensitivity/minmax/"
    assert variants.owner("minmax", STAGE_KEYS["simulated"]) == ""
    assert variants.owner("minmax", STAGE_KEYS["patches"]) == ""
    assert variants.owner("minmax", method_keys("median", "metrics")) == ""
    assert variants.owner("minmax", STAGE_KEYS["finetuned"]) == own
    assert variants.owner("minmax", method_keys("dncnn")) == own
    assert variants.owner("default", method_keys("dncnn")) == ""


def test_a_noise_variant_owns_everything_after_the_images(tmp_path):
    variants = studies(tmp_path, [variant("fbp", {"noise": {"spectrum": "fbp"}})])
    own = "sensitivity/fbp/"
    assert variants.owner("fbp", STAGE_KEYS["mtf"]) == ""
    assert variants.owner("fbp", STAGE_KEYS["pretrained"]) == ""
    for method in METHODS:
        assert variants.owner("fbp", method_keys(method)) == own
    assert variants.owner("fbp", STAGE_KEYS["finetuned"]) == own


def test_a_later_variant_shares_with_an_earlier_one_that_agrees(tmp_path):
    both = [variant("a", {"dncnn": {"hu_scaling": "minmax"}}),
            variant("b", {"dncnn": {"hu_scaling": "minmax"}, "metrics": {"window": {"low_hu": -100}}})]
    variants = studies(tmp_path, both)
    assert variants.owner("b", method_keys("dncnn")) == "sensitivity/a/"
    assert variants.owner("b", method_keys("dncnn", "metrics")) == "sensitivity/b/"


@pytest.mark.parametrize(
    "entries, message",
    [
        ([variant("x"), variant("x")], "declared twice"),
        ([variant("default")], "other than 'default'"),
        ([variant("Bad-name")], "lower-case identifier"),
        ([{"name": "x", "set": {}}], "exactly the keys"),
        ([variant("x", {"hu": {"pixel_mm": 0.5}})], "cannot vary ['hu']"),
        ([variant("x", {"dncnn": {"pretrain": {"source": "file"}}})], "dncnn.pretrain.source"),
    ],
)
def test_bad_variants_are_refused_with_one_message(tmp_path, entries, message):
    with pytest.raises(LdctInputError, match="v.yaml") as error:
        studies(tmp_path, entries)
    assert message in str(error.value)


def test_a_variant_may_import_another_original_dncnn_but_not_train_one(tmp_path):
    """The default study imports the authors' DnCNN-B; a variant may import ldct's own (same
    import rule), not train one (a rule the default study's DAG does not have)."""
    config = merged(yaml.safe_load((REPO / "config" / "config.yaml").read_text()),
                    {"sensitivity": {"variants_file": str(tmp_path / "v.yaml")}})
    study = load_study(config, SCHEMA)
    ldct_own = variant("ldct_own", {"dncnn": {"pretrain": {"source": "ldct"}}})
    variants = StudyVariants(config, study, read_variants(write_variants(tmp_path / "v.yaml", [ldct_own]), config), SCHEMA)
    assert variants.studies["ldct_own"].pretrained_checkpoint.endswith("dncnn_blind.pt")
    assert variants.owner("ldct_own", STAGE_KEYS["pretrained"]) == "sensitivity/ldct_own/"
    trained = variant("trained", {"dncnn": {"pretrain": {"source": "train"}}})
    with pytest.raises(LdctInputError, match="every variant trains its original DnCNN or every variant imports one"):
        read_variants(write_variants(tmp_path / "v.yaml", [trained]), config)


def test_a_variant_that_repeats_the_study_settings_is_the_default_under_another_name(tmp_path, caplog):
    """A study whose own config already sets a variant's reading (noise.law: paper here) keeps
    that variant: every stage it reads is the default's, and a warning says so."""
    same = studies(tmp_path, [variant("same", {"noise": {"law": "paper"}})])
    assert "variant 'same' sets what the study already sets" in caplog.text
    assert same.names == ["default", "same"]
    for keys in STAGE_KEYS.values():
        assert same.owner("same", keys) == ""


def test_a_variant_that_breaks_the_schema_is_refused(tmp_path):
    with pytest.raises(LdctInputError, match="variant 'bad'.*noise.spectrum"):
        studies(tmp_path, [variant("bad", {"noise": {"spectrum": "pink"}})])


CLAIMS = {
    "default": [{"claim": "a", "paper_statement": "A", "our_numbers": "1", "verdict": "reproduced"},
                {"claim": "b", "paper_statement": "B", "our_numbers": "2", "verdict": "not reproduced"}],
    "v1": [{"claim": "a", "paper_statement": "A", "our_numbers": "3", "verdict": "reproduced"},
           {"claim": "b", "paper_statement": "B", "our_numbers": "4", "verdict": "reproduced"}],
    "v2": [{"claim": "a", "paper_statement": "A", "our_numbers": "5", "verdict": "reproduced"},
           {"claim": "b", "paper_statement": "B", "our_numbers": "6", "verdict": "inconclusive"}],
}


def test_sensitivity_rows_are_claim_by_variant_with_the_deciding_numbers():
    rows = sensitivity_rows(CLAIMS, {"default": "d", "v1": "r1", "v2": "r2"})
    assert [(r["claim"], r["variant"], r["our_numbers"]) for r in rows] == [
        ("a", "default", "1"), ("a", "v1", "3"), ("a", "v2", "5"),
        ("b", "default", "2"), ("b", "v1", "4"), ("b", "v2", "6"),
    ]
    broken = copy.deepcopy(CLAIMS)
    broken["v2"].pop()
    with pytest.raises(ValueError, match="v2"):
        sensitivity_rows(broken, {"default": "d", "v1": "r1", "v2": "r2"})


def test_robustness_says_which_claims_hold_everywhere_and_which_depend_on_a_reading():
    rows = sensitivity_rows(CLAIMS, {"default": "d", "v1": "r1", "v2": "r2"})
    summary = {s["claim"]: s for s in claim_robustness(rows, {"a": "A", "b": "B"})}
    assert summary["a"]["conclusion"] == "holds under every variant"
    assert summary["b"]["conclusion"] == (
        "depends on the reading: not reproduced by default; v1: reproduced, v2: inconclusive"
    )
    assert summary["b"]["reproduced"] == "v1" and summary["b"]["inconclusive"] == "v2"
    assert summary["b"]["not reproduced"] == "default"


def test_reproduced_per_variant_counts_and_names_the_reproduced_claims():
    rows = sensitivity_rows(CLAIMS, {"default": "d", "v1": "r1", "v2": "r2"})
    table, columns = reproduced_per_variant(rows)
    assert columns[-2:] == ("claim_a", "claim_b")
    assert [(r["variant"], r["reading"], r["reproduced"], r["claims"], r["reproduced_claims"]) for r in table] == [
        ("default", "d", 1, 2, "a"), ("v1", "r1", 2, 2, "a b"), ("v2", "r2", 1, 2, "a"),
    ]
    assert table[2]["claim_b"] == "inconclusive"
    figure = plot_reproduced(table)
    axis = figure.axes[0]
    assert [t.get_text() for t in axis.get_yticklabels()] == ["default", "v1", "v2"]
    assert [bar.get_width() for bar in axis.patches] == [1, 2, 1]


def test_heat_map_has_a_cell_per_claim_and_variant():
    figure = plot_sensitivity(sensitivity_rows(CLAIMS, {"default": "d", "v1": "r1", "v2": "r2"}))
    axis = figure.axes[0]
    assert [t.get_text() for t in axis.get_xticklabels()] == ["default", "v1", "v2"]
    assert [t.get_text() for t in axis.get_yticklabels()] == ["claim (a)", "claim (b)"]
    assert axis.images[0].get_array().tolist() == [[0, 0, 0], [1, 0, 2]]


def sensitivity_workdir(path: Path) -> Path:
    workdir = make_workdir(path, REPO / "config" / "test.yaml")
    shutil.copy(VARIANTS, workdir / "config" / "sensitivity.yaml")
    return workdir


def test_dry_run_shares_every_job_whose_inputs_do_not_change(tmp_path):
    workdir = sensitivity_workdir(tmp_path)
    counts = job_counts(
        snakemake(workdir, "--configfile", "config/test.yaml", "-n", "--cores", "1", "sensitivity").stdout
    )
    slices_doses = 2 * 2  # eval images x eval doses of config/test.yaml
    doses = 2  # a denoise job per method and dose handles both eval images
    noise_owners = 8  # the default and the seven noise variants (blurred_white among them)
    assert counts["simulate"] == noise_owners * slices_doses
    # The log-spaced training doses make their own training set from the default's noise.
    assert counts["simulate_training"] == counts["patches"] == noise_owners + 1
    # One blurred reference per slice, shared by blurred_white and the factorial's cells.
    assert counts["blur_reference"] == 3
    # The tiny config trains its original DnCNN: DnCNN-B, and DnCNN-S for dncnn_s25.
    assert counts["mtf_curve"] == 1 and counts["pretrain_dncnn"] == 2
    # 8 methods per noise owner; the 3 CNNs again for the HU scaling, for DnCNN-S and for
    # DnCNN-S on the white and on the blurred-white noise (grid cells); the two fine-tuned ones
    # for the weighted loss and for the log ladder. every_layer_tra and the other cells only
    # read the outputs of the study they agree with.
    assert counts["denoise"] == (noise_owners * 8 + 3 * 4 + 2 * 2) * doses
    trained = noise_owners + 6
    assert counts["finetune_dncnn"] == 2 * trained
    assert counts["last_layer_optimum"] == trained
    studies = 1 + 12 + 12  # the default, the one-at-a-time variants, the factorial's cells
    assert counts["claims"] == counts["stats"] == studies


def test_a_study_that_sets_a_variants_reading_itself_plans_both_studies(tmp_path):
    """noise.law: quantum in the user's config, as the variant quantum_law sets it: the main study
    and the sensitivity study both plan, and quantum_law's jobs are the default's."""
    workdir = sensitivity_workdir(tmp_path)
    config = yaml.safe_load((REPO / "config" / "test.yaml").read_text())
    config["noise"] = {**config.get("noise", {}), "law": "quantum"}
    (workdir / "config" / "quantum.yaml").write_text(yaml.safe_dump(config))
    main = snakemake(workdir, "--configfile", "config/quantum.yaml", "-n", "--cores", "1")
    assert "sensitivity variant 'quantum_law' sets what the study already sets" in main.stdout + main.stderr
    counts = job_counts(
        snakemake(workdir, "--configfile", "config/quantum.yaml", "-n", "--cores", "1", "sensitivity").stdout
    )
    # The default (quantum), the six other noise variants and the log ladder.
    assert counts["patches"] == 8
    assert counts["claims"] == counts["stats"] == 25


ALONE = yaml.safe_load(VARIANTS.read_text())["variants"]


@pytest.mark.parametrize("declared", ALONE, ids=[v["name"] for v in ALONE])
def test_any_declared_reading_may_be_the_studys_own(tmp_path, declared):
    """A config that sets a declared variant's reading itself plans the sensitivity study, in
    which that variant's column repeats the default's (planning it parses every study, the main
    one included; the main study's own dry run is the test above)."""
    workdir = sensitivity_workdir(tmp_path)
    config = merged(yaml.safe_load((REPO / "config" / "test.yaml").read_text()), declared["set"])
    (workdir / "config" / "own.yaml").write_text(yaml.safe_dump(config))
    dry = snakemake(workdir, "--configfile", "config/own.yaml", "-n", "--cores", "1", "sensitivity")
    assert job_counts(dry.stdout)["claims"] == 25


def test_sensitivity_without_its_variants_file_says_which_file(tmp_path):
    workdir = make_workdir(tmp_path, REPO / "config" / "test.yaml")
    process = snakemake(
        workdir, "--configfile", "config/test.yaml", "-n", "sensitivity", check=False
    )
    assert process.returncode != 0
    assert "ldct: the sensitivity study needs its variants file 'config/sensitivity.yaml'" in (
        process.stdout + process.stderr
    )


#: The shipped variants the run on the tiny config takes to the end: one of each kind of study a
#: variant makes (its own HU scaling, its own original DnCNN, its own measured noise, a blurred
#: reference that the metrics and the training compare with, a claims-only reading) and the grid
#: at two noise levels, the fewest a factor has (eight cells: four equal to the default or a
#: variant above, one study of its own, DnCNN-S on the blurred slice, three claims-only). The other
#: declared variants set other values of keys these exercise; of those with a stage of their own
#: (the training dose ladder, projection-domain noise) the run makes that stage's output only.
#: The whole file's plan is checked by the dry runs above; its whole run is a benchmark
#: (benchmarks/sensitivity_cost.py --tiny).
RUN_VARIANTS = ["minmax_scaling", "dncnn_s25", "measured_noise", "blurred_white", "every_layer_tra"]
RUN_NOISE_LEVELS = ["mtf2", "blurwhite"]
#: Outputs of the stages of their own of two more declared variants.
STAGE_OUTPUTS = {
    "log_ladder": "results/sensitivity/log_ladder/simulated_training/totalseg_01.json",
    "projection_domain": "results/sensitivity/projection_domain/simulated/abdomen/dose0.1.json",
}


def run_variants_document() -> dict:
    """config/sensitivity.yaml with its variants narrowed to RUN_VARIANTS, its grid's noise
    factor to RUN_NOISE_LEVELS; every declaration as shipped."""
    document = yaml.safe_load(VARIANTS.read_text())
    document["variants"] = [entry for entry in document["variants"] if entry["name"] in RUN_VARIANTS]
    (grid,) = document["factorials"]
    noise = next(factor for factor in grid["factors"] if factor["factor"] == "noise")
    noise["levels"] = [level for level in noise["levels"] if level["level"] in RUN_NOISE_LEVELS]
    return document


@pytest.mark.slow
def test_sensitivity_study_runs_on_the_tiny_config(tiny_study, tmp_path):
    """On top of the finished tiny study (whose jobs the variants share where they can)."""
    workdir = tmp_path / "study"
    shutil.copytree(tiny_study, workdir, symlinks=True)
    variants_file = workdir / "config" / "sensitivity.yaml"
    variants_file.write_text(yaml.safe_dump(run_variants_document(), sort_keys=False))
    dry = snakemake(workdir, "--configfile", "config/test.yaml", "-n", "--cores", "1", "sensitivity")
    # The default's original DnCNN is shared; dncnn_s25 trains its own DnCNN-S on this config.
    assert job_counts(dry.stdout)["pretrain_dncnn"] == 1
    snakemake(workdir, "--configfile", "config/test.yaml", "--cores", "2", "sensitivity")
    results = workdir / "results"
    rows = read_table(results / "sensitivity" / "claims.tsv")
    variants = ["default"] + [v.name for v in read_variants(variants_file, base_config())]
    assert len(variants) == 1 + len(RUN_VARIANTS) + 2 * 2 * 2 and "grid_blurwhite_s25_every" in variants
    assert [r["variant"] for r in rows] == variants * 5
    reproduced = read_table(results / "sensitivity" / "reproduced.tsv")
    assert [r["variant"] for r in reproduced] == variants
    for row in reproduced:
        verdicts = [r["verdict"] for r in rows if r["variant"] == row["variant"]]
        assert int(row["reproduced"]) == verdicts.count("reproduced")
    assert (results / "sensitivity" / "reproduced.png").stat().st_size > 0
    assert all(r["verdict"] in {"reproduced", "not reproduced", "inconclusive"} for r in rows)
    assert (results / "sensitivity" / "claims.png").stat().st_size > 0
    assert "Sensitivity study" in (results / "report" / "sensitivity.html").read_text()
    # The scaling variant made no simulation of its own; the default study kept its paths.
    assert not (results / "sensitivity" / "minmax_scaling" / "simulated").exists()
    assert (results / "sensitivity" / "minmax_scaling" / "denoised" / "dncnn").is_dir()
    assert not (results / "sensitivity" / "minmax_scaling" / "denoised" / "median").exists()
    assert (results / "claims" / "claims.tsv").is_file()
    s25 = yaml.safe_load((results / "sensitivity" / "dncnn_s25" / "dncnn" / "pretrained" / "manifest.json").read_text())
    assert s25["settings"]["noise"] == "fixed"
    measured = read_table(results / "sensitivity" / "measured_noise" / "stats" / "stats.tsv")
    assert measured
    # blurred_white: white noise on the blurred slice, which is also its reference.
    blurred = np.load(results / "sensitivity" / "blurred_white" / "reference" / "abdomen.npy")
    scanned = np.load(results / "hu" / "abdomen.npy")
    assert np.abs(blurred - scanned).max() > 10.0
    low = np.load(results / "sensitivity" / "blurred_white" / "simulated" / "abdomen" / "dose0.1.npy")
    assert abs(float((low[0] - blurred).mean())) < 1.0
    # The shipped file: the stages of their own of the log ladder and of projection-domain noise.
    shutil.copy(VARIANTS, variants_file)
    snakemake(workdir, "--configfile", "config/test.yaml", "--cores", "2", *STAGE_OUTPUTS.values())
    ladder = yaml.safe_load((workdir / STAGE_OUTPUTS["log_ladder"]).read_text())
    declared = {v["name"]: v for v in yaml.safe_load(VARIANTS.read_text())["variants"]}
    assert ladder["doses"] == declared["log_ladder"]["set"]["doses"]["train"]
    projection = yaml.safe_load((workdir / STAGE_OUTPUTS["projection_domain"]).read_text())
    assert projection["noise"]["domain"] == "projection" and projection["noise"]["photons_per_ray"] > 0
