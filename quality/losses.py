"""Training losses for quality models, as small composable terms.

Every term is an :class:`torch.nn.Module` with ``forward(output, target) -> scalar`` where
``output`` is a :class:`~quality.models.base.QualityOutput` and ``target`` is ``(B,)`` on the raw
score scale. Padded frames (``output.frame_mask == False``) never count, whatever they hold.

Registry (:data:`LOSSES`):

- ``mse``: utterance MSE on normalised scores, ``mean_b (n(pred_b) - n(y_b))^2``.
- ``frame_mse``: every valid frame's normalised score against its utterance's normalised target,
  averaged over all valid frames of the batch (long utterances weigh more).
- ``frame_mse_norm``: the same squared error averaged per utterance first, then over the batch.
- ``qualitynet_frame``: Quality-Net's (Fu et al. 2018) weighted frame term,
  ``mean_b alpha_b * masked_mean_t (n(y_b) - n(q_bt))^2`` with ``alpha_b = 10 ** (y_b - high)``.
- ``ce``: cross-entropy between utterance logits and bin targets (hard, or Gaussian-smoothed with
  ``sigma > 0``): ``-sum_k p_k log softmax(logits)_k``, batch mean.
- ``emd``: EMD over ordered bins (Hou et al. 2016; NIMA, r = 2),
  ``sqrt(mean_k (CDF_p(k) - CDF_q(k))^2)`` per utterance, batch mean.
- ``frame_emd``: the same EMD per valid frame from ``frame_logits`` against the utterance target,
  masked mean over frames per utterance, then batch mean.
- ``heads_mse``: for models with extra heads (``heads: {stoi: [0, 1], ...}``), the mean over heads
  of utterance MSE + frame MSE on each head's normalised scale; targets are clamped to the head's
  range first (an SI-SDR of -50 dB teaches nothing a -20 dB floor does not).
- ``condition_bce``: for models with a degradation classifier (``conditions: [noise, reverb, ...]``),
  binary cross-entropy of its logits against the multi-hot degradation types of each file
  (from the list's ``condition`` column), mean over files and types.
- ``difference_mse``: for models with ``difference_bands``, the squared error of the estimated
  per-frame, per-band level difference to the clean reference (dB / 10) against the list's
  ``difference`` targets (:mod:`quality.reference_difference`), mean over valid frames and bands
  that have a target. Batches without targets (a validation list without the column) add 0.

Frame terms average over the utterances that have at least one valid frame.

Combine terms with :func:`build_loss` from a dict (YAML: ``{mse: 1.0, ce: {weight: 0.5,
sigma: 0.25}}``) or a string (CLI: ``"mse+frame_mse:0.5+ce"``).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Mapping

import torch
from torch import Tensor, nn

from .models.base import CONDITIONS_KEY, DIFFERENCE_KEY, QualityOutput
from .scores import ScoreBins, ScoreRange

__all__ = [
    "LOSSES",
    "EMD_EPS",
    "CombinedLoss",
    "LossTerm",
    "available_losses",
    "build_loss",
    "parse_loss_spec",
]

#: Added inside the EMD square root only so its gradient stays finite where the CDFs coincide
#: (d sqrt(x)/dx is infinite at 0). Small enough (<= 1e-12) not to change values visibly.
EMD_EPS = 1e-12


# --------------------------------------------------------------------------------------- helpers
def _per_utterance_mean(x: Tensor, mask: Tensor) -> Tensor:
    """Masked mean of ``x`` ``(B, T)`` over frames -> ``(B,)`` (0 where an utterance has none)."""
    x = torch.where(mask, x, torch.zeros_like(x))
    return x.sum(1) / mask.sum(1).clamp(min=1).to(x.dtype)


def _mean_over_utterances(per_utt: Tensor, mask: Tensor) -> Tensor:
    """Batch mean of ``per_utt`` ``(B,)`` over utterances with at least one valid frame."""
    has_frames = mask.any(1)
    if not bool(has_frames.any()):
        return per_utt.sum() * 0.0  # keeps the graph; nothing to learn from
    return per_utt[has_frames].mean()


def _clean_frames(x: Tensor, mask: Tensor) -> Tensor:
    """Zero padded frames of ``x`` ``(B, T, ...)`` *before* any arithmetic, so NaN/inf garbage
    there can reach neither the value nor the gradient."""
    m = mask
    while m.dim() < x.dim():
        m = m.unsqueeze(-1)
    return torch.where(m, x, torch.zeros_like(x))


def _emd(logits: Tensor, target: Tensor) -> Tensor:
    """EMD (r = 2) between ``softmax(logits)`` and ``target`` over the last axis (ordered bins)."""
    cdf_p = torch.cumsum(torch.softmax(logits, dim=-1), dim=-1)
    cdf_q = torch.cumsum(target, dim=-1)
    return torch.sqrt(((cdf_p - cdf_q) ** 2).mean(-1) + EMD_EPS)


# ------------------------------------------------------------------------------------ loss terms
class LossTerm(nn.Module, ABC):
    """Base class: holds the score range (and bins for class losses); subclasses set ``name``."""

    name: ClassVar[str] = ""
    needs_bins: ClassVar[bool] = False
    uses_heads: ClassVar[bool] = False

    def __init__(self, score_range: ScoreRange, bins: ScoreBins | None = None) -> None:
        super().__init__()
        if self.needs_bins and bins is None:
            raise ValueError(
                f"loss {self.name!r} needs score bins (a *_class model's `bins`), got bins=None"
            )
        self.score_range = score_range
        self.bins = bins

    def norm(self, score: Tensor) -> Tensor:
        """Raw scores -> [0, 1] via the score range."""
        return self.score_range.normalize(score)

    def _check_target(self, output: QualityOutput, target: Tensor) -> Tensor:
        batch = output.utterance_score.shape[0]
        if target.dim() != 1 or target.shape[0] != batch:
            raise ValueError(
                f"loss {self.name!r}: target must have shape ({batch},), got {tuple(target.shape)}"
            )
        return target.to(output.utterance_score.dtype)

    def _need(self, value: Tensor | None, field: str) -> Tensor:
        """Return ``output.<field>`` or raise if the model has no classifier head."""
        if value is None:
            raise ValueError(
                f"loss {self.name!r} needs output.{field}, but the model has no classifier head "
                f"({field} is None); use a *_class model or drop {self.name!r} from the loss"
            )
        assert self.bins is not None
        if value.shape[-1] != self.bins.num_bins:
            raise ValueError(
                f"loss {self.name!r}: {field} has {value.shape[-1]} classes but the bins have "
                f"{self.bins.num_bins}"
            )
        return value

    @abstractmethod
    def forward(self, output: QualityOutput, target: Tensor) -> Tensor:
        """The loss of ``output`` against ``target`` ``(B,)`` (raw scale), a scalar."""


class MSELoss(LossTerm):
    """Utterance MSE on normalised scores."""

    name = "mse"

    def forward(self, output: QualityOutput, target: Tensor) -> Tensor:
        y = self._check_target(output, target)
        return ((self.norm(output.utterance_score) - self.norm(y)) ** 2).mean()


class FrameMSELoss(LossTerm):
    """Frame MSE against the utterance target, averaged over all valid frames of the batch."""

    name = "frame_mse"

    def forward(self, output: QualityOutput, target: Tensor) -> Tensor:
        y = self._check_target(output, target)
        mask = output.frame_mask
        q = _clean_frames(output.frame_scores, mask)
        err = torch.where(mask, (self.norm(q) - self.norm(y).unsqueeze(1)) ** 2, torch.zeros_like(q))
        return err.sum() / mask.sum().clamp(min=1).to(err.dtype)


class FrameMSENormLoss(LossTerm):
    """Frame MSE averaged per utterance first, then over the batch (equal utterance weight)."""

    name = "frame_mse_norm"

    def forward(self, output: QualityOutput, target: Tensor) -> Tensor:
        y = self._check_target(output, target)
        mask = output.frame_mask
        q = _clean_frames(output.frame_scores, mask)
        per_utt = _per_utterance_mean((self.norm(q) - self.norm(y).unsqueeze(1)) ** 2, mask)
        return _mean_over_utterances(per_utt, mask)


class QualityNetFrameLoss(LossTerm):
    """Quality-Net frame term: ``alpha_b = 10 ** (y_b - high)`` times the per-utterance frame MSE."""

    name = "qualitynet_frame"

    def forward(self, output: QualityOutput, target: Tensor) -> Tensor:
        y = self._check_target(output, target)
        mask = output.frame_mask
        q = _clean_frames(output.frame_scores, mask)
        alpha = torch.pow(10.0, y - self.score_range.high)
        per_utt = alpha * _per_utterance_mean((self.norm(y).unsqueeze(1) - self.norm(q)) ** 2, mask)
        return _mean_over_utterances(per_utt, mask)


class _BinLoss(LossTerm):
    """Class losses: bins required; ``sigma`` > 0 smooths the target into a Gaussian over bins."""

    needs_bins = True

    def __init__(self, score_range: ScoreRange, bins: ScoreBins | None = None, sigma: float = 0.0) -> None:
        super().__init__(score_range, bins)
        if sigma < 0:
            raise ValueError(f"loss {self.name!r}: sigma must be >= 0, got {sigma}")
        self.sigma = float(sigma)

    def target_dist(self, y: Tensor) -> Tensor:
        """Target distributions ``(B, K)`` from raw scores."""
        assert self.bins is not None
        return self.bins.targets(y, self.sigma)


class CELoss(_BinLoss):
    """Cross-entropy of utterance logits against (hard or smoothed) bin targets."""

    name = "ce"

    def forward(self, output: QualityOutput, target: Tensor) -> Tensor:
        y = self._check_target(output, target)
        logits = self._need(output.logits, "logits")
        p = self.target_dist(y).to(logits.dtype)
        return -(p * torch.log_softmax(logits, dim=-1)).sum(-1).mean()


class EMDLoss(_BinLoss):
    """EMD (r = 2) between ``softmax(logits)`` and the bin targets, batch mean."""

    name = "emd"

    def forward(self, output: QualityOutput, target: Tensor) -> Tensor:
        y = self._check_target(output, target)
        logits = self._need(output.logits, "logits")
        return _emd(logits, self.target_dist(y).to(logits.dtype)).mean()


class FrameEMDLoss(_BinLoss):
    """EMD per valid frame (``frame_logits``) vs the utterance target; per-utterance mean, batch mean."""

    name = "frame_emd"

    def forward(self, output: QualityOutput, target: Tensor) -> Tensor:
        y = self._check_target(output, target)
        mask = output.frame_mask
        frame_logits = _clean_frames(self._need(output.frame_logits, "frame_logits"), mask)
        q = self.target_dist(y).to(frame_logits.dtype).unsqueeze(1)  # (B, 1, K)
        per_utt = _per_utterance_mean(_emd(frame_logits, q), mask)
        return _mean_over_utterances(per_utt, mask)


class HeadsMSELoss(LossTerm):
    """Extra heads: mean over heads of utterance + frame MSE on each head's normalised scale."""

    name = "heads_mse"
    uses_heads = True

    def __init__(self, score_range: ScoreRange, bins: ScoreBins | None = None,
                 head_ranges: Mapping[str, ScoreRange] | None = None) -> None:
        super().__init__(score_range, bins)
        if not head_ranges:
            raise ValueError("loss 'heads_mse' needs a model with extra heads (model.heads in the config)")
        self.head_ranges = dict(head_ranges)

    def forward(self, output: QualityOutput, target: Tensor, head_targets: Mapping[str, Tensor] | None = None
                ) -> Tensor:
        missing = [n for n in self.head_ranges if not head_targets or n not in head_targets]
        if missing:
            raise ValueError(f"loss 'heads_mse': no targets for head(s) {missing}")
        mask = output.frame_mask
        total = output.utterance_score.new_zeros(())
        for name, scale in self.head_ranges.items():
            y = scale.normalize(head_targets[name].to(total.dtype).clamp(scale.low, scale.high))
            utt = ((scale.normalize(output.heads[name]) - y) ** 2).mean()
            q = scale.normalize(_clean_frames(output.head_frames[name], mask))
            frame = torch.where(mask, (q - y.unsqueeze(1)) ** 2, torch.zeros_like(q))
            total = total + utt + frame.sum() / mask.sum().clamp(min=1).to(frame.dtype)
        return total / len(self.head_ranges)


