"""Rule denoise: one method applied to one low-dose image."""

from ldct.denoise import denoise
from ldct.storage import load_image, save_image
from ldct.workflow import run_rule


def main():
    image, meta = load_image(snakemake.input.image)
    method, parameters = snakemake.wildcards.method, dict(snakemake.params.parameters)
    meta.update(method=method, method_parameters=parameters)
    save_image(snakemake.output.image, denoise(image, method, parameters), meta)


run_rule(snakemake, main)
