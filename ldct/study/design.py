"""The study a config describes, derived once: images and their sources, the split, the TCIA
series, doses, methods and what the figures show.

:func:`load_study` validates the config (:mod:`ldct.study.config`), finds the images
(:mod:`ldct.study.sources`) and returns a frozen :class:`Study`. The Snakefile builds it once at
parse time and every rule reads its facts from it. It imports no torch. Every problem is one
:class:`LdctInputError` naming the config key.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ldct.core.doses import dose_label
from ldct.core.errors import LdctInputError
from ldct.core.methods import METHODS, Method, finetuned_among
from ldct.denoising.originals import SHIPPED_FIXED_SIGMA, SHIPPED_ORIGINALS
from ldct.io.pictures import picture_files
from ldct.study.config import validate_config
from ldct.study.sources import ImageSource, TciaSeries, image_sources

#: Doses of the paper's profile figure (Fig. 4).
PAPER_PROFILE_DOSES = (0.5, 0.1)


@dataclass(frozen=True)
class Study:
    """The facts of one study, as every rule needs them (doses as fractions of full dose)."""

    config: Mapping[str, Any]
    sources: Mapping[str, ImageSource]
    tcia_series: Mapping[str, TciaSeries]
    eval_images: tuple[str, ...]
    train_images: tuple[str, ...]
    eval_doses: tuple[float, ...]
    train_doses: tuple[float, ...]
    realizations: int
    methods: tuple[Method, ...]
    figure_image: str
    profile_doses: tuple[float, ...]

    @property
    def eval_dose_labels(self) -> list[str]:
        return [dose_label(dose) for dose in self.eval_doses]

    @property
    def train_dose_labels(self) -> list[str]:
        return [dose_label(dose) for dose in self.train_doses]

    @property
    def profile_dose_labels(self) -> list[str]:
        return [dose_label(dose) for dose in self.profile_doses]

    @property
    def method_names(self) -> list[str]:
        return [method.name for method in self.methods]

    @property
    def cnn_methods(self) -> list[str]:
        """The study's CNN methods."""
        return [m.name for m in self.methods if m.kind == "cnn"]

    @property
    def finetuned_methods(self) -> list[str]:
        """The study's CNN methods made by fine-tuning the original DnCNN."""
        return finetuned_among(self.method_names)

    @property
    def figure_methods(self) -> list[str]:
        """Methods with a column in the image figures (the low-dose image has its own)."""
        return [m.name for m in self.methods if m.kind != "none"]

    def method(self, name: str) -> Method:
        return METHODS[name]

    def trained_models(self, table: str = "epochs.tsv") -> dict[str, str]:
        """Training-curve label -> ``table`` (``epochs.tsv`` or ``per_dose.tsv``) of the
        original DnCNN and of each fine-tuning."""
        pretrained = next(m.name for m in METHODS.values() if m.kind == "cnn" and not m.finetune)
        names = dict.fromkeys([pretrained] + self.cnn_methods)
        return {
            METHODS[name].training_label: f"results/dncnn/{METHODS[name].model}/{table}"
            for name in names
        }

    @property
    def declared_patients(self) -> dict[str, str | None]:
        """Image id -> the patient its config entry declares (None where it declares none)."""
        return {image: source.patient for image, source in self.sources.items()}

    @property
    def pretrained_checkpoint(self) -> str:
        """The checkpoint the original DnCNN is imported from: the user's or a shipped one
        (``dncnn.pretrain.source`` authors or ldct; not meant for source train)."""
        pretrain = self.config["dncnn"]["pretrain"]
        if pretrain["source"] == "file":
            return pretrain["checkpoint"]
        return str(SHIPPED_ORIGINALS[pretrain["source"], pretrain["noise"]])


def load_study(config: dict[str, Any], schema_path: str | Path) -> Study:
    """Validate ``config`` in place (defaults filled) and derive its :class:`Study`."""
    validate_config(config, schema_path)
    sources, tcia = image_sources(config)
    series = {item.id: item for item in tcia}
    eval_images = _split_images(config, "eval", sources, series)
    train_images = _split_images(config, "train", sources, series) or [
        image for image in sources if image not in eval_images
    ]
    _check_split(config, sources, eval_images, train_images)
    _check_shipped_model(config)
    _check_picture_folder(config)
    figure_image = config["figures"]["image"] or eval_images[0]
    if figure_image not in eval_images:
        raise LdctInputError(
            f"config key figures.image: '{figure_image}' is not an eval image {eval_images}"
        )
    return Study(
        config=config,
        sources=sources,
        tcia_series=series,
        eval_images=tuple(eval_images),
        train_images=tuple(train_images),
        eval_doses=tuple(config["doses"]["eval"]),
        train_doses=tuple(config["doses"]["train"]),
        realizations=config["realizations"],
        methods=tuple(METHODS[name] for name in config["denoise"]["methods"]),
        figure_image=figure_image,
        profile_doses=tuple(_profile_doses(config)),
    )


