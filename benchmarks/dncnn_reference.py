"""The DnCNN authors' trained networks converted to ldct checkpoints, and the conversion proved
against their published PSNR on BSD68 (Zhang et al., 2017, Table II).

Reads ``shared/data/dncnn_reference/`` beside the checkout (or ``--reference``): the authors'
``GD_Gray_Blind.mat`` (DnCNN-B) and ``sigma25.mat`` (DnCNN-S, sigma 25) and the 68 BSD68 test
images. Converts both (:mod:`ldct.denoising.matconvnet`), measures the mean PSNR over BSD68 by the
paper's protocol (:mod:`ldct.evaluation.gaussian_denoising`; image k of the sorted file list
seeded with k), checks the filter axis order by the same test with every filter transposed,
and writes ``ldct/models/authors_dncnn_b.pt`` and ``authors_dncnn_s25.pt`` with ``.json``
manifests (source, SHA-256 of the ``.mat``, architecture, the PSNRs, and the PSNR on
scikit-image's ``camera`` at sigma 25, seed 0, which the tests recompute). Needs ``h5py``.

    python benchmarks/dncnn_reference.py [--reference DIR]
"""

from __future__ import annotations

import argparse
import platform
from datetime import date
from pathlib import Path

import numpy as np
import torch
from skimage import data, io

from ldct.core.storage import file_sha256, save_json
from ldct.denoising.checkpoints import save_checkpoint
from ldct.denoising.matconvnet import convert_matconvnet_dncnn
from ldct.evaluation.gaussian_denoising import denoised_psnr_db

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "ldct" / "models"
SOURCE = "GitHub cszn/DnCNN, commit e93b278 (2021-10-10)"
#: name -> (.mat in the reference folder, its path in the authors' repository, sigmas, published PSNR)
NETWORKS = {
    "authors_dncnn_b": ("models/GD_Gray_Blind.mat", "model/GD_Gray_Blind.mat", (15, 25, 50),
                        {"15": 31.61, "25": 29.16, "50": 26.23}),
    "authors_dncnn_s25": ("models/sigma25.mat", "model/specifics/sigma=25.mat", (25,), {"25": 29.23}),
}
CAMERA_SIGMA, CAMERA_SEED = 25, 0


def bsd68_psnr(model, images: list[np.ndarray], sigma: float) -> float:
    """Mean PSNR (dB) over the images, image k seeded with k."""
    return float(np.mean([denoised_psnr_db(model, image, sigma, k) for k, image in enumerate(images)]))


def transposed(model):
    """The same network with every filter transposed (the other axis order)."""
    with torch.no_grad():
        for layer in model.model:
            if isinstance(layer, torch.nn.Conv2d):
                layer.weight.copy_(layer.weight.transpose(2, 3).clone())
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=REPO.parent / "shared" / "data" / "dncnn_reference")
    args = parser.parse_args()
    images = [io.imread(path) for path in sorted((args.reference / "BSD68").glob("*.png"))]
    print(f"{len(images)} BSD68 images from {args.reference}; torch {torch.__version__}, {platform.machine()}")
    for name, (relative, upstream, sigmas, published) in NETWORKS.items():
        mat = args.reference / relative
        model = convert_matconvnet_dncnn(mat)
        measured = {str(sigma): round(bsd68_psnr(model, images, sigma), 3) for sigma in sigmas}
        camera = denoised_psnr_db(model, data.camera(), CAMERA_SIGMA, CAMERA_SEED)
        other_axis_order = round(bsd68_psnr(transposed(convert_matconvnet_dncnn(mat)), images, 25), 3)
        checkpoint = MODELS / f"{name}.pt"
        save_checkpoint(checkpoint, model, {"converted_from": f"{SOURCE}, {upstream}"})
        manifest = {
            "model": f"DnCNN, the authors' trained network ({upstream})",
            "source": SOURCE,
            "source_path": upstream,
            "mat_sha256": file_sha256(mat),
            "architecture": model.architecture,
            "sha256": file_sha256(checkpoint),
            "bsd68_psnr_db": measured,
            "bsd68_psnr_db_filters_transposed_sigma25": other_axis_order,
            "published_bsd68_psnr_db": published,
            "camera_psnr_db": {"sigma": CAMERA_SIGMA, "seed": CAMERA_SEED, "psnr_db": camera},
            "protocol": "ldct.evaluation.gaussian_denoising: uint8 / 255 plus seeded Gaussian noise, "
                        "output to uint8, PSNR at peak 255; BSD68 image k (sorted) seeded with k",
            "licence": "the DnCNN repository states none; KAIR (MIT) publishes the same parameters",
            "measured_on": {
                "date": date.today().isoformat(),
                "torch": torch.__version__,
                "machine": platform.machine(),
                "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            },
        }
        save_json(checkpoint.with_suffix(".json"), manifest)
        differences = {sigma: round(measured[sigma] - published[sigma], 3) for sigma in measured}
        print(f"{name}: BSD68 PSNR {measured} dB, published {published}, difference {differences}; "
              f"filters transposed at sigma 25: {other_axis_order} dB; camera {camera:.4f} dB")


if __name__ == "__main__":
    main()
