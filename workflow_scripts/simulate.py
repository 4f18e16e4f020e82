"""Rules simulate and simulate_training: low-dose versions of one full-dose slice, one stack.

The stack holds one image per (dose, realization) of params ``doses`` x ``realizations``,
dose-major; its sidecar lists both, and each draw's seed.
"""

import logging

from ldct.mtf import read_mtf_table, tabulated_mtf
from ldct.noise import noise_sd_multiplier, simulate_draws
from ldct.storage import load_image, save_stack
from ldct.workflow import run_rule


def main():
    image, meta = load_image(snakemake.input.image)
    noise = snakemake.params.noise
    doses, realizations = list(snakemake.params.doses), list(snakemake.params.realizations)
    stack, seeds = simulate_draws(
        image,
        tuple(meta["pixel_spacing_mm"]),
        [(dose, realization) for dose in doses for realization in realizations],
        noise["law"],
        noise["full_dose_sigma_hu"],
        noise["full_dose_photons"],
        tabulated_mtf(*read_mtf_table(snakemake.input.mtf)),
        snakemake.params.seed,
        meta["image"],
    )
    multipliers = [noise_sd_multiplier(dose, noise["law"]) for dose in doses]
    for dose, multiplier in zip(doses, multipliers):
        logging.info("dose %s: noise SD x%.3f of the full-dose %s HU", dose, multiplier, noise["full_dose_sigma_hu"])
    meta.update(
        doses=doses,
        realizations=realizations,
        seed_entropy=[[int(value) for value in seed.entropy] for seed in seeds],
        noise=dict(noise, sd_multipliers=multipliers),
    )
    save_stack(snakemake.output.images, stack, meta)


run_rule(snakemake, main)
