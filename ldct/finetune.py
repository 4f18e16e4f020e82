"""Transfer learning of the original DnCNN on CT patches (the paper's DnCNN_Tra and more).

Which layers are updated is the method's ``finetune`` entry in the registry (:mod:`ldct.methods`):

* ``last``: as Usui et al. (2021) describe DnCNN_Tra, only the last layer is updated; the
  frozen layers, batch norms included, keep the pretrained behaviour (running statistics);
* ``all``: every layer is fine-tuned (batch norms in training mode), the fuller training the
  paper's Discussion suggests against over-smoothing (``dncnn_full``).

Since the frozen layers of a ``last`` fine-tuning give every patch the same features in every epoch,
they are computed once (when they fit in the memory the device has to spare, see
:func:`feature_cache_fits`) and each step then runs only the last layer: the same
optimisation at a fraction of the cost.

Both learn to map low-dose patches to full-dose patches, in network units (see
:func:`ldct.dncnn.hu_to_network`), with Adam and a mean squared error loss. Each epoch
visits every training patch once in an order drawn from (seed, epoch).
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
from typing import Iterator

import numpy as np
import torch
from torch import nn

from .checkpoints import state_digest
from .devices import available_memory_bytes, resolve_device
from .dncnn import DnCNN, hu_to_network
from .inference import fold_batch_norm
from .methods import FINETUNE_LAYERS
from .training import Batch, TrainingSettings, psnr_db, train
from .window import HuWindow

#: Share of the device's available memory the trunk-feature cache (and its copy of the
#: training rows) may take.
FEATURE_CACHE_SHARE = 0.5


def feature_cache_fits(cache_bytes: int, device: torch.device, limit_bytes: int | None = None) -> bool:
    """Whether a trunk-feature cache of ``cache_bytes`` fits: the cache and its training rows
    (twice ``cache_bytes``) within :data:`FEATURE_CACHE_SHARE` of the memory ``device`` has
    available, or within ``limit_bytes`` when given."""
    if limit_bytes is None:
        limit_bytes = int(FEATURE_CACHE_SHARE * available_memory_bytes(device))
    return 2 * cache_bytes <= limit_bytes


def trainable_copy(pretrained: DnCNN, layers: str) -> DnCNN:
    """A copy of ``pretrained`` whose parameters require gradients: ``last`` or ``all`` layers."""
    if layers not in FINETUNE_LAYERS:
        raise ValueError(f"unknown layers '{layers}' to fine-tune, expected one of {list(FINETUNE_LAYERS)}")
    model = copy.deepcopy(pretrained)
    for parameter in model.parameters():
        parameter.requires_grad = layers == "all"
    for parameter in model.last_layer.parameters():
        parameter.requires_grad = True
    return model


class LastLayerOnFeatures(nn.Module):
    """DnCNN's last layer on cached input: channel 0 the noisy image, the rest its features."""

    def __init__(self, last_layer: nn.Conv2d):
        super().__init__()
        self.last_layer = last_layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :1] - self.last_layer(x[:, 1:])


@torch.inference_mode()
def with_trunk_features(model: DnCNN, images: torch.Tensor, chunk: int = 64) -> torch.Tensor:
    """(N, 1 + channels, H, W): each image of (N, 1, H, W) followed by its frozen-trunk features
    (eval mode, batch norm folded), on the images' device, channels_last."""
    trunk = fold_batch_norm(model).body[:-1].to(images.device, memory_format=torch.channels_last)
    count, _, rows, cols = images.shape
    features = torch.empty(
        (count, 1 + model.channels, rows, cols), device=images.device, memory_format=torch.channels_last
    )
    for start in range(0, count, chunk):
        x = images[start : start + chunk]
        features[start : start + len(x), :1] = x
        features[start : start + len(x), 1:] = trunk(x)
    return features


