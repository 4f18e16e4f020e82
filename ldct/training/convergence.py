"""Has a fine-tuned network converged? Its training loss against the exact last-layer optimum.

The last layer's least-squares optimum (:mod:`ldct.training.last_layer`) is the lowest training
loss any last-layer fine-tuning can reach, and a loss every-layer fine-tuning, with more freedom,
can reach too. A last-layer network has converged when its loss on the training patches is at most
:data:`LAST_LAYER_TOLERANCE` times that optimum; an every-layer network when it is at most the
optimum itself, within the rounding of the float32 network that measures it
(:data:`ROUNDING`: the optimum's own weights measure up to about 1e-7 above it). :func:`training_loss` measures the loss the way training defines it (mean squared
error in network units over every pixel of every training patch), accumulated in float64.
"""

from __future__ import annotations

import numpy as np
import torch

from ldct.core.devices import resolve_device
from ldct.denoising.dncnn import DnCNN
from ldct.denoising.inference import fold_batch_norm
from ldct.denoising.scaling import HuScaling

#: Factor of the optimum a last-layer training's loss may reach and still count as converged.
LAST_LAYER_TOLERANCE = 1.01
#: Relative rounding of a float32 network's loss against the float64 optimum that still counts
#: as reaching it (an every-layer network that kept the optimum's weights measures 1e-7 above).
ROUNDING = 1e-5


@torch.inference_mode()
def training_loss(
    model: DnCNN,
    low_hu: np.ndarray,
    full_hu: np.ndarray,
    is_training: np.ndarray,
    scaling: HuScaling,
    device: str = "auto",
    weights: np.ndarray | None = None,
    chunk: int = 64,
) -> float:
    """Mean squared error (network units^2) of ``model``'s output against the full-dose patch,
    over every pixel of the patches where ``is_training`` (HU patches (N, size, size)), each
    patch's error weighted by ``weights`` (N,) when given (:mod:`ldct.training.loss`)."""
    where = resolve_device(device)
    network = fold_batch_norm(model).to(where)
    low, full = scaling.to_network(low_hu)[is_training], scaling.to_network(full_hu)[is_training]
    weights = np.ones(len(low_hu)) if weights is None else np.asarray(weights, dtype=np.float64)
    weights = torch.from_numpy(weights[is_training])
    total = 0.0
    for start in range(0, len(low), chunk):
        x = torch.from_numpy(low[start : start + chunk, None]).to(where)
        y = torch.from_numpy(full[start : start + chunk, None]).to(where)
        squared = ((network(x).double() - y.double()) ** 2).sum(dim=(1, 2, 3)).cpu()
        total += float(weights[start : start + chunk] @ squared)
    return total / (float(weights.sum()) * full[0].size)


def convergence_record(layers: str, solver: str, trained_loss: float, optimum_loss: float, kept_epoch: int) -> dict:
    """The record of one fine-tuning (``results/dncnn/{variant}/optimum.json``): its training
    loss, the optimum, the limit and whether it converged, and the epoch its model keeps."""
    limit = (LAST_LAYER_TOLERANCE if layers == "last" else 1 + ROUNDING) * optimum_loss
    criterion = (
        f"trained_loss <= {LAST_LAYER_TOLERANCE} x optimum_loss (last layer)"
        if layers == "last"
        else f"trained_loss <= (1 + {ROUNDING:g}) x optimum_loss (every layer: at least as good as "
        "the last layer alone, within float32 rounding)"
    )
    return {
        "layers": layers,
        "solver": solver,
        "trained_loss": trained_loss,
        "optimum_loss": optimum_loss,
        "ratio": trained_loss / optimum_loss,
        "limit": limit,
        "criterion": criterion,
        "converged": bool(trained_loss <= limit),
        "kept_epoch": kept_epoch,
    }
