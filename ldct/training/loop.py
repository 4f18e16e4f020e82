"""The training loop shared by pretraining and fine-tuning: Adam, MSE, resumable epochs.

Every epoch's batches come from ``epoch_batches(epoch)``, which must be a pure function of
the epoch number (the callers seed it from (seed, epoch)), so a run resumed from the
checkpoint written after epoch k continues exactly as the uninterrupted run would: with
``deterministic=True`` on the CPU the final weights are bitwise identical.

The checkpoint (model, optimizer, history, a fingerprint of the settings) is rewritten
atomically after every epoch whose losses, and the weights after it, are finite (else training
stops with an :class:`~ldct.core.errors.LdctInputError` that says which setting to change). It is
resumed only when its fingerprint matches the current settings (the number of epochs excluded,
so a longer run continues a shorter one) and it does not lie beyond the requested number of
epochs.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import torch
from torch import nn
from tqdm import tqdm

from ldct.core.devices import resolve_device
from ldct.core.errors import LdctInputError
from ldct.training.loss import weighted_mse
from ldct.training.precision import choose_precision
from ldct.training.resume import load_resume_state, save_resume_state

Batch = tuple[torch.Tensor, ...]
"""(noisy, clean) tensors of shape (N, 1, H, W) in network units, optionally followed by (N,)
per-patch loss weights (:func:`ldct.training.loss.weighted_mse`)."""

HISTORY_COLUMNS = (
    "epoch",
    "steps",
    "learning_rate",
    "loss",
    "val_psnr_db",
    "val_input_psnr_db",
    "seconds",
    "precision",
)


@dataclass(frozen=True)
class TrainingSettings:
    """Optimisation settings of one training run.

    ``learning_rate`` is Adam's step size; at each epoch listed in ``lr_milestones`` (1-based,
    the epoch that starts with the lower rate) it is multiplied by 0.1. ``precision`` is
    ``float32``, ``bfloat16`` (autocast; the loss is taken in float32) or ``auto``
    (:func:`ldct.training.precision.choose_precision` picks one of them when training starts).
    ``device`` is ``auto`` (CUDA when available), ``cpu`` or ``cuda``.
    """

    epochs: int
    learning_rate: float = 1e-3
    lr_milestones: tuple[int, ...] = field(default_factory=tuple)
    precision: str = "auto"
    device: str = "auto"
    deterministic: bool = False

    def fingerprint(self, extra: dict[str, Any]) -> str:
        """Hash of everything that shapes the weights except the number of epochs."""
        settings = {k: v for k, v in asdict(self).items() if k not in ("epochs", "device")}
        text = json.dumps({"settings": settings, "extra": extra}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def _probe_step(
    model: nn.Module, batches: Callable[[], Iterable[Batch]], device: torch.device
) -> Callable[[str], None]:
    """One forward and backward pass, in a given precision, of a copy of ``model`` on the first
    of ``batches()``; ``model`` (weights, batch-norm statistics) stays untouched. The copy and
    the batch are made at the first call."""
    probe: dict[str, Any] = {}

    def step(precision: str) -> None:
        if not probe:
            probe["model"] = copy.deepcopy(model)
            _set_train_mode(probe["model"])
            probe["batch"] = _on_device(next(iter(batches())), device)
        noisy, clean, *weights = probe["batch"]
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bfloat16"):
            output = probe["model"](noisy)
        weighted_mse(output.float(), clean, *weights).backward()
        probe["model"].zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    return step


def _on_device(batch: Batch, device: torch.device) -> list[torch.Tensor]:
    """The tensors of ``batch`` on ``device``, the images in channels_last, the layout the
    model's weights use (no copy when they are there already)."""
    return [
        tensor.to(device, non_blocking=True, memory_format=torch.channels_last if tensor.dim() == 4 else torch.preserve_format)
        for tensor in batch
    ]