def patch_batches(
    low: torch.Tensor, full: torch.Tensor, batch_size: int, seed: int, epoch: int
) -> Iterator[Batch]:
    """One epoch of (noisy, clean) batches over all patches (N, C, H, W), shuffled by
    (seed, epoch); each batch lists its patches in ascending order.

    The epoch's whole index order goes to the tensors' device at once; each step is then one
    gather per tensor on that device (channels_last tensors stay channels_last).
    """
    order = np.random.default_rng(np.random.SeedSequence([seed, epoch])).permutation(len(low))
    batches = [np.sort(order[start : start + batch_size]) for start in range(0, len(order), batch_size)]
    indices = torch.from_numpy(np.concatenate(batches)).to(low.device)
    for chosen in indices.split([len(batch) for batch in batches]):
        yield rows_of(low, chosen), rows_of(full, chosen)


def rows_of(tensor: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
    """The patches ``chosen`` (indices on the tensor's device) of an (N, C, H, W) channels_last
    tensor, channels_last too: one gather, no change of layout afterwards."""
    return tensor.permute(0, 2, 3, 1).index_select(0, chosen).permute(0, 3, 1, 2)


def as_patch_tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """Patches (N, H, W) or (N, C, H, W) as one (N, C, H, W) channels_last tensor on ``device``."""
    tensor = torch.from_numpy(array if array.ndim == 4 else array[:, None])
    return tensor.to(device, memory_format=torch.channels_last)


def finetune(
    pretrained: DnCNN,
    variant: str,
    layers: str,
    low_hu: np.ndarray,
    full_hu: np.ndarray,
    is_validation: np.ndarray,
    hu_window: HuWindow,
    settings: dict,
    seed: int,
    checkpoint_path: str,
    device: str = "auto",
    feature_cache_bytes: int | None = None,
) -> tuple[DnCNN, list[dict]]:
    """Fine-tune ``layers`` of ``pretrained`` on HU patch pairs (N, size, size) as method
    ``variant``; return the model and its history.

    ``settings`` is config ``dncnn.finetune``. Validation PSNR is in dB with the HU window's
    width as the peak. ``feature_cache_bytes`` caps the memory the trunk-feature cache may
    take (see :func:`feature_cache_fits`; None: what the device has to spare).
    """
    low, full = hu_to_network(low_hu, hu_window), hu_to_network(full_hu, hu_window)
    data_digest = hashlib.sha256(low.tobytes() + full.tobytes()).hexdigest()
    where = resolve_device(device)
    # The patches go to the device once, as one tensor each; batches are gathered there.
    low_t, full_t = as_patch_tensor(low, where), as_patch_tensor(full, where)
    model = trainable_copy(pretrained, layers)
    trained: nn.Module = model
    cache_bytes = low.nbytes * (1 + pretrained.channels)
    cached = layers == "last" and feature_cache_fits(cache_bytes, where, feature_cache_bytes)
    if cached:
        logging.info("caching the frozen layers' features of %d patches (%.0f MB)", len(low), cache_bytes / 1e6)
        low_t, trained = with_trunk_features(model, low_t), LastLayerOnFeatures(model.last_layer)
    training = torch.from_numpy(np.flatnonzero(~is_validation)).to(where)
    validation = torch.from_numpy(np.flatnonzero(is_validation)).to(where)
    train_low, train_full = rows_of(low_t, training), rows_of(full_t, training)
    val_low, val_full = rows_of(low_t, validation), rows_of(full_t, validation)
    batch_size = settings["batch_size"]

    def validate(net: torch.nn.Module, _device: torch.device) -> tuple[float, float]:
        output = torch.cat([net(chunk) for chunk in val_low.split(64)])
        return psnr_db(output, val_full), psnr_db(val_low[:, :1], val_full)

    history = train(
        trained,
        lambda epoch: patch_batches(train_low, train_full, batch_size, seed, epoch),
        math.ceil(len(train_low) / batch_size),
        validate,
        TrainingSettings(
            epochs=settings["epochs"],
            learning_rate=settings["learning_rate"],
            precision=settings["precision"],
            device=device,
            deterministic=settings["deterministic"],
        ),
        checkpoint_path,
        fingerprint_extra={
            "variant": variant,
            "cached_features": cached,
            "settings": settings,
            "seed": seed,
            "hu_window": [hu_window.low_hu, hu_window.high_hu],
            "pretrained": state_digest(pretrained),
            "data": data_digest,
        },
    )
    return model.cpu().eval(), history
