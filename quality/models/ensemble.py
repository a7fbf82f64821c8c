"""An ensemble: the average of several quality models' scores, as one model.

Members are full model configs (``{name: hasanet, ...}``) that share the score range, the extra
heads and the front end, so the features are computed once and every member runs on them. The
frame scores, utterance scores and extra heads are (weighted) means of the members'; the
ensemble's own ``calibration`` then applies as for any model. When every member has a degradation
classifier over the same types, the ensemble has one too: its probabilities are the (weighted)
means of the members'. Build one from trained ``model.pt``
files with ``python -m quality.ensemble``.
"""
from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from . import register_model
from .base import QualityModel, QualityOutput
from .layers import zero_padded


def member_shares(weights: list[float] | None, count: int) -> list[float]:
    """``count`` members' shares of a weighted mean, summing to 1 (``weights`` None: equal);
    ValueError unless ``weights`` are ``count`` positive numbers."""
    weights = [1.0] * count if weights is None else [float(w) for w in weights]
    if len(weights) != count or any(not w > 0 for w in weights):
        raise ValueError(f"weights must be {count} positive numbers, got {weights!r}")
    return [w / sum(weights) for w in weights]


@register_model("ensemble")
class Ensemble(QualityModel):
    """The mean of ``members`` (model configs with ``name``), weighted by ``weights`` (default equal);
    ``features``, when given (a saved ensemble stores them), must be the members'."""

    family = False

    def __init__(
        self,
        *,
        members: list[dict[str, Any]],
        weights: list[float] | None = None,
        calibration: tuple[float, ...] | list[float] | None = None,
        features: dict[str, Any] | None = None,
    ) -> None:
        from . import build_model  # the registry module imports this one

        if not isinstance(members, (list, tuple)) or len(members) < 2:
            raise ValueError("an ensemble needs a list of at least two member configs")
        built = []
        for i, member in enumerate(members):
            if not isinstance(member, dict) or "name" not in member:
                raise ValueError(f"ensemble member {i} must be a model config with a 'name'")
            if member["name"] == "ensemble":
                raise ValueError(f"ensemble member {i} is itself an ensemble; list its members instead")
            if member.get("calibration") is not None:
                raise ValueError(f"ensemble member {i} has a calibration; calibrate the ensemble instead")
            config = dict(member)
            built.append(build_model(config.pop("name"), **config))
        first = built[0]
        for i, model in enumerate(built[1:], start=1):
            if model.frontend.settings() != first.frontend.settings():
                raise ValueError(f"ensemble member {i} has other features than member 0; members must share them")
            if model.score_range != first.score_range or model.head_ranges != first.head_ranges:
                raise ValueError(f"ensemble member {i} has another score range or other heads than member 0")
        if features is not None and dict(features) != first.frontend.settings():
            raise ValueError("the ensemble's features differ from its members'")
        shares = member_shares(weights, len(built))
        super().__init__(score_range=(first.score_range.low, first.score_range.high), normalized_output=True,
                         output_margin=max(m.output_margin for m in built),
                         features=first.frontend.settings(),
                         heads={name: (r.low, r.high) for name, r in first.head_ranges.items()},
                         calibration=calibration,
                         conditions=first.conditions if all(m.conditions == first.conditions for m in built) else None)
        self.members = nn.ModuleList(built)
        self.weights = shares

    def resolved_settings(self) -> dict[str, Any]:
        return {**super().resolved_settings(), "members": [dict(m.config) for m in self.members]}

    def forward_features(self, feats: Tensor, mask: Tensor) -> QualityOutput:
        outs = [member.forward_features(feats, mask) for member in self.members]

        def mean(values: list[Tensor]) -> Tensor:
            return torch.stack([w * v for w, v in zip(self.weights, values)]).sum(0)

        heads = {name: mean([o.heads[name] for o in outs]) for name in self.head_ranges}
        head_frames = {name: zero_padded(mean([o.head_frames[name] for o in outs]), mask) for name in self.head_ranges}
        condition_logits = None
        if self.conditions:  # log-odds of the mean probability
            condition_logits = torch.logit(mean([torch.sigmoid(o.condition_logits) for o in outs]), eps=1e-6)
        return QualityOutput(zero_padded(mean([o.frame_scores for o in outs]), mask), mask,
                             mean([o.utterance_score for o in outs]), heads=heads, head_frames=head_frames,
                             condition_logits=condition_logits)
