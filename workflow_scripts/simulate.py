"""Rule simulate: one low-dose realization of one full-dose slice."""

import logging

from ldct.mtf import read_mtf_table, tabulated_mtf
from ldct.noise import noise_sd_multiplier, simulate_low_dose, simulation_seed
from ldct.storage import load_image, save_image
from ldct.workflow import run_rule


def main():
    image, meta = load_image(snakemake.input.image)
    noise = snakemake.params.noise
    dose, realization = snakemake.params.dose, snakemake.params.realization
    seed = simulation_seed(snakemake.params.seed, meta["image"], dose, realization)
    low_dose = simulate_low_dose(
        image,
        tuple(meta["pixel_spacing_mm"]),
        dose,
        law=noise["law"],
        full_dose_sigma_hu=noise["full_dose_sigma_hu"],
        full_dose_photons=noise["full_dose_photons"],
        curve=tabulated_mtf(*read_mtf_table(snakemake.input.mtf)),
        seed=seed,
    )
    multiplier = noise_sd_multiplier(dose, noise["law"])
    logging.info("dose %s: noise SD x%.3f of the full-dose %s HU", dose, multiplier, noise["full_dose_sigma_hu"])
    meta.update(
        dose=dose,
        realization=realization,
        seed_entropy=[int(value) for value in seed.entropy],
        noise=dict(noise, sd_multiplier=multiplier),
    )
    save_image(snakemake.output.image, low_dose, meta)


run_rule(snakemake, main)
