rule metrics:
    """SSIM and PSNR of one denoised image against its full-dose original, both conventions."""
    input:
        test="results/denoised/{method}/{image}/dose{dose}/r{realization}.npy",
        reference="results/hu/{image}.npy",
    output:
        table="results/metrics/per_image/{method}/{image}/dose{dose}/r{realization}.tsv",
    log:
        "results/logs/metrics/{method}/{image}/dose{dose}/r{realization}.log",
    conda:
        "../envs/science.yaml"
    params:
        window=config["metrics"]["window"],
    script:
        "../workflow_scripts/metrics.py"


rule collect_metrics:
    """All per-image metric rows in one table, after checking every row is an eval image."""
    input:
        tables=eval_expand(
            "results/metrics/per_image/{method}/{image}/dose{dose}/r{realization}.tsv",
            method=METHODS,
        ),
        split="results/split.tsv",
    output:
        table="results/metrics/metrics.tsv",
    log:
        "results/logs/collect_metrics.log",
    conda:
        "../envs/science.yaml"
    script:
        "../workflow_scripts/collect_metrics.py"


rule stats:
    """Mean and SD per dose x method x metric, paired two-tailed t-test against the reference."""
    input:
        table="results/metrics/metrics.tsv",
    output:
        table="results/stats/stats.tsv",
    log:
        "results/logs/stats.log",
    conda:
        "../envs/science.yaml"
    params:
        reference=config["stats"]["reference"],
        alpha=config["stats"]["alpha"],
    script:
        "../workflow_scripts/stats.py"