def _set_train_mode(model: nn.Module) -> None:
    """Training mode, except batch norms whose parameters are frozen use their running stats."""
    model.train()
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d) and not any(
            parameter.requires_grad for parameter in module.parameters()
        ):
            module.eval()


def train(
    model: nn.Module,
    epoch_batches: Callable[[int], Iterable[Batch]],
    steps_per_epoch: int,
    validate: Callable[[nn.Module, torch.device], dict[str, Any]],
    settings: TrainingSettings,
    checkpoint_path: str | os.PathLike,
    fingerprint_extra: dict[str, Any],
    on_epoch_end: Callable[[int], None] | None = None,
    *,
    run_name: str,
    settings_key: str,
    keep_best: bool = False,
) -> list[dict[str, Any]]:
    """Train the parameters of ``model`` that require gradients; return the per-epoch history.

    ``validate(model, device)`` returns the scores of the model on held-out data: at least
    ``val_psnr_db`` and ``val_input_psnr_db`` (PSNR of the output and of the input, dB); it runs
    after every epoch, and everything it returns joins that epoch's history row (and the resume
    checkpoint: plain Python values only). ``on_epoch_end(epoch)`` runs after the
    epoch's checkpoint is written. With ``keep_best``, ``model`` ends with the weights of the
    epoch of highest validation PSNR, the weights it started with counting as epoch 0 (also
    validated, before training); the history's ``kept`` column marks that epoch (the resume
    checkpoint keeps those weights too).

    A loss that is NaN or infinite, or a weight or batch-norm statistic that is NaN or infinite
    at the end of an epoch, raises :class:`LdctInputError` before that epoch's checkpoint is
    written (the checkpoint keeps the last finite epoch). Its message names ``run_name`` (``pretraining`` or
    the fine-tuned variant), the epoch and step, and the settings under ``settings_key``
    (config ``dncnn.pretrain`` or ``dncnn.finetune``) to change.
    """
    device = resolve_device(settings.device)
    torch.use_deterministic_algorithms(settings.deterministic)
    # Every step has the same shapes: let cuDNN time its algorithms once and keep the fastest
    # (measured on an H200: 1.28x per step, with channels_last); not where runs must repeat bitwise.
    torch.backends.cudnn.benchmark = not settings.deterministic
    model.to(device, memory_format=torch.channels_last)
    probe = _probe_step(model, lambda: epoch_batches(1), device)
    precision = choose_precision(settings.precision, device, probe)
    advice = _divergence_advice(settings, precision, settings_key)
    settings = dataclasses.replace(settings, precision=precision)
    parameters = [parameter for parameter in model.parameters() if parameter.requires_grad]
    optimizer = torch.optim.Adam(parameters, lr=settings.learning_rate)
    checkpoint_path = Path(checkpoint_path)
    fingerprint = settings.fingerprint(fingerprint_extra)
    history: list[dict[str, Any]] = []
    first_epoch = 1
    best: dict[str, Any] | None = None
    resumed = load_resume_state(checkpoint_path, fingerprint, settings.epochs)
    if resumed is not None:
        model.load_state_dict(resumed["model"])
        optimizer.load_state_dict(resumed["optimizer"])
        history, first_epoch = list(resumed["history"]), resumed["epoch"] + 1
        best = resumed.get("best")
        logging.info("resuming from %s after epoch %d", checkpoint_path, resumed["epoch"])
    elif keep_best:
        model.eval()
        with torch.no_grad():
            start_psnr = validate(model, device)["val_psnr_db"]
        best = {"epoch": 0, "val_psnr_db": start_psnr, "model": copy.deepcopy(model.state_dict())}
        logging.info("before training: validation PSNR %.2f dB", start_psnr)
    autocast = precision == "bfloat16"
    for epoch in range(first_epoch, settings.epochs + 1):
        rate = settings.learning_rate * 0.1 ** sum(epoch >= m for m in settings.lr_milestones)
        for group in optimizer.param_groups:
            group["lr"] = rate
        _set_train_mode(model)
        start = time.perf_counter()
        # The loss is summed (and each step's kept) on the device and read once per epoch: no
        # step waits for the last.
        loss_sum, steps = torch.zeros((), dtype=torch.float64, device=device), 0
        step_losses: list[torch.Tensor] = []
        for batch in tqdm(
            epoch_batches(epoch),
            total=steps_per_epoch,
            desc=f"epoch {epoch}/{settings.epochs}",
            unit="batch",
            mininterval=5.0,
        ):
            noisy, clean, *weights = _on_device(batch, device)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
                output = model(noisy)
            loss = weighted_mse(output.float(), clean, *weights)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach()
            step_losses.append(loss.detach())
            steps += 1
        first_step = (epoch - 1) * steps_per_epoch + 1
        _stop_unless_finite(model, loss_sum, step_losses, epoch, first_step, run_name, advice)
        model.eval()
        with torch.no_grad():
            scores = validate(model, device)
        row = {
            "epoch": epoch,
            "steps": epoch * steps_per_epoch,
            "learning_rate": rate,
            "loss": float(loss_sum) / steps,
            **scores,
            "seconds": time.perf_counter() - start,
            "precision": precision,
        }
        val_psnr = row["val_psnr_db"]
        history.append(row)
        if keep_best and val_psnr > best["val_psnr_db"]:
            best = {"epoch": epoch, "val_psnr_db": val_psnr, "model": copy.deepcopy(model.state_dict())}
        logging.info(
            "epoch %d/%d: loss %.4g, validation PSNR %.2f dB (input %.2f dB), %.1f s",
            epoch,
            settings.epochs,
            row["loss"],
            val_psnr,
            row["val_input_psnr_db"],
            row["seconds"],
        )
        save_resume_state(checkpoint_path, model, optimizer, epoch, history, fingerprint, best)
        if on_epoch_end is not None:
            on_epoch_end(epoch)
    if keep_best:
        model.load_state_dict(best["model"])
        logging.info("kept epoch %d (validation PSNR %.2f dB)", best["epoch"], best["val_psnr_db"])
        history = [{**row, "kept": row["epoch"] == best["epoch"]} for row in history]
    model.eval()
    return history


