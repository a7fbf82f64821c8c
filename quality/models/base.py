"""The interface every quality model implements, and the output it returns."""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import Tensor, nn

from ..features import STFTFrontend
from ..scores import ScoreBins, ScoreRange
from .layers import masked_mean, zero_padded

PredictionMode = Literal["avg", "cls", "avg+cls"]
PREDICTION_MODES = ("avg", "cls", "avg+cls")
#: key of the degradation-classifier targets among a batch's head targets
CONDITIONS_KEY = "conditions"
#: key of the per-frame reference-difference targets among a batch's head targets
DIFFERENCE_KEY = "difference"


@dataclass
class QualityOutput:
    """What a quality model returns for a batch.

    frame_scores: ``(B, T)`` per-frame scores on the score scale (0 on padded frames).
    frame_mask: ``(B, T)`` True on valid frames.
    utterance_score: ``(B,)`` the prediction for each recording.
    logits: ``(B, K)`` utterance logits over score bins (``*_class`` models), else None.
    frame_logits: ``(B, T, K)`` per-frame bin logits where the model has them, else None.
    heads: extra heads' utterance scores ``(B,)`` by target name (e.g. ``stoi``, ``sisdr``).
    head_frames: extra heads' frame scores ``(B, T)`` by target name.
    condition_logits: ``(B, C)`` logits of the auxiliary degradation classifier (one per entry of
    the model's ``conditions``), else None.
    difference_frames: ``(B, T, D)`` the auxiliary estimate of each frame's band levels minus its
    clean reference's (dB / 10; :mod:`quality.reference_difference`) for models with
    ``difference_bands: D``, else None (0 on padded frames).
    """

    frame_scores: Tensor
    frame_mask: Tensor
    utterance_score: Tensor
    logits: Tensor | None = None
    frame_logits: Tensor | None = None
    heads: dict[str, Tensor] = field(default_factory=dict)
    head_frames: dict[str, Tensor] = field(default_factory=dict)
    condition_logits: Tensor | None = None
    difference_frames: Tensor | None = None


def check_calibration(calibration: Any, score_range: ScoreRange | None = None) -> tuple[float, ...] | None:
    """Polynomial coefficients, highest degree first, from a ``calibration`` setting, or None.

    ``[scale, offset]`` is a line (it needs a positive scale); ``[a, b, c, d]`` is a cubic (ITU-T
    P.1401's third-order mapping), which must rise over the whole ``score_range``. ValueError
    otherwise: a calibration must keep the order of the scores."""
    if calibration is None:
        return None
    try:
        coefficients = tuple(float(x) for x in calibration)
    except (TypeError, ValueError):
        raise ValueError(f"calibration must be [scale, offset] or four cubic coefficients, got {calibration!r}") from None
    if len(coefficients) not in (2, 4) or not all(math.isfinite(c) for c in coefficients):
        raise ValueError(f"calibration must be [scale, offset] or four finite cubic coefficients, got {calibration!r}")
    if len(coefficients) == 2 and not coefficients[0] > 0:
        raise ValueError(f"calibration needs a positive finite scale and a finite offset, got {calibration!r}")
    if len(coefficients) == 4:
        if score_range is None:
            raise ValueError("a cubic calibration needs the score range it must rise over")
        lowest = lowest_slope(coefficients, score_range)
        if not lowest > 0:
            raise ValueError(f"calibration cubic {list(coefficients)} does not rise over the score range "
                             f"{score_range.low:g}..{score_range.high:g} (lowest slope {lowest:.3g})")
    return coefficients


def lowest_slope(cubic: tuple[float, ...], score_range: ScoreRange) -> float:
    """The smallest slope of the cubic ``a x³ + b x² + c x + d`` over ``score_range``."""
    a, b, c, _ = cubic
    points = [score_range.low, score_range.high]
    if a != 0 and score_range.low < -b / (3 * a) < score_range.high:
        points.append(-b / (3 * a))  # where the slope 3a x² + 2b x + c has its extremum
    return min(3 * a * x * x + 2 * b * x + c for x in points)


def calibrated(score: Any, calibration: tuple[float, ...], score_range: ScoreRange) -> Any:
    """The calibration polynomial applied to raw scores (a tensor or a numpy array), before the final
    clamp. A cubic reads its input clamped to ``score_range``, where it was checked to rise."""
    if len(calibration) > 2:
        score = score.clip(score_range.low, score_range.high)
    out = calibration[0]
    for coefficient in calibration[1:]:  # Horner: a line gives scale * score + offset
        out = out * score + coefficient
    return out


