"""The interface every speech enhancer implements, and input checks shared by enhancers and losses."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch
from torch import Tensor, nn

from ..features import lengths_to_mask

SAMPLE_RATE = 16000


def check_lengths(lengths: Tensor | None, batch: int, num_samples: int, name: str = "lengths") -> Tensor | None:
    """Validate ``lengths`` ``(B,)`` (integers in ``[1, num_samples]``) and return it as int64, or None."""
    if lengths is None:
        return None
    if not isinstance(lengths, Tensor):
        lengths = torch.as_tensor(lengths)
    if lengths.dim() != 1 or lengths.shape[0] != batch:
        raise ValueError(f"{name} must have shape ({batch},), got {tuple(lengths.shape)}")
    if lengths.is_floating_point() or lengths.is_complex():
        raise ValueError(f"{name} must be integers, got dtype {lengths.dtype}")
    if batch and (int(lengths.min()) < 1 or int(lengths.max()) > num_samples):
        raise ValueError(f"{name} must lie in [1, {num_samples}], got {lengths.tolist()}")
    return lengths.long()


def check_waveform(wav: Tensor, name: str = "wav") -> None:
    """Raise ValueError unless ``wav`` is a real floating-point ``(B, N)`` tensor with N >= 1."""
    if not isinstance(wav, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(wav).__name__}")
    if wav.dim() != 2:
        raise ValueError(f"{name} must have shape (batch, samples), got {tuple(wav.shape)}")
    if not wav.is_floating_point():
        raise ValueError(f"{name} must be a real floating-point tensor, got dtype {wav.dtype}")
    if wav.shape[1] < 1:
        raise ValueError(f"{name} has no samples")


def zero_past(wav: Tensor, lengths: Tensor | None) -> Tensor:
    """``wav`` ``(B, N)`` with every sample at index >= its length set to 0 (unchanged if no lengths)."""
    if lengths is None:
        return wav
    return wav * lengths_to_mask(lengths.to(wav.device), wav.shape[1]).to(wav.dtype)


class Enhancer(nn.Module, ABC):
    """Base class: noisy waveform ``(B, N)`` at 16 kHz (+ lengths) -> enhanced waveform ``(B, N)``.

    Outputs are zero past each length. ``config`` holds the registry name and constructor
    arguments as plain data (filled by :func:`~quality.enhance.registry.build_enhancer`).
    """

    sample_rate: int = SAMPLE_RATE

    def __init__(self) -> None:
        super().__init__()
        self.config: dict[str, Any] = {}

    @property
    def latency_samples(self) -> int:
        """Algorithmic latency in samples: how far ahead of an output sample the input it needs reaches."""
        return 0

    @abstractmethod
    def forward(self, wav: Tensor, lengths: Tensor | None = None) -> Tensor:
        """Enhance ``wav`` ``(B, N)``; returns ``(B, N)``, zero at indices >= ``lengths``."""
