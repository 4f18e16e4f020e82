"""Rule last_layer_optimum: the exact least-squares optimum of the original DnCNN's last layer on
the CT training patches (the fine-tunings start from it or are measured against it)."""

import torch

from ldct.core.devices import resolve_device, set_torch_threads
from ldct.core.storage import save_json
from ldct.denoising.checkpoints import load_model, save_torch
from ldct.training.last_layer import layer_weights, mean_loss, network_equations, solve
from ldct.training.loss import LOSS_DEFINITIONS
from ldct.training.patch_set import PatchSet
from ldct.workflow import config_value, run_rule


def main():
    set_torch_threads(snakemake.threads)
    with config_value("dncnn.device"):
        device = resolve_device(snakemake.params.device)
    pretrained, _ = load_model(snakemake.input.pretrained)
    patches = PatchSet.of_rule(snakemake)
    weights = patches.loss_weights(snakemake.params.loss)
    training = ~patches.is_validation
    equations = network_equations(
        pretrained.to(device),
        torch.from_numpy(patches.scaling.to_network(patches.low_hu)[training, None]).to(device),
        torch.from_numpy(patches.scaling.to_network(patches.full_hu)[training, None]).to(device),
        None if weights is None else torch.from_numpy(weights[training]),
    )
    weights, loss = solve(equations)
    save_torch(snakemake.output.weights, {"weights": weights, "loss": loss})
    save_json(
        snakemake.output.summary,
        {
            "optimum_loss": loss,
            "pretrained_loss": mean_loss(equations, layer_weights(pretrained.last_layer)),
            "input_loss": equations.residual_squares / equations.total_weight,
            "training_patches": int(training.sum()),
            "pixels": equations.count,
            "parameters": len(weights),
            "loss": snakemake.params.loss,
            "loss_definition": LOSS_DEFINITIONS[snakemake.params.loss],
        },
    )


run_rule(snakemake, main)
