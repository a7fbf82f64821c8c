"""The LightningModule that trains any registered quality model with a combined loss."""
from __future__ import annotations

from typing import Any

import lightning as L
import numpy as np
import torch

from ..losses import build_loss
from ..metrics import score_metrics
from ..models import build_model
from ..models.base import CONDITIONS_KEY, DIFFERENCE_KEY
from .schedule import SCHEDULERS


class QualityTask(L.LightningModule):
    """Trains ``build_model(**model_config)`` with ``build_loss(loss)``; validation reports
    ``val_loss``, ``val_mse`` (normalised scale), ``val_lcc`` and ``val_srcc`` over the whole
    validation set (gathered across DDP ranks, duplicates from the distributed sampler dropped),
    and ``val_<head>_lcc`` / ``val_<head>_srcc`` for every extra head.
    """

    def __init__(
        self,
        model_config: dict[str, Any],
        loss: dict[str, Any],
        optimizer: str = "adam",
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        lr_scheduler: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        config = dict(model_config)
        self.model = build_model(config.pop("name"), **config)
        self.loss = build_loss(loss, self.model.score_range, getattr(self.model, "bins", None),
                               self.model.head_ranges)
        if "difference_mse" in self.loss.weights and not self.model.difference_bands:
            raise ValueError("loss 'difference_mse' needs a model with difference_bands (model.difference_bands "
                             "in the config: the bands of the list's reference-difference targets)")
        self.head_names = list(self.model.head_ranges)
        self._val_outputs: list[tuple[torch.Tensor, ...]] = []

    def forward(self, wav: torch.Tensor, lengths: torch.Tensor | None = None):
        return self.model(wav, lengths)

    def head_targets(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Extra-head targets of a batch by head name (and the degradation types under
        ``CONDITIONS_KEY`` when the model classifies them, the reference-difference targets under
        ``DIFFERENCE_KEY`` when the batch has them)."""
        targets = {name: batch["heads"][:, i] for i, name in enumerate(self.head_names)}
        if self.model.conditions:
            targets[CONDITIONS_KEY] = batch["conditions"]
        if "difference" in batch:
            targets[DIFFERENCE_KEY] = batch["difference"]
        return targets

    def head_predictions(self, out) -> torch.Tensor:
        """Extra-head utterance scores stacked as ``(B, H)``."""
        if not self.head_names:
            return out.utterance_score.new_zeros(out.utterance_score.shape[0], 0)
        return torch.stack([out.heads[name] for name in self.head_names], dim=1)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        out = self.model(batch["wav"], batch["lengths"])
        total, parts = self.loss(out, batch["target"], self.head_targets(batch))
        size = batch["target"].numel()
        self.log("train_loss", total, prog_bar=True, batch_size=size, sync_dist=True)
        for name, value in parts.items():
            self.log(f"train_{name}", value, batch_size=size, sync_dist=True)
        return total

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        out = self.model(batch["wav"], batch["lengths"])
        total, _ = self.loss(out, batch["target"], self.head_targets(batch))
        self.log("val_loss", total, prog_bar=True, batch_size=batch["target"].numel(), sync_dist=True)
        self._val_outputs.append((out.utterance_score.detach(), batch["target"], batch["index"],
                                  self.head_predictions(out).detach(), batch["heads"]))

    def on_validation_epoch_end(self) -> None:
        if not self._val_outputs:
            return
        pred, true, index, head_pred, head_true = (torch.cat(parts) for parts in zip(*self._val_outputs))
        self._val_outputs.clear()
        if self.trainer.world_size > 1:
            pred, true, index = (self.all_gather(t).reshape(-1) for t in (pred, true, index))
            if self.head_names:  # an empty (B, 0) tensor cannot be gathered and reshaped
                width = len(self.head_names)
                head_pred, head_true = (self.all_gather(t).reshape(-1, width) for t in (head_pred, head_true))
        _, first = np.unique(index.cpu().numpy(), return_index=True)
        metrics = score_metrics(pred.cpu().numpy()[first], true.cpu().numpy()[first], self.model.score_range)
        # Every rank holds the same gathered values, so no further reduction is needed.
        self.log("val_mse", float(metrics["mse"]), prog_bar=False)
        self.log("val_lcc", float(np.nan_to_num(metrics["lcc"], nan=-1.0)), prog_bar=True)
        self.log("val_srcc", float(np.nan_to_num(metrics["srcc"], nan=-1.0)), prog_bar=True)
        for i, name in enumerate(self.head_names):
            scale = self.model.head_ranges[name]
            y = head_true[first, i].clamp(scale.low, scale.high).cpu().numpy()
            head = score_metrics(head_pred[first, i].cpu().numpy(), y, scale)
            self.log(f"val_{name}_lcc", float(np.nan_to_num(head["lcc"], nan=-1.0)))
            self.log(f"val_{name}_srcc", float(np.nan_to_num(head["srcc"], nan=-1.0)))

    def configure_optimizers(self) -> Any:
        """Adam or RMSprop; with ``lr_scheduler: {name: plateau, monitor, factor, patience}`` the
        learning rate is multiplied by ``factor`` when ``monitor`` stalls for ``patience`` epochs
        (``cosine`` is a callback, ``quality.training.schedule.BudgetCosineLR``)."""
        params = self.model.parameters()
        opt_class = torch.optim.RMSprop if self.hparams.optimizer == "rmsprop" else torch.optim.Adam
        optimizer = opt_class(params, lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)
        spec = dict(self.hparams.lr_scheduler or {})
        if not spec or spec.get("name") == "cosine":
            return optimizer
        if spec.pop("name", "plateau") != "plateau":
            raise ValueError(f"lr_scheduler.name must be one of {SCHEDULERS}")
        monitor = spec.pop("monitor", "val_loss")
        mode = "max" if monitor in ("val_lcc", "val_srcc") else "min"
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, mode=mode, factor=float(spec.pop("factor", 0.5)), patience=int(spec.pop("patience", 3)))
        if spec:
            raise ValueError(f"unknown lr_scheduler options {sorted(spec)}")
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "monitor": monitor}}
