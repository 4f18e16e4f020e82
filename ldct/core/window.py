"""HU windows: the one shape ``{low_hu, high_hu}`` every setting and function uses.

A window maps to the network's 0..1 (``dncnn.hu_window``), clips images for the benchmark
metrics (``metrics.window``) and sets the grey scale of figures (``figures.window``).
Radiologists' level and width are derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class HuWindow:
    """The HU range [``low_hu``, ``high_hu``], low below high."""

    low_hu: float
    high_hu: float

    def __post_init__(self) -> None:
        if not self.low_hu < self.high_hu:
            raise ValueError(f"low_hu {self.low_hu:g} must be below high_hu {self.high_hu:g}")

    @classmethod
    def from_settings(cls, settings: Mapping[str, float]) -> "HuWindow":
        """A window from a config mapping ``{low_hu: ..., high_hu: ...}``."""
        return cls(settings["low_hu"], settings["high_hu"])

    @property
    def width_hu(self) -> float:
        return self.high_hu - self.low_hu

    @property
    def level_hu(self) -> float:
        return (self.low_hu + self.high_hu) / 2

    def describe(self) -> str:
        """E.g. 'window level 40 HU, width 400 HU (-160 to 240 HU)'."""
        return (
            f"window level {self.level_hu:g} HU, width {self.width_hu:g} HU "
            f"({self.low_hu:g} to {self.high_hu:g} HU)"
        )
