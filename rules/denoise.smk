rule denoise:
    """One denoising method applied to every realization of one slice at one dose."""
    input:
        unpack(denoise_inputs),
    output:
        images="results/{study}denoised/{method}/{image}/dose{dose}.npy",
        meta="results/{study}denoised/{method}/{image}/dose{dose}.json",
    log:
        "results/{study}logs/denoise/{method}/{image}/dose{dose}.log",
    benchmark:
        "results/{study}benchmarks/denoise/{method}/{image}/dose{dose}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: denoise_threads
    params:
        parameters=denoise_parameters,
        network=cnn_settings,
    script:
        "../workflow_scripts/denoise.py"
