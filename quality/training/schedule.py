"""Learning-rate schedules for the training loop.

``plateau`` (Lightning steps torch's ``ReduceLROnPlateau`` after each validation) is built in
``QualityTask.configure_optimizers``. ``cosine`` lives here as a callback because it follows the
run's *budget*: after a linear warm-up the rate falls along a half cosine to ``final`` × the base
rate exactly when the budget ends — ``max_minutes`` (read from Lightning's own timer, which is
restored on ``--resume``) or ``max_epochs`` × batches per epoch, whichever runs out first. A run
stopped by its time budget therefore ends at the small rate instead of wherever a constant or
plateau schedule happened to be.
"""
from __future__ import annotations

import math
from typing import Any

from lightning.pytorch.callbacks import Callback, Timer

SCHEDULERS = ("plateau", "cosine")
COSINE_OPTIONS = ("warmup", "final")


def check_scheduler(spec: Any) -> None:
    """Raise ValueError unless ``spec`` is null or a valid ``lr_scheduler`` mapping."""
    if not spec:
        return
    if not isinstance(spec, dict) or spec.get("name", "plateau") not in SCHEDULERS:
        raise ValueError(f"lr_scheduler must be a mapping with name one of {SCHEDULERS}, got {spec!r}")
    if spec.get("name") != "cosine":
        return
    unknown = sorted(set(spec) - {"name", *COSINE_OPTIONS})
    if unknown:
        raise ValueError(f"lr_scheduler (cosine): unknown options {unknown}; known: {list(COSINE_OPTIONS)}")
    for key, default in (("warmup", 0.0), ("final", 0.0)):
        value = spec.get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
            raise ValueError(f"lr_scheduler.{key} must be a fraction in [0, 1), got {value!r}")


def cosine_factor(progress: float, warmup: float = 0.0, final: float = 0.0) -> float:
    """The multiplier of the base learning rate at ``progress`` ∈ [0, 1] of the budget: a linear
    ramp over the first ``warmup`` of it, then a half cosine from 1 down to ``final``."""
    progress = min(max(progress, 0.0), 1.0)
    if warmup > 0.0 and progress < warmup:
        return max(progress / warmup, 1e-3)
    span = (progress - warmup) / (1.0 - warmup)
    return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * span))


def scheduler_callbacks(spec: dict[str, Any] | None, epoch_batches: int) -> list[Any]:
    """The callbacks a ``lr_scheduler`` spec needs: a ``BudgetCosineLR`` for ``cosine``, none otherwise."""
    if not spec or spec.get("name") != "cosine":
        return []
    return [BudgetCosineLR(float(spec.get("warmup", 0.0)), float(spec.get("final", 0.0)), epoch_batches)]


class BudgetCosineLR(Callback):
    """Sets every parameter group's learning rate to ``base × cosine_factor(progress)`` before each
    training batch, where ``progress`` is the larger of the elapsed fraction of the time budget and
    of the step budget (``max_epochs × epoch_batches``)."""

    def __init__(self, warmup: float, final: float, epoch_batches: int) -> None:
        super().__init__()
        self.warmup, self.final, self.epoch_batches = warmup, final, max(1, int(epoch_batches))
        self.base_lrs: list[float] | None = None

    def progress(self, trainer: Any) -> float:
        """The fraction of the run's budget already spent (0 at the start, 1 at its end)."""
        steps = trainer.max_epochs * self.epoch_batches if trainer.max_epochs and trainer.max_epochs > 0 else None
        spent = trainer.global_step / steps if steps else 0.0
        timer = next((c for c in trainer.callbacks if isinstance(c, Timer)), None)
        remaining = timer.time_remaining("train") if timer is not None else None
        if remaining is not None:  # a time budget: elapsed / (elapsed + remaining)
            elapsed = timer.time_elapsed("train")
            spent = max(spent, elapsed / max(elapsed + remaining, 1e-9))
        return spent

    def on_train_batch_start(self, trainer: Any, pl_module: Any, batch: Any, batch_idx: int) -> None:
        optimizer = trainer.optimizers[0]
        if self.base_lrs is None:
            self.base_lrs = [group.get("initial_lr", group["lr"]) for group in optimizer.param_groups]
            for group, base in zip(optimizer.param_groups, self.base_lrs):
                group["initial_lr"] = base
        factor = cosine_factor(self.progress(trainer), self.warmup, self.final)
        for group, base in zip(optimizer.param_groups, self.base_lrs):
            group["lr"] = base * factor
        pl_module.log("lr", optimizer.param_groups[0]["lr"], on_step=True, on_epoch=False)
