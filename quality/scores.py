"""Score scales: normalising targets to [0, 1] and binning them for classifier heads."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class ScoreRange:
    """The closed interval ``[low, high]`` a score lives in (MOS: 1-5, PESQ-wb: 1.04-4.64, ...)."""

    low: float = 1.0
    high: float = 5.0

    def __post_init__(self) -> None:
        if not self.high > self.low:
            raise ValueError(f"score range needs high > low, got [{self.low}, {self.high}]")

    @property
    def span(self) -> float:
        return self.high - self.low

    def widened(self, margin: float) -> "ScoreRange":
        """This range extended by ``margin`` times its span at each end (itself for 0)."""
        if not margin:
            return self
        return ScoreRange(self.low - margin * self.span, self.high + margin * self.span)

    def normalize(self, score: Tensor) -> Tensor:
        """Map scores to [0, 1] (values outside the range map outside [0, 1])."""
        return (score - self.low) / self.span

    def denormalize(self, unit: Tensor) -> Tensor:
        """Map [0, 1] back to the score scale."""
        return unit * self.span + self.low


class ScoreBins:
    """Ordered, equal-width bins over a :class:`ScoreRange` for classifier heads and EMD.

    ``num_bins = ceil(span / width)``; a score maps to the bin holding it (clamped to the ends),
    and the class expectation uses the bin centres.
    """

    def __init__(self, score_range: ScoreRange, width: float = 0.25) -> None:
        if width <= 0:
            raise ValueError(f"bin width must be positive, got {width}")
        self.range = score_range
        self.width = float(width)
        self.num_bins = max(2, int(math.ceil(score_range.span / width - 1e-9)))

    def centers(self, device: torch.device | None = None, dtype: torch.dtype = torch.float32) -> Tensor:
        k = torch.arange(self.num_bins, device=device, dtype=dtype)
        return self.range.low + (k + 0.5) * self.width

    def index(self, score: Tensor) -> Tensor:
        """Bin index of each score (long tensor, same shape)."""
        idx = torch.floor((score - self.range.low) / self.width).long()
        return idx.clamp(0, self.num_bins - 1)

    def targets(self, score: Tensor, sigma: float = 0.0) -> Tensor:
        """Target distributions ``(..., K)``: one-hot (``sigma == 0``) or a Gaussian around the score."""
        if sigma <= 0:
            return torch.nn.functional.one_hot(self.index(score), self.num_bins).to(score.dtype)
        c = self.centers(score.device, score.dtype)
        logits = -((c - score.unsqueeze(-1)) ** 2) / (2.0 * sigma**2)
        return torch.softmax(logits, dim=-1)

    def expectation(self, logits: Tensor) -> Tensor:
        """Expected score under ``softmax(logits)`` over the last axis."""
        probs = torch.softmax(logits, dim=-1)
        return (probs * self.centers(logits.device, logits.dtype)).sum(-1)