class AuxiliaryTargetLoss(LossTerm):
    """A term on an auxiliary output whose targets come with the batch's head targets (under a
    key of their own); the extra heads' ranges do not concern it."""

    uses_heads = True

    def __init__(self, score_range: ScoreRange, bins: ScoreBins | None = None,
                 head_ranges: Mapping[str, ScoreRange] | None = None) -> None:
        super().__init__(score_range, bins)


class ConditionBCELoss(AuxiliaryTargetLoss):
    """Degradation classifier: BCE of ``condition_logits`` against multi-hot degradation types."""

    name = "condition_bce"

    def forward(self, output: QualityOutput, target: Tensor, head_targets: Mapping[str, Tensor] | None = None
                ) -> Tensor:
        if output.condition_logits is None:
            raise ValueError(f"loss {self.name!r} needs a model with a degradation classifier "
                             "(model.conditions in the config)")
        if not head_targets or CONDITIONS_KEY not in head_targets:
            raise ValueError(f"loss {self.name!r}: the batch has no degradation targets")
        y = head_targets[CONDITIONS_KEY].to(output.condition_logits.dtype)
        if y.shape != output.condition_logits.shape:
            raise ValueError(f"loss {self.name!r}: targets of shape {tuple(y.shape)} for logits of shape "
                             f"{tuple(output.condition_logits.shape)}")
        return nn.functional.binary_cross_entropy_with_logits(output.condition_logits, y)


