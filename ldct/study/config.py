"""Validation of the study config against ``config/schema.yaml``, with defaults filled in.

The schema's ``denoise`` section is completed from the method registry (:mod:`ldct.core.methods`):
the method names and each method's parameters. Keys renamed since earlier versions of ldct get
one message saying the new name. What needs the images themselves (the split, the figure
image) is checked where the study is built (:mod:`ldct.study.design`).
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ldct.core.doses import dose_label
from ldct.core.errors import LdctInputError
from ldct.core.methods import METHODS, default_methods, finetuned_among, parameters_schema, require_extras


def _validator_filling_defaults(validator_class):
    """A JSON Schema validator class that writes each property's ``default`` into the instance."""
    validate_properties = validator_class.VALIDATORS["properties"]

    def properties_with_defaults(validator, properties, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in properties.items():
                if "default" in subschema:
                    instance.setdefault(name, copy.deepcopy(subschema["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return jsonschema.validators.extend(validator_class, {"properties": properties_with_defaults})


_Validator = _validator_filling_defaults(jsonschema.Draft202012Validator)

#: Keys of earlier versions of ldct -> their new name (same value; the unit is now in the name).
RENAMED_KEYS = {
    "hu.crop.rows": "rows_px",
    "hu.crop.cols": "cols_px",
    "dncnn.patches.size": "size_px",
    "dncnn.pretrain.patch_size": "patch_size_px",
    "denoise.parameters.median.size": "size_px",
    "denoise.parameters.gaussian.sigma": "sigma_px",
    "denoise.parameters.gaussian.truncate": "truncate_sd",
    "denoise.parameters.wiener.size": "size_px",
    "figures.roi.row": "row_px",
    "figures.roi.col": "col_px",
    "figures.roi.height": "height_px",
    "figures.roi.width": "width_px",
    "figures.profile.column": "column_px",
}


def config_key(path) -> str:
    """A JSON path such as ['doses', 'eval', 2] as the text 'doses.eval[2]'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def study_schema(schema_path: str | Path) -> dict[str, Any]:
    """The schema of ``schema_path`` with its ``denoise`` section filled from the registry."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    denoise = schema["properties"]["denoise"]["properties"]
    denoise["methods"]["items"] = {"enum": list(METHODS)}
    denoise["methods"]["default"] = default_methods()
    denoise["parameters"] = parameters_schema()
    return schema


def validate_config(config: dict[str, Any], schema_path: str | Path) -> dict[str, Any]:
    """Check ``config`` against the schema and the rules a schema cannot say; fill defaults.

    ``config`` is changed in place (defaults added, keys sorted) and returned. Any problem
    raises :class:`LdctInputError` whose message names the offending config key.
    """
    _check_old_keys(config)
    _check_finite(config)
    schema = study_schema(schema_path)
    error = jsonschema.exceptions.best_match(_Validator(schema).iter_errors(config))
    if error is not None:
        raise LdctInputError(f"config key {config_key(error.absolute_path)}: {error.message}")
    _check_consistency(config)
    _sort_keys(config)
    return config


def _lookup(config: Any, dotted: str) -> tuple[bool, Any]:
    """(found, value) of a dotted key path in nested mappings."""
    value = config
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _check_old_keys(config: dict[str, Any]) -> None:
    """One message for a key or a window shape of an earlier ldct, naming what replaces it."""
    for old, new in RENAMED_KEYS.items():
        if _lookup(config, old)[0]:
            parent = old.rsplit(".", 1)[0]
            raise LdctInputError(f"config key {old}: renamed to {parent}.{new} (same value)")
    found, window = _lookup(config, "dncnn.hu_window")
    if found and isinstance(window, list) and len(window) == 2:
        raise LdctInputError(
            "config key dncnn.hu_window: HU windows are now {low_hu, high_hu}; write "
            f"{{low_hu: {window[0]}, high_hu: {window[1]}}} instead of {window}"
        )
    found, source = _lookup(config, "dncnn.pretrain.source")
    if found and source == "shipped":
        raise LdctInputError(
            "config key dncnn.pretrain.source: 'shipped' is now 'ldct' (the DnCNN-B ldct trained "
            "itself); the default, 'authors', is the DnCNN authors' own DnCNN-B"
        )
    found, window = _lookup(config, "figures.window")
    if found and isinstance(window, dict) and {"level_hu", "width_hu"} <= set(window):
        level, width = window["level_hu"], window["width_hu"]
        hint = (
            f"; level {level}, width {width} is {{low_hu: {level - width / 2:g}, "
            f"high_hu: {level + width / 2:g}}}"
            if all(isinstance(v, (int, float)) for v in (level, width))
            else ""
        )
        raise LdctInputError(
            "config key figures.window: HU windows are now {low_hu, high_hu}, not "
            f"{{level_hu, width_hu}}{hint}"
        )


def _check_finite(value: Any, path: tuple = ()) -> None:
    """Refuse NaN and infinite numbers (YAML ``.nan``, ``.inf``, ``1.0e+999``) anywhere: they pass
    the schema's bounds (every comparison with NaN is false) and break the rules later."""
    if isinstance(value, float) and not math.isfinite(value):
        raise LdctInputError(f"config key {config_key(path)}: {value} is not a finite number")
    if isinstance(value, dict):
        for name, item in value.items():
            _check_finite(item, path + (name,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_finite(item, path + (index,))


def _sort_keys(value: Any) -> None:
    """Order every mapping's keys alphabetically, in place (nested ones too).

    Snakemake compares a job's params with the last run's by their text, so the same settings
    written in another key order (or merged from several config files) must not look changed.
    """
    if isinstance(value, dict):
        items = sorted(value.items())
        value.clear()
        value.update(items)
        for item in value.values():
            _sort_keys(item)
    elif isinstance(value, list):
        for item in value:
            _sort_keys(item)


def _check_consistency(config: dict[str, Any]) -> None:
    labels = [dose_label(dose) for dose in config["doses"]["eval"]]
    if len(set(labels)) != len(labels):
        raise LdctInputError(f"config key doses.eval: doses {labels} are not distinct")
    mtf = config["mtf"]
    if mtf["model"] == "table" and not mtf["table"]:
        raise LdctInputError("config key mtf.table: required when mtf.model is 'table'")
    if mtf["model"] == "parametric" and not mtf["mtf50_lp_per_mm"] < mtf["mtf10_lp_per_mm"]:
        raise LdctInputError(
            "config key mtf.mtf50_lp_per_mm: must be below mtf.mtf10_lp_per_mm "
            "(the MTF falls with frequency)"
        )
    for key in ("dncnn.hu_window", "metrics.window", "figures.window"):
        window = _lookup(config, key)[1]
        if not window["low_hu"] < window["high_hu"]:
            raise LdctInputError(f"config key {key}: low_hu must be below high_hu")
    _check_dncnn(config)
    _check_tcia(config)
    _check_figures(config)
    methods = config["denoise"]["methods"]
    require_extras(methods, "config key denoise.methods")
    if config["stats"]["reference"] not in methods:
        raise LdctInputError(
            f"config key stats.reference: '{config['stats']['reference']}' is not one of "
            f"denoise.methods {methods}"
        )


def _check_figures(config: dict[str, Any]) -> None:
    figures = config["figures"]
    if figures["realization"] >= config["realizations"]:
        raise LdctInputError(
            f"config key figures.realization: {figures['realization']} is not below "
            f"realizations ({config['realizations']})"
        )
    eval_doses = {dose_label(dose) for dose in config["doses"]["eval"]}
    missing = [
        dose for dose in figures["profile"]["doses"] or [] if dose_label(dose) not in eval_doses
    ]
    if missing:
        raise LdctInputError(
            f"config key figures.profile.doses: {missing} are not in doses.eval "
            f"{config['doses']['eval']}"
        )


def _check_dncnn(config: dict[str, Any]) -> None:
    pretrain = config["dncnn"]["pretrain"]
    if pretrain["source"] == "file" and not pretrain["checkpoint"]:
        raise LdctInputError(
            "config key dncnn.pretrain.checkpoint: required when dncnn.pretrain.source is 'file'"
        )
    if pretrain["source"] == "file" and not Path(pretrain["checkpoint"]).is_file():
        raise LdctInputError(
            f"config key dncnn.pretrain.checkpoint: no file {pretrain['checkpoint']}"
        )
    overlap = sorted(set(pretrain["images"]) & set(pretrain["held_out"]))
    if overlap:
        raise LdctInputError(
            f"config key dncnn.pretrain.held_out: {overlap} are also in dncnn.pretrain.images"
        )
    finetuned = finetuned_among(config["denoise"]["methods"])
    if finetuned and not config["doses"]["train"]:
        raise LdctInputError(f"config key doses.train: methods {finetuned} need training doses")


def _check_tcia(config: dict[str, Any]) -> None:
    for index, entry in enumerate(config["data"]["tcia"]["series"]):
        instances = entry.get("instances")
        if instances is not None and instances[0] > instances[1]:
            raise LdctInputError(
                f"config key data.tcia.series[{index}].instances: the first InstanceNumber "
                f"{instances[0]} is above the last {instances[1]}"
            )