def _divergence_advice(settings: TrainingSettings, precision: str, settings_key: str) -> str:
    """What to change when training diverges: the learning rate under ``settings_key``, and the
    precision when it is bfloat16 (``precision``, the one chosen)."""
    advice = f"lower {settings_key}.learning_rate (now {settings.learning_rate:g})"
    if precision == "bfloat16":
        chosen = ", which chose bfloat16" if settings.precision == "auto" else ""
        advice += f" or set {settings_key}.precision: float32 (now {settings.precision}{chosen})"
    return advice


def _stop_unless_finite(
    model: nn.Module,
    loss_sum: torch.Tensor,
    step_losses: list[torch.Tensor],
    epoch: int,
    first_step: int,
    run_name: str,
    advice: str,
) -> None:
    """Raise :class:`LdctInputError` when a loss of the epoch (its first step numbered
    ``first_step``) or a floating-point tensor of the model's state after it is NaN or
    infinite; the message starts with ``run_name`` and ends with ``advice``."""
    if not torch.isfinite(loss_sum):
        losses = torch.stack(step_losses)
        index = int(torch.nonzero(~torch.isfinite(losses))[0, 0])
        raise LdctInputError(
            f"{run_name}: training loss is {float(losses[index])} at epoch {epoch} "
            f"(step {first_step + index}); {advice}"
        )
    state = [tensor for tensor in model.state_dict().values() if tensor.is_floating_point()]
    if not torch.stack([torch.isfinite(tensor).all() for tensor in state]).all():
        raise LdctInputError(
            f"{run_name}: training made a weight or batch-norm statistic non-finite in epoch {epoch} "
            f"(by step {first_step + len(step_losses) - 1}) while the loss stayed finite; {advice}"
        )
