"""Rule finetune_dncnn: transfer learning of the original DnCNN on the CT patches, whether it
converged (its training loss against the last layer's exact optimum), and what it does to the
validation patches dose by dose, from its start (epoch 0) to every epoch."""

import torch

from ldct.core.devices import resolve_device, set_torch_threads
from ldct.core.methods import FINETUNE_LAYERS
from ldct.core.storage import save_json, write_table
from ldct.denoising.checkpoints import load_model, save_checkpoint
from ldct.training.convergence import convergence_record, training_loss
from ldct.training.finetune import FINETUNE_HISTORY_COLUMNS, finetune, start_network
from ldct.training.patch_set import PatchSet
from ldct.training.per_dose import PER_DOSE_COLUMNS, PerDoseValidation, per_dose_table
from ldct.workflow import config_value, run_rule


def main():
    set_torch_threads(snakemake.threads)
    variant, layers = snakemake.wildcards.variant, snakemake.params.layers
    with config_value("dncnn.device"):
        device = resolve_device(snakemake.params.device).type
    pretrained, _ = load_model(snakemake.input.pretrained)
    patches = PatchSet.of_rule(snakemake)
    optimum = torch.load(snakemake.input.optimum, map_location="cpu", weights_only=True)
    settings = snakemake.params.settings
    weights = patches.loss_weights(settings["loss"])
    model, history = finetune(
        pretrained,
        variant,
        layers,
        patches.low_hu,
        patches.full_hu,
        patches.is_validation,
        patches.scaling,
        settings,
        snakemake.params.seed,
        snakemake.params.checkpoint,
        device,
        optimum=optimum,
        doses=patches.doses,
        weights=weights,
    )
    info = {
        "variant": variant,
        "updates": FINETUNE_LAYERS[layers],
        "settings": settings,
        "hu_scaling": snakemake.params.hu_scaling,
        "batchnorm": settings["batchnorm"],
    }
    save_checkpoint(snakemake.output.model, model, info)
    write_table(snakemake.output.epochs, history, FINETUNE_HISTORY_COLUMNS)
    validation = PerDoseValidation.of_patches(patches, resolve_device(device))
    start = validation.rows(start_network(pretrained, layers, settings["solver"], optimum).to(validation.device))
    write_table(snakemake.output.per_dose, per_dose_table(start, history), PER_DOSE_COLUMNS)
    kept = next((row["epoch"] for row in history if row["kept"]), 0)  # 0: the start was kept
    trained = training_loss(
        model, patches.low_hu, patches.full_hu, ~patches.is_validation, patches.scaling, device, weights
    )
    record = convergence_record(layers, settings["solver"], trained, optimum["loss"], kept)
    save_json(snakemake.output.convergence, {**record, "loss": settings["loss"]})


run_rule(snakemake, main)
