"""Config validation: defaults filled from the schema and the method registry, errors that
name the key, and one message for each key of an earlier ldct."""

from __future__ import annotations

import copy

import pytest
import yaml

from conftest import REPO
from ldct.core.errors import LdctInputError
from ldct.core.methods import METHODS
from ldct.study.config import RENAMED_KEYS, config_key, validate_config

SCHEMA = REPO / "config" / "schema.yaml"
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def validated(change: dict | None = None) -> dict:
    config = copy.deepcopy(DEFAULT)
    for section, value in (change or {}).items():
        config[section] = value
    return validate_config(config, SCHEMA)


def test_a_study_listing_bm3d_without_its_extra_stops_naming_the_extra(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "bm3d" else real(name))
    config = copy.deepcopy(DEFAULT)
    config["denoise"] = {"methods": ["noisy", "gaussian", "bm3d", "dncnn"]}
    with pytest.raises(LdctInputError) as error:
        validate_config(config, SCHEMA)
    assert str(error.value) == (
        "config key denoise.methods: bm3d needs the optional extra 'bm3d': pip install 'ldct[bm3d]'"
    )


def test_minimal_config_gets_every_default():
    """Only the embedded list given: every other key comes from the schema defaults."""
    config = validate_config({"data": {"embedded": DEFAULT["data"]["embedded"]}}, SCHEMA)
    assert config["doses"]["eval"] == [0.75, 0.5, 0.1, 0.05]
    assert config["realizations"] == 2
    assert config["denoise"]["methods"] == [name for name in METHODS if name != "bm3d"]
    assert config["denoise"]["parameters"]["median"] == {"size_px": 3}
    assert config["denoise"]["parameters"]["gaussian"] == {"sigma_px": 1.0, "truncate_sd": 4.0}
    assert config["denoise"]["parameters"]["wiener"] == {"size_px": 5}
    assert config["hu"]["crop"] == {"rows_px": 250, "cols_px": 350, "centre": "body"}
    assert config["hu"]["pixel_mm"] == 1.0
    assert config["split"]["eval"] == ["abdomen", "pancreas_*", "kits_*"]
    assert config["dncnn"]["hu_window"] == {"low_hu": -1000, "high_hu": 1000}
    assert config["figures"]["window"] == {"low_hu": -160, "high_hu": 240}
    assert config["noise"]["law"] == "paper"
    assert config["stats"]["reference"] == "dncnn"
    assert config["dncnn"]["pretrain"]["source"] == "authors"
    assert config["dncnn"]["finetune"]["learning_rate"] == 1e-5
    assert config["dncnn"]["finetune"]["solver"] == "exact"


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


@pytest.mark.parametrize(
    "change, message",
    [
        ({"doses": {"eval": [0.5, 0]}}, "config key doses.eval[1]"),
        ({"mtf": {"model": "table"}}, "config key mtf.table"),
        ({"mtf": {"mtf50_lp_per_mm": 0.7, "mtf10_lp_per_mm": 0.6}}, "mtf.mtf50_lp_per_mm"),
        ({"metrics": {"window": {"low_hu": 100, "high_hu": 0}}}, "metrics.window"),
        ({"realizations": 1}, "config key realizations"),
        ({"denoise": {"methods": ["median", "bilateral"]}}, "config key denoise.methods[1]"),
        ({"hu": {"crop": {"rows_px": 250, "colls": 350}}}, "config key hu.crop"),
        (
            {"dncnn": {"hu_window": {"low_hu": 1000, "high_hu": -1000}}},
            "config key dncnn.hu_window: low_hu must be below high_hu",
        ),
        ({"figures": {"window": {"low_hu": 40, "high_hu": 40}}}, "config key figures.window"),
        ({"dncnn": {"device": "tpu"}}, "config key dncnn.device"),
        ({"dncnn": {"pretrain": {"source": "file"}}}, "config key dncnn.pretrain.checkpoint"),
        (
            {"dncnn": {"pretrain": {"source": "file", "checkpoint": "/no/such/dncnn_25.pth"}}},
            "config key dncnn.pretrain.checkpoint: no file /no/such/dncnn_25.pth",
        ),
        ({"dncnn": {"pretrain": {"held_out": ["cat"]}}}, "config key dncnn.pretrain.held_out"),
        ({"dncnn": {"pretrain": {"images": ["lena"]}}}, "config key dncnn.pretrain.images[0]"),
        ({"dncnn": {"finetune": {"epochs": 0}}}, "config key dncnn.finetune.epochs"),
        ({"doses": {"eval": [0.5], "train": []}}, "config key doses.train"),
        ({"stats": {"reference": "bm3d"}}, "config key stats.reference"),
        ({"figures": {"realization": 10}}, "config key figures.realization: 10 is not below"),
        ({"figures": {"profile": {"doses": [0.2]}}}, "config key figures.profile.doses: [0.2]"),
        ({"figures": {"roi": {"row_px": -1}}}, "config key figures.roi.row_px"),
        ({"claims": {"convention": "hu"}}, "config key claims.convention"),
    ],
)
def test_bad_values_name_their_key(change, message):
    with pytest.raises(LdctInputError) as error:
        validated(change)
    assert message in str(error.value)


