"""Batch-norm running statistics recomputed on the training patches after fine-tuning
(``dncnn.finetune.batchnorm: reestimate``), as MATLAB's ``trainNetwork`` finalises them."""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def reestimate_batch_norm(model: nn.Module, inputs: torch.Tensor, batch_size: int) -> None:
    """Set the running mean and variance of every batch norm of ``model`` to the statistics of
    that layer's input over all of ``inputs`` (N, 1, H, W network units), per channel.

    The inputs go through the network in order, ``batch_size`` at a time, in training mode (each
    batch norm normalises a batch with that batch's statistics); every layer's input is pooled
    over all batches exactly (float64; the variance unbiased, as PyTorch keeps it). Weights,
    biases and affine parameters are untouched; ``num_batches_tracked`` counts the batches.
    ``model`` ends in eval mode.
    """
    norms = [module for module in model.modules() if isinstance(module, nn.BatchNorm2d)]
    pooled: dict[nn.Module, tuple[int, torch.Tensor, torch.Tensor]] = {}

    def pool(norm: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        x = args[0].double()
        count, mean = x.numel() // x.shape[1], x.mean(dim=(0, 2, 3))
        squares = ((x - mean[:, None, None]) ** 2).sum(dim=(0, 2, 3))
        if norm in pooled:  # Chan et al.'s pairwise update of count, mean and sum of squares
            before, before_mean, before_squares = pooled[norm]
            delta, total = mean - before_mean, before + count
            mean = before_mean + delta * count / total
            squares = before_squares + squares + delta**2 * before * count / total
            count = total
        pooled[norm] = count, mean, squares

    hooks = [norm.register_forward_pre_hook(pool) for norm in norms]
    for norm in norms:
        norm.reset_running_stats()
    model.train()
    try:
        for batch in inputs.split(batch_size):
            model(batch)
    finally:
        for hook in hooks:
            hook.remove()
        model.eval()
    for norm in norms:
        count, mean, squares = pooled[norm]
        norm.running_mean.copy_(mean)
        norm.running_var.copy_(squares / (count - 1))
