rule download_tcia_series:
    """Download one TCIA series into resources/tcia (cached, resumable), check it, pick its slices."""
    output:
        slices="results/tcia/{series}.tsv",
    log:
        "results/logs/download_tcia_series/{series}.log",
    wildcard_constraints:
        series=tcia_series_pattern(),
    localrule: True
    conda:
        "../envs/data.yaml"
    params:
        uid=lambda wildcards: TCIA_SERIES[wildcards.series].uid,
        slices=lambda wildcards: TCIA_SERIES[wildcards.series].slices,
        instances=lambda wildcards: TCIA_SERIES[wildcards.series].instances,
        images=lambda wildcards: TCIA_SERIES[wildcards.series].image_ids(),
    script:
        "../workflow_scripts/download_tcia_series.py"


rule acquire:
    """Copy one CT slice into the study after checking it is a readable, decodable CT image."""
    input:
        unpack(acquire_input),
    output:
        dicom="results/dicom/{image}.dcm",
    log:
        "results/logs/acquire/{image}.log",
    conda:
        "../envs/data.yaml"
    script:
        "../workflow_scripts/acquire.py"


rule to_hu:
    """DICOM to float32 HU: rescale, padding to air, centre crop; a JSON sidecar with the header facts."""
    input:
        dicom="results/dicom/{image}.dcm",
    output:
        image="results/hu/{image}.npy",
        meta="results/hu/{image}.json",
    log:
        "results/logs/to_hu/{image}.log",
    conda:
        "../envs/data.yaml"
    params:
        source=lambda wildcards: IMAGE_SOURCES[wildcards.image],
        fill_hu=config["hu"]["fill_hu"],
        rows=config["hu"]["crop"]["rows"],
        cols=config["hu"]["crop"]["cols"],
    script:
        "../workflow_scripts/to_hu.py"


rule split:
    """The train / eval table; fails if an eval slice also appears among the training slices."""
    input:
        images=all_hu_images(),
    output:
        table="results/split.tsv",
    log:
        "results/logs/split.log",
    conda:
        "../envs/science.yaml"
    params:
        eval_images=EVAL_IMAGES,
        train_images=TRAIN_IMAGES,
    script:
        "../workflow_scripts/split.py"
