import os

from ldct.config import dose_label, image_sources, train_images, validate_config
from ldct.dicom import IMAGE_ID_PATTERN, embedded_dicom_path
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
REALIZATIONS = list(range(config["realizations"]))
METHODS = list(config["denoise"]["methods"])


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
