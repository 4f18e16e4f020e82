"""What projection-domain noise costs beside image-domain noise, per slice and for the study
(benchmarks/results.md, "Projection-domain simulation").

* On a 250 x 350 slice at 1 mm (the study's size: an ellipse of soft tissue with a spine), times
  side by side, interleaved, best of ``--repeats``: one image-domain draw (``noise.spectrum:
  mtf2``), the projection scan of the slice (forward projection and I0 calibration, once per
  slice and job), and one projection-domain draw (a filtered back-projection).
* From those, what the default study's simulation jobs would cost with ``noise.domain:
  projection``: each of its simulate jobs makes one scan, then one draw per dose and
  realization.
* ``--into results.json`` adds the result to the suite's results under ``projection``, so that
  ``python benchmarks/run.py --report-only`` writes it into ``results.md``.

    python benchmarks/projection_speed.py [--repeats 3] [--into benchmarks/results.json]
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import yaml

from ldct.simulation.low_dose import NoiseSettings, projection_scan, simulate_low_dose
from ldct.simulation.mtf import parametric_mtf
from ldct.study.design import load_study
from timing import dated, separate

REPO = Path(__file__).resolve().parents[1]
SHAPE = (250, 350)
SPACING = (1.0, 1.0)


def phantom() -> np.ndarray:
    """Soft tissue (40 HU) in an ellipse filling the slice, a spine (700 HU) behind its centre."""
    rows, cols = np.mgrid[: SHAPE[0], : SHAPE[1]]
    image = np.full(SHAPE, -1000.0)
    image[((rows - 125) / 110) ** 2 + ((cols - 175) / 165) ** 2 < 1] = 40.0
    image[(rows - 200) ** 2 + (cols - 175) ** 2 < 18**2] = 700.0
    return image


def best_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(repeats: int) -> dict:
    image, curve = phantom(), parametric_mtf(0.35, 0.60)
    base = dict(law="quantum", multiplier_applies_to="total", spectrum="mtf2",
                full_dose_sigma_hu=10.0, full_dose_photons=1e4)
    image_domain, projection = NoiseSettings(**base), NoiseSettings(**base, domain="projection")
    scan = projection_scan(image, SPACING, curve)
    scan.full_dose_photons(10.0)
    seed = np.random.SeedSequence(1)
    timings = {"image_draw_s": [], "scan_s": [], "projection_draw_s": []}
    for _ in range(repeats):  # interleaved, so that both see the same machine load
        timings["image_draw_s"].append(best_seconds(
            lambda: simulate_low_dose(image, SPACING, 0.1, image_domain, curve, seed), 1))
        timings["scan_s"].append(best_seconds(
            lambda: projection_scan(image, SPACING, curve).full_dose_photons(10.0), 1))
        timings["projection_draw_s"].append(best_seconds(
            lambda: simulate_low_dose(image, SPACING, 0.1, projection, curve, seed, scan), 1))
    result = {name: min(values) for name, values in timings.items()}
    study = load_study(yaml.safe_load((REPO / "config" / "config.yaml").read_text()),
                       REPO / "config" / "schema.yaml")
    eval_jobs = len(study.eval_images) * len(study.eval_doses)
    train_slices = len(study.train_images)
    draws = eval_jobs * study.realizations + train_slices * len(study.train_doses)
    result.update(
        jobs=eval_jobs + train_slices,
        draws=draws,
        study_image_s=draws * result["image_draw_s"],
        study_projection_s=(eval_jobs + train_slices) * result["scan_s"] + draws * result["projection_draw_s"],
    )
    return result


def markdown(result: dict) -> str:
    ratio = result["projection_draw_s"] / result["image_draw_s"]
    return "\n".join([
        dated(result, f"a 250 x 350 slice at 1 mm, {result['machine']['cpu_capability']}, best of the "
              "interleaved runs:"),
        "",
        "| step | s |",
        "| --- | --- |",
        f"| image-domain draw (`mtf2`) | {result['image_draw_s']:.3f} |",
        f"| projection scan of the slice (radon, I0 calibration; once per job) | {result['scan_s']:.3f} |",
        f"| projection-domain draw (FBP of the noise) | {result['projection_draw_s']:.3f} |",
        "",
        f"A projection draw costs **{ratio:.1f}x** an image draw. The default study's "
        f"{result['jobs']} simulation jobs make {result['draws']} draws: "
        f"{result['study_image_s']:.0f} s of simulation in the image domain, "
        f"{result['study_projection_s']:.0f} s in the projection domain "
        f"(+{result['study_projection_s'] - result['study_image_s']:.0f} CPU-s).",
    ])


def main() -> None:
    separate(__doc__.splitlines()[0], "projection", measure, markdown)


if __name__ == "__main__":
    main()
