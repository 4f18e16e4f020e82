if config["dncnn"]["pretrain"]["source"] == "train":

    rule pretrain_dncnn:
        """The original DnCNN: blind (DnCNN-B) or fixed-level Gaussian denoising of natural-image patches."""
        input:
            pictures=pretraining_pictures,
        output:
            model="results/{study}dncnn/pretrained/model.pt",
            epochs=report(
                "results/{study}dncnn/pretrained/epochs.tsv",
                caption="report/epochs_table.rst",
                category="Training",
                labels={"table": "Pretraining epochs (TSV)"},
            ),
            manifest="results/{study}dncnn/pretrained/manifest.json",
        log:
            "results/{study}logs/pretrain_dncnn.log",
        benchmark:
            "results/{study}benchmarks/pretrain_dncnn.tsv"
        conda:
            "../envs/torch.yaml"
        threads: network_threads
        resources:
            gpu=1,
        params:
            settings=study_setting("dncnn", "pretrain"),
            seed=config["seed"],
            device=config["dncnn"]["device"],
            checkpoint="results/{study}checkpoints/pretrained/last.pt",
        script:
            "../workflow_scripts/pretrain_dncnn.py"

else:

    rule import_pretrained_dncnn:
        """The original DnCNN from a checkpoint file: a shipped one (the DnCNN authors' or ldct's) or the user's."""
        input:
            checkpoint=pretrained_checkpoint,
        output:
            model="results/{study}dncnn/pretrained/model.pt",
            epochs=report(
                "results/{study}dncnn/pretrained/epochs.tsv",
                caption="report/epochs_table.rst",
                category="Training",
                labels={"table": "Pretraining epochs (TSV)"},
            ),
            manifest="results/{study}dncnn/pretrained/manifest.json",
        log:
            "results/{study}logs/import_pretrained_dncnn.log",
        benchmark:
            "results/{study}benchmarks/import_pretrained_dncnn.tsv"
        conda:
            "../envs/torch.yaml"
        params:
            source=study_setting("dncnn", "pretrain", "source"),
        script:
            "../workflow_scripts/import_pretrained_dncnn.py"


rule patches:
    """The CT training set: rotated, mirrored 50x50 low-/full-dose patch pairs of every training slice and dose."""
    input:
        low_dose=training_low_dose,
        full_dose=study_references(STUDY.train_images),
    output:
        low_dose="results/{study}patches/low_dose.npy",
        full_dose="results/{study}patches/full_dose.npy",
        index="results/{study}patches/index.tsv",
    log:
        "results/{study}logs/patches.log",
    benchmark:
        "results/{study}benchmarks/patches.tsv"
    conda:
        "../envs/science.yaml"
    params:
        settings=study_setting("dncnn", "patches"),
        seed=config["seed"],
    script:
        "../workflow_scripts/patches.py"


rule last_layer_optimum:
    """The exact least-squares optimum of the original DnCNN's last layer on the CT training patches."""
    input:
        pretrained=stage_input("pretrained", "dncnn/pretrained/model.pt"),
        low_dose=stage_input("patches", "patches/low_dose.npy"),
        full_dose=stage_input("patches", "patches/full_dose.npy"),
        index=stage_input("patches", "patches/index.tsv"),
    output:
        weights="results/{study}dncnn/last_layer_optimum.pt",
        summary="results/{study}dncnn/last_layer_optimum.json",
    log:
        "results/{study}logs/last_layer_optimum.log",
    benchmark:
        "results/{study}benchmarks/last_layer_optimum.tsv"
    conda:
        "../envs/torch.yaml"
    threads: network_threads
    resources:
        gpu=1,
    params:
        hu_window=study_setting("dncnn", "hu_window"),
        hu_scaling=study_setting("dncnn", "hu_scaling"),
        loss=study_setting("dncnn", "finetune", "loss"),
        device=config["dncnn"]["device"],
    script:
        "../workflow_scripts/last_layer_optimum.py"


rule per_dose_original:
    """RMSE and SSIM per dose of the original DnCNN and of its input on the CT validation patches."""
    input:
        pretrained=stage_input("pretrained", "dncnn/pretrained/model.pt"),
        low_dose=stage_input("patches", "patches/low_dose.npy"),
        full_dose=stage_input("patches", "patches/full_dose.npy"),
        index=stage_input("patches", "patches/index.tsv"),
    output:
        per_dose=report(
            "results/{study}dncnn/pretrained/per_dose.tsv",
            caption="report/per_dose_table.rst",
            category="Training",
            labels={
                "table": "Per-dose validation scores (TSV)",
                "variant": "original",
            },
        ),
    log:
        "results/{study}logs/per_dose_original.log",
    benchmark:
        "results/{study}benchmarks/per_dose_original.tsv"
    conda:
        "../envs/torch.yaml"
    threads: network_threads
    resources:
        gpu=1,
    params:
        hu_window=study_setting("dncnn", "hu_window"),
        hu_scaling=study_setting("dncnn", "hu_scaling"),
        device=config["dncnn"]["device"],
    script:
        "../workflow_scripts/per_dose_original.py"


rule finetune_dncnn:
    """Transfer learning of the original DnCNN on the CT patches (last layer or every layer)."""
    input:
        pretrained=stage_input("pretrained", "dncnn/pretrained/model.pt"),
        low_dose=stage_input("patches", "patches/low_dose.npy"),
        full_dose=stage_input("patches", "patches/full_dose.npy"),
        index=stage_input("patches", "patches/index.tsv"),
        optimum=stage_input("last_layer_optimum", "dncnn/last_layer_optimum.pt"),
    output:
        model="results/{study}dncnn/{variant}/model.pt",
        convergence="results/{study}dncnn/{variant}/optimum.json",
        per_dose=report(
            "results/{study}dncnn/{variant}/per_dose.tsv",
            caption="report/per_dose_table.rst",
            category="Training",
            labels={
                "table": "Per-dose validation scores (TSV)",
                "variant": "{variant}",
            },
        ),
        epochs=report(
            "results/{study}dncnn/{variant}/epochs.tsv",
            caption="report/epochs_table.rst",
            category="Training",
            labels={"table": "Fine-tuning epochs (TSV)", "variant": "{variant}"},
        ),
    log:
        "results/{study}logs/finetune_dncnn/{variant}.log",
    benchmark:
        "results/{study}benchmarks/finetune_dncnn/{variant}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: network_threads
    resources:
        gpu=1,
    params:
        settings=study_setting("dncnn", "finetune"),
        layers=lambda wildcards: STUDY.method(wildcards.variant).finetune,
        hu_window=study_setting("dncnn", "hu_window"),
        hu_scaling=study_setting("dncnn", "hu_scaling"),
        seed=config["seed"],
        device=config["dncnn"]["device"],
        checkpoint="results/{study}checkpoints/{variant}/last.pt",
    script:
        "../workflow_scripts/finetune_dncnn.py"
