"""Rule finetune_dncnn: transfer learning of the original DnCNN on the CT patches."""

import numpy as np

from ldct.core.devices import resolve_device, set_torch_threads
from ldct.core.errors import LdctInputError
from ldct.core.methods import FINETUNE_LAYERS
from ldct.core.storage import load_array, read_table, table_number, write_table
from ldct.core.window import HuWindow
from ldct.denoising.checkpoints import load_model, save_checkpoint
from ldct.denoising.scaling import minmax_scaling, window_scaling
from ldct.training.finetune import finetune
from ldct.training.loop import HISTORY_COLUMNS
from ldct.workflow import config_value, run_rule


def patch_scaling(index):
    """The HU scaling of every patch: the config window, or its low-dose slice's min and max."""
    if snakemake.params.hu_scaling == "window":
        with config_value("dncnn.hu_window"):
            return window_scaling(HuWindow.from_settings(snakemake.params.hu_window))
    try:
        extremes = [(table_number(row["low_dose_min_hu"]), table_number(row["low_dose_max_hu"])) for row in index]
    except KeyError as error:
        raise LdctInputError(f"{snakemake.input.index}: no column {error}; make the patches again") from error
    names = [f"training image '{row['image']}' at dose {row['dose']}" for row in index]
    # The slices are float32: the table's 10 significant digits give their extremes back exactly.
    return minmax_scaling(*np.array(extremes, dtype=np.float32).T, names)


def main():
    set_torch_threads(snakemake.threads)
    variant, layers = snakemake.wildcards.variant, snakemake.params.layers
    with config_value("dncnn.device"):
        device = resolve_device(snakemake.params.device).type
    pretrained, _ = load_model(snakemake.input.pretrained)
    index = read_table(snakemake.input.index)
    is_validation = np.array([row["split"] == "validation" for row in index])
    settings = snakemake.params.settings
    model, history = finetune(
        pretrained,
        variant,
        layers,
        load_array(snakemake.input.low_dose),
        load_array(snakemake.input.full_dose),
        is_validation,
        patch_scaling(index),
        settings,
        snakemake.params.seed,
        snakemake.params.checkpoint,
        device,
    )
    info = {
        "variant": variant,
        "updates": FINETUNE_LAYERS[layers],
        "settings": settings,
        "hu_scaling": snakemake.params.hu_scaling,
        "batchnorm": settings["batchnorm"],
    }
    save_checkpoint(snakemake.output.model, model, info)
    write_table(snakemake.output.epochs, history, HISTORY_COLUMNS)


run_rule(snakemake, main)
