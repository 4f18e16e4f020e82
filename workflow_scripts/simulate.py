"""Rules simulate and simulate_training: low-dose versions of one full-dose slice, one stack.

The stack holds one image per (dose, realization) of params ``doses`` x ``realizations``,
dose-major; its sidecar lists both, each draw's seed, and under ``noise`` the settings, the
full-dose noise SD used (``full_dose_sigma_hu``, HU) and where it came from
(``full_dose_sigma_source``: ``config``, or the noise table's source for ``measure``); in the
projection domain also the calibrated photons per ray at full dose (``photons_per_ray``).
Its ``inputs`` (path -> hex SHA-256 of the HU image, the MTF table and any noise table) replace
those of the HU image's sidecar, whose other entries it keeps.
"""

import logging

from ldct.core.storage import load_image, read_table, save_stack
from ldct.report.provenance import input_checksums
from ldct.simulation.full_dose_noise import MEASURE, used_sigma
from ldct.simulation.low_dose import (
    NoiseSettings,
    noise_sd_multiplier,
    projection_scan,
    simulate_draws,
)
from ldct.simulation.mtf import read_mtf_table, tabulated_mtf
from ldct.workflow import run_rule


def main():
    image, meta = load_image(snakemake.input.image)
    spacing = tuple(meta["pixel_spacing_mm"])
    noise = snakemake.params.noise
    if noise["full_dose_sigma_hu"] == MEASURE:
        table = snakemake.input.noise_table
        sigma, source = used_sigma(read_table(table), meta["image"], table)
    else:
        sigma, source = float(noise["full_dose_sigma_hu"]), "config"
    settings = NoiseSettings.from_config(noise, full_dose_sigma_hu=sigma)
    logging.info("full-dose noise SD %.3f HU (%s)", sigma, source)
    doses, realizations = list(snakemake.params.doses), list(snakemake.params.realizations)
    curve = tabulated_mtf(*read_mtf_table(snakemake.input.mtf))
    scan, extra = None, {}
    if settings.domain == "projection":
        scan = projection_scan(image, spacing, curve)
        extra["photons_per_ray"] = scan.full_dose_photons(sigma)
        logging.info("projection domain: %.4g photons per ray at full dose", extra["photons_per_ray"])
    stack, seeds = simulate_draws(
        image,
        spacing,
        [(dose, realization) for dose in doses for realization in realizations],
        settings,
        curve,
        snakemake.params.seed,
        meta["image"],
        scan,
    )
    multipliers = [noise_sd_multiplier(dose, settings.law) for dose in doses]
    for dose, multiplier in zip(doses, multipliers):
        logging.info(
            "dose %s: multiplier %.3f of the %s noise, added noise SD %.3f HU",
            dose, multiplier, settings.multiplier_applies_to, settings.added_sd_hu(dose),
        )
    meta.update(
        doses=doses,
        realizations=realizations,
        seed_entropy=[[int(value) for value in seed.entropy] for seed in seeds],
        noise=dict(
            noise,
            full_dose_sigma_hu=sigma,
            full_dose_sigma_source=source,
            sd_multipliers=multipliers,
            **extra,
        ),
        inputs=input_checksums(snakemake.input),
    )
    save_stack(snakemake.output.images, stack, meta)


run_rule(snakemake, main)
