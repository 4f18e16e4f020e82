"""Rule denoise: one method applied to one low-dose image."""

import torch

from ldct.denoise import denoise
from ldct.dncnn import denoise_hu, load_model
from ldct.storage import load_image, save_image
from ldct.workflow import run_rule


def main():
    image, meta = load_image(snakemake.input.image)
    method, parameters = snakemake.wildcards.method, dict(snakemake.params.parameters)
    if "model" in snakemake.input.keys():
        torch.set_num_threads(snakemake.threads)
        model, _ = load_model(snakemake.input.model)
        window = tuple(snakemake.params.network["hu_window"])
        denoised = denoise_hu(model, image, window, snakemake.params.network["device"])
        parameters.update(model=snakemake.input.model, hu_window=list(window))
    else:
        denoised = denoise(image, method, parameters)
    meta.update(method=method, method_parameters=parameters)
    save_image(snakemake.output.image, denoised, meta)


run_rule(snakemake, main)
