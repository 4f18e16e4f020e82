"""Where torch runs: the ``auto``/``cpu``/``cuda`` device setting made concrete, and how many
CPU threads a job may use. Torch is imported where it is used: the Snakefile counts CPUs with
:func:`usable_cpus` and must not import it."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str) -> torch.device:
    """``auto`` -> CUDA when present, else CPU; ValueError for ``cuda`` without a GPU."""
    import torch

    if device not in DEVICES:
        raise ValueError(f"expected one of {', '.join(DEVICES)}, got '{device}'")
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("'cuda' asked for, but no CUDA GPU is visible")
    return torch.device(device)


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask; all CPUs where there is none)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def set_torch_threads(requested: int) -> int:
    """Let torch use ``requested`` threads, but never more than :func:`usable_cpus`: threads
    beyond the CPUs wait on each other at every layer. Returns the number set."""
    import torch

    threads = max(1, min(requested, usable_cpus()))
    if threads < requested:
        logging.info("torch threads: %d (asked for %d, %d usable CPUs)", threads, requested, usable_cpus())
    torch.set_num_threads(threads)
    return threads
