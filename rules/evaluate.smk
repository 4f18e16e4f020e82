rule metrics:
    """SSIM and PSNR of every denoised realization of one slice and dose (of every eval slice
    under jobs.eval_slices_per_job: all) against its full-dose original, both conventions.
    """
    input:
        test=lambda wildcards: job_inputs(
            wildcards,
            method_keys(wildcards.method),
            "denoised/{method}/{image}/dose{dose}.npy",
        ),
        reference=study_references(job_images),
    output:
        table=per_slice_outputs(
            "results/{study}metrics/per_image/{method}/{image}/dose{dose}.tsv"
        ),
    log:
        per_job("results/{study}logs/metrics/{method}/{image}/dose{dose}.log"),
    benchmark:
        per_job("results/{study}benchmarks/metrics/{method}/{image}/dose{dose}.tsv")
    conda:
        "../envs/science.yaml"
    params:
        window=study_setting("metrics", "window"),
    script:
        "../workflow_scripts/metrics.py"


rule collect_metrics:
    """All per-image metric rows in one table, after checking every row is an eval image, each
    with its image's patient from the split table."""
    input:
        tables=metrics_tables,
        split="results/split.tsv",
    output:
        table=report(
            "results/{study}metrics/metrics.tsv",
            caption="report/metrics_table.rst",
            category="Statistical tests",
            labels={"table": "Per-image metrics (TSV)"},
        ),
    log:
        "results/{study}logs/collect_metrics.log",
    benchmark:
        "results/{study}benchmarks/collect_metrics.tsv"
    conda:
        "../envs/science.yaml"
    script:
        "../workflow_scripts/collect_metrics.py"


rule stats:
    """Per dose x method x metric over eval slices (realizations averaged first): mean, SD, the
    SD over realizations, and against the reference the paired two-tailed t-test and the
    patient mixed model."""
    input:
        table="results/{study}metrics/metrics.tsv",
    output:
        table=report(
            "results/{study}stats/stats.tsv",
            caption="report/stats_table.rst",
            category="Statistical tests",
            labels={"table": "Statistics (TSV)"},
        ),
    log:
        "results/{study}logs/stats.log",
    benchmark:
        "results/{study}benchmarks/stats.tsv"
    conda:
        "../envs/science.yaml"
    params:
        reference=study_setting("stats", "reference"),
        alpha=study_setting("stats", "alpha"),
    script:
        "../workflow_scripts/stats.py"


rule claims:
    """Claim by claim, whether this run reproduces the paper, from the stats table alone."""
    input:
        table="results/{study}stats/stats.tsv",
        convergence=convergence_records,
    output:
        table=report(
            "results/{study}claims/claims.tsv",
            caption="report/claims_table.rst",
            category="Claims",
            labels={"table": "Claims check (TSV)"},
        ),
        page=report(
            "results/{study}report/claims.html",
            caption="report/claims.rst",
            category="Claims",
            labels={"table": "Claims check"},
        ),
    log:
        "results/{study}logs/claims.log",
    benchmark:
        "results/{study}benchmarks/claims.tsv"
    conda:
        "../envs/science.yaml"
    params:
        settings=study_setting("claims"),
        trained=trained_methods,
    script:
        "../workflow_scripts/claims.py"
