"""Config validation: defaults filled from the schema, errors that name the key."""

from __future__ import annotations

import copy

import pytest
import yaml

from conftest import REPO
from ldct.config import config_key, dose_label, profile_doses, train_images, validate_config
from ldct.errors import LdctInputError

SCHEMA = REPO / "config" / "schema.yaml"
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def validated(change: dict | None = None) -> dict:
    config = copy.deepcopy(DEFAULT)
    for section, value in (change or {}).items():
        config[section] = value
    return validate_config(config, SCHEMA)


def test_minimal_config_gets_every_default():
    """Only the embedded list given: every other key comes from the schema defaults."""
    config = validate_config({"data": {"embedded": DEFAULT["data"]["embedded"]}}, SCHEMA)
    assert config["doses"]["eval"] == [0.75, 0.5, 0.1, 0.05]
    assert config["realizations"] == 10
    assert config["denoise"]["parameters"]["median"] == {"size": 3}
    assert config["denoise"]["parameters"]["gaussian"] == {"sigma": 1.0, "truncate": 4.0}
    assert config["denoise"]["parameters"]["wiener"] == {"size": 5}
    assert config["hu"]["crop"] == {"rows": 250, "cols": 350}
    assert config["noise"]["law"] == "paper"
    assert config["stats"]["reference"] == "dncnn"
    assert config["dncnn"]["pretrain"]["source"] == "shipped"
    assert config["dncnn"]["finetune"]["learning_rate"] == 0.001


def test_default_config_file_matches_schema_defaults():
    """config.yaml spells out the schema's defaults, so the two cannot drift apart."""
    explicit = validated()
    filled = validate_config({"data": {"embedded": DEFAULT["data"]["embedded"]}}, SCHEMA)
    assert explicit == filled


def test_ten_training_doses_in_equal_steps_down_to_one_percent():
    doses = validated()["doses"]["train"]
    steps = [a - b for a, b in zip([1.0] + doses, doses)]
    assert len(doses) == 10 and doses[-1] == pytest.approx(0.01)
    assert steps == pytest.approx([0.099] * 10)


def test_train_images_default_to_everything_not_held_out():
    config = validated()
    assert train_images(config) == ["head_cerebrum", "head_skull_base", "spine", "spine_small"]
    config = validated({"split": {"eval": ["abdomen"], "train": ["spine"]}})
    assert train_images(config) == ["spine"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"doses": {"eval": [0.5, 0]}}, "config key doses.eval[1]"),
        ({"split": {"eval": ["liver"]}}, "config key split.eval: unknown image id"),
        ({"split": {"eval": ["abdomen"], "train": ["abdomen"]}}, "in both eval and train"),
        ({"mtf": {"model": "table"}}, "config key mtf.table"),
        ({"mtf": {"mtf50_lp_per_mm": 0.7, "mtf10_lp_per_mm": 0.6}}, "mtf.mtf50_lp_per_mm"),
        ({"metrics": {"window": {"low_hu": 100, "high_hu": 0}}}, "metrics.window"),
        ({"realizations": 1}, "config key realizations"),
        ({"denoise": {"methods": ["median", "bilateral"]}}, "config key denoise.methods[1]"),
        ({"data": {"source": "local_dicom"}}, "config key data.local_dicom.folder"),
        ({"hu": {"crop": {"rows": 250, "colls": 350}}}, "config key hu.crop"),
        ({"dncnn": {"hu_window": [1000, -1000]}}, "config key dncnn.hu_window"),
        ({"dncnn": {"device": "tpu"}}, "config key dncnn.device"),
        ({"dncnn": {"pretrain": {"source": "file"}}}, "config key dncnn.pretrain.checkpoint"),
        (
            {"dncnn": {"pretrain": {"source": "file", "checkpoint": "/no/such/dncnn_25.pth"}}},
            "config key dncnn.pretrain.checkpoint: no file /no/such/dncnn_25.pth",
        ),
        ({"dncnn": {"pretrain": {"held_out": ["cat"]}}}, "config key dncnn.pretrain.held_out"),
        ({"dncnn": {"pretrain": {"images": ["lena"]}}}, "config key dncnn.pretrain.images[0]"),
        ({"dncnn": {"finetune": {"epochs": 0}}}, "config key dncnn.finetune.epochs"),
        ({"split": {"eval": ["abdomen", "head_cerebrum", "head_skull_base", "spine",
                             "spine_small"], "train": []}}, "config key split.train: methods"),
        ({"stats": {"reference": "bm3d"}}, "config key stats.reference"),
        ({"figures": {"image": "spine"}}, "config key figures.image: 'spine' is not an eval image"),
        ({"figures": {"realization": 10}}, "config key figures.realization: 10 is not below"),
        ({"figures": {"profile": {"doses": [0.2]}}}, "config key figures.profile.doses: [0.2]"),
        ({"figures": {"roi": {"row": -1}}}, "config key figures.roi.row"),
        ({"claims": {"convention": "hu"}}, "config key claims.convention"),
    ],
)
def test_bad_values_name_their_key(change, message):
    with pytest.raises(LdctInputError) as error:
        validated(change)
    assert message in str(error.value)


def test_profile_doses_default_to_the_papers_where_the_run_has_them():
    """50 % and 10 % by default; only those the run has; every eval dose when it has neither."""
    assert profile_doses(validated()) == [0.5, 0.1]
    assert profile_doses(validated({"doses": {"eval": [0.75, 0.1], "train": [0.5]}})) == [0.1]
    assert profile_doses(validated({"doses": {"eval": [0.3, 0.2], "train": [0.5]}})) == [0.3, 0.2]
    chosen = validated({"figures": {"profile": {"doses": [0.05]}}})
    assert profile_doses(chosen) == [0.05]


def test_key_paths_and_dose_labels():
    assert config_key(["doses", "eval", 2]) == "doses.eval[2]"
    assert config_key([]) == "(top level)"
    labels = [dose_label(d) for d in (1, 0.75, 0.5, 0.05, 0.01, 0.1234567891)]
    assert labels == ["1.0", "0.75", "0.5", "0.05", "0.01", "0.1234567891"]
    assert all(float(label) == d for label, d in zip(labels, (1, 0.75, 0.5, 0.05, 0.01, 0.1234567891)))


def test_key_order_of_the_config_files_does_not_matter():
    """Params compared by Snakemake must not change when a config lists keys in another order."""
    config = validated({"dncnn": {"threads": 1, "device": "cpu"}})
    reordered = validated({"dncnn": {"device": "cpu", "threads": 1}})
    assert repr(config) == repr(reordered)
    assert list(config["dncnn"]) == sorted(config["dncnn"])
