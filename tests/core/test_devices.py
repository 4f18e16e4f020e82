"""The device setting: auto, cpu, or cuda only where a GPU is visible."""

from __future__ import annotations

import pytest
import torch

from ldct.core.devices import resolve_device


def test_cpu_and_auto():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_unknown_device_is_refused():
    with pytest.raises(ValueError, match="expected one of auto, cpu, cuda, got 'tpu'"):
        resolve_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_asking_for_cuda_without_a_gpu_says_so():
    with pytest.raises(ValueError, match="no CUDA GPU is visible"):
        resolve_device("cuda")


def test_torch_never_gets_more_threads_than_usable_cpus(monkeypatch):
    """--cores 8 on a 2-CPU machine must not give a 4-thread job 4 threads."""
    import os

    from ldct.core.devices import set_torch_threads, usable_cpus

    before = torch.get_num_threads()
    try:
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
        assert usable_cpus() == 2
        assert set_torch_threads(4) == 2 and torch.get_num_threads() == 2
        assert set_torch_threads(1) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
