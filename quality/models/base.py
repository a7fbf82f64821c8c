"""The interface every quality model implements, and the output it returns."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Literal

import torch
from torch import Tensor, nn

from ..features import STFTFrontend
from ..scores import ScoreBins, ScoreRange

PredictionMode = Literal["avg", "cls", "avg+cls"]
PREDICTION_MODES = ("avg", "cls", "avg+cls")


@dataclass
class QualityOutput:
    """What a quality model returns for a batch.

    frame_scores: ``(B, T)`` per-frame scores on the score scale (0 on padded frames).
    frame_mask: ``(B, T)`` True on valid frames.
    utterance_score: ``(B,)`` the prediction for each recording.
    logits: ``(B, K)`` utterance logits over score bins (``*_class`` models), else None.
    frame_logits: ``(B, T, K)`` per-frame bin logits where the model has them, else None.
    """

    frame_scores: Tensor
    frame_mask: Tensor
    utterance_score: Tensor
    logits: Tensor | None = None
    frame_logits: Tensor | None = None


class QualityModel(nn.Module, ABC):
    """Base class: waveform ``(B, N)`` + lengths -> :class:`QualityOutput`.

    Subclasses implement :meth:`forward_features` on front-end features ``(B, T, F)`` and the
    frame mask. Shared options:
    - ``score_range``: ``(low, high)`` of the target score;
    - ``normalized_output``: frame heads end in a sigmoid scaled to the range (True) or are raw
      linear outputs read directly as scores (False);
    - ``features``: keyword arguments of :class:`~quality.features.STFTFrontend`.
    """

    def __init__(
        self,
        *,
        score_range: tuple[float, float] = (1.0, 5.0),
        normalized_output: bool = True,
        features: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.score_range = ScoreRange(*score_range)
        self.normalized_output = normalized_output
        self.frontend = STFTFrontend(**(features or {}))
        self.config: dict[str, Any] = {}

    @property
    def n_bins(self) -> int:
        """Number of frequency bins the front end produces."""
        return self.frontend.n_bins

    def to_score(self, raw: Tensor) -> Tensor:
        """Head output -> score scale (sigmoid scaled to the range, or identity for raw output)."""
        if self.normalized_output:
            return self.score_range.denormalize(torch.sigmoid(raw))
        return raw

    def forward(self, wav: Tensor, lengths: Tensor | None = None) -> QualityOutput:
        feats, mask = self.frontend(wav, lengths)
        return self.forward_features(feats, mask)

    @abstractmethod
    def forward_features(self, feats: Tensor, mask: Tensor) -> QualityOutput:
        """Model body on features ``(B, T, F)`` with frame mask ``(B, T)``."""


class ClassHeadMixin:
    """Score-bin classifier options for ``*_class`` models.

    ``bin_width`` (0.25 default; 0.5 allowed) sets the bins; ``prediction`` picks the utterance
    score: ``"avg"`` masked mean of frame scores, ``"cls"`` expectation of the class
    distribution, ``"avg+cls"`` the mean of the two.
    """

    def init_class_head(self, score_range: ScoreRange, bin_width: float, prediction: PredictionMode) -> None:
        if prediction not in PREDICTION_MODES:
            raise ValueError(f"prediction must be one of {PREDICTION_MODES}, got {prediction!r}")
        self.bins = ScoreBins(score_range, bin_width)
        self.prediction = prediction

    def combine(self, avg_score: Tensor, logits: Tensor) -> Tensor:
        """Utterance score from the frame average and the class logits per ``prediction``."""
        if self.prediction == "avg":
            return avg_score
        cls_score = self.bins.expectation(logits)
        if self.prediction == "cls":
            return cls_score
        return 0.5 * (avg_score + cls_score)
