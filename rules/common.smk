import math
import os

from ldct.core.devices import usable_cpus
from ldct.core.errors import LdctInputError
from ldct.evaluation.metrics import METRIC_NAMES
from ldct.io.pictures import picture_files
from ldct.report.provenance import config_sha256, git_state, installed_versions
from ldct.study.variants import STAGE_KEYS, StudyVariants, method_keys, read_variants
from ldct.study.design import load_study
from snakemake.exceptions import WorkflowError

SCHEMA = os.path.join(workflow.basedir, "config", "schema.yaml")
try:
    # Validates the config in place (defaults filled) and derives every fact the rules need.
    STUDY = load_study(config, SCHEMA)
    # The default study and the sensitivity variants, where their variants file exists.
    VARIANTS_FILE = config["sensitivity"]["variants_file"]
    STUDIES = StudyVariants(
        config,
        STUDY,
        read_variants(VARIANTS_FILE, config) if os.path.exists(VARIANTS_FILE) else [],
        SCHEMA,
    )
except LdctInputError as error:
    raise WorkflowError(f"ldct: {error}")

# The image and realization the image figures show (every realization of a stack is computed).
FIGURE_IMAGE = STUDY.figure_image
FIGURE_REALIZATION = config["figures"]["realization"]

# jobs.eval_slices_per_job: "one" gives denoise and metrics an {image} wildcard; "all" gives
# them one job per method and dose whose outputs are the same per-image files.
ALL_EVAL_SLICES_PER_JOB = config["jobs"]["eval_slices_per_job"] == "all"


def any_of(names):
    """A wildcard constraint matching exactly ``names`` (and nothing when there are none)."""
    return "|".join(names) or "(?!)"


def study_config(wildcards):
    """The config of the study (default or sensitivity variant) a job belongs to."""
    return STUDIES.config(STUDIES.name_of(wildcards.study))


def study_setting(*keys):
    """A params function: the value at ``keys`` of the job's study config."""

    def setting(wildcards):
        value = study_config(wildcards)
        for key in keys:
            value = value[key]
        return value

    return setting


def owned(wildcards, keys, path):
    """``results/<folder>/path`` (wildcards filled in), where <folder> is that of the first study
    agreeing with the job's study on ``keys``: the job that made it is shared."""
    folder = STUDIES.owner(STUDIES.name_of(wildcards.study), keys)
    return f"results/{folder}{path}".format(**wildcards)


def stage_input(stage, path):
    """An input function: ``path`` of ``stage`` (ldct.study.variants.STAGE_KEYS), as owned."""
    return lambda wildcards: owned(wildcards, STAGE_KEYS[stage], path)


def pretrained_checkpoint(wildcards):
    """The checkpoint the job's study imports its original DnCNN from."""
    return STUDIES.studies[STUDIES.name_of(wildcards.study)].pretrained_checkpoint


def pretraining_pictures(wildcards):
    """The pictures of the job's dncnn.pretrain.image_folder (none: the bundled ones)."""
    folder = study_config(wildcards)["dncnn"]["pretrain"]["image_folder"]
    return picture_files(folder) if folder else []


def model_file(wildcards, method):
    """The weights CNN ``method`` runs with, in the job's study."""
    info = STUDY.method(method)
    stage = "finetuned" if info.finetune else "pretrained"
    return owned(wildcards, STAGE_KEYS[stage], f"dncnn/{info.model}/model.pt")


def trained_methods(wildcards):
    """The fine-tuned methods of the job's study (each with its optimum.json)."""
    return STUDIES.studies[STUDIES.name_of(wildcards.study)].finetuned_methods


def convergence_records(wildcards):
    """The optimum.json of every fine-tuned method of the job's study, as owned."""
    return [
        model_file(wildcards, method).replace("model.pt", "optimum.json")
        for method in trained_methods(wildcards)
    ]


def noise_table_input(wildcards):
    """The full-dose noise table, for a study that measures each slice's noise."""
    if study_config(wildcards)["noise"]["full_dose_sigma_hu"] == "measure":
        return {"noise_table": "results/noise/full_dose_noise.tsv"}
    return {}


def reference_path(study, image):
    """The full-dose reference of ``image`` in the study of results folder ``study`` ('' for the
    default): its HU slice, or under mtf.blur_image: true that slice blurred by the MTF (rule
    blur_reference, as owned)."""
    name = STUDIES.name_of(study)
    if not STUDIES.config(name)["mtf"]["blur_image"]:
        return f"results/hu/{image}.npy"
    folder = STUDIES.owner(name, STAGE_KEYS["reference"])
    return f"results/{folder}reference/{image}.npy"


def job_reference(wildcards):
    """The reference of the job's {image} in the job's study."""
    return reference_path(wildcards.study, wildcards.image)


