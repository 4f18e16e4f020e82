rule denoise:
    """One denoising method applied to one simulated low-dose image."""
    input:
        unpack(denoise_inputs),
    output:
        image="results/denoised/{method}/{image}/dose{dose}/r{realization}.npy",
        meta="results/denoised/{method}/{image}/dose{dose}/r{realization}.json",
    log:
        "results/logs/denoise/{method}/{image}/dose{dose}/r{realization}.log",
    benchmark:
        "results/benchmarks/denoise/{method}/{image}/dose{dose}/r{realization}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: denoise_threads
    params:
        parameters=lambda wildcards: config["denoise"]["parameters"][wildcards.method],
        network=cnn_settings,
    script:
        "../workflow_scripts/denoise.py"
