"""The fine-tuning loss, a reading of the paper (config ``dncnn.finetune.loss``).

* ``mse`` (the paper's, the default): the mean squared error over every pixel of every training
  patch, network units^2. Every dose counts by its patches, so the low doses, whose noise is
  largest, dominate the sum.
* ``dose_weighted_mse``: each patch's squared error weighted by the inverse noise variance of its
  dose, ``1 / s_d^2``, where ``s_d^2`` is the mean squared difference between the low-dose and the
  full-dose training patches of dose ``d`` (network units^2: the loss of the undenoised input).
  The weights are scaled to a mean of 1 over the training patches, so the loss stays a weighted
  mean of squared errors in network units^2; with equal patch counts per dose it is proportional
  to the mean over doses of ``MSE_d / s_d^2``, each dose's error relative to its own noise.

The same weights define the loss everywhere it is taken: the Adam steps (:func:`weighted_mse`),
the last layer's exact optimum (weighted normal equations, :mod:`ldct.training.last_layer`), the
validation PSNR and the convergence check.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional

from ldct.evaluation.metrics import psnr_from_mse

#: The values of ``dncnn.finetune.loss`` and what each means, for the records that name it.
LOSS_DEFINITIONS = {
    "mse": "mean squared error, network units, every pixel of every training patch",
    "dose_weighted_mse": (
        "mean squared error, network units, every pixel of every training patch, each patch weighted by the "
        "inverse of its dose's mean squared low-dose noise (weights of mean 1 over the training patches)"
    ),
}
LOSSES = tuple(LOSS_DEFINITIONS)


def patch_weights(
    loss: str, low: np.ndarray, full: np.ndarray, doses: np.ndarray, is_training: np.ndarray
) -> np.ndarray | None:
    """The per-patch weights (N,) of ``loss`` for patch pairs ``low``, ``full`` (N, H, W, network
    units) of doses ``doses`` (N,); None for plain ``mse``. Each dose's noise variance is taken
    over its patches where ``is_training``; a dose without training patches, or whose low-dose
    patches equal their full-dose patches, is refused (its weight would be undefined)."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss '{loss}', expected one of {list(LOSSES)}")
    if loss == "mse":
        return None
    doses = np.asarray(doses, dtype=np.float64)
    squared = ((np.asarray(low, np.float64) - np.asarray(full, np.float64)) ** 2).reshape(len(low), -1).mean(axis=1)
    inverse_variance = np.empty(len(low))
    for dose in np.unique(doses):
        chosen = doses == dose
        variance = squared[chosen & is_training].mean() if (chosen & is_training).any() else np.nan
        if not variance > 0:
            raise ValueError(f"dose {dose:g}: no training patch with noise, so its loss weight is undefined")
        inverse_variance[chosen] = 1.0 / variance
    return inverse_variance / inverse_variance[is_training].mean()


def weighted_mse(output: torch.Tensor, target: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Mean over every pixel of ``weights[i] * (output - target)^2`` for (N, C, H, W) tensors and
    per-patch ``weights`` (N,); the plain mean squared error where ``weights`` is None."""
    if weights is None:
        return functional.mse_loss(output, target)
    return (weights.to(output.dtype).reshape(-1, 1, 1, 1) * (output - target) ** 2).mean()


def pooled_psnr_db(
    estimate: torch.Tensor, reference: torch.Tensor, weights: torch.Tensor | None = None, data_range: float = 1.0
) -> float:
    """PSNR (dB) of the mean squared error over every pixel of the batch (weighted per patch by
    ``weights``, (N,), when given), peak ``data_range``: the training loss's own definition, as
    a PSNR."""
    error = float(weighted_mse(estimate.double(), reference.double(), weights))
    return float(psnr_from_mse(error, data_range))


def batch_psnr_db(
    estimate: torch.Tensor, reference: torch.Tensor, data_range: float = 1.0
) -> float:
    """Mean over the batch of per-image PSNR (dB, :func:`ldct.evaluation.metrics.psnr_from_mse`)
    for a peak of ``data_range``."""
    errors = ((estimate.float() - reference.float()) ** 2).flatten(1).mean(dim=1)
    return float(np.mean(psnr_from_mse(errors.cpu().numpy(), data_range)))
