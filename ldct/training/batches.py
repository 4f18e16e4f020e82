"""Training patches on the device and the shuffled batches of an epoch drawn from them.

The patches go to the device once, as one (N, C, H, W) channels_last tensor each; every step
is then one gather per tensor on that device.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from ldct.training.loop import Batch


def patch_batches(
    low: torch.Tensor, full: torch.Tensor, batch_size: int, seed: int, epoch: int, weights: torch.Tensor | None = None
) -> Iterator[Batch]:
    """One epoch of (noisy, clean) batches over all patches (N, C, H, W), shuffled by
    (seed, epoch), each followed by its patches' loss ``weights`` (N,) when given; each batch
    lists its patches in ascending order.

    The epoch's whole index order goes to the tensors' device at once; each step is then one
    gather per tensor on that device (channels_last tensors stay channels_last).
    """
    order = np.random.default_rng(np.random.SeedSequence([seed, epoch])).permutation(len(low))
    batches = [np.sort(order[start : start + batch_size]) for start in range(0, len(order), batch_size)]
    indices = torch.from_numpy(np.concatenate(batches)).to(low.device)
    for chosen in indices.split([len(batch) for batch in batches]):
        pair = rows_of(low, chosen), rows_of(full, chosen)
        yield pair if weights is None else (*pair, weights.index_select(0, chosen))


def rows_of(tensor: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
    """The patches ``chosen`` (indices on the tensor's device) of an (N, C, H, W) channels_last
    tensor, channels_last too: one gather, no change of layout afterwards."""
    return tensor.permute(0, 2, 3, 1).index_select(0, chosen).permute(0, 3, 1, 2)


def as_patch_tensor(array: np.ndarray, device: torch.device) -> torch.Tensor:
    """Patches (N, H, W) or (N, C, H, W) as one (N, C, H, W) channels_last tensor on ``device``."""
    tensor = torch.from_numpy(array if array.ndim == 4 else array[:, None])
    return tensor.to(device, memory_format=torch.channels_last)
