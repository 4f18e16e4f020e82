"""Rule pretrain_dncnn: the original DnCNN, trained on noisy natural images."""

from ldct.core.devices import resolve_device, set_torch_threads
from ldct.core.storage import file_sha256, save_json, write_table
from ldct.denoising.checkpoints import save_checkpoint
from ldct.training.loop import HISTORY_COLUMNS
from ldct.training.pretrain import pretrain
from ldct.workflow import config_value, run_rule


def main():
    set_torch_threads(snakemake.threads)
    with config_value("dncnn.device"):
        device = resolve_device(snakemake.params.device).type
    model, history, manifest = pretrain(
        snakemake.params.settings,
        snakemake.params.seed,
        snakemake.params.checkpoint,
        device,
    )
    save_checkpoint(snakemake.output.model, model, {"manifest": "manifest.json"})
    write_table(snakemake.output.epochs, history, HISTORY_COLUMNS)
    manifest["sha256"] = file_sha256(snakemake.output.model)
    save_json(snakemake.output.manifest, manifest)


run_rule(snakemake, main)
