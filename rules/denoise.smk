rule denoise:
    """One denoising method applied to every realization of one slice at one dose."""
    input:
        unpack(denoise_inputs),
    output:
        images="results/denoised/{method}/{image}/dose{dose}.npy",
        meta="results/denoised/{method}/{image}/dose{dose}.json",
    log:
        "results/logs/denoise/{method}/{image}/dose{dose}.log",
    benchmark:
        "results/benchmarks/denoise/{method}/{image}/dose{dose}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: denoise_threads
    params:
        parameters=lambda wildcards: config["denoise"]["parameters"][wildcards.method],
        network=cnn_settings,
    script:
        "../workflow_scripts/denoise.py"