def test_config_key_paths():
    assert config_key(["doses", "eval", 2]) == "doses.eval[2]"
    assert config_key([]) == "(top level)"


@pytest.mark.parametrize("old", sorted(RENAMED_KEYS))
def test_renamed_keys_say_their_new_name(old):
    """A key of an earlier ldct stops with one message naming the key that replaces it."""
    config = copy.deepcopy(DEFAULT)
    *parents, name = old.split(".")
    section = config
    for part in parents:
        section = section.setdefault(part, {})
    section[name] = 3
    with pytest.raises(LdctInputError) as error:
        validate_config(config, SCHEMA)
    new = ".".join(parents + [RENAMED_KEYS[old]])
    assert str(error.value) == f"config key {old}: renamed to {new} (same value)"


def test_old_window_shapes_say_how_to_write_them_now():
    with pytest.raises(LdctInputError) as error:
        validated({"dncnn": {"hu_window": [-1024, 1024]}})
    assert "config key dncnn.hu_window" in str(error.value)
    assert "{low_hu: -1024, high_hu: 1024}" in str(error.value)
    with pytest.raises(LdctInputError) as error:
        validated({"figures": {"window": {"level_hu": 40, "width_hu": 400}}})
    assert "config key figures.window" in str(error.value)
    assert "{low_hu: -160, high_hu: 240}" in str(error.value)


def test_the_old_shipped_source_says_what_it_is_called_now():
    """source: shipped of an earlier ldct was ldct's own DnCNN-B, now source: ldct."""
    with pytest.raises(LdctInputError) as error:
        validated({"dncnn": {"pretrain": {"source": "shipped"}}})
    assert str(error.value).startswith("config key dncnn.pretrain.source: 'shipped' is now 'ldct'")


def test_registered_methods_and_their_parameters_are_the_schema():
    """denoise.methods accepts exactly the registry's names; parameters follow each entry."""
    change = {"denoise": {"methods": ["median"], "parameters": {"median": {}}}, "stats": {"reference": "median"}}
    config = validated(change)
    assert config["denoise"]["parameters"]["median"] == {"size_px": 3}
    with pytest.raises(LdctInputError, match=r"config key denoise.parameters.median"):
        validated({"denoise": {"parameters": {"median": {"size_px": 0}}}})
    with pytest.raises(LdctInputError, match=r"config key denoise.parameters.wiener"):
        validated({"denoise": {"parameters": {"wiener": {"radius": 2}}}})


def test_key_order_of_the_config_files_does_not_matter():
    """Params compared by Snakemake must not change when a config lists keys in another order."""
    config = validated({"dncnn": {"threads": 1, "device": "cpu"}})
    reordered = validated({"dncnn": {"device": "cpu", "threads": 1}})
    assert repr(config) == repr(reordered)
    assert list(config["dncnn"]) == sorted(config["dncnn"])
