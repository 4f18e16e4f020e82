"""What a DnCNN does to the validation patches, dose by dose: RMSE (HU) and SSIM of the
undenoised low-dose patch (input) and of the network's output, each against its full-dose patch.

One table per network, ``results/dncnn/{network}/per_dose.tsv``: for the original DnCNN once
(epoch 0), for a fine-tuned network its start (epoch 0: the weights its training starts from)
and every epoch after. A network helps at a dose where ``rmse_output_hu`` is below
``rmse_input_hu``; a training that improves the pooled loss while making the mild doses worse
shows here and nowhere else.

RMSE is pooled over every pixel of the dose's patches. SSIM is the mean over the dose's patches
of each patch's SSIM in the paper's convention (:func:`ldct.evaluation.metrics.ssim`, the
full-dose patch's own range as the dynamic range), so it reads like the study's ``ssim_paper``
on 50 x 50 pixels.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ldct.denoising.scaling import HuScaling
from ldct.evaluation.metrics import ssim
from ldct.training.patch_set import PatchSet

PER_DOSE_COLUMNS = ("epoch", "dose", "rmse_input_hu", "rmse_output_hu", "ssim_input", "ssim_output")


def patch_ssim(test_hu: np.ndarray, reference_hu: np.ndarray) -> np.ndarray:
    """SSIM of each patch of ``test_hu`` against the same patch of ``reference_hu`` ((N, H, W),
    HU), the reference patch's range (max - min, HU) as the dynamic range; (N,) float64."""
    return np.array([ssim(test, reference, float(np.ptp(reference))) for test, reference in zip(test_hu, reference_hu)])


def per_dose_rows(output_hu: np.ndarray, low_hu: np.ndarray, full_hu: np.ndarray, doses: np.ndarray) -> list[dict]:
    """One row per dose (highest first) of the patches (N, H, W; HU) whose doses are ``doses``
    (N,; fractions of the full dose): RMSE (HU) and mean SSIM of the input ``low_hu`` and the
    network's ``output_hu`` against ``full_hu`` (the columns of :data:`PER_DOSE_COLUMNS` but
    ``epoch``)."""
    full = np.asarray(full_hu, dtype=np.float64)
    rows = []
    for dose in sorted(set(np.asarray(doses).tolist()), reverse=True):
        chosen = np.asarray(doses) == dose
        rows.append({
            "dose": float(dose),
            "rmse_input_hu": rmse_hu(low_hu[chosen], full[chosen]),
            "rmse_output_hu": rmse_hu(output_hu[chosen], full[chosen]),
            "ssim_input": float(patch_ssim(low_hu[chosen], full[chosen]).mean()),
            "ssim_output": float(patch_ssim(output_hu[chosen], full[chosen]).mean()),
        })
    return rows


def rmse_hu(estimate: np.ndarray, reference: np.ndarray) -> float:
    """Root of the mean squared difference (HU) over every pixel of the patches given."""
    return float(np.sqrt(np.mean((np.asarray(estimate, dtype=np.float64) - reference) ** 2)))


class PerDoseValidation:
    """The per-dose rows of a network on fixed validation patches.

    ``network_input`` is what the network is fed (N, C, H, W; network units: the low-dose
    patch, or it and its cached trunk features); ``low_hu``, ``full_hu`` (N, H, W) the same
    patches in HU, ``doses`` (N,) their doses and ``scaling`` their map to network units.
    """

    def __init__(
        self, network_input: torch.Tensor, low_hu: np.ndarray, full_hu: np.ndarray, doses: np.ndarray,
        scaling: HuScaling,
    ):
        self.network_input, self.low_hu, self.full_hu = network_input, low_hu, full_hu
        self.doses, self.scaling = np.asarray(doses, dtype=np.float64), scaling

    @property
    def device(self) -> torch.device:
        """Where the network input lies (and the network must)."""
        return self.network_input.device

    @classmethod
    def of_patches(cls, patches: PatchSet, device: torch.device) -> PerDoseValidation:
        """The validation patches of ``patches``, the network fed the low-dose patch alone, on
        ``device``."""
        chosen = np.flatnonzero(patches.is_validation)
        scaling = patches.scaling.rows(chosen)
        network_input = torch.from_numpy(scaling.to_network(patches.low_hu[chosen])[:, None]).to(device)
        return cls(network_input, patches.low_hu[chosen], patches.full_hu[chosen], patches.doses[chosen], scaling)

    @torch.no_grad()
    def rows(self, network: nn.Module, chunk: int = 64) -> list[dict]:
        """The per-dose rows of ``network`` (in eval mode, on the input's device)."""
        return self.rows_of_output(torch.cat([network(part) for part in self.network_input.split(chunk)]))

    def rows_of_output(self, output: torch.Tensor) -> list[dict]:
        """The per-dose rows of a network's ``output`` (N, 1, H, W; network units) on the
        validation patches, in their order."""
        output_hu = self.scaling.to_hu(output[:, 0].detach().float().cpu().numpy())
        return per_dose_rows(output_hu, self.low_hu, self.full_hu, self.doses)


def per_dose_table(start_rows: list[dict], history: list[dict]) -> list[dict]:
    """The rows of ``per_dose.tsv``: ``start_rows`` as epoch 0 (the network before training,
    or the original DnCNN), then each history row's ``per_dose`` under its epoch."""
    epochs = [(0, start_rows)] + [(row["epoch"], row["per_dose"]) for row in history]
    return [{"epoch": epoch, **row} for epoch, rows in epochs for row in rows]
