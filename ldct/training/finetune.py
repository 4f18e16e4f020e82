"""Transfer learning of the original DnCNN on CT patches (the paper's DnCNN_Tra and more).

Which layers are updated is the method's ``finetune`` entry in the registry
(:mod:`ldct.core.methods`):

* ``last``: as Usui et al. (2021) describe DnCNN_Tra, only the last layer is updated; the
  frozen layers, batch norms included, keep the pretrained behaviour (running statistics);
* ``all``: every layer is fine-tuned (batch norms in training mode), the fuller training the
  paper's Discussion suggests against over-smoothing (``dncnn_full``).

Since the frozen layers of a ``last`` fine-tuning give every patch the same features in every epoch,
they are computed once (when they fit in the memory the device has to spare, see
:func:`feature_cache_fits`) and each step then runs only the last layer: the same
optimisation at a fraction of the cost.

Both learn to map low-dose patches to full-dose patches, in network units (a fixed HU window, or
the minimum and maximum of the low-dose slice each patch pair was cut from, see
:mod:`ldct.denoising.scaling`), with Adam and a mean squared error loss. Each epoch visits every
training patch once in an order drawn from (seed, epoch).

With ``batchnorm: reestimate`` (config ``dncnn.finetune``), the running statistics of every batch
norm are recomputed on the training patches after training (:func:`reestimate_batch_norm`), as
MATLAB's ``trainNetwork`` finalises them; ``frozen`` keeps what training left: the pretrained
statistics where the batch norms are frozen (``last``), PyTorch's running averages of the
training batches where they are trained (``all``).

The DnCNN authors' networks (the study's default original) have their batch norms merged into
the convolutions: ``all`` then trains every convolution's weights and bias, with no
normalisation by batch statistics, and a ``batchnorm`` reading has nothing to act on
(``reestimate`` is refused).
"""

from __future__ import annotations

import copy
import hashlib
import logging
import math
import time

import numpy as np
import torch
from torch import nn

from ldct.core.devices import available_memory_bytes, resolve_device
from ldct.core.errors import LdctInputError
from ldct.core.methods import FINETUNE_LAYERS
from ldct.denoising.checkpoints import state_digest
from ldct.denoising.dncnn import DnCNN
from ldct.denoising.inference import exact_float32
from ldct.denoising.scaling import HuScaling
from ldct.training.batch_norm import reestimate_batch_norm
from ldct.training.batches import as_patch_tensor, patch_batches, rows_of
from ldct.training.last_layer import set_last_layer, with_trunk_features
from ldct.training.loop import HISTORY_COLUMNS, TrainingSettings, train
from ldct.training.loss import pooled_psnr_db
from ldct.training.per_dose import PerDoseValidation

#: Share of the device's available memory the trunk-feature cache (and its copy of the
#: training rows) may take.
FEATURE_CACHE_SHARE = 0.5

#: The values of ``dncnn.finetune.batchnorm``: keep the pretrained running statistics, or
#: recompute them on the training patches after training.
BATCH_NORM_READINGS = ("frozen", "reestimate")
#: The values of ``dncnn.finetune.solver``: ``exact`` solves the last layer's least squares
#: (:mod:`ldct.training.last_layer`), and every-layer training starts from that solution;
#: ``adam``: Adam from the pretrained network, as the paper trains.
SOLVERS = ("exact", "adam")
#: A fine-tuning's epoch table: the training loop's columns and which epoch the model keeps.
FINETUNE_HISTORY_COLUMNS = (*HISTORY_COLUMNS, "kept")


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


def start_network(pretrained: DnCNN, layers: str, solver: str, optimum: dict | None) -> DnCNN:
    """The network a fine-tuning starts from (its epoch 0): ``pretrained``, or, for every-layer
    training with solver ``exact``, a copy whose last layer holds ``optimum["weights"]``."""
    if solver != "exact" or layers == "last":
        return pretrained
    start = copy.deepcopy(pretrained)
    set_last_layer(start.last_layer, optimum["weights"])
    return start


class LastLayerOnFeatures(nn.Module):
    """DnCNN's last layer on cached input: channel 0 the noisy image, the rest its features."""

    def __init__(self, last_layer: nn.Conv2d):
        super().__init__()
        self.last_layer = last_layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :1] - self.last_layer(x[:, 1:])


