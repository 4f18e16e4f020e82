"""Rule denoise: one method applied to one low-dose image."""

from ldct.denoise import denoise
from ldct.storage import load_image, save_image
from ldct.workflow import config_value, run_rule


def denoise_with_network(image):
    """The low-dose image through the method's DnCNN; torch is imported for CNN jobs only."""
    import torch

    from ldct.checkpoints import load_model
    from ldct.devices import resolve_device
    from ldct.dncnn import denoise_hu
    from ldct.window import HuWindow

    torch.set_num_threads(snakemake.threads)
    network = snakemake.params.network
    with config_value("dncnn.device"):
        device = resolve_device(network["device"]).type
    model, _ = load_model(snakemake.input.model)
    window = HuWindow.from_settings(network["hu_window"])
    return denoise_hu(model, image, window, device)


def main():
    image, meta = load_image(snakemake.input.image)
    method, parameters = snakemake.wildcards.method, dict(snakemake.params.parameters)
    if "model" in snakemake.input.keys():
        denoised = denoise_with_network(image)
        parameters.update(
            model=snakemake.input.model, hu_window=dict(snakemake.params.network["hu_window"])
        )
    else:
        denoised = denoise(image, method, parameters)
    meta.update(method=method, method_parameters=parameters)
    save_image(snakemake.output.image, denoised, meta)


run_rule(snakemake, main)
