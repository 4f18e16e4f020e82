# The study's eval slices as DICOM series a viewer or PACS opens (default study only): the
# full-dose window, and the first realization of every method at every eval dose.


rule dicom_full_dose:
    """The full-dose study window of every eval slice as a derived DICOM slice."""
    input:
        images=[reference_path("", image) for image in STUDY.eval_images],
        sources=eval_images_of("results/dicom/{image}.dcm"),
    output:
        dicom=eval_images_of("results/dicom_outputs/full_dose/{image}.dcm"),
    log:
        "results/logs/dicom_full_dose.log",
    benchmark:
        "results/benchmarks/dicom_full_dose.tsv"
    conda:
        "../envs/data.yaml"
    script:
        "../workflow_scripts/dicom_outputs.py"


rule dicom_denoised:
    """Every eval slice denoised by one method at one dose (first realization) as DICOM."""
    input:
        images=eval_images_of("results/denoised/{{method}}/{image}/dose{{dose}}.npy"),
        sources=eval_images_of("results/dicom/{image}.dcm"),
    output:
        dicom=eval_images_of(
            "results/dicom_outputs/{{method}}/dose{{dose}}/{image}.dcm"
        ),
    log:
        "results/logs/dicom_denoised/{method}/dose{dose}.log",
    benchmark:
        "results/benchmarks/dicom_denoised/{method}/dose{dose}.tsv"
    conda:
        "../envs/data.yaml"
    script:
        "../workflow_scripts/dicom_outputs.py"
