from snakemake.utils import min_version

min_version("8.0")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/simulate.smk"
include: "rules/denoise.smk"
include: "rules/evaluate.smk"


rule all:
    input:
        study_targets(),
    default_target: True
