"""The "original DnCNN": Gaussian denoising of natural images (Zhang et al., 2017).

Training data are grayscale versions of the natural images that scikit-image bundles
(``skimage.data``, no download), as floats in [0, 1], or the pictures of a folder the user names
(``image_folder``, for instance the DnCNN authors' 400 Train400 images; :mod:`ldct.io.pictures`).
Every step draws ``batch_size`` random
``patch_size_px`` square patches, each under one of the 8 rotations/flips of the square, and adds
white Gaussian noise; the network learns to remove it. ``noise: blind`` is DnCNN-B (the paper's
network, MATLAB's ``denoisingNetwork("DnCNN")``): each patch's SD is drawn uniformly from
``blind_sigma_range`` (0-255 scale). ``noise: fixed`` is DnCNN-S at ``noise_sigma``. Held-out
images, noised once per SD with a fixed seed, measure the PSNR gain (dB) on images never
trained on.
"""

from __future__ import annotations

import hashlib
from typing import Iterator, Sequence

import numpy as np
import torch
from skimage import color, data, util

from ldct.core.errors import LdctInputError
from ldct.core.storage import file_sha256
from ldct.denoising.dncnn import DnCNN
from ldct.io.pictures import picture_files, read_picture
from ldct.training.loop import Batch, TrainingSettings, train
from ldct.training.loss import batch_psnr_db

#: ``skimage.data`` images that are photographs or scans of natural scenes and textures.
NATURAL_IMAGES = (
    "astronaut",
    "brick",
    "camera",
    "cat",
    "clock",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "hubble_deep_field",
    "moon",
    "page",
    "rocket",
    "text",
)

#: Noise SDs (0-255 scale) of the held-out PSNR in a manifest, and of the epoch table (25).
HELD_OUT_SIGMAS = (15, 25, 50)
VALIDATION_SIGMA = 25
#: DnCNN-B's mean PSNR (dB) on BSD68 at those SDs (Zhang et al., 2017, Table II), for
#: orientation only: BSD68 is not the held-out set here.
PUBLISHED_DNCNN_B_BSD68_DB = {15: 31.61, 25: 29.16, 50: 26.23}


def load_natural_image(name: str) -> np.ndarray:
    """One bundled scikit-image picture as a grayscale float32 array in [0, 1]."""
    if name not in NATURAL_IMAGES:
        raise ValueError(f"'{name}' is not one of {', '.join(NATURAL_IMAGES)}")
    image = getattr(data, name)()
    if image.ndim == 3:
        image = color.rgb2gray(image)
    return util.img_as_float32(image)


def training_images(settings: dict) -> tuple[list[np.ndarray], dict]:
    """The training pictures of ``dncnn.pretrain`` settings (those of ``image_folder`` when set,
    else the bundled ``images``) and what the manifest says of them."""
    if settings["image_folder"] is None:
        images = [load_natural_image(name) for name in settings["images"]]
        return images, {
            "source": "scikit-image skimage.data (grayscale, [0, 1])",
            "trained_on": settings["images"],
        }
    files = picture_files(settings["image_folder"])
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + file_sha256(path).encode())
    return [read_picture(path) for path in files], {
        "source": f"the pictures of {settings['image_folder']} (grayscale, [0, 1])",
        "pictures": len(files),
        "pictures_sha256": digest.hexdigest(),
    }


def sample_patches(
    images: Sequence[np.ndarray], count: int, size: int, rng: np.random.Generator
) -> np.ndarray:
    """``count`` random ``size`` x ``size`` patches, shape (count, size, size), float32.

    The image is drawn with probability proportional to its number of patch positions (so
    every position of every image is equally likely), then the position, then one of the 8
    symmetries of the square.
    """
    positions = np.array([(im.shape[0] - size + 1) * (im.shape[1] - size + 1) for im in images])
    if np.any(positions <= 0):
        raise ValueError(f"an image is smaller than the {size}-pixel patch")
    choices = rng.choice(len(images), size=count, p=positions / positions.sum())
    patches = np.empty((count, size, size), dtype=np.float32)
    for index, choice in enumerate(choices):
        image = images[choice]
        row = rng.integers(image.shape[0] - size + 1)
        col = rng.integers(image.shape[1] - size + 1)
        patch = np.rot90(image[row : row + size, col : col + size], k=rng.integers(4))
        patches[index] = patch[:, ::-1] if rng.integers(2) else patch
    return patches


def sigma_range(settings: dict) -> tuple[float, float]:
    """The (lowest, highest) training noise SD, 0-255 scale, of ``dncnn.pretrain`` settings."""
    if settings["noise"] == "blind":
        low, high = settings["blind_sigma_range"]
        if not 0 <= low < high:
            raise LdctInputError(
                f"dncnn.pretrain.blind_sigma_range: [{low}, {high}] is not 0 <= low < high"
            )
        return float(low), float(high)
    return float(settings["noise_sigma"]), float(settings["noise_sigma"])


