"""Rule denoise: one method applied to every realization of one slice at one dose."""

import numpy as np

from ldct.denoise import denoise
from ldct.storage import load_image, save_stack
from ldct.workflow import config_value, run_rule


def denoise_with_network(stack):
    """The low-dose stack through the method's DnCNN; torch is imported for CNN jobs only."""
    from ldct.checkpoints import load_model
    from ldct.devices import resolve_device, set_torch_threads
    from ldct.inference import denoise_stack
    from ldct.window import HuWindow

    set_torch_threads(snakemake.threads)
    network = snakemake.params.network
    with config_value("dncnn.device"):
        device = resolve_device(network["device"]).type
    model, _ = load_model(snakemake.input.model)
    return denoise_stack(model, stack, HuWindow.from_settings(network["hu_window"]), device)


def main():
    stack, meta = load_image(snakemake.input.images)
    method, parameters = snakemake.wildcards.method, dict(snakemake.params.parameters)
    if "model" in snakemake.input.keys():
        denoised = denoise_with_network(stack)
        parameters.update(
            model=snakemake.input.model, hu_window=dict(snakemake.params.network["hu_window"])
        )
    else:
        denoised = np.stack([denoise(image, method, parameters) for image in stack])
    meta.update(method=method, method_parameters=parameters)
    save_stack(snakemake.output.images, denoised, meta)


run_rule(snakemake, main)