def study_references(images):
    """An input function: the job's study's references of ``images`` (a list, or a function of
    the wildcards giving one)."""

    def references(wildcards):
        names = images(wildcards) if callable(images) else images
        return [reference_path(wildcards.study, image) for image in names]

    return references


def training_low_dose(wildcards):
    """The simulated training stacks of every training slice, for the job's study."""
    return [
        owned(
            wildcards,
            STAGE_KEYS["simulated_training"],
            f"simulated_training/{image}.npy",
        )
        for image in STUDY.train_images
    ]


def acquire_input(wildcards):
    """An image's source: its DICOM file, or for TCIA the slice table of its series."""
    source = STUDY.sources[wildcards.image]
    if source.series is not None:
        return {"slices": f"results/tcia/{source.series}.tsv"}
    return {"dicom": source.dicom}


def eval_expand(pattern, **extra):
    """``pattern`` for every eval image and eval dose (and ``extra`` lists)."""
    return expand(
        pattern, image=STUDY.eval_images, dose=STUDY.eval_dose_labels, **extra
    )


def eval_images_of(pattern):
    """``pattern`` for every eval image (other wildcards left for the rule, as {{name}})."""
    return expand(pattern, image=STUDY.eval_images)


def dicom_outputs():
    """The DICOM series of the eval slices: full dose, and every method at every eval dose."""
    return eval_images_of("results/dicom_outputs/full_dose/{image}.dcm") + expand(
        "results/dicom_outputs/{method}/dose{dose}/{image}.dcm",
        method=STUDY.method_names,
        dose=STUDY.eval_dose_labels,
        image=STUDY.eval_images,
    )


def all_hu_images():
    """The HU image of every eval and train image."""
    return expand(
        "results/hu/{image}.npy", image=STUDY.eval_images + STUDY.train_images
    )


def study_targets():
    """The default targets: the tables, the claims check and every figure of the report."""
    targets = [
        "results/mtf/mtf_curve.tsv",
        "results/split.tsv",
        "results/noise/full_dose_noise.tsv",
        "results/metrics/metrics.tsv",
        "results/stats/stats.tsv",
        "results/report/statistics.html",
        "results/report/settings.html",
        "results/provenance.json",
        "results/figures/mtf.png",
        "results/figures/noise_power_spectra.png",
        "results/figures/noise_readings.png",
        "results/figures/slices.png",
        "results/figures/profiles.png",
        *expand("results/figures/scores_{metric}.png", metric=METRIC_NAMES),
        *dicom_outputs(),
    ]
    if STUDY.cnn_methods:
        targets += [
            "results/figures/training_curves.png",
            "results/figures/per_dose.png",
        ]
    if config["stats"]["reference"] == "dncnn":  # the paper's claims compare with DnCNN
        targets += ["results/claims/claims.tsv", "results/report/claims.html"]
    return targets


def provenance_checkpoints():
    """The original DnCNN's checkpoints a study with CNN methods uses: its imported or trained
    weights, and the shipped or user's file they were imported from."""
    if not STUDY.cnn_methods:
        return []
    checkpoints = ["results/dncnn/pretrained/model.pt"]
    if config["dncnn"]["pretrain"]["source"] != "train":
        checkpoints.append(STUDY.pretrained_checkpoint)
    return checkpoints


def figure_images(methods, doses=None):
    """Denoised stacks of the figure image for ``methods`` x ``doses`` (dose labels; default
    every eval dose)."""
    return expand(
        "results/denoised/{method}/{image}/dose{dose}.npy",
        method=methods,
        image=FIGURE_IMAGE,
        dose=STUDY.eval_dose_labels if doses is None else doses,
    )


def noise_readings():
    """Name -> {noise, blur_image} of every distinct noise reading of the studies (the default
    and each variant, by the first study's name), then the projection domain ('projection',
    the default's noise inserted in the projections) unless a study already inserts it there.
    """
    readings = {}
    for name in STUDIES.names:
        study = STUDIES.config(name)
        reading = {"noise": study["noise"], "blur_image": study["mtf"]["blur_image"]}
        if reading not in readings.values():
            readings[name] = reading
    if not any(r["noise"].get("domain") == "projection" for r in readings.values()):
        readings["projection"] = {
            "noise": dict(config["noise"], domain="projection"),
            "blur_image": False,
        }
    return readings


def readings_noise_table(wildcards):
    """The full-dose noise table, where a noise reading measures each slice's noise."""
    measured = [
        r
        for r in noise_readings().values()
        if r["noise"]["full_dose_sigma_hu"] == "measure"
    ]
    return {"noise_table": "results/noise/full_dose_noise.tsv"} if measured else {}


def figure_low_dose(doses=None):
    """Simulated stacks of the figure image at ``doses`` (dose labels; default every eval dose)."""
    return expand(
        "results/simulated/{image}/dose{dose}.npy",
        image=FIGURE_IMAGE,
        dose=STUDY.eval_dose_labels if doses is None else doses,
    )


