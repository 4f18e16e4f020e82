"""Rule metrics: SSIM and PSNR of every denoised realization of one slice and dose (of each of
the job's slices, one table each) against its full-dose original; a metric that is not finite
(NaN, or the infinite PSNR of an image equal to its original) stops the rule, naming the
table."""

from ldct.core.stacks import draws
from ldct.core.storage import load_image, write_table
from ldct.core.window import HuWindow
from ldct.evaluation.metrics import METRIC_NAMES, paper_metrics, window_metrics
from ldct.workflow import run_rule


def slice_rows(test_path, reference_path, window):
    """One row per denoised realization in ``test_path``, scored against ``reference_path``."""
    stack, meta = load_image(test_path)
    reference, _ = load_image(reference_path)
    return [
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


def main():
    window = HuWindow.from_settings(snakemake.params.window)
    slices = zip(snakemake.input.test, snakemake.input.reference, snakemake.output.table, strict=True)
    for test, reference, table in slices:
        rows = slice_rows(test, reference, window)
        write_table(table, rows, list(rows[0]), finite_columns=METRIC_NAMES)


run_rule(snakemake, main)
