"""Rule denoise: one method applied to every realization of one slice at one dose (of each of
the job's slices, in the order of its outputs).

Each slice's sidecar is its low-dose stack's plus the method and its parameters (for a method
that is told the noise SD, each image's under ``noise_sd_hu``); its ``inputs``
(path -> hex SHA-256 of that low-dose stack and, for a CNN, the weights, for a method told the
noise's spectrum the MTF table) replace the low-dose stack's.
"""

import numpy as np

from ldct.core.methods import METHODS
from ldct.core.stacks import draws
from ldct.core.storage import load_image, save_stack
from ldct.denoising.bm3d import bm3d_psd
from ldct.denoising.filters import denoise
from ldct.report.provenance import input_checksums
from ldct.simulation.low_dose import stack_noise_sd_hu
from ldct.simulation.mtf import read_mtf_table, tabulated_mtf
from ldct.simulation.nps import stack_noise_power_spectra
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


def known_noise(meta, stack):
    """Per image of a simulated stack, what the method is told of its noise: the SD (HU) and
    the power spectrum (the bm3d package's convention), as the registry says it takes them."""
    entry = METHODS[snakemake.wildcards.method]
    told = [{} for _ in stack]
    if entry.noise_sd:
        for extra, sd in zip(told, stack_noise_sd_hu(meta)):
            extra["noise_sd_hu"] = sd
    if entry.noise_psd:
        curve = tabulated_mtf(*read_mtf_table(snakemake.input.mtf))
        spacing = tuple(meta["pixel_spacing_mm"])
        for extra, nps in zip(told, stack_noise_power_spectra(meta, stack.shape[1:], curve)):
            extra["noise_psd"] = bm3d_psd(nps, spacing)
    return told


def main():
    method = snakemake.wildcards.method
    network = network_denoiser() if "model" in snakemake.input.keys() else None
    other_inputs = [snakemake.input.model] if network else []
    other_inputs += [snakemake.input.mtf] if "mtf" in snakemake.input.keys() else []
    for low_dose, denoised_path in zip(snakemake.input.images, snakemake.output.images, strict=True):
        stack, meta = load_image(low_dose)
        parameters = dict(snakemake.params.parameters)
        if network:
            denoised, scaling = network(low_dose, stack, meta)
            parameters.update(model=snakemake.input.model, **scaling)
        else:
            denoised = np.stack(
                [denoise(image, method, parameters, **known) for image, known in zip(stack, known_noise(meta, stack))]
            )
            if METHODS[method].noise_sd:
                parameters.update(noise_sd_hu=stack_noise_sd_hu(meta))
        meta.update(
            method=method,
            method_parameters=parameters,
            inputs=input_checksums([low_dose, *other_inputs]),
        )
        save_stack(denoised_path, denoised, meta)


run_rule(snakemake, main)
