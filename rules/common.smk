import os

from ldct.config import (
    dose_label,
    image_sources,
    profile_doses,
    tcia_slices,
    train_images,
    validate_config,
)
from ldct.dicom import IMAGE_ID_PATTERN, embedded_dicom_path
from ldct.dncnn import SHIPPED_CHECKPOINT
from ldct.errors import LdctInputError
from ldct.metrics import METRIC_NAMES
from snakemake.exceptions import WorkflowError

try:
    validate_config(config, os.path.join(workflow.basedir, "config", "schema.yaml"))
    IMAGE_SOURCES = image_sources(config)
    # TCIA image id -> (its series, its position among the series' selected slices).
    TCIA_SLICES = tcia_slices(config) if config["data"]["source"] == "tcia" else {}
except LdctInputError as error:
    raise WorkflowError(f"ldct: {error}")

TCIA_SERIES = {series.id: series for series, _ in TCIA_SLICES.values()}

EVAL_IMAGES = list(config["split"]["eval"])
TRAIN_IMAGES = train_images(config)
EVAL_DOSES = [dose_label(dose) for dose in config["doses"]["eval"]]
TRAIN_DOSES = [dose_label(dose) for dose in config["doses"]["train"]]
REALIZATIONS = list(range(config["realizations"]))
METHODS = list(config["denoise"]["methods"])
# The CNN methods and the folder of results/dncnn/ that holds each one's weights.
CNN_MODELS = {
    "dncnn": "pretrained",
    "dncnn_tra": "dncnn_tra",
    "dncnn_full": "dncnn_full",
}
CNN_METHODS = [method for method in METHODS if method in CNN_MODELS]
# The image and realization the image figures show; "noisy" is their low-dose column.
FIGURE_IMAGE = config["figures"]["image"] or EVAL_IMAGES[0]
FIGURE_REALIZATION = config["figures"]["realization"]
FIGURE_METHODS = [method for method in METHODS if method != "noisy"]
PROFILE_DOSES = profile_doses(config)


def dicom_source(wildcards):
    """The DICOM file an image id comes from: embedded in pydicom-data, or the user's folder."""
    source = IMAGE_SOURCES[wildcards.image]
    if config["data"]["source"] == "embedded":
        try:
            return str(embedded_dicom_path(source))
        except LdctInputError as error:
            raise WorkflowError(f"ldct: {error}")
    return source


def acquire_input(wildcards):
    """An image's source: its DICOM file, or for TCIA the slice table of its series."""
    if wildcards.image in TCIA_SLICES:
        series, _ = TCIA_SLICES[wildcards.image]
        return {"slices": f"results/tcia/{series.id}.tsv"}
    return {"dicom": dicom_source(wildcards)}


def tcia_series_pattern():
    """A wildcard constraint matching exactly the TCIA series ids of the study."""
    return "|".join(TCIA_SERIES) or "(?!)"


def eval_expand(pattern, **extra):
    """``pattern`` for every eval image, eval dose and noise realization (and ``extra`` lists)."""
    return expand(
        pattern,
        image=EVAL_IMAGES,
        dose=EVAL_DOSES,
        realization=REALIZATIONS,
        **extra,
    )


def all_hu_images():
    """The HU image of every eval and train image."""
    return expand("results/hu/{image}.npy", image=EVAL_IMAGES + TRAIN_IMAGES)


def study_targets():
    """The default targets: the tables, the claims check and every figure of the report."""
    targets = [
        "results/mtf/mtf_curve.tsv",
        "results/split.tsv",
        "results/metrics/metrics.tsv",
        "results/stats/stats.tsv",
        "results/report/statistics.html",
        "results/report/settings.html",
        "results/figures/mtf.png",
        "results/figures/noise_power_spectra.png",
        "results/figures/slices.png",
        "results/figures/profiles.png",
        *expand("results/figures/scores_{metric}.png", metric=METRIC_NAMES),
    ]
    if CNN_METHODS:
        targets.append("results/figures/training_curves.png")
    if config["stats"]["reference"] == "dncnn":  # the paper's claims compare with DnCNN
        targets += ["results/claims/claims.tsv", "results/report/claims.html"]
    return targets


def figure_images(methods, doses=None):
    """Denoised images of the figure image and realization for ``methods`` x ``doses``."""
    return expand(
        "results/denoised/{method}/{image}/dose{dose}/r{realization}.npy",
        method=methods,
        image=FIGURE_IMAGE,
        dose=EVAL_DOSES if doses is None else [dose_label(dose) for dose in doses],
        realization=FIGURE_REALIZATION,
    )


def figure_low_dose(doses=None, realizations=None):
    """Simulated low-dose images of the figure image at ``doses`` and ``realizations``."""
    return expand(
        "results/simulated/{image}/dose{dose}/r{realization}.npy",
        image=FIGURE_IMAGE,
        dose=EVAL_DOSES if doses is None else [dose_label(dose) for dose in doses],
        realization=[FIGURE_REALIZATION] if realizations is None else realizations,
    )


def training_histories():
    """Legend label -> epochs.tsv of the pretrained DnCNN and of each fine-tuned variant."""
    labels = {
        "dncnn": "DnCNN, pretraining (natural images)",
        "dncnn_tra": "DnCNN_Tra, last layer fine-tuned",
        "dncnn_full": "DnCNN_full, all layers fine-tuned",
    }
    return {
        labels[method]: f"results/dncnn/{CNN_MODELS[method]}/epochs.tsv"
        for method in dict.fromkeys(["dncnn"] + CNN_METHODS)
    }


def training_expand(pattern):
    """``pattern`` for every (training image, training dose) pair, image-major."""
    return [
        pattern.format(image=image, dose=dose)
        for image in TRAIN_IMAGES
        for dose in TRAIN_DOSES
    ]


def pretrained_checkpoint_file():
    """The checkpoint that import_pretrained_dncnn reads: the shipped one or the user's."""
    if config["dncnn"]["pretrain"]["source"] == "file":
        return config["dncnn"]["pretrain"]["checkpoint"]
    return str(SHIPPED_CHECKPOINT)


def denoise_inputs(wildcards):
    """The low-dose image, and for a CNN method the weights it runs with."""
    inputs = {
        "image": "results/simulated/{image}/dose{dose}/r{realization}.npy".format(
            **wildcards
        )
    }
    if wildcards.method in CNN_MODELS:
        inputs["model"] = f"results/dncnn/{CNN_MODELS[wildcards.method]}/model.pt"
    return inputs


def cnn_settings(wildcards):
    """HU window and device of a CNN method; none for a filter, whose jobs they must not touch."""
    if wildcards.method not in CNN_MODELS:
        return {}
    return {
        "hu_window": config["dncnn"]["hu_window"],
        "device": config["dncnn"]["device"],
    }


def denoise_threads(wildcards):
    """CNN methods use dncnn.threads; the filters are single-threaded."""
    return config["dncnn"]["threads"] if wildcards.method in CNN_MODELS else 1
