"""Rule finetune_dncnn: transfer learning of the original DnCNN on the CT patches."""

import numpy as np

from ldct.checkpoints import load_model, save_checkpoint
from ldct.devices import resolve_device, set_torch_threads
from ldct.finetune import finetune
from ldct.methods import FINETUNE_LAYERS
from ldct.storage import load_array, read_table, write_table
from ldct.training import HISTORY_COLUMNS
from ldct.window import HuWindow
from ldct.workflow import config_value, run_rule


def main():
    set_torch_threads(snakemake.threads)
    variant, layers = snakemake.wildcards.variant, snakemake.params.layers
    with config_value("dncnn.device"):
        device = resolve_device(snakemake.params.device).type
    pretrained, _ = load_model(snakemake.input.pretrained)
    is_validation = np.array([row["split"] == "validation" for row in read_table(snakemake.input.index)])
    model, history = finetune(
        pretrained,
        variant,
        layers,
        load_array(snakemake.input.low_dose),
        load_array(snakemake.input.full_dose),
        is_validation,
        HuWindow.from_settings(snakemake.params.hu_window),
        snakemake.params.settings,
        snakemake.params.seed,
        snakemake.params.checkpoint,
        device,
    )
    info = {"variant": variant, "updates": FINETUNE_LAYERS[layers], "settings": snakemake.params.settings}
    save_checkpoint(snakemake.output.model, model, info)
    write_table(snakemake.output.epochs, history, HISTORY_COLUMNS)


run_rule(snakemake, main)
