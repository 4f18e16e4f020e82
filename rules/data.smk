rule download_tcia_series:
    """Download one TCIA series into resources/tcia (cached, resumable), check it, pick its slices."""
    output:
        slices="results/tcia/{series}.tsv",
    log:
        "results/logs/download_tcia_series/{series}.log",
    benchmark:
        "results/benchmarks/download_tcia_series/{series}.tsv"
    wildcard_constraints:
        series=any_of(STUDY.tcia_series),
    localrule: True
    conda:
        "../envs/data.yaml"
    params:
        uid=lambda wildcards: STUDY.tcia_series[wildcards.series].uid,
        slices=lambda wildcards: STUDY.tcia_series[wildcards.series].slices,
        instances=lambda wildcards: STUDY.tcia_series[wildcards.series].instances,
        images=lambda wildcards: STUDY.tcia_series[wildcards.series].image_ids(),
        key=lambda wildcards: STUDY.tcia_series[wildcards.series].key,
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
    benchmark:
        "results/benchmarks/acquire/{image}.tsv"
    conda:
        "../envs/data.yaml"
    params:
        sha256=lambda wildcards: STUDY.sources[wildcards.image].sha256,
        max_slice_mb=config["hu"]["max_slice_mb"],
    script:
        "../workflow_scripts/acquire.py"


rule to_hu:
    """DICOM to float32 HU: rescale, padding to air, display orientation, one pixel size, a crop
    about the body; a JSON sidecar with the header facts."""
    input:
        dicom="results/dicom/{image}.dcm",
    output:
        image="results/hu/{image}.npy",
        meta="results/hu/{image}.json",
    log:
        "results/logs/to_hu/{image}.log",
    benchmark:
        "results/benchmarks/to_hu/{image}.tsv"
    conda:
        "../envs/data.yaml"
    params:
        source=lambda wildcards: STUDY.sources[wildcards.image].text,
        fill_hu=config["hu"]["fill_hu"],
        max_slice_mb=config["hu"]["max_slice_mb"],
        pixel_mm=config["hu"]["pixel_mm"],
        centre=config["hu"]["crop"]["centre"],
        rows_px=config["hu"]["crop"]["rows_px"],
        cols_px=config["hu"]["crop"]["cols_px"],
    script:
        "../workflow_scripts/to_hu.py"


rule split:
    """The train / eval table with each slice's patient; fails if a slice or a patient is on both sides."""
    input:
        images=all_hu_images(),
    output:
        table="results/split.tsv",
    log:
        "results/logs/split.log",
    benchmark:
        "results/benchmarks/split.tsv"
    conda:
        "../envs/science.yaml"
    params:
        eval_images=STUDY.eval_images,
        train_images=STUDY.train_images,
        patients=STUDY.declared_patients,
    script:
        "../workflow_scripts/split.py"
