"""Memory one whole CT slice takes to process, checked from its header before any pixel is
decoded, so a slice too large stops with a message instead of meeting the out-of-memory killer.

The heaviest per-slice step is the low-dose simulation: its FFTs of the white field and of the
noise transfer peak at 76 bytes per pixel (tracemalloc, 1024 x 1024 and 2048 x 2048 slices;
preparing a study window peaks at 20-24, the Wiener filter at 40, the median at 16). Beside
it a job holds the decoded pixels, the HU image and the result: :data:`SLICE_BYTES_PER_PIXEL`
rounds the sum up. DnCNN inference adds a bounded amount on top (tiles of at most 512 x 512
pixels, :mod:`ldct.denoising.inference`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ldct.core.errors import LdctInputError

#: The study's config key for the limit (rules acquire and to_hu).
STUDY_SETTING = "hu.max_slice_mb"
#: Peak bytes per pixel of processing one slice (module docstring).
SLICE_BYTES_PER_PIXEL = 128
MB = 1024 * 1024


def slice_bytes(rows: int, cols: int) -> int:
    """Peak memory (bytes) of processing one ``rows`` x ``cols`` slice."""
    return int(rows) * int(cols) * SLICE_BYTES_PER_PIXEL


@dataclass(frozen=True)
class SliceMemoryLimit:
    """At most ``limit_mb`` (MB) for processing one slice, set by ``setting`` (the option or
    config key a user changes)."""

    limit_mb: float
    setting: str

    def check(self, path, rows: int, cols: int) -> None:
        """LdctInputError naming ``path`` and the setting when a ``rows`` x ``cols`` slice needs
        more than the limit."""
        need_mb = slice_bytes(rows, cols) / MB
        if need_mb > self.limit_mb:
            raise LdctInputError(
                f"{path}: a {rows} x {cols} slice needs about {need_mb:.0f} MB to process, more "
                f"than the {self.limit_mb:.0f} MB {self.setting} allows; raise {self.setting} on a "
                "machine with more memory, or use smaller slices"
            )
