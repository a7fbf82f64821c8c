"""A quality model as a differentiable training loss for enhancers (joint or gradient-reversal mode).

Definitions (the project brief, DESIGN.md):
- **joint**: the quality model ``Q`` is frozen (eval mode, no parameter gradients); the loss is
  ``w * mean(q_max - Q(s_hat)) / (q_max - q_min)``, its gradient flows through ``Q`` into the
  enhanced waveform ``s_hat`` only.
- **grl**: a :class:`~quality.grl.GradientReversal` layer sits between ``s_hat`` and a trainable
  copy of ``Q``; the loss ``w * mean(Q(GRL(s_hat)) - q_min) / range`` lowers ``Q``'s score of
  enhanced speech (``Q`` acts as a critic) while, through the reversed gradient, the enhancer is
  pushed to raise it. ``Q`` is kept honest by :meth:`QualityLoss.anchor_loss` on labelled batches
  and, when clean references are passed to :meth:`QualityLoss.forward`, by a supervised loss on
  the true metric of ``s_hat`` (computed off the training thread by
  :class:`~quality.reference_metric.ReferenceLabeller`).
"""
from __future__ import annotations

import copy
import os
from typing import Literal

import numpy as np
import torch
from torch import Tensor, nn

from .grl import GradientReversal, grl_ramp
from .models import QualityModel
from .precision import differentiable_rnn
from .reference_metric import REFERENCE_METRICS, ReferenceLabeller
from .scores import ScoreRange

QualityLossMode = Literal["joint", "grl"]
QUALITY_LOSS_MODES = ("joint", "grl")
LAMBDA_SCHEDULES = ("constant", "ramp")


def _pad_batch(waves: list[np.ndarray], device: torch.device) -> tuple[Tensor, Tensor]:
    lengths = torch.tensor([len(w) for w in waves], dtype=torch.long)
    batch = torch.zeros(len(waves), int(lengths.max()))
    for row, w in enumerate(waves):
        batch[row, : len(w)] = torch.from_numpy(w)
    return batch.to(device), lengths.to(device)


