"""The sensitivity study: the default study and declared variants of it, sharing their jobs.

A variants file (``config/sensitivity.yaml``) lists variants, each a name, the reading it
changes, why, and ``set``: the config keys it changes, merged onto the study's config.
:class:`StudyVariants` validates them and tells every rule where a job's output lies.

Results of the default study keep their paths (``results/...``); a variant's own results lie
under ``results/sensitivity/<name>/...``. Every stage of the DAG depends on a known set of
config keys (:data:`STAGE_KEYS`, transitive: a stage lists the keys of the stages it reads). A
variant's job is shared with the first study, in declaration order and the default first,
whose config agrees with it on every key of the job's stage: a variant that changes only
``dncnn.hu_scaling`` reuses the default's simulations and filter outputs.
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from ldct.core.errors import LdctInputError
from ldct.core.methods import METHODS
from ldct.study.design import Study, load_study

DEFAULT = "default"
#: Where a variant's own results lie, below ``results/``.
VARIANT_FOLDER = "sensitivity/{name}/"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
#: Top-level config sections a variant may change: those after the images are made.
VARIABLE_SECTIONS = ("mtf", "noise", "denoise", "dncnn", "metrics", "stats", "claims")
_SIMULATION = ("mtf", "noise", "seed")
_PATCHES = _SIMULATION + ("doses.train", "dncnn.patches")
_PRETRAINED = ("seed", "dncnn.pretrain")
_NETWORK_SCALE = ("dncnn.hu_scaling", "dncnn.hu_window")
_OPTIMUM = _PATCHES + _PRETRAINED + _NETWORK_SCALE + ("dncnn.finetune.loss",)
_FINETUNED = _OPTIMUM + ("dncnn.finetune",)

#: Stage -> the config keys (dotted paths) its outputs depend on, upstream stages included.
STAGE_KEYS: dict[str, tuple[str, ...]] = {
    "mtf": ("mtf",),
    "simulated": _SIMULATION + ("realizations", "doses.eval"),
    "simulated_training": _SIMULATION + ("doses.train",),
    "patches": _PATCHES,
    "pretrained": _PRETRAINED,
    "last_layer_optimum": _OPTIMUM,
    "finetuned": _FINETUNED,
}


def method_keys(method: str, stage: str = "denoised") -> tuple[str, ...]:
    """Config keys the ``denoised`` (or ``metrics``) output of ``method`` depends on."""
    info = METHODS[method]
    keys = STAGE_KEYS["simulated"]
    if info.kind == "cnn":
        keys += _NETWORK_SCALE + (_FINETUNED if info.finetune else _PRETRAINED)
    else:
        keys += (f"denoise.parameters.{method}",)
    return keys + (("metrics",) if stage == "metrics" else ())


def value_at(config: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted key path of ``config`` (None where a part is missing)."""
    value: Any = config
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with ``changes`` merged in (mappings merged key by key)."""
    result = copy.deepcopy(dict(base))
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


@dataclass(frozen=True)
class Variant:
    """One declared variant: its name, the reading it changes, why, and its config changes."""

    name: str
    reading: str
    why: str
    changes: Mapping[str, Any]


class StudyVariants:
    """The default study and its variants: each one's config and Study, and where jobs lie."""

    def __init__(self, base_config: Mapping[str, Any], base: Study, variants: list[Variant],
                 schema_path: str | Path):
        self.variants = variants
        self.studies: dict[str, Study] = {DEFAULT: base}
        for variant in variants:
            config = merged(base_config, variant.changes)
            try:
                self.studies[variant.name] = load_study(config, schema_path)
            except LdctInputError as error:
                raise LdctInputError(f"sensitivity variant '{variant.name}': {error}") from None
            if config == base_config:
                logging.warning(
                    "sensitivity variant '%s' sets what the study already sets (%s): its column "
                    "repeats the default's, from the same jobs", variant.name, variant.reading,
                )

    @property
    def names(self) -> list[str]:
        """'default' and every variant's name, in declaration order."""
        return list(self.studies)

    @staticmethod
    def folder(name: str) -> str:
        """The results subfolder (below ``results/``) of one study: '' for the default."""
        return "" if name == DEFAULT else VARIANT_FOLDER.format(name=name)

    @staticmethod
    def name_of(folder: str) -> str:
        """Inverse of :meth:`folder`."""
        return folder.split("/")[1] if folder else DEFAULT

    def config(self, name: str) -> Mapping[str, Any]:
        return self.studies[name].config

    def owner(self, name: str, keys: tuple[str, ...]) -> str:
        """The folder of the first study that agrees with ``name`` on every one of ``keys``."""
        mine = [value_at(self.config(name), key) for key in keys]
        for candidate in self.names:
            if [value_at(self.config(candidate), key) for key in keys] == mine:
                return self.folder(candidate)
        raise AssertionError("a study always agrees with itself")


def read_variants(path: str | Path, base_config: Mapping[str, Any]) -> list[Variant]:
    """The variants declared in the YAML file ``path``; one clear error per problem."""
    path = Path(path)
    if not path.is_file():
        raise LdctInputError(f"{path}: no such sensitivity variants file")
    document = yaml.safe_load(path.read_text()) or {}
    entries = document.get("variants") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise LdctInputError(f"{path}: expected a non-empty list under 'variants'")
    variants, seen = [], set()
    for number, entry in enumerate(entries, start=1):
        where = f"{path}, variant {number}"
        if not isinstance(entry, dict) or set(entry) != {"name", "reading", "why", "set"}:
            raise LdctInputError(f"{where}: expected exactly the keys name, reading, why, set")
        name, changes = entry["name"], entry["set"]
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or name == DEFAULT:
            raise LdctInputError(f"{where}: name {name!r} is not a lower-case identifier other than 'default'")
        if name in seen:
            raise LdctInputError(f"{where}: name '{name}' is declared twice")
        if not isinstance(changes, dict) or not changes:
            raise LdctInputError(f"{where} ('{name}'): 'set' must map config keys to new values")
        fixed = sorted(set(changes) - set(VARIABLE_SECTIONS))
        if fixed:
            raise LdctInputError(
                f"{where} ('{name}'): cannot vary {fixed}: they change the images; a variant "
                f"may set {list(VARIABLE_SECTIONS)}"
            )
        source = value_at(changes, "dncnn.pretrain.source")
        base_source = value_at(base_config, "dncnn.pretrain.source")
        if source is not None and "train" in (source, base_source) and source != base_source:
            raise LdctInputError(
                f"{where} ('{name}'): dncnn.pretrain.source: every variant trains its original "
                f"DnCNN or every variant imports one (the study's source is '{base_source}')"
            )
        seen.add(name)
        variants.append(Variant(name, str(entry["reading"]), str(entry["why"]), changes))
    return variants