def per_slice_outputs(pattern):
    """Outputs of a denoise or metrics job from a per-slice ``pattern``: a list of the pattern
    itself, or under jobs.eval_slices_per_job: all, of its path for every eval image."""
    if not ALL_EVAL_SLICES_PER_JOB:
        return [pattern]
    return [pattern.replace("{image}", image) for image in STUDY.eval_images]


def per_job(pattern):
    """The log or benchmark file of a denoise or metrics job from a per-slice ``pattern``;
    under jobs.eval_slices_per_job: all, 'eval_slices' stands where the image was."""
    if not ALL_EVAL_SLICES_PER_JOB:
        return pattern
    return pattern.replace("{image}", "eval_slices")


def job_images(wildcards):
    """The eval images of a denoise or metrics job, in the order of its outputs."""
    if not ALL_EVAL_SLICES_PER_JOB:
        return [wildcards.image]
    return list(STUDY.eval_images)


def job_inputs(wildcards, keys, pattern):
    """``pattern`` (with {image}, as owned on ``keys``) for each of the job's images."""
    return [
        owned(wildcards, keys, pattern.replace("{image}", image))
        for image in job_images(wildcards)
    ]


def denoise_inputs(wildcards):
    """The job's low-dose images, for a CNN method the weights it runs with, and for a method
    told the noise's spectrum the MTF table."""
    inputs = {
        "images": job_inputs(
            wildcards, STAGE_KEYS["simulated"], "simulated/{image}/dose{dose}.npy"
        )
    }
    if STUDY.method(wildcards.method).kind == "cnn":
        inputs["model"] = model_file(wildcards, wildcards.method)
    # A method told the noise's spectrum needs the MTF that shapes it.
    if STUDY.method(wildcards.method).noise_psd:
        inputs["mtf"] = owned(wildcards, STAGE_KEYS["mtf"], "mtf/mtf_curve.tsv")
    return inputs


def denoise_parameters(wildcards):
    """The job's method's parameters (a CNN method has none)."""
    return study_config(wildcards)["denoise"]["parameters"][wildcards.method]


def cnn_settings(wildcards):
    """HU scaling and device of a CNN method; none for a filter, whose jobs they must not touch."""
    if STUDY.method(wildcards.method).kind != "cnn":
        return {}
    network = study_config(wildcards)["dncnn"]
    return {
        "hu_window": network["hu_window"],
        "hu_scaling": network["hu_scaling"],
        "device": config["dncnn"]["device"],
    }


def metrics_tables(wildcards):
    """The per-image metric tables of every method, eval image and dose of the job's study."""
    return [
        owned(
            wildcards,
            method_keys(method, "metrics"),
            f"metrics/per_image/{method}/{image}/dose{dose}.tsv",
        )
        for method in STUDY.method_names
        for image in STUDY.eval_images
        for dose in STUDY.eval_dose_labels
    ]


def claimed_cores(threads):
    """Cores of --cores a job of ``threads`` threads claims, so that it has its CPUs to itself.

    Where a local run's --cores exceeds the CPUs this machine lets us use (--cores 8 on two),
    Snakemake would start further jobs on CPUs that a multi-threaded job already fills, and
    torch's threads then wait on each other at every layer. Such a job therefore claims its
    CPUs' share of --cores: on 2 CPUs under --cores 8, a 2-thread job claims all 8 cores and
    runs alone. Single-thread jobs, cluster runs and --cores within the CPUs claim ``threads``.
    The job itself runs min(``threads``, usable CPUs) torch threads (ldct.core.devices).
    """
    cpus, cores = usable_cpus(), local_cores()
    if threads <= 1 or cores is None or cores <= cpus:
        return threads
    return min(cores, math.ceil(min(threads, cpus) * cores / cpus))


def local_cores():
    """--cores of a local run; None for a cluster run or where no --cores is set."""
    if not workflow.local_exec:
        return None
    try:
        return workflow.cores
    except WorkflowError:
        return None


def network_threads(wildcards=None):
    """Cores a training job claims (dncnn.threads; see claimed_cores)."""
    return claimed_cores(config["dncnn"]["threads"])


def denoise_threads(wildcards):
    """CNN methods claim dncnn.inference_threads (see claimed_cores); the filters are
    single-threaded."""
    if STUDY.method(wildcards.method).kind == "cnn":
        return claimed_cores(config["dncnn"]["inference_threads"])
    return 1


def sensitivity_claims(wildcards):
    """The claims table of the default study and of every declared variant."""
    if not STUDIES.variants:
        raise WorkflowError(
            f"ldct: the sensitivity study needs its variants file '{VARIANTS_FILE}' "
            "(config key sensitivity.variants_file; see config/sensitivity.yaml)"
        )
    return [
        f"results/{STUDIES.folder(name)}claims/claims.tsv" for name in STUDIES.names
    ]
