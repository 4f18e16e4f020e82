"""Rule per_dose_original: what the original DnCNN does to the CT validation patches, dose by dose
(RMSE in HU and SSIM of its input and output; the fine-tunings' tables start from the same rows)."""

from ldct.core.devices import resolve_device, set_torch_threads
from ldct.core.storage import write_table
from ldct.denoising.checkpoints import load_model
from ldct.training.patch_set import PatchSet
from ldct.training.per_dose import PER_DOSE_COLUMNS, PerDoseValidation, per_dose_table
from ldct.workflow import config_value, run_rule


def main():
    set_torch_threads(snakemake.threads)
    with config_value("dncnn.device"):
        device = resolve_device(snakemake.params.device)
    original, _ = load_model(snakemake.input.pretrained)
    patches = PatchSet.of_rule(snakemake)
    rows = PerDoseValidation.of_patches(patches, device).rows(original.to(device))
    write_table(snakemake.output.per_dose, per_dose_table(rows, []), PER_DOSE_COLUMNS)


run_rule(snakemake, main)
