# Every rule below runs per study: {study} is '' for the default study and
# 'sensitivity/<variant>/' for a sensitivity variant (see rules/common.smk, owned()).


rule mtf_curve:
    """The CT unit's MTF, as the table every simulation interpolates (frequency in lp/mm)."""
    output:
        table=report(
            "results/{study}mtf/mtf_curve.tsv",
            caption="report/mtf_table.rst",
            category="Simulation",
            labels={"table": "MTF (TSV)"},
        ),
    log:
        "results/{study}logs/mtf_curve.log",
    benchmark:
        "results/{study}benchmarks/mtf_curve.tsv"
    conda:
        "../envs/science.yaml"
    params:
        mtf=study_setting("mtf"),
    script:
        "../workflow_scripts/mtf_curve.py"


rule blur_reference:
    """One full-dose slice blurred by the CT unit's MTF: the study's reference, and the image
    its noise is added to, under mtf.blur_image: true."""
    input:
        image="results/hu/{image}.npy",
        mtf=stage_input("mtf", "mtf/mtf_curve.tsv"),
    output:
        image="results/{study}reference/{image}.npy",
        meta="results/{study}reference/{image}.json",
    log:
        "results/{study}logs/blur_reference/{image}.log",
    benchmark:
        "results/{study}benchmarks/blur_reference/{image}.tsv"
    conda:
        "../envs/science.yaml"
    script:
        "../workflow_scripts/blur_reference.py"


rule simulate:
    """Every noise realization of one eval slice at one dose: MTF-shaped Poisson noise, one stack."""
    input:
        unpack(noise_table_input),
        image=job_reference,
        mtf=stage_input("mtf", "mtf/mtf_curve.tsv"),
    output:
        images="results/{study}simulated/{image}/dose{dose}.npy",
        meta="results/{study}simulated/{image}/dose{dose}.json",
    log:
        "results/{study}logs/simulate/{image}/dose{dose}.log",
    benchmark:
        "results/{study}benchmarks/simulate/{image}/dose{dose}.tsv"
    conda:
        "../envs/science.yaml"
    params:
        doses=lambda wildcards: [float(wildcards.dose)],
        realizations=list(range(STUDY.realizations)),
        seed=config["seed"],
        noise=study_setting("noise"),
    script:
        "../workflow_scripts/simulate.py"


rule simulate_training:
    """One training slice at every training dose (realization 0), one stack, for the patches."""
    input:
        unpack(noise_table_input),
        image=job_reference,
        mtf=stage_input("mtf", "mtf/mtf_curve.tsv"),
    output:
        images="results/{study}simulated_training/{image}.npy",
        meta="results/{study}simulated_training/{image}.json",
    log:
        "results/{study}logs/simulate_training/{image}.log",
    benchmark:
        "results/{study}benchmarks/simulate_training/{image}.tsv"
    conda:
        "../envs/science.yaml"
    params:
        doses=study_setting("doses", "train"),
        realizations=[0],
        seed=config["seed"],
        noise=study_setting("noise"),
    script:
        "../workflow_scripts/simulate.py"


rule full_dose_noise:
    """The noise SD each full-dose slice carries, measured in its soft tissue (or its patient's
    or the study's median where it has too little), for noise.full_dose_sigma_hu: measure.
    """
    input:
        images=all_hu_images(),
        split="results/split.tsv",
    output:
        table=report(
            "results/noise/full_dose_noise.tsv",
            caption="report/full_dose_noise_table.rst",
            category="Simulation",
            labels={"table": "Full-dose noise of each slice (TSV)"},
        ),
    log:
        "results/logs/full_dose_noise.log",
    benchmark:
        "results/benchmarks/full_dose_noise.tsv"
    conda:
        "../envs/science.yaml"
    script:
        "../workflow_scripts/full_dose_noise.py"
