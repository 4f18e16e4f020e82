from snakemake.utils import min_version

min_version("8.0")


configfile: "config/config.yaml"


report: "rules/report/workflow.rst"


include: "rules/common.smk"


wildcard_constraints:
    study=r"(sensitivity/({})/)?".format(any_of(STUDIES.names[1:])),
    image=any_of(STUDY.sources),
    dose=r"[0-9.e+\-]+",
    method=any_of(STUDY.method_names),
    variant=any_of(STUDY.finetuned_methods),
    metric=any_of(METRIC_NAMES),


include: "rules/data.smk"
include: "rules/simulate.smk"
include: "rules/train.smk"
include: "rules/denoise.smk"
include: "rules/evaluate.smk"
include: "rules/figures.smk"
include: "rules/report.smk"
include: "rules/sensitivity.smk"
include: "rules/dicom.smk"


rule all:
    default_target: True
    input:
        study_targets(),


rule dicom_outputs:
    """The eval slices as DICOM: full dose, and every method at every eval dose."""
    input:
        dicom_outputs(),


rule sensitivity:
    """The sensitivity study: the default study and every variant of config/sensitivity.yaml."""
    input:
        rules.sensitivity_table.output,
