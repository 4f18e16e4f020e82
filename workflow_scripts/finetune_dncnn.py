"""Rule finetune_dncnn: transfer learning of the original DnCNN on the CT patches."""

import numpy as np
import torch

from ldct.dncnn import load_model, save_checkpoint
from ldct.finetune import VARIANTS, finetune
from ldct.storage import load_array, read_table, write_table
from ldct.training import HISTORY_COLUMNS
from ldct.workflow import run_rule


def main():
    torch.set_num_threads(snakemake.threads)
    variant = snakemake.wildcards.variant
    pretrained, _ = load_model(snakemake.input.pretrained)
    is_validation = np.array([row["split"] == "validation" for row in read_table(snakemake.input.index)])
    model, history = finetune(
        pretrained,
        variant,
        load_array(snakemake.input.low_dose),
        load_array(snakemake.input.full_dose),
        is_validation,
        tuple(snakemake.params.hu_window),
        snakemake.params.settings,
        snakemake.params.seed,
        snakemake.params.checkpoint,
        snakemake.params.device,
    )
    info = {"variant": variant, "updates": VARIANTS[variant], "settings": snakemake.params.settings}
    save_checkpoint(snakemake.output.model, model, info)
    write_table(snakemake.output.epochs, history, HISTORY_COLUMNS)


run_rule(snakemake, main)
