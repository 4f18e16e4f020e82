"""Rule figure_images: the eval slice by dose and method, whole and enlarged (the paper's
Fig. 3), and the CNN close-ups (Fig. 5)."""

import logging

from ldct.core.doses import dose_caption
from ldct.core.errors import LdctInputError
from ldct.core.methods import method_label
from ldct.core.stacks import realization_images
from ldct.core.storage import load_image
from ldct.core.window import HuWindow
from ldct.report.figures.images import RegionOfInterest, plot_image_grid
from ldct.report.figures.style import FULL_DOSE_LABEL, save_figure
from ldct.workflow import run_rule

LOW_DOSE_LABEL = method_label("noisy")


def main():
    params = snakemake.params
    full_dose, meta = load_image(snakemake.input.full_dose)
    region = RegionOfInterest(**params.roi)
    if not region.fits(full_dose.shape):
        raise LdctInputError(
            f"config key figures.roi: {params.roi} does not fit in image '{meta['image']}' "
            f"of {full_dose.shape[0]} x {full_dose.shape[1]} px"
        )
    panels = {}
    low_dose = realization_images(snakemake.input.low_dose, params.realization)
    denoised = realization_images(snakemake.input.denoised, params.realization, "method")
    for dose, image in low_dose.items():
        panels[(dose_caption(dose), FULL_DOSE_LABEL)] = full_dose
        panels[(dose_caption(dose), LOW_DOSE_LABEL)] = image
    for (dose, method), image in denoised.items():
        panels[(dose_caption(dose), method_label(method))] = image
    rows = [dose_caption(dose) for dose in params.doses]
    columns = [FULL_DOSE_LABEL, LOW_DOSE_LABEL] + [method_label(m) for m in params.methods]
    cnn_columns = [FULL_DOSE_LABEL, LOW_DOSE_LABEL] + [method_label(m) for m in params.cnn_methods]
    logging.info("columns: %s", ", ".join(columns))
    window = HuWindow.from_settings(params.window)
    where = f"image {meta['image']}, realization {params.realization}"
    figures = {
        "slices": plot_image_grid(
            panels, rows, columns, window, f"Denoised slices, {where}; red: enlarged region", region
        ),
        "slices_roi": plot_image_grid(
            panels, rows, columns, window, f"Enlarged region, {where}", region, enlarge=True
        ),
        "cnn_closeups": plot_image_grid(
            panels, rows, cnn_columns, window, f"CNN close-ups, {where}", region, enlarge=True
        ),
    }
    for name, figure in figures.items():
        save_figure(figure, snakemake.output[name], params.dpi)


run_rule(snakemake, main)
