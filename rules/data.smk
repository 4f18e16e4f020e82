rule acquire:
    """Copy one CT slice into the study after checking it is a readable, decodable CT image."""
    input:
        dicom=dicom_source,
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