class DifferenceMSELoss(AuxiliaryTargetLoss):
    """Dense auxiliary term: MSE of ``difference_frames`` against per-frame reference-difference targets."""

    name = "difference_mse"

    def forward(self, output: QualityOutput, target: Tensor, head_targets: Mapping[str, Tensor] | None = None
                ) -> Tensor:
        y = (head_targets or {}).get(DIFFERENCE_KEY)
        if y is None:
            return output.utterance_score.new_zeros(())
        pred = output.difference_frames
        if pred is None:
            raise ValueError(f"loss {self.name!r} needs a model with difference_bands")
        frames = min(pred.shape[1], y.shape[1])
        if y.shape[0] != pred.shape[0] or y.shape[2] != pred.shape[2]:
            raise ValueError(f"loss {self.name!r}: targets of shape {tuple(y.shape)} for estimates of shape "
                             f"{tuple(pred.shape)} (batch and band counts must agree)")
        pred, y = pred[:, :frames], y[:, :frames].to(pred.dtype)
        valid = output.frame_mask[:, :frames].unsqueeze(-1) & torch.isfinite(y)
        err = torch.where(valid, pred - torch.nan_to_num(y), torch.zeros_like(pred)) ** 2
        return err.sum() / valid.sum().clamp(min=1).to(err.dtype)


