"""Rule per_dose_original: what the original DnCNN does to the CT validation patches, dose by dose
(RMSE in HU and SSIM of its input and output; the fine-tunings' tables start from the same rows)."""

from ldct.core.devices import resolve_device, set_torch_threads
from ldct.core.storage import load_array, read_table, write_table
from ldct.denoising.checkpoints import load_model
from ldct.training.patches import patch_doses, patch_scaling, validation_flags
from ldct.training.per_dose import PER_DOSE_COLUMNS, PerDoseValidation, per_dose_table
from ldct.workflow import config_value, run_rule


def main():
    set_torch_threads(snakemake.threads)
    with config_value("dncnn.device"):
        device = resolve_device(snakemake.params.device)
    original, _ = load_model(snakemake.input.pretrained)
    index = read_table(snakemake.input.index)
    scaling = patch_scaling(index, snakemake.params.hu_scaling, snakemake.params.hu_window, snakemake.input.index)
    validation = PerDoseValidation.of_patches(
        load_array(snakemake.input.low_dose),
        load_array(snakemake.input.full_dose),
        patch_doses(index),
        validation_flags(index),
        scaling,
        device,
    )
    rows = validation.rows(original.to(device))
    write_table(snakemake.output.per_dose, per_dose_table(rows, []), PER_DOSE_COLUMNS)


run_rule(snakemake, main)
