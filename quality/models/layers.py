"""Masked building blocks shared by the quality models.

Every block takes a frame mask ``(B, T)`` (True = valid) and guarantees that a recording's
outputs on its valid frames do not depend on how much padding follows it:
- sequences are zeroed past their length before any convolution over time (so a conv sees the
  same zeros it would see at the edge of the unpadded input);
- the backward direction of a BLSTM runs on each sequence reversed *within its length*;
- attention never attends to padded keys; pooling averages only valid frames.
All ops are plain tensor ops (gather, matmul, softmax) so they export to ONNX with dynamic axes.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import Tensor, nn


def masked_mean(x: Tensor, mask: Tensor, dim: int = 1) -> Tensor:
    """Mean of ``x`` over ``dim`` counting only positions where ``mask`` is True.

    ``mask`` has the leading shape of ``x`` up to and including ``dim``; trailing dims broadcast.
    """
    m = mask.to(x.dtype)
    while m.dim() < x.dim():
        m = m.unsqueeze(-1)
    return (x * m).sum(dim) / m.sum(dim).clamp(min=1.0)


def masked_std(x: Tensor, mask: Tensor) -> Tensor:
    """Standard deviation over time of ``x`` ``(B, T, C)`` counting only valid frames."""
    mean = masked_mean(x, mask)
    var = masked_mean((x - mean.unsqueeze(1)) ** 2, mask)
    return torch.sqrt(var + 1e-5)


def masked_quantiles(x: Tensor, mask: Tensor, quantiles: Sequence[float] | Tensor) -> Tensor:
    """Quantiles over time of ``x`` ``(B, T, F)`` using valid frames only -> ``(B, len(quantiles), F)``.

    Nearest-rank: the value at sorted position ``round(q * (n - 1))`` of each recording's ``n``
    valid frames. Padded frames are sorted past the end, so padding never changes the result.
    """
    large = torch.finfo(x.dtype).max
    ordered = torch.sort(torch.where(mask.unsqueeze(-1), x, torch.full_like(x, large)), dim=1).values
    last = (mask.sum(1) - 1).clamp(min=0).to(x.dtype)  # (B,)
    if isinstance(quantiles, Tensor):
        levels = quantiles.to(x.dtype)
    else:
        levels = torch.tensor(list(quantiles), dtype=x.dtype, device=x.device)
    index = torch.round(last.unsqueeze(1) * levels.unsqueeze(0)).long()  # (B, Q)
    index = index.unsqueeze(-1).expand(-1, -1, x.shape[2])
    return torch.gather(ordered, 1, index)


def zero_padded(x: Tensor, mask: Tensor) -> Tensor:
    """Zero the padded frames of ``x`` ``(B, T, ...)``."""
    m = mask.to(x.dtype)
    while m.dim() < x.dim():
        m = m.unsqueeze(-1)
    return x * m


def reverse_padded(x: Tensor, lengths: Tensor) -> Tensor:
    """Reverse each sequence of ``x`` ``(B, T, C)`` within its own length; padding stays in place."""
    t = x.shape[1]
    steps = torch.arange(t, device=x.device).unsqueeze(0)
    idx = lengths.unsqueeze(1) - 1 - steps
    idx = torch.where(idx >= 0, idx, steps)
    return torch.gather(x, 1, idx.unsqueeze(-1).expand(-1, -1, x.shape[2]))


class MaskedBLSTM(nn.Module):
    """Bidirectional LSTM whose result on valid frames is independent of trailing padding.

    Forward direction: a unidirectional LSTM (causal, so later padding cannot reach earlier
    frames). Backward direction: a second LSTM over each sequence reversed within its length.
    Output ``(B, T, 2 * hidden_size)``, zero on padded frames.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, dropout: float = 0.0) -> None:
        super().__init__()
        self.forward_rnn = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True, dropout=dropout)
        self.backward_rnn = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True, dropout=dropout)
        self.output_size = 2 * hidden_size

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        lengths = mask.sum(1)
        x = zero_padded(x, mask)
        fwd, _ = self.forward_rnn(x)
        bwd, _ = self.backward_rnn(reverse_padded(x, lengths))
        bwd = reverse_padded(bwd, lengths)
        return zero_padded(torch.cat([fwd, bwd], dim=-1), mask)


class MaskedConv1d(nn.Module):
    """``conv1d`` over time on ``(B, T, C)`` with 'same' length; input and output zeroed past the mask.

    Dilation and even kernels are supported: an even kernel pads one more frame on the left.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1) -> None:
        super().__init__()
        total = dilation * (kernel_size - 1)
        self.pad = (total - total // 2, total // 2)
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, dilation=dilation)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        y = nn.functional.pad(zero_padded(x, mask).transpose(1, 2), self.pad)
        return zero_padded(self.conv(y).transpose(1, 2), mask)


def local_attention_mask(mask: Tensor, window: int | None) -> Tensor:
    """Allowed (query, key) pairs ``(B, T, T)``: valid keys, and ``|q - k| <= window`` if given."""
    allowed = mask.unsqueeze(1).expand(-1, mask.shape[1], -1)
    if window is not None and window > 0:
        t = mask.shape[1]
        steps = torch.arange(t, device=mask.device)
        band = (steps.unsqueeze(0) - steps.unsqueeze(1)).abs() <= window
        allowed = allowed & band.unsqueeze(0)
    return allowed


class MaskedSelfAttention(nn.Module):
    """Multi-head self-attention over ``(B, T, C)`` that never attends to padded keys.

    ``window`` restricts each frame to keys within ``window`` frames (the seeds' local mask).
    Written with plain matmuls so the time axis stays dynamic in ONNX export.
    """

    def __init__(self, dim: int, num_heads: int = 4, dropout: float = 0.0, window: int | None = None) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"attention dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.window = window
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)

        def heads(z: Tensor) -> Tensor:
            return z.reshape(b, -1, self.num_heads, self.head_dim).transpose(1, 2)

        q, k, v = heads(q), heads(k), heads(v)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        allowed = local_attention_mask(mask, self.window).unsqueeze(1)
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        weights = self.dropout(torch.softmax(scores, dim=-1))
        y = torch.matmul(weights, v).transpose(1, 2).reshape(b, -1, c)
        return zero_padded(self.out(y), mask)


class AttentionPooling(nn.Module):
    """Attention pooling ``(B, T, C) -> (B, C)``: softmax weights over valid frames only."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.score = nn.Linear(dim, 1)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        logits = self.score(x).squeeze(-1).masked_fill(~mask, torch.finfo(x.dtype).min)
        weights = torch.softmax(logits, dim=1)
        return torch.bmm(weights.unsqueeze(1), x).squeeze(1)
