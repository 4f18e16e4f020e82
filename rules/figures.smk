rule figure_mtf:
    """The MTF every simulation uses, with its 50 % and 10 % points (the paper's Fig. 2)."""
    input:
        table="results/mtf/mtf_curve.tsv",
    output:
        figure=report(
            "results/figures/mtf.png",
            caption="report/mtf.rst",
            category="Simulation",
            labels={"figure": "MTF (Fig. 2)"},
        ),
    log:
        "results/logs/figure_mtf.log",
    benchmark:
        "results/benchmarks/figure_mtf.tsv"
    conda:
        "../envs/figures.yaml"
    params:
        mtf=config["mtf"],
        dpi=config["figures"]["dpi"],
    script:
        "../workflow_scripts/figure_mtf.py"


rule figure_noise_readings:
    """The noise every reading of the studies adds to the figure image at the lowest eval dose,
    beside projection-domain noise: radial NPS and its shape."""
    input:
        unpack(readings_noise_table),
        image=f"results/hu/{FIGURE_IMAGE}.npy",
        mtf="results/mtf/mtf_curve.tsv",
    output:
        figure=report(
            "results/figures/noise_readings.png",
            caption="report/noise_readings.rst",
            category="Simulation",
            labels={"figure": "Noise of each reading"},
        ),
        table=report(
            "results/figures/noise_readings.tsv",
            caption="report/noise_readings.rst",
            category="Simulation",
            labels={"table": "Noise of each reading (TSV)"},
        ),
    log:
        "results/logs/figure_noise_readings.log",
    benchmark:
        "results/benchmarks/figure_noise_readings.tsv"
    conda:
        "../envs/figures.yaml"
    params:
        readings=noise_readings(),
        dose=min(STUDY.eval_doses),
        realizations=STUDY.realizations,
        seed=config["seed"],
        dpi=config["figures"]["dpi"],
    script:
        "../workflow_scripts/figure_noise_readings.py"


rule figure_noise_power_spectra:
    """Radial NPS of the noise simulated at each eval dose, with the model and the full dose."""
    input:
        full_dose=reference_path("", FIGURE_IMAGE),
        low_dose=figure_low_dose(),
        mtf="results/mtf/mtf_curve.tsv",
    output:
        figure=report(
            "results/figures/noise_power_spectra.png",
            caption="report/noise_power_spectra.rst",
            category="Simulation",
            labels={"figure": "Noise power spectra"},
        ),
        table=report(
            "results/figures/noise_power_spectra.tsv",
            caption="report/noise_power_spectra_table.rst",
            category="Simulation",
            labels={"table": "Noise power spectra"},
        ),
    log:
        "results/logs/figure_noise_power_spectra.log",
    benchmark:
        "results/benchmarks/figure_noise_power_spectra.tsv"
    conda:
        "../envs/figures.yaml"
    params:
        noise=config["noise"],
        dpi=config["figures"]["dpi"],
    script:
        "../workflow_scripts/figure_noise_power_spectra.py"


rule figure_images:
    """The eval slice by dose and method, whole and enlarged (Fig. 3), and CNN close-ups (Fig. 5)."""
    input:
        full_dose=reference_path("", FIGURE_IMAGE),
        low_dose=figure_low_dose(),
        denoised=figure_images(STUDY.figure_methods),
    output:
        slices=report(
            "results/figures/slices.png",
            caption="report/slices.rst",
            category="Denoising",
            labels={"figure": "Slices (Fig. 3a)"},
        ),
        slices_roi=report(
            "results/figures/slices_roi.png",
            caption="report/slices_roi.rst",
            category="Denoising",
            labels={"figure": "Enlarged region (Fig. 3b)"},
        ),
        cnn_closeups=report(
            "results/figures/cnn_closeups.png",
            caption="report/cnn_closeups.rst",
            category="Denoising",
            labels={"figure": "CNN close-ups (Fig. 5)"},
        ),
    log:
        "results/logs/figure_images.log",
    benchmark:
        "results/benchmarks/figure_images.tsv"
    conda:
        "../envs/figures.yaml"
    params:
        doses=config["doses"]["eval"],
        methods=STUDY.figure_methods,
        cnn_methods=STUDY.cnn_methods,
        realization=FIGURE_REALIZATION,
        window=config["figures"]["window"],
        roi=config["figures"]["roi"],
        dpi=config["figures"]["dpi"],
    script:
        "../workflow_scripts/figure_images.py"


rule figure_profiles:
    """Vertical CT-number profiles of every method at the chosen doses (the paper's Fig. 4)."""
    input:
        full_dose=reference_path("", FIGURE_IMAGE),
        low_dose=figure_low_dose(STUDY.profile_dose_labels),
        denoised=figure_images(STUDY.figure_methods, STUDY.profile_dose_labels),
    output:
        figure=report(
            "results/figures/profiles.png",
            caption="report/profiles.rst",
            category="Denoising",
            labels={"figure": "Profiles (Fig. 4)"},
        ),
    log:
        "results/logs/figure_profiles.log",
    benchmark:
        "results/benchmarks/figure_profiles.tsv"
    conda:
        "../envs/figures.yaml"
    params:
        column_px=config["figures"]["profile"]["column_px"],
        doses=STUDY.profile_doses,
        realization=FIGURE_REALIZATION,
        methods=STUDY.figure_methods,
        window=config["figures"]["window"],
        dpi=config["figures"]["dpi"],
    script:
        "../workflow_scripts/figure_profiles.py"


rule figure_scores:
    """One metric by dose and method, mean ± SD, stars where p < alpha (Figs. 6 and 7)."""
    input:
        table="results/stats/stats.tsv",
    output:
        figure=report(
            "results/figures/scores_{metric}.png",
            caption="report/scores.rst",
            category="Statistical tests",
            labels={"figure": "Scores", "metric": "{metric}"},
        ),
    log:
        "results/logs/figure_scores/{metric}.log",
    benchmark:
        "results/benchmarks/figure_scores/{metric}.tsv"
    conda:
        "../envs/figures.yaml"
    params:
        methods=STUDY.method_names,
        alpha=config["stats"]["alpha"],
        dpi=config["figures"]["dpi"],
    script:
        "../workflow_scripts/figure_scores.py"


rule figure_per_dose:
    """RMSE and SSIM per dose of the original DnCNN and of each fine-tuning against their input."""
    input:
        per_dose=list(STUDY.trained_models("per_dose.tsv").values()),
        epochs=list(STUDY.trained_models().values()),
    output:
        figure=report(
            "results/figures/per_dose.png",
            caption="report/per_dose.rst",
            category="Training",
            labels={"figure": "Per-dose RMSE and SSIM"},
        ),
    log:
        "results/logs/figure_per_dose.log",
    benchmark:
        "results/benchmarks/figure_per_dose.tsv"
    conda:
        "../envs/figures.yaml"
    params:
        names=list(STUDY.trained_models()),
        dpi=config["figures"]["dpi"],
    script:
        "../workflow_scripts/figure_per_dose.py"


rule figure_training:
    """Loss and validation PSNR per epoch of pretraining and of each fine-tuning."""
    input:
        epochs=list(STUDY.trained_models().values()),
    output:
        figure=report(
            "results/figures/training_curves.png",
            caption="report/training_curves.rst",
            category="Training",
            labels={"figure": "Training curves"},
        ),
    log:
        "results/logs/figure_training.log",
    benchmark:
        "results/benchmarks/figure_training.tsv"
    conda:
        "../envs/figures.yaml"
    params:
        names=list(STUDY.trained_models()),
        dpi=config["figures"]["dpi"],
    script:
        "../workflow_scripts/figure_training.py"
