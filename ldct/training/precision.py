"""Which arithmetic a training run uses: float32, or bfloat16 autocast where that is faster.

``auto`` decides on the machine that trains. Where PyTorch has no vectorised bfloat16 kernels
(CPUs without AVX-512: ``torch.backends.cpu.get_cpu_capability()`` is ``AVX2`` or less) a
bfloat16 convolution falls back to a scalar reference path, often 10x slower than float32, so
float32 is taken at once. Elsewhere one training step of the actual model and batch is timed
in both (best of a few, after a warm-up), and bfloat16 is taken only when it is at least
:data:`MIN_SPEEDUP` times faster: a near tie keeps the exact arithmetic. The choice is logged.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Callable

import torch

PRECISIONS = ("auto", "float32", "bfloat16")
#: How much faster bfloat16 must be than float32 for ``auto`` to choose it.
MIN_SPEEDUP = 1.25
#: CPU capabilities whose vector units run bfloat16 convolutions (oneDNN) rather than a
#: scalar fallback.
BFLOAT16_CPU_CAPABILITIES = ("AVX512",)


def choose_precision(
    setting: str,
    device: torch.device,
    step: Callable[[str], None],
    repeats: int = 2,
    clock: Callable[[], float] = time.perf_counter,
) -> str:
    """``float32`` or ``bfloat16`` for ``setting``; ``auto`` decides as the module says.

    ``step(precision)`` runs one training step (forward and backward, no weight update) in
    ``precision``; it is called only when a measurement is needed.
    """
    if setting not in PRECISIONS:
        raise ValueError(f"expected one of {', '.join(PRECISIONS)}, got '{setting}'")
    if setting != "auto":
        return setting
    if device.type == "cpu":
        capability = torch.backends.cpu.get_cpu_capability()
        if capability not in BFLOAT16_CPU_CAPABILITIES:
            logging.info("precision auto: float32 (CPU capability %s: no fast bfloat16)", capability)
            return "float32"
    seconds = {precision: _best_time(step, precision, repeats, clock) for precision in PRECISIONS[1:]}
    choice = "bfloat16" if seconds["float32"] >= MIN_SPEEDUP * seconds["bfloat16"] else "float32"
    logging.info(
        "precision auto: %s (one step %.3g s in float32, %.3g s in bfloat16 on %s)",
        choice, seconds["float32"], seconds["bfloat16"], device,
    )
    return choice


def _best_time(step: Callable[[str], None], precision: str, repeats: int, clock) -> float:
    """Shortest of ``repeats`` timed calls of ``step(precision)``, after one warm-up call."""
    step(precision)
    best = math.inf
    for _ in range(repeats):
        start = clock()
        step(precision)
        best = min(best, clock() - start)
    return best
