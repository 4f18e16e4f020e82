"""Validation of the study config against ``config/schema.yaml``, with defaults filled in."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .dicom import list_dicom_folder
from .errors import LdctInputError
from .tcia import read_manifest


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


def config_key(path) -> str:
    """A JSON path such as ['doses', 'eval', 2] as the text 'doses.eval[2]'."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def validate_config(config: dict[str, Any], schema_path: str | Path) -> dict[str, Any]:
    """Check ``config`` against the schema and the rules a schema cannot say; fill defaults.

    ``config`` is changed in place (defaults added) and returned. Any problem raises
    :class:`LdctInputError` whose message names the offending config key.
    """
    schema = yaml.safe_load(Path(schema_path).read_text())
    error = jsonschema.exceptions.best_match(_Validator(schema).iter_errors(config))
    if error is not None:
        raise LdctInputError(f"config key {config_key(error.absolute_path)}: {error.message}")
    _expand_series_in_split(config)
    _check_consistency(config)
    _sort_keys(config)
    return config


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
    images = list(image_sources(config))
    split = config["split"]
    for key in ("eval", "train"):
        unknown = sorted(set(split[key]) - set(images))
        if unknown:
            raise LdctInputError(
                f"config key split.{key}: unknown image id(s) {unknown}; known: {images}"
            )
    overlap = sorted(set(split["eval"]) & set(split["train"]))
    if overlap:
        raise LdctInputError(f"config key split: images {overlap} are in both eval and train")
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
    window = config["metrics"]["window"]
    if not window["low_hu"] < window["high_hu"]:
        raise LdctInputError("config key metrics.window: low_hu must be below high_hu")
    _check_dncnn(config)
    _check_figures(config)
    methods = config["denoise"]["methods"]
    if config["stats"]["reference"] not in methods:
        raise LdctInputError(
            f"config key stats.reference: '{config['stats']['reference']}' is not one of "
            f"denoise.methods {methods}"
        )


def _check_figures(config: dict[str, Any]) -> None:
    figures = config["figures"]
    eval_images = config["split"]["eval"]
    if figures["image"] is not None and figures["image"] not in eval_images:
        raise LdctInputError(
            f"config key figures.image: '{figures['image']}' is not an eval image {eval_images}"
        )
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
    dncnn = config["dncnn"]
    low, high = dncnn["hu_window"]
    if not low < high:
        raise LdctInputError("config key dncnn.hu_window: the first value must be below the second")
    pretrain = dncnn["pretrain"]
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
    finetuned = [m for m in config["denoise"]["methods"] if m in ("dncnn_tra", "dncnn_full")]
    if finetuned and not train_images(config):
        raise LdctInputError(
            f"config key split.train: methods {finetuned} need training images, and none is left"
        )
    if finetuned and not config["doses"]["train"]:
        raise LdctInputError(f"config key doses.train: methods {finetuned} need training doses")


def image_sources(config: dict[str, Any]) -> dict[str, str]:
    """Image id -> source: an embedded file name, a path in the local DICOM folder, or for
    TCIA the text 'TCIA series <SeriesInstanceUID>, slice <k> of <n>'."""
    data = config["data"]
    if data["source"] == "tcia":
        return {
            image: f"TCIA series {series.uid}, slice {position + 1} of {series.slices}"
            for image, (series, position) in tcia_slices(config).items()
        }
    if data["source"] == "local_dicom":
        if not data["local_dicom"]["folder"]:
            raise LdctInputError(
                "config key data.local_dicom.folder: required when data.source is 'local_dicom'"
            )
        return {key: str(path) for key, path in list_dicom_folder(data["local_dicom"]["folder"]).items()}
    if not data.get("embedded"):
        raise LdctInputError("config key data.embedded: required when data.source is 'embedded'")
    sources: dict[str, str] = {}
    for index, entry in enumerate(data["embedded"]):
        if entry["image"] in sources:
            raise LdctInputError(
                f"config key data.embedded[{index}].image: id '{entry['image']}' is used twice"
            )
        sources[entry["image"]] = entry["file"]
    return sources


@dataclass(frozen=True)
class TciaSeries:
    """One TCIA series of the study and how many of its slices it contributes.

    ``instances`` is the (first, last) InstanceNumber range the slices are drawn from, or
    None for the whole series; ``key`` is the config key that named the series.
    """

    id: str
    uid: str
    slices: int
    instances: tuple[int, int] | None
    key: str

    def image_ids(self) -> list[str]:
        """The image ids of this series' slices: '<id>_000', '<id>_001', ... in slice order."""
        width = max(3, len(str(self.slices - 1)))
        return [f"{self.id}_{position:0{width}d}" for position in range(self.slices)]


