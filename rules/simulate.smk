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
    conda:
        "../envs/science.yaml"
    params:
        mtf=config["mtf"],
    script:
        "../workflow_scripts/mtf_curve.py"


rule simulate:
    """One low-dose realization of one slice: MTF-shaped Poisson noise at the dose's level."""
    input:
        image="results/hu/{image}.npy",
        mtf="results/mtf/mtf_curve.tsv",
    output:
        image="results/simulated/{image}/dose{dose}/r{realization}.npy",
        meta="results/simulated/{image}/dose{dose}/r{realization}.json",
    log:
        "results/logs/simulate/{image}/dose{dose}/r{realization}.log",
    benchmark:
        "results/benchmarks/simulate/{image}/dose{dose}/r{realization}.tsv"
    conda:
        "../envs/science.yaml"
    params:
        dose=lambda wildcards: float(wildcards.dose),
        realization=lambda wildcards: int(wildcards.realization),
        seed=config["seed"],
        noise=config["noise"],
    script:
        "../workflow_scripts/simulate.py"
