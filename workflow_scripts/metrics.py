"""Rule metrics: SSIM and PSNR of one denoised image against its full-dose original."""

from ldct.metrics import paper_metrics, window_metrics
from ldct.storage import load_image, write_table
from ldct.window import HuWindow
from ldct.workflow import run_rule


def main():
    test, meta = load_image(snakemake.input.test)
    reference, _ = load_image(snakemake.input.reference)
    row = {
        "image": meta["image"],
        "dose": meta["dose"],
        "realization": meta["realization"],
        "method": meta["method"],
        **paper_metrics(test, reference),
        **window_metrics(test, reference, HuWindow.from_settings(snakemake.params.window)),
    }
    write_table(snakemake.output.table, [row], list(row))


run_rule(snakemake, main)
