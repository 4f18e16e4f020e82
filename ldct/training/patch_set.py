"""The CT patch pairs a study's rule ``patches`` wrote, loaded for the rules that fit and score
networks on them (last_layer_optimum, finetune_dncnn, per_dose_original)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ldct.core.storage import load_array, read_table
from ldct.denoising.scaling import HuScaling
from ldct.training.loss import patch_weights
from ldct.training.patches import patch_doses, patch_scaling, validation_flags
from ldct.workflow import config_value


@dataclass(frozen=True)
class PatchSet:
    """Low- and full-dose patches (N, size, size; HU), each patch's dose (fraction of the full
    dose), whether it is a validation patch, and the map of each to network units."""

    low_hu: np.ndarray
    full_hu: np.ndarray
    doses: np.ndarray
    is_validation: np.ndarray
    scaling: HuScaling

    @classmethod
    def load(cls, low_dose: str, full_dose: str, index: str, hu_scaling: str, hu_window: dict) -> PatchSet:
        """The patch arrays and ``index.tsv`` at those paths, mapped by config ``dncnn.hu_scaling``
        and ``dncnn.hu_window``."""
        rows = read_table(index)
        return cls(
            load_array(low_dose),
            load_array(full_dose),
            patch_doses(rows),
            validation_flags(rows),
            patch_scaling(rows, hu_scaling, hu_window, index),
        )

    @classmethod
    def of_rule(cls, job) -> PatchSet:
        """The patches of a rule's job (its ``snakemake`` object): inputs ``low_dose``,
        ``full_dose`` and ``index``, params ``hu_scaling`` and ``hu_window``."""
        return cls.load(
            job.input.low_dose, job.input.full_dose, job.input.index, job.params.hu_scaling, job.params.hu_window
        )

    def loss_weights(self, loss: str) -> np.ndarray | None:
        """Each patch's weight in the fine-tuning ``loss`` (config ``dncnn.finetune.loss``;
        :func:`ldct.training.loss.patch_weights`), None for plain MSE."""
        with config_value("dncnn.finetune.loss"):
            return patch_weights(
                loss, self.scaling.to_network(self.low_hu), self.scaling.to_network(self.full_hu), self.doses,
                ~self.is_validation,
            )
