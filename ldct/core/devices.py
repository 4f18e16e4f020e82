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


#: Memory assumed available where the system does not say (bytes).
FALLBACK_AVAILABLE_BYTES = 2 * 1024**3


def available_memory_bytes(device: torch.device) -> int:
    """Memory a job could still allocate on ``device`` (bytes): free GPU memory on CUDA; on
    the CPU, Linux's MemAvailable (/proc/meminfo), else the free physical pages, else
    :data:`FALLBACK_AVAILABLE_BYTES`."""
    if device.type == "cuda":
        import torch

        return int(torch.cuda.mem_get_info(device)[0])
    return available_host_memory_bytes()


def available_host_memory_bytes() -> int:
    """Memory a process could still allocate on this machine (bytes): Linux's MemAvailable
    (/proc/meminfo), else the free physical pages, else :data:`FALLBACK_AVAILABLE_BYTES`."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return FALLBACK_AVAILABLE_BYTES
