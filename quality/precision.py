"""CUDA numerics the library relies on: full float32 in the front end, cuDNN off where it cannot
backpropagate.

On NVIDIA GPUs since Ampere, cuDNN convolutions run in TF32 by default (10 bits of mantissa), and
matrix products do too once ``torch.set_float32_matmul_precision("high")`` is set. The STFT front
end is a convolution followed by a mel projection, and its log of band powers magnifies the
rounding error wherever the power is near zero: the empty upper band of narrowband speech. On an
H200 that moved the shipped model's score of ``examples/ls201_amrnb_4k75.flac`` by 0.21 MOS
(``benchmarks/gpu_check.py``, docs/benchmarks.md). Only the front end needs this; the networks
after it agree to 1e-4 either way.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def _flags(*settings: tuple[object, str, bool]) -> Iterator[None]:
    """Set ``(module, attribute, value)`` flags inside the block; restore them afterwards."""
    saved = [(module, name, getattr(module, name)) for module, name, _ in settings]
    for module, name, value in settings:
        setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


@contextmanager
def full_float32(device: torch.device) -> Iterator[None]:
    """Inside the block, cuDNN convolutions and CUDA matrix products run in full float32 (no
    TF32) when ``device`` is a CUDA device; the previous settings are restored afterwards."""
    if device.type != "cuda":
        yield
        return
    with _flags((torch.backends.cudnn, "allow_tf32", False), (torch.backends.cuda.matmul, "allow_tf32", False)):
        yield


@contextmanager
def differentiable_rnn(device: torch.device) -> Iterator[None]:
    """Inside the block, recurrent layers in eval mode can be backpropagated on a CUDA device.

    cuDNN refuses that ("cudnn RNN backward can only be called in training mode"), so cuDNN is
    switched off while gradients are recorded (PyTorch's own kernels; the same scores)."""
    if device.type != "cuda" or not torch.is_grad_enabled():
        yield
        return
    with _flags((torch.backends.cudnn, "enabled", False)):
        yield