#: Loss name -> class.
LOSSES: dict[str, type[LossTerm]] = {
    cls.name: cls
    for cls in (MSELoss, FrameMSELoss, FrameMSENormLoss, QualityNetFrameLoss, CELoss, EMDLoss, FrameEMDLoss,
                HeadsMSELoss, ConditionBCELoss, DifferenceMSELoss)
}


def available_losses() -> list[str]:
    """Registered loss names."""
    return sorted(LOSSES)


# -------------------------------------------------------------------------------------- combiner
class CombinedLoss(nn.Module):
    """Weighted sum of loss terms.

    ``forward(output, target) -> (total, parts)``; ``parts`` maps each term's name to its
    detached, *unweighted* value (for logging).
    """

    def __init__(self, terms: Mapping[str, LossTerm], weights: Mapping[str, float]) -> None:
        super().__init__()
        if not terms:
            raise ValueError("a loss needs at least one term")
        if set(terms) != set(weights):
            raise ValueError(f"terms {sorted(terms)} and weights {sorted(weights)} differ")
        self.terms = nn.ModuleDict(dict(terms))
        self.weights = {name: float(weights[name]) for name in terms}

    def forward(self, output: QualityOutput, target: Tensor, head_targets: Mapping[str, Tensor] | None = None
                ) -> tuple[Tensor, dict[str, Tensor]]:
        total: Tensor | None = None
        parts: dict[str, Tensor] = {}
        for name, term in self.terms.items():
            value = term(output, target, head_targets) if term.uses_heads else term(output, target)
            parts[name] = value.detach()
            weighted = self.weights[name] * value
            total = weighted if total is None else total + weighted
        assert total is not None
        return total, parts

    def extra_repr(self) -> str:
        return " + ".join(f"{w:g}*{n}" for n, w in self.weights.items())


