"""Batched scoring of in-memory waveforms with a quality model.

torch is imported only when a PyTorch model is scored: :func:`length_sorted_batches` is shared with
the torch-free ONNX backend (:mod:`quality.onnx_backend`).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .audio import SAMPLE_RATE

if TYPE_CHECKING:
    from .models import QualityModel


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices grouped into batches of similar length (longest first) to keep padding small."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def score_waveforms(
    model: QualityModel, waves: Sequence[np.ndarray], batch_size: int = 8
) -> tuple[np.ndarray, list[np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Score 16 kHz mono waveforms; returns utterance scores ``(n,)``, each file's frame scores,
    the extra heads' utterance scores by name (each ``(n,)``) and the degradation classifier's
    probabilities ``(n, len(model.conditions))`` (no columns for a model without one).

    Scores do not depend on ``batch_size`` or order: batches are zero-padded and every model
    masks its padding.
    """
    import torch

    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    model.eval()
    device = next(model.parameters()).device
    scores = np.zeros(len(waves), dtype=np.float64)
    frames: list[np.ndarray] = [np.zeros(0, dtype=np.float32)] * len(waves)
    heads = {name: np.zeros(len(waves), dtype=np.float64) for name in model.head_ranges}
    conditions = np.zeros((len(waves), len(model.conditions)), dtype=np.float64)
    with torch.inference_mode():
        for batch in length_sorted_batches([len(w) for w in waves], batch_size):
            lengths = torch.tensor([len(waves[i]) for i in batch], dtype=torch.long)
            wav = torch.zeros(len(batch), int(lengths.max()))
            for row, i in enumerate(batch):
                wav[row, : len(waves[i])] = torch.from_numpy(np.asarray(waves[i], dtype=np.float32))
            out = model(wav.to(device), lengths.to(device))
            valid = out.frame_mask.sum(1).cpu()
            probs = model.condition_probabilities(out)
            for row, i in enumerate(batch):
                scores[i] = float(out.utterance_score[row])
                frames[i] = out.frame_scores[row, : int(valid[row])].float().cpu().numpy()
                for name, values in out.heads.items():
                    heads[name][i] = float(values[row])
                if probs is not None:
                    conditions[i] = probs[row].double().cpu().numpy()
    return scores, frames, heads, conditions


class TorchBackend:
    """Scores waveforms with a PyTorch quality model (the default :class:`~quality.predict.Predictor`
    backend). A backend has ``head_names`` (extra heads), ``condition_names`` (the degradation
    types it reports, possibly none), ``frame_seconds`` and :meth:`score`."""

    def __init__(self, model: QualityModel) -> None:
        self.model = model.eval()
        self.head_names = list(model.head_ranges)
        self.condition_names = list(model.conditions)
        self.frame_seconds = model.frontend.hop_length / SAMPLE_RATE

    def score(self, waves: Sequence[np.ndarray], batch_size: int) -> tuple[np.ndarray, list[np.ndarray], dict,
                                                                           np.ndarray]:
        """Utterance scores, per-file frame scores, extra heads and degradation probabilities, as
        :func:`score_waveforms`."""
        return score_waveforms(self.model, waves, batch_size)
