"""Rule denoise: one method applied to every realization of one slice at one dose.

The sidecar is the low-dose stack's plus the method and its parameters; its ``inputs`` (path ->
hex SHA-256 of the low-dose stack and, for a CNN, the weights) replace the low-dose stack's.
"""

import numpy as np

from ldct.denoise import denoise
from ldct.provenance import input_checksums
from ldct.storage import draws, load_image, save_stack
from ldct.workflow import config_value, run_rule


def denoise_with_network(stack, meta):
    """The low-dose stack through the method's DnCNN, and the HU scaling it used (sidecar
    entries); torch is imported for CNN jobs only."""
    from ldct.checkpoints import load_model
    from ldct.devices import resolve_device, set_torch_threads
    from ldct.inference import denoise_stack
    from ldct.scaling import stack_scaling
    from ldct.window import HuWindow

    set_torch_threads(snakemake.threads)
    network = snakemake.params.network
    with config_value("dncnn.device"):
        device = resolve_device(network["device"]).type
    names = [
        f"{snakemake.input.images}: image {meta['image']} at dose {dose}, realization {realization}"
        for dose, realization in draws(meta)
    ]
    scaling = stack_scaling(network["hu_scaling"], stack, HuWindow.from_settings(network["hu_window"]), names)
    model, _ = load_model(snakemake.input.model)
    return denoise_stack(model, stack, scaling, device), scaling.describe()


def main():
    stack, meta = load_image(snakemake.input.images)
    method, parameters = snakemake.wildcards.method, dict(snakemake.params.parameters)
    if "model" in snakemake.input.keys():
        denoised, scaling = denoise_with_network(stack, meta)
        parameters.update(model=snakemake.input.model, **scaling)
    else:
        denoised = np.stack([denoise(image, method, parameters) for image in stack])
    meta.update(method=method, method_parameters=parameters, inputs=input_checksums(snakemake.input))
    save_stack(snakemake.output.images, denoised, meta)


run_rule(snakemake, main)
