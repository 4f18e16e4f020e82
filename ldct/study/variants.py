"""The sensitivity study: the default study and declared variants of it, sharing their jobs.

A variants file (``config/sensitivity.yaml``) lists variants, each a name, the reading it
changes, why, and ``set``: the config keys it changes, merged onto the study's config; and
full factorials of readings, each cell of which is one more variant (:mod:`ldct.study.factorial`).
:class:`StudyVariants` validates them and tells every rule where a job's output lies.

Results of the default study keep their paths (``results/...``); a variant's own results lie
under ``results/sensitivity/<name>/...``. Every stage of the DAG depends on a known set of
config keys (:data:`STAGE_KEYS`, transitive: a stage lists the keys of the stages it reads). A
variant's job is shared with the first study, in declaration order and the default first,
whose config agrees with it on every key of the job's stage: a variant that changes only
``dncnn.hu_scaling`` reuses the default's simulations and filter outputs.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from ldct.core.errors import LdctInputError
from ldct.core.methods import METHODS
from ldct.study.design import Study, load_study
from ldct.study.factorial import factorial_entries
from ldct.study.mappings import merged, value_at

DEFAULT = "default"
#: Where a variant's own results lie, below ``results/``.
VARIANT_FOLDER = "sensitivity/{name}/"
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
#: Top-level config sections a variant may change: those after the images are made.
VARIABLE_SECTIONS = ("mtf", "noise", "denoise", "dncnn", "metrics", "stats", "claims")
#: Keys of other sections a variant may change: the training doses (the eval doses are fixed,
#: since every study's claims compare the same doses).
VARIABLE_KEYS = {"doses": ("train",)}
#: The keys of the MTF curve (mtf.blur_image says only where the simulation applies it).
_MTF_CURVE = ("mtf.model", "mtf.mtf50_lp_per_mm", "mtf.mtf10_lp_per_mm", "mtf.table",
              "mtf.curve_max_lp_per_mm")
_SIMULATION = ("mtf", "noise", "seed")
_PATCHES = _SIMULATION + ("doses.train", "dncnn.patches")
_PRETRAINED = ("seed", "dncnn.pretrain")
_NETWORK_SCALE = ("dncnn.hu_scaling", "dncnn.hu_window")
_OPTIMUM = _PATCHES + _PRETRAINED + _NETWORK_SCALE + ("dncnn.finetune.loss",)
_FINETUNED = _OPTIMUM + ("dncnn.finetune",)

#: Stage -> the config keys (dotted paths) its outputs depend on, upstream stages included.
STAGE_KEYS: dict[str, tuple[str, ...]] = {
    "mtf": _MTF_CURVE,
    "reference": _MTF_CURVE + ("mtf.blur_image",),
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


@dataclass(frozen=True)
class Variant:
    """One declared variant: its name, the reading it changes, why, and its config changes."""

    name: str
    reading: str
    why: str
    changes: Mapping[str, Any]
    #: The factorial whose cell it is (None: declared alone).
    factorial: str | None = None


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
            if config == base_config and variant.factorial is None:
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
    """The variants declared in the YAML file ``path``: those under ``variants``, then every
    cell of each factorial under ``factorials`` (:mod:`ldct.study.factorial`); one clear error
    per problem."""
    path = Path(path)
    if not path.is_file():
        raise LdctInputError(f"{path}: no such sensitivity variants file")
    document = yaml.safe_load(path.read_text()) or {}
    entries = document.get("variants") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise LdctInputError(f"{path}: expected a non-empty list under 'variants'")
    factorials = document.get("factorials", [])
    if not isinstance(factorials, list):
        raise LdctInputError(f"{path}: expected a list under 'factorials'")
    located = [(f"{path}, variant {number}", entry, None) for number, entry in enumerate(entries, 1)]
    for number, factorial in enumerate(factorials, start=1):
        cells = factorial_entries(factorial, f"{path}, factorial {number}")
        located += [(where, entry, str(factorial["name"])) for where, entry in cells]
    variants: list[Variant] = []
    for where, entry, factorial in located:
        variant = _checked_variant(entry, where, base_config, factorial)
        if variant.name in {known.name for known in variants}:
            raise LdctInputError(f"{where}: name '{variant.name}' is declared twice")
        variants.append(variant)
    return variants


def _checked_variant(
    entry: Any, where: str, base_config: Mapping[str, Any], factorial: str | None
) -> Variant:
    """One variant entry (a cell of ``factorial``, or declared alone), checked: its keys, name,
    what it may set and the DnCNN's source."""
    if not isinstance(entry, dict) or set(entry) != {"name", "reading", "why", "set"}:
        raise LdctInputError(f"{where}: expected exactly the keys name, reading, why, set")
    name, changes = entry["name"], entry["set"]
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or name == DEFAULT:
        raise LdctInputError(f"{where}: name {name!r} is not a lower-case identifier other than 'default'")
    if not isinstance(changes, dict) or not changes:
        raise LdctInputError(f"{where} ('{name}'): 'set' must map config keys to new values")
    fixed = sorted(
        key
        for key in changes
        if key not in VARIABLE_SECTIONS
        and not (
            isinstance(changes[key], dict)
            and changes[key]
            and set(changes[key]) <= set(VARIABLE_KEYS.get(key, ()))
        )
    )
    if fixed:
        allowed = list(VARIABLE_SECTIONS) + [
            f"{section}.{key}" for section, keys in VARIABLE_KEYS.items() for key in keys
        ]
        raise LdctInputError(
            f"{where} ('{name}'): cannot vary {fixed}: they change the images or the "
            f"evaluation; a variant may set {allowed}"
        )
    source = value_at(changes, "dncnn.pretrain.source")
    base_source = value_at(base_config, "dncnn.pretrain.source")
    if source is not None and "train" in (source, base_source) and source != base_source:
        raise LdctInputError(
            f"{where} ('{name}'): dncnn.pretrain.source: every variant trains its original "
            f"DnCNN or every variant imports one (the study's source is '{base_source}')"
        )
    return Variant(name, str(entry["reading"]), str(entry["why"]), changes, factorial)