class QualityModel(nn.Module, ABC):
    """Base class: waveform ``(B, N)`` + lengths -> :class:`QualityOutput`.

    Subclasses implement :meth:`forward_features` on front-end features ``(B, T, F)`` and the
    frame mask. Shared options:
    - ``score_range``: ``(low, high)`` of the target score;
    - ``normalized_output``: frame heads end in a sigmoid scaled to the range (True) or are raw
      linear outputs read directly as scores (False);
    - ``output_margin``: with a sigmoid output, widen its range by this fraction of the span at
      each end (e.g. 0.1 on PESQ-wb 1.0-4.64 gives 0.636-5.004), so that targets at the ends of
      the range (clean speech at 4.64) are reached at finite logits instead of in the sigmoid's
      flat tail. In eval mode every score is then clamped to the range; training sees the
      unclamped scores, so the loss still pulls over-shooting frames back;
    - ``features``: keyword arguments of :class:`~quality.features.STFTFrontend`;
    - ``heads``: extra targets predicted from the same frame embedding, ``{name: [low, high]}``
      (e.g. ``{stoi: [0, 1], sisdr: [-20, 40]}``); each gets a linear frame head, and its
      utterance score is the masked mean of its frames;
    - ``conditions``: names of degradation types (e.g. ``[noise, reverb, opus]``) for an auxiliary
      multi-label classifier on the utterance mean of the frame embeddings, trained with the
      ``condition_bce`` loss from the list's ``condition`` column. It shapes the embedding during
      training and never changes the scores; predictions and the ONNX export report its
      probabilities (:meth:`condition_probabilities`) as the ``degradations`` of a recording;
    - ``calibration``: ``[scale, offset]`` (a line) or four cubic coefficients, highest degree
      first, applied to the main score (utterance and frames) in eval mode, then clamped to
      ``score_range``: a rising map fitted after training on held-out predictions (``python -m
      quality.calibrate``) that removes the model's systematic offset, or with the cubic also its
      compressed ends, without touching its ranking. Training never sees it;
    - ``difference_bands``: ``D > 0`` adds an auxiliary linear frame head estimating, per frame and
      band, the level difference to the clean reference (``D`` = the bands of the targets,
      :mod:`quality.reference_difference`), trained with the ``difference_mse`` loss: dense
      supervision of *where* a file is degraded. Like the classifier it never changes the scores.

    Subclasses call :meth:`init_heads` with their frame-embedding size and pass
    ``**self.head_outputs(h, mask)`` to :class:`QualityOutput`.
    """

    #: a model family trained from its own config (False for combinations of trained models)
    family: bool = True

    def __init__(
        self,
        *,
        score_range: tuple[float, float] = (1.0, 5.0),
        normalized_output: bool = True,
        output_margin: float = 0.0,
        features: dict[str, Any] | None = None,
        heads: dict[str, tuple[float, float]] | None = None,
        conditions: list[str] | tuple[str, ...] | None = None,
        calibration: tuple[float, ...] | list[float] | None = None,
        difference_bands: int = 0,
    ) -> None:
        super().__init__()
        if isinstance(difference_bands, bool) or not isinstance(difference_bands, int) or difference_bands < 0:
            raise ValueError(f"difference_bands must be 0 (no head) or a positive band count, got {difference_bands!r}")
        self.difference_bands = int(difference_bands)
        if not 0.0 <= float(output_margin) <= 1.0:
            raise ValueError(f"output_margin must lie in [0, 1], got {output_margin!r}")
        if output_margin and not normalized_output:
            raise ValueError("output_margin needs normalized_output: true (raw outputs have no range to widen)")
        self.score_range = ScoreRange(*score_range)
        self.normalized_output = normalized_output
        self.output_margin = float(output_margin)
        self.frontend = STFTFrontend(**(features or {}))
        self.head_ranges = {str(name): ScoreRange(*bounds) for name, bounds in (heads or {}).items()}
        # What the sigmoid spans: the ranges themselves, or wider by ``output_margin``.
        self.output_range = self.score_range.widened(self.output_margin)
        self.head_output_ranges = {name: r.widened(self.output_margin) for name, r in self.head_ranges.items()}
        if "mos" in self.head_ranges:
            raise ValueError("'mos' names the main head; give extra heads other names")
        if CONDITIONS_KEY in self.head_ranges:
            raise ValueError(f"{CONDITIONS_KEY!r} names the degradation classifier; give extra heads other names")
        self.conditions = [str(c) for c in (conditions or [])]
        if len(set(self.conditions)) != len(self.conditions) or not all(self.conditions):
            raise ValueError(f"conditions must be distinct non-empty names, got {conditions!r}")
        self.extra_heads = nn.ModuleDict()
        self.condition_head: nn.Module | None = None
        self.difference_head: nn.Module | None = None
        self.config: dict[str, Any] = {}
        self.calibration = check_calibration(calibration, self.score_range)

    def resolved_settings(self) -> dict[str, Any]:
        """Settings whose defaults :func:`~quality.models.build_model` writes out into ``config``."""
        return {"features": self.frontend.settings()}

    def set_calibration(self, calibration: tuple[float, ...] | list[float] | None) -> None:
        """Set (or with None remove) the calibration (``[scale, offset]`` or a cubic) applied to the
        main score in eval mode; kept in ``config`` so a saved model carries it."""
        self.calibration = check_calibration(calibration, self.score_range)
        if self.config:
            if self.calibration is None:
                self.config.pop("calibration", None)
            else:
                self.config["calibration"] = list(self.calibration)

    def init_heads(self, size: int) -> None:
        """Create one linear frame head per extra target on ``size``-dim frame embeddings."""
        # Keys are prefixed: a bare name such as "half" or "eval" would clash with nn.Module attributes.
        self.extra_heads = nn.ModuleDict({f"head_{name}": nn.Linear(size, 1) for name in self.head_ranges})
        self.condition_head = nn.Linear(size, len(self.conditions)) if self.conditions else None
        self.difference_head = nn.Linear(size, self.difference_bands) if self.difference_bands else None

    def head_outputs(self, h: Tensor, mask: Tensor) -> dict[str, Any]:
        """Extra heads on frame embeddings ``h`` ``(B, T, size)``: ``heads``, ``head_frames``,
        ``condition_logits`` and ``difference_frames``."""
        heads, frames = {}, {}
        for name in self.head_ranges:
            raw = self.extra_heads[f"head_{name}"](h).squeeze(-1)
            score = self.head_output_ranges[name].denormalize(torch.sigmoid(raw)) if self.normalized_output else raw
            frames[name] = score * mask.to(score.dtype)
            heads[name] = frames[name].sum(1) / mask.sum(1).clamp(min=1).to(score.dtype)
        logits = self.condition_head(masked_mean(h, mask)) if self.condition_head is not None else None
        difference = zero_padded(self.difference_head(h), mask) if self.difference_head is not None else None
        return {"heads": heads, "head_frames": frames, "condition_logits": logits, "difference_frames": difference}

    @staticmethod
    def condition_probabilities(out: QualityOutput) -> Tensor | None:
        """``(B, C)`` probability that each of the model's ``conditions`` is present, or None."""
        return None if out.condition_logits is None else torch.sigmoid(out.condition_logits)

    @property
    def n_bins(self) -> int:
        """Number of frequency bins the front end produces."""
        return self.frontend.n_bins

    def to_score(self, raw: Tensor) -> Tensor:
        """Head output -> score scale (sigmoid scaled to the range, or identity for raw output)."""
        if self.normalized_output:
            return self.output_range.denormalize(torch.sigmoid(raw))
        return raw

    def forward(self, wav: Tensor, lengths: Tensor | None = None) -> QualityOutput:
        feats, mask = self.frontend(wav, lengths)
        out = self.forward_features(feats, mask)
        if self.training:
            return out
        if self.calibration is not None:
            out.frame_scores = zero_padded(calibrated(out.frame_scores, self.calibration, self.score_range),
                                           out.frame_mask)
            out.utterance_score = calibrated(out.utterance_score, self.calibration, self.score_range)
        return self.clamp_to_ranges(out) if self.output_margin or self.calibration is not None else out

    def clamp_to_ranges(self, out: QualityOutput) -> QualityOutput:
        """Clamp every score of ``out`` to its head's range (padded frames stay 0)."""
        def clamp(score: Tensor, scale: ScoreRange) -> Tensor:
            return score.clamp(scale.low, scale.high)

        out.frame_scores = zero_padded(clamp(out.frame_scores, self.score_range), out.frame_mask)
        out.utterance_score = clamp(out.utterance_score, self.score_range)
        for name, scale in self.head_ranges.items():
            out.heads[name] = clamp(out.heads[name], scale)
            out.head_frames[name] = zero_padded(clamp(out.head_frames[name], scale), out.frame_mask)
        return out

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