def tcia_series(config: dict[str, Any]) -> list[TciaSeries]:
    """The series of ``data.tcia.series`` followed by those of ``data.tcia.manifest``.

    A manifest's series get the ids 'series_01', 'series_02', ... in manifest order and
    ``data.tcia.slices_per_series`` slices each, like listed series that leave ``slices`` out.
    """
    tcia = config["data"]["tcia"]
    default_slices = tcia["slices_per_series"]
    series = []
    for index, entry in enumerate(tcia["series"]):
        key = f"data.tcia.series[{index}]"
        instances = entry.get("instances")
        if instances is not None and instances[0] > instances[1]:
            raise LdctInputError(
                f"config key {key}.instances: the first InstanceNumber {instances[0]} is above "
                f"the last {instances[1]}"
            )
        series.append(
            TciaSeries(
                entry["id"],
                entry["uid"],
                entry.get("slices", default_slices),
                tuple(instances) if instances is not None else None,
                key,
            )
        )
    if tcia["manifest"]:
        try:
            uids = read_manifest(tcia["manifest"])
        except LdctInputError as error:
            raise LdctInputError(f"config key data.tcia.manifest: {error}") from error
        width = max(2, len(str(len(uids))))
        series += [
            TciaSeries(
                f"series_{number:0{width}d}",
                uid,
                default_slices,
                None,
                f"data.tcia.manifest (series {uid})",
            )
            for number, uid in enumerate(uids, start=1)
        ]
    if not series:
        raise LdctInputError(
            "config key data.tcia.series: required when data.source is 'tcia' "
            "(or give data.tcia.manifest)"
        )
    ids: dict[str, TciaSeries] = {}
    uids_seen: dict[str, TciaSeries] = {}
    for item in series:
        if item.id in ids:
            raise LdctInputError(f"config key {item.key}.id: id '{item.id}' is used twice")
        if item.uid in uids_seen:
            raise LdctInputError(
                f"config key {item.key}: series {item.uid} is already {uids_seen[item.uid].key}"
            )
        ids[item.id] = uids_seen[item.uid] = item
    slice_ids = {image for item in series for image in item.image_ids()}
    clash = sorted(slice_ids & set(ids))
    if clash:
        raise LdctInputError(
            f"config key data.tcia.series: series ids {clash} are also slice ids; rename them"
        )
    return series


def tcia_slices(config: dict[str, Any]) -> dict[str, tuple[TciaSeries, int]]:
    """Image id -> (its TCIA series, its position among the series' selected slices)."""
    return {
        image: (series, position)
        for series in tcia_series(config)
        for position, image in enumerate(series.image_ids())
    }


def _expand_series_in_split(config: dict[str, Any]) -> None:
    """With TCIA data, a series id in ``split.eval`` or ``split.train`` stands for its slices."""
    if config["data"]["source"] != "tcia":
        return
    by_id = {series.id: series for series in tcia_series(config)}
    for key in ("eval", "train"):
        expanded = []
        for image in config["split"][key]:
            expanded += by_id[image].image_ids() if image in by_id else [image]
        config["split"][key] = list(dict.fromkeys(expanded))


def train_images(config: dict[str, Any]) -> list[str]:
    """Training image ids: ``split.train``, or every image not held out when it is empty."""
    if config["split"]["train"]:
        return list(config["split"]["train"])
    return [image for image in image_sources(config) if image not in config["split"]["eval"]]


#: Doses of the paper's profile figure (Fig. 4).
PAPER_PROFILE_DOSES = (0.5, 0.1)


def profile_doses(config: dict[str, Any]) -> list[float]:
    """Doses of the profile figure: ``figures.profile.doses``, or by default the paper's 50 %
    and 10 % where the run has them, else every eval dose."""
    if config["figures"]["profile"]["doses"]:
        return list(config["figures"]["profile"]["doses"])
    eval_doses = config["doses"]["eval"]
    labels = {dose_label(dose) for dose in eval_doses}
    paper = [dose for dose in PAPER_PROFILE_DOSES if dose_label(dose) in labels]
    return paper or list(eval_doses)


def dose_label(dose: float) -> str:
    """The text of a dose in file names and wildcards: the shortest exact form, e.g. '0.05'."""
    return repr(float(dose))