def natural_image_batches(
    images: Sequence[np.ndarray],
    steps: int,
    batch_size: int,
    patch_size: int,
    sigmas: tuple[float, float],
    seed: int,
    epoch: int,
) -> Iterator[Batch]:
    """The (noisy, clean) batches of one epoch, a pure function of (seed, epoch).

    ``sigmas`` = (low, high), 0-255 scale: each patch's noise SD is uniform in [low, high]
    (one fixed SD where low == high).
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, epoch]))
    low, high = sigmas
    for _ in range(steps):
        clean = sample_patches(images, batch_size, patch_size, rng)
        if low == high:
            sd = low / 255.0
        else:
            sd = rng.uniform(low, high, size=(batch_size, 1, 1)) / 255.0
        noisy = clean + (rng.standard_normal(clean.shape) * sd).astype(np.float32)
        yield torch.from_numpy(noisy[:, None]), torch.from_numpy(clean[:, None])


def held_out_pairs(
    images: Sequence[np.ndarray], noise_sigma: float, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(noisy, clean) pairs of whole held-out images, noise drawn once from ``seed``."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xDA7A]))
    return [
        ((image + rng.normal(0.0, noise_sigma / 255.0, image.shape)).astype(np.float32), image)
        for image in images
    ]


def held_out_psnr(
    model: DnCNN, pairs: Sequence[tuple[np.ndarray, np.ndarray]], device: torch.device
) -> dict[str, float]:
    """Mean PSNR (dB, peak 1) of the model's output (``val_psnr_db``) and of its input
    (``val_input_psnr_db``) over whole images."""
    outputs, inputs = [], []
    with torch.no_grad():
        for noisy, clean in pairs:
            noisy_t = torch.from_numpy(noisy)[None, None].to(device)
            clean_t = torch.from_numpy(clean)[None, None].to(device)
            outputs.append(batch_psnr_db(model(noisy_t), clean_t))
            inputs.append(batch_psnr_db(noisy_t, clean_t))
    return {"val_psnr_db": float(np.mean(outputs)), "val_input_psnr_db": float(np.mean(inputs))}


def pretrain(
    settings: dict, seed: int, checkpoint_path: str, device: str = "auto"
) -> tuple[DnCNN, list[dict], dict]:
    """Train the original DnCNN from ``settings`` (config ``dncnn.pretrain``).

    Returns the model (eval mode, CPU), the per-epoch history and a manifest of what was
    trained on and how well it does on the held-out images (PSNR in dB, peak 1).
    """
    overlap = sorted(set(settings["images"]) & set(settings["held_out"]))
    if settings["image_folder"] is None and overlap:
        raise ValueError(f"held-out images {overlap} are also trained on")
    training = TrainingSettings(
        epochs=settings["epochs"],
        learning_rate=settings["learning_rate"],
        lr_milestones=tuple(settings["lr_milestones"]),
        precision=settings["precision"],
        device=device,
        deterministic=settings["deterministic"],
    )
    images, data = training_images(settings)
    sigmas = sigma_range(settings)
    held_out = [load_natural_image(name) for name in settings["held_out"]]
    pairs = held_out_pairs(held_out, VALIDATION_SIGMA if sigmas[0] != sigmas[1] else sigmas[0], seed)
    torch.manual_seed(seed)
    model = DnCNN(settings["depth"], settings["channels"])
    steps = settings["steps_per_epoch"]

    def batches(epoch: int) -> Iterator[Batch]:
        return natural_image_batches(
            images, steps, settings["batch_size"], settings["patch_size_px"], sigmas, seed, epoch,
        )

    history = train(
        model,
        batches,
        steps,
        lambda net, where: held_out_psnr(net, pairs, where),
        training,
        checkpoint_path,
        fingerprint_extra={"settings": settings, "seed": seed, "data": data},
        run_name="pretraining",
        settings_key="dncnn.pretrain",
    )
    model.cpu()
    manifest = {
        "model": "DnCNN-B, blind (natural-image Gaussian denoising of unknown level)"
        if settings["noise"] == "blind"
        else f"DnCNN-S (natural-image Gaussian denoising at sigma {settings['noise_sigma']})",
        "architecture": model.architecture,
        "seed": seed,
        "settings": settings,
        "steps": settings["epochs"] * steps,
        "patches_seen": settings["epochs"] * steps * settings["batch_size"],
        "data": {**data, "held_out": settings["held_out"]},
        "held_out_psnr_db": held_out_scores(model, held_out, seed),
        "published_dncnn_b_bsd68_psnr_db": PUBLISHED_DNCNN_B_BSD68_DB,
        "torch": torch.__version__,
    }
    return model, history, manifest


def held_out_scores(model: DnCNN, held_out: Sequence[np.ndarray], seed: int) -> dict:
    """Held-out PSNR (dB, peak 1) of the noisy and denoised images at each ``HELD_OUT_SIGMAS``."""
    scores = {}
    for sigma in HELD_OUT_SIGMAS:
        psnr = held_out_psnr(model, held_out_pairs(held_out, sigma, seed), torch.device("cpu"))
        output_psnr, input_psnr = psnr["val_psnr_db"], psnr["val_input_psnr_db"]
        scores[str(sigma)] = {
            "noisy": input_psnr,
            "denoised": output_psnr,
            "gain": output_psnr - input_psnr,
        }
    return scores