class QualityLoss(nn.Module):
    """Quality-model loss on enhanced 16 kHz waveforms ``(B, N)`` (+ ``lengths``).

    ``model_or_checkpoint``: a :class:`~quality.models.QualityModel` (copied, never modified) or
    the path of a ``model.pt``. ``head``: ``"mos"`` (the model's main score) or an extra head such
    as ``"stoi"``. ``weight``: ``w`` above. GRL mode only: ``lambda_`` (the reversal strength;
    with ``lambda_schedule="ramp"`` it follows ``lambda_ * grl_ramp(progress)`` as
    :meth:`set_progress` is called), ``anchor_weight`` (supervised losses that keep the critic
    honest), ``reference_metric`` (``"auto"``: the target the head was trained on -- ``pesq`` for
    the shipped model; ``None``: no reference anchor), ``reference_workers`` (processes computing
    it; 0 computes in the training thread).
    """

    def __init__(
        self,
        model_or_checkpoint: QualityModel | str | os.PathLike,
        mode: QualityLossMode = "joint",
        weight: float = 1.0,
        head: str = "mos",
        lambda_: float = 1.0,
        lambda_schedule: str = "constant",
        anchor_weight: float = 1.0,
        reference_metric: str | None = "auto",
        reference_workers: int = 1,
        max_reference_batch: int = 8,
        target: str | None = None,
    ) -> None:
        super().__init__()
        if mode not in QUALITY_LOSS_MODES:
            raise ValueError(f"mode must be one of {QUALITY_LOSS_MODES}, got {mode!r}")
        if lambda_schedule not in LAMBDA_SCHEDULES:
            raise ValueError(f"lambda_schedule must be one of {LAMBDA_SCHEDULES}, got {lambda_schedule!r}")
        if isinstance(model_or_checkpoint, QualityModel):
            model = copy.deepcopy(model_or_checkpoint)
        else:
            from .checkpoint import load_model

            model, metadata = load_model(model_or_checkpoint)
            target = target or metadata.get("target")
        heads = ["mos", *model.head_ranges]
        if head not in heads:
            raise ValueError(f"quality model has no head {head!r}; heads: {', '.join(heads)}")
        self.mode = mode
        self.weight = float(weight)
        self.head = head
        self.range: ScoreRange = model.score_range if head == "mos" else model.head_ranges[head]
        self.target = (target or "pesq") if head == "mos" else head
        self.model = model
        self.lambda_max = float(lambda_)
        self.lambda_schedule = lambda_schedule
        self.grl = GradientReversal(lambda_ if lambda_schedule == "constant" else 0.0)
        self.anchor_weight = float(anchor_weight)
        self.max_reference_batch = int(max_reference_batch)
        self.labeller: ReferenceLabeller | None = None
        model.eval()
        if mode == "joint":
            model.requires_grad_(False)
        elif reference_metric is not None:
            metric = self.target if reference_metric == "auto" else reference_metric
            if metric in REFERENCE_METRICS:
                self.labeller = ReferenceLabeller(metric, workers=reference_workers)
            elif reference_metric != "auto":
                raise ValueError(f"reference_metric must be one of {REFERENCE_METRICS}, 'auto' or None, got {metric!r}")
        self.last_score: Tensor | None = None

    def train(self, mode: bool = True) -> "QualityLoss":
        """As ``nn.Module.train``, except that the quality model always runs in eval mode (no
        dropout): frozen in joint mode, and in GRL mode a critic whose scores, and so the
        enhancer's gradients, should not be noisy. GRL still updates its weights."""
        super().train(mode)
        self.model.eval()
        return self

    def set_progress(self, progress: float) -> None:
        """Tell the loss how far training is (0..1); updates lambda under the ``ramp`` schedule."""
        if self.lambda_schedule == "ramp":
            self.grl.lambda_ = self.lambda_max * grl_ramp(progress)

    def score(self, wav: Tensor, lengths: Tensor | None = None) -> Tensor:
        """The quality model's ``(B,)`` scores of ``wav`` for the chosen head (no reversal).

        The model runs in eval mode, through which cuDNN cannot backpropagate a recurrent layer:
        on a CUDA device :func:`~quality.precision.differentiable_rnn` switches cuDNN off."""
        with differentiable_rnn(wav.device):
            out = self.model(wav, lengths)
        return out.utterance_score if self.head == "mos" else out.heads[self.head]

    def forward(self, enhanced: Tensor, lengths: Tensor | None = None, clean: Tensor | None = None) -> Tensor:
        """The loss for a batch of enhanced waveforms; ``clean`` (GRL mode) feeds the reference anchor."""
        if enhanced.dim() != 2:
            raise ValueError(f"expected enhanced waveforms (B, N), got shape {tuple(enhanced.shape)}")
        if self.mode == "joint":
            scores = self.score(enhanced, lengths)
            self.last_score = scores.detach().mean()
            return self.weight * ((self.range.high - scores) / self.range.span).mean()
        scores = self.score(self.grl(enhanced), lengths)
        self.last_score = scores.detach().mean()
        loss = self.weight * ((scores - self.range.low) / self.range.span).mean()
        if clean is not None and self.labeller is not None:
            self._submit(enhanced, clean, lengths)
            loss = loss + self._reference_anchor()
        return loss

    def anchor_loss(self, wav: Tensor, lengths: Tensor | None, target: Tensor) -> Tensor:
        """GRL mode: ``anchor_weight`` x normalised MSE of the critic on a labelled batch."""
        if self.mode != "grl":
            raise RuntimeError("anchor_loss trains the critic; it exists in grl mode only")
        pred = self.score(wav, lengths)
        error = (pred - target.to(pred.dtype)) / self.range.span
        return self.anchor_weight * error.pow(2).mean()

    def _submit(self, enhanced: Tensor, clean: Tensor, lengths: Tensor | None) -> None:
        if clean.shape != enhanced.shape:
            raise ValueError(f"clean {tuple(clean.shape)} and enhanced {tuple(enhanced.shape)} shapes differ")
        est = enhanced.detach().float().cpu().numpy()
        ref = clean.detach().float().cpu().numpy()
        sizes = lengths.cpu().tolist() if lengths is not None else [est.shape[1]] * est.shape[0]
        for row, n in enumerate(sizes):
            self.labeller.submit(est[row, :n], ref[row, :n])

    def _reference_anchor(self) -> Tensor:
        ready = self.labeller.collect()[-self.max_reference_batch :]
        device = next(self.model.parameters()).device
        if not ready:
            return torch.zeros((), device=device)
        wav, lengths = _pad_batch([w for w, _ in ready], device)
        target = torch.tensor([label for _, label in ready], device=device)
        return self.anchor_loss(wav, lengths, target.clamp(self.range.low, self.range.high))

    def close(self) -> None:
        """Stop the reference-metric workers, if any."""
        if self.labeller is not None:
            self.labeller.close()
