"""precision: auto keeps float32 where bfloat16 has no fast path, and measures elsewhere."""

from __future__ import annotations

import itertools

import pytest
import torch

from ldct.training.precision import MIN_SPEEDUP, choose_precision

CPU = torch.device("cpu")


class FakeStep:
    """A training step whose duration, on a fake clock, depends on the precision."""

    def __init__(self, seconds: dict[str, float]):
        self.seconds, self.now, self.calls = seconds, 0.0, []

    def __call__(self, precision: str) -> None:
        self.calls.append(precision)
        self.now += self.seconds[precision]

    def clock(self) -> float:
        return self.now


@pytest.mark.parametrize("setting", ["float32", "bfloat16"])
def test_an_explicit_precision_is_kept_without_measuring(setting):
    step = FakeStep({"float32": 1.0, "bfloat16": 1.0})
    assert choose_precision(setting, CPU, step, clock=step.clock) == setting
    assert step.calls == []


@pytest.mark.parametrize("capability", ["AVX2", "DEFAULT", "NO AVX"])
def test_auto_takes_float32_at_once_on_a_cpu_without_avx512(monkeypatch, capability):
    """On AVX2-only CPUs a bfloat16 convolution is a scalar fallback: never even timed."""
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)
    step = FakeStep({"float32": 3.0, "bfloat16": 36.0})
    assert choose_precision("auto", CPU, step, clock=step.clock) == "float32"
    assert step.calls == []


@pytest.mark.parametrize(
    "float32_seconds, bfloat16_seconds, expected",
    # The tie (exactly MIN_SPEEDUP) in times that binary floating point holds exactly, so that
    # the fake clock's sums decide nothing.
    [(1.0, 0.5, "bfloat16"), (MIN_SPEEDUP, 1.0, "bfloat16"), (1.0, 0.9, "float32"), (1.0, 2.0, "float32")],
)
def test_auto_measures_on_an_avx512_cpu(monkeypatch, float32_seconds, bfloat16_seconds, expected):
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX512")
    step = FakeStep({"float32": float32_seconds, "bfloat16": bfloat16_seconds})
    assert choose_precision("auto", CPU, step, repeats=2, clock=step.clock) == expected
    counts = {precision: len(list(calls)) for precision, calls in itertools.groupby(step.calls)}
    assert counts == {"float32": 3, "bfloat16": 3}  # a warm-up and two timed steps each


def test_an_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="expected one of auto, float32, bfloat16"):
        choose_precision("float16", CPU, FakeStep({}))
