rule mtf_curve:
    """The CT unit's MTF, as the table every simulation interpolates (frequency in lp/mm)."""
    output:
        table=report(
            "results/mtf/mtf_curve.tsv",
            caption="report/mtf_table.rst",
            category="Simulation",
            labels={"table": "MTF (TSV)"},
        ),
    log:
        "results/logs/mtf_curve.log",
    benchmark:
        "results/benchmarks/mtf_curve.tsv"
    conda:
        "../envs/science.yaml"
    params:
        mtf=config["mtf"],
    script:
        "../workflow_scripts/mtf_curve.py"


rule simulate:
    """Every noise realization of one eval slice at one dose: MTF-shaped Poisson noise, one stack."""
    input:
        image="results/hu/{image}.npy",
        mtf="results/mtf/mtf_curve.tsv",
    output:
        images="results/simulated/{image}/dose{dose}.npy",
        meta="results/simulated/{image}/dose{dose}.json",
    log:
        "results/logs/simulate/{image}/dose{dose}.log",
    benchmark:
        "results/benchmarks/simulate/{image}/dose{dose}.tsv"
    conda:
        "../envs/science.yaml"
    params:
        doses=lambda wildcards: [float(wildcards.dose)],
        realizations=list(range(STUDY.realizations)),
        seed=config["seed"],
        noise=config["noise"],
    script:
        "../workflow_scripts/simulate.py"


rule simulate_training:
    """One training slice at every training dose (realization 0), one stack, for the patches."""
    input:
        image="results/hu/{image}.npy",
        mtf="results/mtf/mtf_curve.tsv",
    output:
        images="results/simulated_training/{image}.npy",
        meta="results/simulated_training/{image}.json",
    log:
        "results/logs/simulate_training/{image}.log",
    benchmark:
        "results/benchmarks/simulate_training/{image}.tsv"
    conda:
        "../envs/science.yaml"
    params:
        doses=list(STUDY.train_doses),
        realizations=[0],
        seed=config["seed"],
        noise=config["noise"],
    script:
        "../workflow_scripts/simulate.py"
