"""Rule denoise: one method applied to every realization of one slice at one dose (of each of
the job's slices, in the order of its outputs).

Each slice's sidecar is its low-dose stack's plus the method and its parameters; its ``inputs``
(path -> hex SHA-256 of that low-dose stack and, for a CNN, the weights) replace the low-dose
stack's.
"""

import numpy as np

from ldct.core.stacks import draws
from ldct.core.storage import load_image, save_stack
from ldct.denoising.filters import denoise
from ldct.report.provenance import input_checksums
from ldct.workflow import config_value, run_rule


def network_denoiser():
    """A function (low-dose path, stack, sidecar) -> (denoised stack, HU scaling it used as
    sidecar entries) running the method's DnCNN, loaded once for all of the job's slices;
    torch is imported for CNN jobs only."""
    from ldct.core.devices import resolve_device, set_torch_threads
    from ldct.core.window import HuWindow
    from ldct.denoising.network import load_network_denoiser

    set_torch_threads(snakemake.threads)
    network = snakemake.params.network
    with config_value("dncnn.device"):
        device = resolve_device(network["device"]).type
    window = HuWindow.from_settings(network["hu_window"])
    denoiser = load_network_denoiser(snakemake.input.model, network["hu_scaling"], window, device)

    def run(path, stack, meta):
        names = [
            f"{path}: image {meta['image']} at dose {dose}, realization {realization}"
            for dose, realization in draws(meta)
        ]
        denoised, scaling = denoiser(stack, names)
        return denoised, scaling.describe()

    return run


def main():
    method = snakemake.wildcards.method
    network = network_denoiser() if "model" in snakemake.input.keys() else None
    weights = [snakemake.input.model] if network else []
    for low_dose, denoised_path in zip(snakemake.input.images, snakemake.output.images, strict=True):
        stack, meta = load_image(low_dose)
        parameters = dict(snakemake.params.parameters)
        if network:
            denoised, scaling = network(low_dose, stack, meta)
            parameters.update(model=snakemake.input.model, **scaling)
        else:
            denoised = np.stack([denoise(image, method, parameters) for image in stack])
        meta.update(
            method=method,
            method_parameters=parameters,
            inputs=input_checksums([low_dose, *weights]),
        )
        save_stack(denoised_path, denoised, meta)


run_rule(snakemake, main)
