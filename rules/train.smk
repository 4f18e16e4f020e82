if config["dncnn"]["pretrain"]["source"] == "train":

    rule pretrain_dncnn:
        """The original DnCNN: Gaussian (sigma 25/255) denoising of natural-image patches."""
        output:
            model="results/dncnn/pretrained/model.pt",
            epochs="results/dncnn/pretrained/epochs.tsv",
            manifest="results/dncnn/pretrained/manifest.json",
        log:
            "results/logs/pretrain_dncnn.log",
        benchmark:
            "results/benchmarks/pretrain_dncnn.tsv"
        conda:
            "../envs/torch.yaml"
        threads: config["dncnn"]["threads"]
        resources:
            gpu=1,
        params:
            settings=config["dncnn"]["pretrain"],
            seed=config["seed"],
            device=config["dncnn"]["device"],
            checkpoint="results/checkpoints/pretrained/last.pt",
        script:
            "../workflow_scripts/pretrain_dncnn.py"
