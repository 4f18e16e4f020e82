"""Rule import_pretrained_dncnn: the original DnCNN from a shipped or the user's checkpoint."""

from ldct.training.checkpoint_import import import_checkpoint
from ldct.workflow import run_rule


def main():
    import_checkpoint(
        snakemake.params.source,
        snakemake.input.checkpoint,
        snakemake.output.model,
        snakemake.output.epochs,
        snakemake.output.manifest,
    )


run_rule(snakemake, main)
