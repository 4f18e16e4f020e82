"""The exact optimum of last-layer fine-tuning: linear least squares on the frozen trunk's features.

With every layer but the last frozen, DnCNN's output is ``x - conv(f)``, where ``f`` are the
trunk's features of the input ``x`` (fixed) and ``conv`` the last 3 x 3 convolution (``channels``
x 9 weights and one bias, zero padding). The fine-tuning loss, the mean over every pixel of every
training patch of ``(x - conv(f) - clean)^2`` in network units, is then a quadratic function of
those ``9 channels + 1`` numbers: with ``u`` a pixel's 3 x 3 neighbourhood of features (as
``torch.nn.functional.unfold`` orders it, the order of the convolution's weights) followed by 1,
and ``r = x - clean`` the noise the layer must predict, the loss is
``(sum r^2 - 2 w.b + w.G w) / n`` with ``G = sum u u^T`` and ``b = sum u r`` over the ``n``
pixels. Its minimum is the solution of ``G w = b`` (the smallest such ``w`` where dead features
make ``G`` singular), exact up to float64 rounding. With per-patch loss weights ``a``
(:mod:`ldct.training.loss`) every sum takes each pixel's term times its patch's weight, and the
loss divides by the sum of the weights instead of ``n``.

:class:`NormalEquations` accumulates ``G``, ``b``, ``sum r^2`` and ``n`` over the cached features
(:func:`with_trunk_features`), a few patches at a time; :func:`solve`
gives the optimal weights and the loss they reach, :func:`mean_loss` the loss of any weights
(float64), :func:`set_last_layer` writes weights into the convolution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import torch
from torch import nn
from torch.nn import functional

from ldct.denoising.dncnn import DnCNN
from ldct.denoising.inference import fold_batch_norm

#: Patches unfolded at once (a 50 x 50 patch of 64 channels unfolds to 11.5 MB in float64).
CHUNK_PATCHES = 16


@dataclass
class NormalEquations:
    """The sums that define the last layer's least-squares problem (float64, on the CPU).

    ``gram`` is (K, K) and ``moment`` (K,), K = 9 x channels + 1; ``residual_squares`` is the
    (weighted) sum of ``r^2``, ``count`` the number of pixels summed over and ``total_weight``
    the sum of their weights (``count`` without weights).
    """

    gram: torch.Tensor
    moment: torch.Tensor
    residual_squares: float
    count: int
    total_weight: float

    @classmethod
    def of(
        cls, features: torch.Tensor, clean: torch.Tensor, weights: torch.Tensor | None = None,
        chunk: int = CHUNK_PATCHES,
    ) -> NormalEquations:
        """The sums over patches ``features`` (N, 1 + channels, H, W: channel 0 the noisy input,
        the rest its trunk features) with their ``clean`` targets (N, 1, H, W), network units,
        each patch's terms weighted by ``weights`` (N,) when given."""
        return cls.of_chunks(
            (features[start : start + chunk], clean[start : start + chunk], _part(weights, start, chunk))
            for start in range(0, len(features), chunk)
        )

    @classmethod
    def of_chunks(cls, chunks: Iterable[tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]]) -> NormalEquations:
        """The sums over (features, clean, weights or None) chunks of patches, as :meth:`of`
        takes them."""
        gram = moment = None
        residual_squares, count, total_weight = 0.0, 0, 0.0
        for features, clean, weights in chunks:
            rows, residual = _design_rows(features, clean)
            if gram is None:
                gram = torch.zeros((rows.shape[1], rows.shape[1]), dtype=torch.float64)
                moment = torch.zeros(rows.shape[1], dtype=torch.float64)
            if weights is None:
                weighted_rows, weighted_residual = rows, residual
                total_weight += len(residual)
            else:
                pixel_weights = weights.to("cpu", torch.float64).repeat_interleave(len(residual) // len(features))
                weighted_rows, weighted_residual = rows * pixel_weights[:, None], residual * pixel_weights
                total_weight += float(pixel_weights.sum())
            gram += weighted_rows.T @ rows
            moment += weighted_rows.T @ residual
            residual_squares += float(weighted_residual @ residual)
            count += len(residual)
        return cls(gram, moment, residual_squares, count, total_weight)


def _part(weights: torch.Tensor | None, start: int, chunk: int) -> torch.Tensor | None:
    """The weights of the patches ``start`` to ``start + chunk``, or None without weights."""
    return None if weights is None else weights[start : start + chunk]


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


def network_equations(
    model: nn.Module, low: torch.Tensor, full: torch.Tensor, weights: torch.Tensor | None = None,
    chunk: int = CHUNK_PATCHES,
) -> NormalEquations:
    """The sums over patch pairs ``low``, ``full`` (N, 1, H, W, network units), weighted by
    ``weights`` (N,) when given, for the last layer of ``model`` (a DnCNN, its other layers
    frozen as they are), trunk features computed a ``chunk`` of patches at a time (eval mode,
    batch norm folded): the memory of one chunk only."""
    return NormalEquations.of_chunks(
        (with_trunk_features(model, low[start : start + chunk]), full[start : start + chunk], _part(weights, start, chunk))
        for start in range(0, len(low), chunk)
    )


def _design_rows(features: torch.Tensor, clean: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(pixels, K) rows ``u`` (each pixel's 3 x 3 feature neighbourhood, then 1) and (pixels,)
    residuals ``r = x - clean``, float64 on the CPU."""
    features = features.detach().to("cpu", torch.float64)
    neighbourhoods = functional.unfold(features[:, 1:], kernel_size=3, padding=1)  # (n, 9C, HW)
    rows = neighbourhoods.permute(0, 2, 1).reshape(-1, neighbourhoods.shape[1])
    rows = torch.cat([rows, torch.ones((len(rows), 1), dtype=torch.float64)], dim=1)
    residual = (features[:, 0] - clean.detach().to("cpu", torch.float64)[:, 0]).reshape(-1)
    return rows, residual


def mean_loss(equations: NormalEquations, weights: torch.Tensor) -> float:
    """The (weighted) mean squared error (network units^2) that ``weights`` (K,) reach on the patches."""
    weights = weights.to(torch.float64)
    total = equations.residual_squares - 2 * weights @ equations.moment + weights @ equations.gram @ weights
    return float(total) / equations.total_weight


def solve(equations: NormalEquations) -> tuple[torch.Tensor, float]:
    """The weights (K,) that minimise the mean squared error, and that minimum.

    A minimum-norm least-squares solve of ``G w = b`` (SVD based), so channels whose features
    are zero on every patch get zero weights rather than an error.
    """
    weights = torch.linalg.lstsq(equations.gram, equations.moment[:, None], driver="gelsd").solution[:, 0]
    return weights, mean_loss(equations, weights)


def layer_weights(layer: nn.Conv2d) -> torch.Tensor:
    """The last layer's weights and bias as one (K,) float64 vector, in the solver's order."""
    return torch.cat([layer.weight.detach().reshape(-1), layer.bias.detach().reshape(-1)]).to("cpu", torch.float64)


@torch.no_grad()
def set_last_layer(layer: nn.Conv2d, weights: torch.Tensor) -> None:
    """Write ``weights`` (K,), as :func:`solve` returns them, into the 1-output convolution."""
    layer.weight.copy_(weights[:-1].reshape(layer.weight.shape).to(layer.weight.dtype))
    layer.bias.copy_(weights[-1:].to(layer.bias.dtype))
