if config["dncnn"]["pretrain"]["source"] == "train":

    rule pretrain_dncnn:
        """The original DnCNN: Gaussian (sigma 25/255) denoising of natural-image patches."""
        output:
            model="results/dncnn/pretrained/model.pt",
            epochs=report(
                "results/dncnn/pretrained/epochs.tsv",
                caption="report/epochs_table.rst",
                category="Training",
                labels={"table": "Pretraining epochs (TSV)"},
            ),
            manifest="results/dncnn/pretrained/manifest.json",
        log:
            "results/logs/pretrain_dncnn.log",
        benchmark:
            "results/benchmarks/pretrain_dncnn.tsv"
        conda:
            "../envs/torch.yaml"
        threads: network_threads
        resources:
            gpu=1,
        params:
            settings=config["dncnn"]["pretrain"],
            seed=config["seed"],
            device=config["dncnn"]["device"],
            checkpoint="results/checkpoints/pretrained/last.pt",
        script:
            "../workflow_scripts/pretrain_dncnn.py"

else:

    rule import_pretrained_dncnn:
        """The original DnCNN from a checkpoint file: the shipped one or the user's."""
        input:
            checkpoint=STUDY.pretrained_checkpoint,
        output:
            model="results/dncnn/pretrained/model.pt",
            epochs=report(
                "results/dncnn/pretrained/epochs.tsv",
                caption="report/epochs_table.rst",
                category="Training",
                labels={"table": "Pretraining epochs (TSV)"},
            ),
            manifest="results/dncnn/pretrained/manifest.json",
        log:
            "results/logs/import_pretrained_dncnn.log",
        benchmark:
            "results/benchmarks/import_pretrained_dncnn.tsv"
        conda:
            "../envs/torch.yaml"
        params:
            source=config["dncnn"]["pretrain"]["source"],
        script:
            "../workflow_scripts/import_pretrained_dncnn.py"


rule patches:
    """The CT training set: rotated, mirrored 50x50 low-/full-dose patch pairs of every training slice and dose."""
    input:
        low_dose=expand(
            "results/simulated_training/{image}.npy", image=STUDY.train_images
        ),
        full_dose=expand("results/hu/{image}.npy", image=STUDY.train_images),
    output:
        low_dose="results/patches/low_dose.npy",
        full_dose="results/patches/full_dose.npy",
        index="results/patches/index.tsv",
    log:
        "results/logs/patches.log",
    benchmark:
        "results/benchmarks/patches.tsv"
    conda:
        "../envs/science.yaml"
    params:
        settings=config["dncnn"]["patches"],
        seed=config["seed"],
    script:
        "../workflow_scripts/patches.py"


rule finetune_dncnn:
    """Transfer learning of the original DnCNN on the CT patches (last layer or every layer)."""
    input:
        pretrained="results/dncnn/pretrained/model.pt",
        low_dose="results/patches/low_dose.npy",
        full_dose="results/patches/full_dose.npy",
        index="results/patches/index.tsv",
    output:
        model="results/dncnn/{variant}/model.pt",
        epochs=report(
            "results/dncnn/{variant}/epochs.tsv",
            caption="report/epochs_table.rst",
            category="Training",
            labels={"table": "Fine-tuning epochs (TSV)", "variant": "{variant}"},
        ),
    log:
        "results/logs/finetune_dncnn/{variant}.log",
    benchmark:
        "results/benchmarks/finetune_dncnn/{variant}.tsv"
    conda:
        "../envs/torch.yaml"
    threads: network_threads
    resources:
        gpu=1,
    params:
        settings=config["dncnn"]["finetune"],
        layers=lambda wildcards: STUDY.method(wildcards.variant).finetune,
        hu_window=config["dncnn"]["hu_window"],
        seed=config["seed"],
        device=config["dncnn"]["device"],
        checkpoint="results/checkpoints/{variant}/last.pt",
    script:
        "../workflow_scripts/finetune_dncnn.py"