def finetune(
    pretrained: DnCNN,
    variant: str,
    layers: str,
    low_hu: np.ndarray,
    full_hu: np.ndarray,
    is_validation: np.ndarray,
    scaling: HuScaling,
    settings: dict,
    seed: int,
    checkpoint_path: str,
    device: str = "auto",
    feature_cache_bytes: int | None = None,
    optimum: dict | None = None,
    doses: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> tuple[DnCNN, list[dict]]:
    """Fine-tune ``layers`` of ``pretrained`` on HU patch pairs (N, size, size) as method
    ``variant``; return the model and its history.

    ``scaling`` maps both patches of a pair to network units: a window, or one (min, max) HU
    pair per patch (that of its low-dose slice). ``settings`` is config ``dncnn.finetune``.
    Validation PSNR is in dB in network units (peak 1: the window's width, or each patch's
    slice range), of the mean squared error over every validation pixel (the training loss's
    definition). ``feature_cache_bytes`` caps the memory the trunk-feature cache may take (see
    :func:`feature_cache_fits`; None: what the device has to spare).

    ``settings["solver"]`` ``exact`` needs ``optimum`` (``{"weights": (K,) tensor, "loss":
    float}``, :mod:`ldct.training.last_layer` on these training patches): the last layer takes
    those weights; for ``layers`` ``last`` that is the whole fine-tuning (one history row), for
    ``all`` Adam then trains every layer from there and the model keeps the epoch of highest
    validation PSNR, the start counting as epoch 0. ``adam``: Adam from ``pretrained``, the
    last epoch kept, as the paper trains.

    With ``doses`` (each patch's dose), every history row also holds ``per_dose``: that epoch's
    scores per dose on the validation patches (:mod:`ldct.training.per_dose`). ``weights`` (N,),
    when given, weight each patch's squared error in the loss and the validation PSNR
    (:mod:`ldct.training.loss`; the ``optimum`` must be that of the same weighted loss).
    """
    if settings["solver"] not in SOLVERS:
        raise ValueError(f"unknown solver '{settings['solver']}', expected one of {list(SOLVERS)}")
    if settings["solver"] == "exact" and optimum is None:
        raise ValueError("solver exact needs the last layer's optimum")
    if settings["batchnorm"] not in BATCH_NORM_READINGS:
        raise ValueError(f"unknown batchnorm '{settings['batchnorm']}', expected one of {list(BATCH_NORM_READINGS)}")
    if settings["batchnorm"] == "reestimate" and not pretrained.batch_norm:
        raise LdctInputError(
            "config key dncnn.finetune.batchnorm: reestimate needs batch norms, and this original "
            "DnCNN has them merged into its convolutions (the DnCNN authors' form); use frozen"
        )
    low, full = scaling.to_network(low_hu), scaling.to_network(full_hu)
    data_digest = hashlib.sha256(low.tobytes() + full.tobytes()).hexdigest()
    where = resolve_device(device)
    # The patches go to the device once, as one tensor each; batches are gathered there.
    low_t, full_t = as_patch_tensor(low, where), as_patch_tensor(full, where)
    images_t = low_t
    warm_start = settings["solver"] == "exact"
    model = trainable_copy(start_network(pretrained, layers, settings["solver"], optimum), layers)
    if warm_start and layers == "last":
        set_last_layer(model.last_layer, optimum["weights"])
    trained: nn.Module = model
    cache_bytes = low.nbytes * (1 + pretrained.channels)
    cached = layers == "last" and not warm_start and feature_cache_fits(cache_bytes, where, feature_cache_bytes)
    if cached:
        logging.info("caching the frozen layers' features of %d patches (%.0f MB)", len(low), cache_bytes / 1e6)
        low_t, trained = with_trunk_features(model, low_t), LastLayerOnFeatures(model.last_layer)
    training = torch.from_numpy(np.flatnonzero(~is_validation)).to(where)
    validation = torch.from_numpy(np.flatnonzero(is_validation)).to(where)
    train_low, train_full = rows_of(low_t, training), rows_of(full_t, training)
    val_low, val_full = rows_of(low_t, validation), rows_of(full_t, validation)
    weights_t = None if weights is None else torch.from_numpy(np.asarray(weights, np.float32)).to(where)
    train_weights, val_weights = (None, None) if weights_t is None else (weights_t[training], weights_t[validation])
    batch_size = settings["batch_size"]

    per_dose = None
    if doses is not None:
        chosen = np.flatnonzero(is_validation)
        per_dose = PerDoseValidation(val_low, low_hu[chosen], full_hu[chosen], doses[chosen], scaling.rows(chosen))

    def validate(net: torch.nn.Module, _device: torch.device) -> dict:
        output = torch.cat([net(chunk) for chunk in val_low.split(64)])
        scores = {
            "val_psnr_db": pooled_psnr_db(output, val_full, val_weights),
            "val_input_psnr_db": pooled_psnr_db(val_low[:, :1], val_full, val_weights),
        }
        if per_dose is not None:
            scores["per_dose"] = per_dose.rows_of_output(output)
        return scores

    if warm_start and layers == "last":
        model.to(where).eval()
        start = time.perf_counter()
        with torch.no_grad():
            scores = validate(model, where)
        history = [{
            "epoch": 1, "steps": 0, "learning_rate": math.nan, "loss": optimum["loss"], **scores,
            "seconds": time.perf_counter() - start, "precision": "float64", "kept": True,
        }]
        logging.info("last layer solved exactly: training loss %.6g, validation PSNR %.2f dB (input %.2f dB)",
                     optimum["loss"], scores["val_psnr_db"], scores["val_input_psnr_db"])
    else:
        history = _train_with_adam(
            trained, (train_low, train_full, train_weights), validate, settings, seed, checkpoint_path, device,
            {
                "variant": variant,
                "cached_features": cached,
                # Batch-norm re-estimation follows training: the trained state is the same either way.
                "settings": {key: value for key, value in settings.items() if key != "batchnorm"},
                "seed": seed,
                **(
                    {"hu_window": [scaling.window.low_hu, scaling.window.high_hu]}
                    if scaling.window is not None
                    else {"hu_scaling": scaling.name}
                ),
                "pretrained": state_digest(pretrained),
                "data": data_digest,
                "start": (
                    hashlib.sha256(optimum["weights"].numpy().tobytes()).hexdigest() if warm_start else "pretrained"
                ),
                "loss_weights": None if weights is None else hashlib.sha256(np.asarray(weights).tobytes()).hexdigest(),
            },
            warm_start,
        )
    if settings["batchnorm"] == "reestimate":
        model.to(where)
        with exact_float32(), torch.no_grad():
            reestimate_batch_norm(model, rows_of(images_t, training), batch_size)
            output = torch.cat([model(chunk) for chunk in rows_of(images_t, validation).split(64)])
        logging.info(
            "batch-norm statistics re-estimated: validation PSNR %.2f dB", pooled_psnr_db(output, val_full, val_weights)
        )
    return model.cpu().eval(), history


def _train_with_adam(
    trained: nn.Module, patches: tuple, validate,
    settings: dict, seed: int, checkpoint_path: str, device: str, fingerprint: dict, keep_best: bool,
) -> list[dict]:
    """Adam on ``trained`` (the model, or its last layer on cached features) over the training
    ``patches`` (low, full, and their loss weights or None); the history rows, each with
    ``kept`` (the last epoch, or the best with ``keep_best``)."""
    batch_size = settings["batch_size"]
    history = train(
        trained,
        lambda epoch: patch_batches(*patches[:2], batch_size, seed, epoch, patches[2]),
        math.ceil(len(patches[0]) / batch_size),
        validate,
        TrainingSettings(
            epochs=settings["epochs"],
            learning_rate=settings["learning_rate"],
            precision=settings["precision"],
            device=device,
            deterministic=settings["deterministic"],
        ),
        checkpoint_path,
        fingerprint_extra=fingerprint,
        run_name=fingerprint["variant"],
        settings_key="dncnn.finetune",
        keep_best=keep_best,
    )
    if keep_best:
        return history
    return [{**row, "kept": row["epoch"] == len(history)} for row in history]
