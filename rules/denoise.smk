rule denoise:
    """One denoising method applied to every realization of one slice at one dose (of every eval
    slice under jobs.eval_slices_per_job: all)."""
    input:
        unpack(denoise_inputs),
    output:
        images=per_slice_outputs(
            "results/{study}denoised/{method}/{image}/dose{dose}.npy"
        ),
        meta=per_slice_outputs(
            "results/{study}denoised/{method}/{image}/dose{dose}.json"
        ),
    log:
        per_job("results/{study}logs/denoise/{method}/{image}/dose{dose}.log"),
    benchmark:
        per_job("results/{study}benchmarks/denoise/{method}/{image}/dose{dose}.tsv")
    conda:
        "../envs/torch.yaml"
    threads: denoise_threads
    params:
        parameters=denoise_parameters,
        network=cnn_settings,
    script:
        "../workflow_scripts/denoise.py"
