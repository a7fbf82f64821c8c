"""The LightningModule that trains an enhancer with an enhancement loss and, optionally, a
quality-model loss (joint or gradient reversal, :class:`~quality.quality_loss.QualityLoss`)."""
from __future__ import annotations

import math
from typing import Any

import lightning as L
import numpy as np
import torch
from torch import Tensor

from ..corpus import LabelError, compute_labels
from ..models import QualityModel
from ..quality_loss import QualityLoss
from .losses import build_enhancement_loss
from .registry import build_enhancer

VALID_METRICS = ("pesq", "stoi", "sisdr", "quality")


def enhancement_metrics(enhanced: np.ndarray, clean: np.ndarray) -> dict[str, float]:
    """PESQ-wb, STOI and SI-SDR of one enhanced signal against its clean reference (NaN where a
    metric cannot be computed, e.g. PESQ on a file without speech)."""
    try:
        return compute_labels(clean, enhanced)
    except LabelError:
        return {"pesq": math.nan, "stoi": math.nan, "sisdr": math.nan}


class EnhancementTask(L.LightningModule):
    """Trains ``build_enhancer(**enhancer)`` on batches of ``mix``/``clean``/``lengths``.

    ``loss``: an enhancement-loss spec (``"si_snr+cspec:0.5"`` or a mapping). ``quality``:
    keyword arguments of :class:`~quality.quality_loss.QualityLoss` plus ``checkpoint`` and
    ``lr`` (the critic's learning rate in GRL mode), or None for the enhancement loss alone.
    ``judge``: a frozen quality model whose score of the enhanced validation audio is reported as
    ``val_quality`` (not saved in checkpoints; in joint mode the loss's own model is used).
    Validation also reports ``val_pesq`` (P.862.2 wideband), ``val_stoi``, ``val_sisdr`` and
    ``val_loss`` (the enhancement loss alone, the same selection criterion for every mode).
    Training batches may be ``{"mixtures": batch, "anchor": labelled batch}`` in GRL mode: the
    anchor batch (``wav``, ``lengths``, ``target`` of the quality model's target) trains the critic.
    """

    def __init__(
        self,
        enhancer: dict[str, Any],
        loss: str | dict[str, float] = "si_snr",
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        quality: dict[str, Any] | None = None,
        judge: QualityModel | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["judge"])
        config = dict(enhancer)
        self.enhancer = build_enhancer(config.pop("name"), **config)
        self.enh_loss = build_enhancement_loss(loss)
        self.quality_loss: QualityLoss | None = None
        self.quality_lr = None
        if quality:
            options = dict(quality)
            checkpoint = options.pop("checkpoint")
            self.quality_lr = float(options.pop("lr", 1e-4))
            self.quality_loss = QualityLoss(checkpoint, **options)
            if self.quality_loss.mode == "joint" and judge is None:
                judge = self.quality_loss.model
        if judge is not None:
            judge = judge.eval().requires_grad_(False)
        object.__setattr__(self, "_judge", judge)  # not a submodule: kept out of checkpoints
        self._val_outputs: list[tuple[Tensor, Tensor]] = []

    @property
    def judge(self) -> QualityModel | None:
        return self._judge

    def forward(self, mix: Tensor, lengths: Tensor | None = None) -> Tensor:
        return self.enhancer(mix, lengths)

    def _progress(self) -> float:
        total = self.trainer.estimated_stepping_batches if self._trainer is not None else math.inf
        return float(self.global_step) / total if math.isfinite(total) and total > 0 else 1.0

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        anchor = None
        if "anchor" in batch:
            batch, anchor = batch["mixtures"], batch["anchor"]
        mix, clean, lengths = batch["mix"], batch["clean"], batch["lengths"]
        est = self.enhancer(mix, lengths)
        total, parts = self.enh_loss(est, clean, mix, lengths)
        size = mix.shape[0]
        for name, value in parts.items():
            self.log(f"train_{name}", value, batch_size=size, sync_dist=True)
        if self.quality_loss is not None:
            self.quality_loss.set_progress(self._progress())
            q = self.quality_loss(est, lengths, clean=clean)
            total = total + q
            self.log("train_quality_loss", q, batch_size=size, sync_dist=True)
            self.log("train_quality", self.quality_loss.last_score, batch_size=size, sync_dist=True)
            if self.quality_loss.mode == "grl":
                self.log("grl_lambda", self.quality_loss.grl.lambda_, batch_size=size)
                if anchor is not None:
                    a = self.quality_loss.anchor_loss(anchor["wav"], anchor["lengths"], anchor["target"])
                    total = total + a
                    self.log("train_anchor", a, batch_size=size, sync_dist=True)
        self.log("train_loss", total, prog_bar=True, batch_size=size, sync_dist=True)
        return total

    def on_validation_start(self) -> None:
        if self.judge is not None:
            self.judge.to(self.device)

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        mix, clean, lengths = batch["mix"], batch["clean"], batch["lengths"]
        est = self.enhancer(mix, lengths)
        total, _ = self.enh_loss(est, clean, mix, lengths)
        self.log("val_loss", total, prog_bar=True, batch_size=mix.shape[0], sync_dist=True)
        quality = self.judge(est, lengths).utterance_score if self.judge is not None else torch.full_like(lengths, math.nan, dtype=est.dtype)
        est_np, clean_np = est.float().cpu().numpy(), clean.float().cpu().numpy()
        rows = []
        for row, n in enumerate(lengths.cpu().tolist()):
            m = enhancement_metrics(est_np[row, :n], clean_np[row, :n])
            rows.append([m["pesq"], m["stoi"], m["sisdr"], float(quality[row])])
        self._val_outputs.append((torch.tensor(rows, device=self.device), batch["index"]))

    def on_validation_epoch_end(self) -> None:
        if not self._val_outputs:
            return
        values, index = (torch.cat(parts) for parts in zip(*self._val_outputs))
        self._val_outputs.clear()
        if self.trainer.world_size > 1:
            values = self.all_gather(values).reshape(-1, len(VALID_METRICS))
            index = self.all_gather(index).reshape(-1)
        _, first = np.unique(index.cpu().numpy(), return_index=True)
        table = values.cpu().numpy()[first]
        for k, name in enumerate(VALID_METRICS):
            column = table[:, k]
            if np.isfinite(column).any():
                self.log(f"val_{name}", float(np.nanmean(column)), prog_bar=name == "pesq")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        """Adam on the enhancer; in GRL mode a second parameter group trains the critic at its own lr."""
        groups = [{"params": list(self.enhancer.parameters()), "lr": self.hparams.lr}]
        if self.quality_loss is not None and self.quality_loss.mode == "grl":
            groups.append({"params": list(self.quality_loss.model.parameters()), "lr": self.quality_lr})
        return torch.optim.Adam(groups, lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)

    def on_train_end(self) -> None:
        if self.quality_loss is not None:
            self.quality_loss.close()