Pooling = Literal["mean", "disturbance"]
POOLINGS = ("mean", "disturbance")


def disturbance_pool(raw: Tensor, mask: Tensor, power: float) -> tuple[Tensor, Tensor]:
    """PESQ-style aggregation of frame head outputs ``raw`` ``(B, T)`` on valid frames ``mask``.

    Each frame's disturbance is ``d = softplus(raw) >= 0``; the utterance disturbance is their
    masked power mean ``D = mean(d^p)^(1/p)`` (P.862 aggregates its frame disturbances with L_p
    norms, so a few badly damaged frames weigh more than in a plain mean). Returns the unit
    scores ``(exp(-d), exp(-D))``: 1 for no disturbance, falling towards 0.
    """
    d = zero_padded(nn.functional.softplus(raw), mask)
    mean_power = (d.pow(power) * mask.to(d.dtype)).sum(1) / mask.sum(1).clamp(min=1).to(d.dtype)
    utterance = (mean_power + 1e-12).pow(1.0 / power)
    return torch.exp(-d), torch.exp(-utterance)


class FrameRegressor(QualityModel):
    """A frame-embedding trunk + linear frame head pooled into the utterance score.

    Subclasses set ``trunk_class``: ``trunk_class(n_bins, **options)`` maps features ``(B, T, F)``
    and the mask to embeddings ``(B, T, trunk.output_size)``. Extra ``heads`` share the trunk.
    ``pooling`` picks how frames make the utterance score: ``"mean"`` (the masked mean of the
    frame scores, as in Quality-Net/HASANet) or ``"disturbance"`` (:func:`disturbance_pool` with
    ``disturbance_power``; needs ``normalized_output``): the score is ``low + span * exp(-D)``,
    so an undisturbed recording reaches the top of the range and a few bad frames can pull a
    recording far down. Extra heads are always mean-pooled.
    """

    trunk_class: type[nn.Module]

    def __init__(
        self,
        *,
        score_range: tuple[float, float] = (1.0, 5.0),
        normalized_output: bool = True,
        output_margin: float = 0.0,
        features: dict[str, Any] | None = None,
        heads: dict[str, tuple[float, float]] | None = None,
        conditions: list[str] | tuple[str, ...] | None = None,
        calibration: tuple[float, ...] | list[float] | None = None,
        difference_bands: int = 0,
        pooling: Pooling = "mean",
        disturbance_power: float = 2.0,
        **trunk: Any,
    ) -> None:
        super().__init__(score_range=score_range, normalized_output=normalized_output,
                         output_margin=output_margin, features=features, heads=heads, conditions=conditions,
                         calibration=calibration, difference_bands=difference_bands)
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        if pooling == "disturbance" and not normalized_output:
            raise ValueError("pooling: disturbance needs normalized_output: true (scores live in the range)")
        if not (math.isfinite(float(disturbance_power)) and float(disturbance_power) >= 1.0):
            raise ValueError(f"disturbance_power must be a finite number >= 1, got {disturbance_power!r}")
        self.pooling = pooling
        self.disturbance_power = float(disturbance_power)
        self.trunk = self.trunk_class(self.n_bins, **trunk)
        self.frame_head = nn.Linear(self.trunk.output_size, 1)
        self.init_heads(self.trunk.output_size)

    def pool(self, raw: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """Frame head outputs ``(B, T)`` -> ``(frame scores, utterance score)`` per ``pooling``."""
        if self.pooling == "disturbance":
            frames, utterance = disturbance_pool(raw, mask, self.disturbance_power)
            return zero_padded(self.output_range.denormalize(frames), mask), self.output_range.denormalize(utterance)
        frames = zero_padded(self.to_score(raw), mask)
        return frames, masked_mean(frames, mask)

    def forward_features(self, feats: Tensor, mask: Tensor) -> QualityOutput:
        h = self.trunk(feats, mask)
        frames, utterance = self.pool(self.frame_head(h).squeeze(-1), mask)
        return QualityOutput(frames, mask, utterance, **self.head_outputs(h, mask))


class FrameClassifier(ClassHeadMixin, FrameRegressor):
    """A :class:`FrameRegressor` with a per-frame score-bin classifier on the same embeddings.

    Utterance logits are the masked mean of frame logits; the utterance score follows
    ``prediction`` (``avg``, ``cls``, ``avg+cls``).
    """

    def __init__(
        self,
        *,
        bin_width: float = 0.25,
        prediction: PredictionMode = "avg+cls",
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.init_class_head(self.score_range, bin_width, prediction)
        self.class_head = nn.Linear(self.trunk.output_size, self.bins.num_bins)

    def forward_features(self, feats: Tensor, mask: Tensor) -> QualityOutput:
        h = self.trunk(feats, mask)
        frames, pooled = self.pool(self.frame_head(h).squeeze(-1), mask)
        frame_logits = self.class_head(h)
        logits = masked_mean(frame_logits, mask)
        score = self.combine(pooled, logits)
        return QualityOutput(frames, mask, score, logits, frame_logits, **self.head_outputs(h, mask))
