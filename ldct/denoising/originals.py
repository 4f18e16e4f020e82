"""The original DnCNNs that ship with ldct (``ldct/models/``), by ``dncnn.pretrain`` source and
noise.

* ``authors``: the DnCNN authors' trained networks (Zhang et al., 2017), converted from their
  MatConvNet files (:mod:`ldct.denoising.matconvnet`, ``benchmarks/dncnn_reference.py``):
  DnCNN-B (``blind``, 20 layers, noise SD 0-55 of 255) and DnCNN-S for SD 25 of 255 (``fixed``,
  17 layers), batch norm merged into their convolutions. The study's default.
* ``ldct``: the networks ldct trained itself on 12 scikit-image pictures (20 layers, batch norm
  present), kept for comparison.

Each checkpoint lies beside a ``.json`` manifest (source, SHA-256, architecture, measured PSNR);
ldct's own also beside an ``.epochs.tsv`` training curve. No torch here: the study's parser reads
these paths.
"""

from __future__ import annotations

from pathlib import Path

#: Where the shipped checkpoints lie (inside the package).
MODELS = Path(__file__).parents[1] / "models"
#: (dncnn.pretrain.source, dncnn.pretrain.noise) -> the shipped checkpoint.
SHIPPED_ORIGINALS = {
    ("authors", "blind"): MODELS / "authors_dncnn_b.pt",
    ("authors", "fixed"): MODELS / "authors_dncnn_s25.pt",
    ("ldct", "blind"): MODELS / "dncnn_blind.pt",
    ("ldct", "fixed"): MODELS / "dncnn_sigma25.pt",
}
#: The noise SD (of 255) of the shipped fixed-noise (DnCNN-S) networks.
SHIPPED_FIXED_SIGMA = 25
#: The original DnCNN of the default study and of ``ldct denoise --method dncnn``.
DEFAULT_ORIGINAL = SHIPPED_ORIGINALS["authors", "blind"]
#: The blind DnCNN-B ldct trained itself (the speed benchmarks' network).
LDCT_DNCNN_B = SHIPPED_ORIGINALS["ldct", "blind"]
