import os

from ldct.config import dose_label, image_sources, train_images, validate_config
from ldct.dicom import IMAGE_ID_PATTERN, embedded_dicom_path
from ldct.dncnn import SHIPPED_CHECKPOINT
from ldct.errors import LdctInputError
from snakemake.exceptions import WorkflowError

try:
    validate_config(config, os.path.join(workflow.basedir, "config", "schema.yaml"))
    IMAGE_SOURCES = image_sources(config)
except LdctInputError as error:
    raise WorkflowError(f"ldct: {error}")

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


def dicom_source(wildcards):
    """The DICOM file an image id comes from: embedded in pydicom-data, or the user's folder."""
    source = IMAGE_SOURCES[wildcards.image]
    if config["data"]["source"] == "embedded":
        try:
            return str(embedded_dicom_path(source))
        except LdctInputError as error:
            raise WorkflowError(f"ldct: {error}")
    return source


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
    """The default targets: the MTF curve, the split, the metric and statistics tables."""
    return [
        "results/mtf/mtf_curve.tsv",
        "results/split.tsv",
        "results/metrics/metrics.tsv",
        "results/stats/stats.tsv",
    ]


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
