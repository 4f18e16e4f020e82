"""Rule metrics: SSIM and PSNR of every denoised realization of one slice and dose against its
full-dose original; a metric that is not finite (NaN, or the infinite PSNR of an image equal to
its original) stops the rule, naming the table."""

from ldct.metrics import METRIC_NAMES, paper_metrics, window_metrics
from ldct.storage import draws, load_image, write_table
from ldct.window import HuWindow
from ldct.workflow import run_rule


def main():
    stack, meta = load_image(snakemake.input.test)
    reference, _ = load_image(snakemake.input.reference)
    window = HuWindow.from_settings(snakemake.params.window)
    rows = [
        {
            "image": meta["image"],
            "dose": dose,
            "realization": realization,
            "method": meta["method"],
            **paper_metrics(test, reference),
            **window_metrics(test, reference, window),
        }
        for test, (dose, realization) in zip(stack, draws(meta))
    ]
    write_table(snakemake.output.table, rows, list(rows[0]), finite_columns=METRIC_NAMES)


run_rule(snakemake, main)
