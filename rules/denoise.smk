rule denoise:
    """One denoising method applied to one simulated low-dose image."""
    input:
        image="results/simulated/{image}/dose{dose}/r{realization}.npy",
    output:
        image="results/denoised/{method}/{image}/dose{dose}/r{realization}.npy",
        meta="results/denoised/{method}/{image}/dose{dose}/r{realization}.json",
    log:
        "results/logs/denoise/{method}/{image}/dose{dose}/r{realization}.log",
    benchmark:
        "results/benchmarks/denoise/{method}/{image}/dose{dose}/r{realization}.tsv"
    conda:
        "../envs/science.yaml"
    params:
        parameters=lambda wildcards: config["denoise"]["parameters"][wildcards.method],
    script:
        "../workflow_scripts/denoise.py"