def _split_images(
    config: dict[str, Any],
    role: str,
    sources: Mapping[str, ImageSource],
    series: Mapping[str, TciaSeries],
) -> list[str]:
    """``split.<role>``: image ids, shell-style patterns of them ('kits_*') and TCIA series
    ids standing for their slices; every entry must name at least one known image."""
    expanded: list[str] = []
    for entry in config["split"][role]:
        if entry in series:
            expanded += series[entry].image_ids()
        elif any(character in entry for character in "*?["):
            matched = fnmatch.filter(sources, entry)
            if not matched:
                raise LdctInputError(f"config key split.{role}: pattern '{entry}' matches no image id")
            expanded += matched
        else:
            expanded.append(entry)
    unknown = sorted(set(expanded) - set(sources))
    if unknown:
        raise LdctInputError(
            f"config key split.{role}: unknown image id(s) {unknown}; known: {list(sources)}"
        )
    return list(dict.fromkeys(expanded))


def _check_split(
    config: dict[str, Any],
    sources: Mapping[str, ImageSource],
    eval_images: list[str],
    train_images: list[str],
) -> None:
    """No image, and no declared patient, on both sides; training images where CNNs need them."""
    overlap = sorted(set(eval_images) & set(train_images))
    if overlap:
        raise LdctInputError(f"config key split: images {overlap} are in both eval and train")
    patients = {
        role: {sources[image].patient: image for image in images if sources[image].patient}
        for role, images in (("eval", eval_images), ("train", train_images))
    }
    shared = sorted(set(patients["eval"]) & set(patients["train"]))
    if shared:
        patient = shared[0]
        raise LdctInputError(
            f"config key split: patient '{patient}' has slices in eval "
            f"('{patients['eval'][patient]}') and in train ('{patients['train'][patient]}')"
        )
    finetuned = finetuned_among(config["denoise"]["methods"])
    if finetuned and not train_images:
        raise LdctInputError(
            f"config key split.train: methods {finetuned} need training images, and none is left"
        )


def _check_shipped_model(config: dict[str, Any]) -> None:
    """A shipped original DnCNN exists for the blind model and for sigma 25 only, and the
    authors' networks have no batch norm whose statistics could be re-estimated."""
    pretrain = config["dncnn"]["pretrain"]
    shipped = pretrain["source"] in ("authors", "ldct")
    if shipped and pretrain["noise"] == "fixed" and pretrain["noise_sigma"] != SHIPPED_FIXED_SIGMA:
        raise LdctInputError(
            f"config key dncnn.pretrain.noise_sigma: ldct ships fixed-noise models for sigma "
            f"{SHIPPED_FIXED_SIGMA} only, not {pretrain['noise_sigma']}; set dncnn.pretrain.source: train"
        )
    if pretrain["source"] == "authors" and config["dncnn"]["finetune"]["batchnorm"] == "reestimate":
        raise LdctInputError(
            "config key dncnn.finetune.batchnorm: reestimate needs batch norms, and the authors' "
            "DnCNN (dncnn.pretrain.source: authors) has them merged into its convolutions; use "
            "frozen, or an original DnCNN with batch norm (source: ldct or train)"
        )


def _check_picture_folder(config: dict[str, Any]) -> None:
    """A pretraining picture folder, where one is named for source train, holds pictures."""
    pretrain = config["dncnn"]["pretrain"]
    if pretrain["source"] == "train" and pretrain["image_folder"] is not None:
        picture_files(pretrain["image_folder"])


def _profile_doses(config: dict[str, Any]) -> list[float]:
    """Doses of the profile figure: ``figures.profile.doses``, or by default the paper's 50 %
    and 10 % where the run has them, else every eval dose."""
    if config["figures"]["profile"]["doses"]:
        return list(config["figures"]["profile"]["doses"])
    eval_doses = config["doses"]["eval"]
    labels = {dose_label(dose) for dose in eval_doses}
    paper = [dose for dose in PAPER_PROFILE_DOSES if dose_label(dose) in labels]
    return paper or list(eval_doses)