def parse_loss_spec(text: str) -> dict[str, float]:
    """``"mse+frame_mse:0.5+ce"`` -> ``{"mse": 1.0, "frame_mse": 0.5, "ce": 1.0}``."""
    spec: dict[str, float] = {}
    for item in text.split("+"):
        item = item.strip()
        if not item:
            raise ValueError(f"empty term in loss spec {text!r} (expected name[:weight]+...)")
        name, sep, weight_text = item.partition(":")
        name = name.strip()
        if not name:
            raise ValueError(f"missing loss name in {item!r} of loss spec {text!r}")
        if name in spec:
            raise ValueError(f"loss {name!r} appears twice in loss spec {text!r}")
        try:
            spec[name] = float(weight_text) if sep else 1.0
        except ValueError:
            raise ValueError(f"bad weight {weight_text!r} for loss {name!r} in loss spec {text!r}") from None
    return spec


def build_loss(
    spec: str | Mapping[str, Any],
    score_range: ScoreRange,
    bins: ScoreBins | None = None,
    head_ranges: Mapping[str, ScoreRange] | None = None,
) -> CombinedLoss:
    """Build a :class:`CombinedLoss`.

    ``spec`` is a string (``"mse+frame_mse:0.5+ce"``) or a mapping ``{name: weight}`` /
    ``{name: {weight: w, sigma: s}}`` (weight defaults to 1; ``None`` means weight 1).
    Raises ValueError for unknown names, bad weights/options, or class losses without ``bins``.
    """
    if isinstance(spec, str):
        spec = parse_loss_spec(spec)
    if not isinstance(spec, Mapping) or not spec:
        raise ValueError(f"loss spec must be a non-empty string or mapping, got {spec!r}")
    terms: dict[str, LossTerm] = {}
    weights: dict[str, float] = {}
    for name, value in spec.items():
        if name not in LOSSES:
            raise ValueError(f"unknown loss {name!r}; available: {', '.join(available_losses())}")
        options: dict[str, Any] = {}
        if value is None:
            weight: Any = 1.0
        elif isinstance(value, Mapping):
            options = dict(value)
            weight = options.pop("weight", 1.0)
        else:
            weight = value
        try:
            weight = float(weight)
        except (TypeError, ValueError):
            raise ValueError(f"loss {name!r}: weight must be a number, got {weight!r}") from None
        if not weight >= 0:  # also rejects NaN
            raise ValueError(f"loss {name!r}: weight must be >= 0, got {weight}")
        if LOSSES[name].uses_heads:
            options["head_ranges"] = head_ranges
        try:
            terms[name] = LOSSES[name](score_range, bins, **options)
        except TypeError as err:
            raise ValueError(f"loss {name!r}: bad options {sorted(options)} ({err})") from None
        weights[name] = weight
    return CombinedLoss(terms, weights)
