"""Convolution + attention networks (CAN) with a score-bin classifier, from seed 003.

- ``can2d_class`` (CAN2dClass): 2-D convolutions over (time, frequency) of the spectrum, striding
  along frequency only, each frame flattened to an embedding, then self-attention over time
  (seed: "can2dClass" avg+cls, lcc 0.9610, srcc 0.9353).
- ``lstm_can_class`` (LstmCanClass): a BLSTM over the spectrum first, then conv1d + self-attention
  (seed: "lstmcanClass" avg+cls, lcc 0.9526, srcc 0.9257).

Both end in HASAClassifier's heads: a regression frame head and a per-frame bin classifier whose
utterance logits are the masked mean of the frame logits.
"""
from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from . import register_model
from .base import FrameClassifier
from .layers import MaskedBLSTM, MaskedConv1d, MaskedSelfAttention, zero_padded


class FreqConv2d(nn.Module):
    """conv2d block on ``(B, C, T, F)`` striding along frequency only; padded frames zeroed.

    Time padding is 'same' (symmetric; an even kernel pads one more frame on the left) or
    ``causal`` (all on the left), so a recording sees the same zeros at its end alone or in a
    padded batch. Then an optional LayerNorm over (channels, frequency) of each frame, and ELU.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        n_freq: int,
        kernel: tuple[int, int] = (3, 3),
        freq_stride: int = 2,
        freq_padding: int = 1,
        causal: bool = False,
        norm: bool = True,
    ) -> None:
        super().__init__()
        total = kernel[0] - 1
        left = total if causal else total - total // 2
        self.pad = (freq_padding, freq_padding, left, total - left)  # (freq, freq, time left, time right)
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride=(1, freq_stride))
        self.out_freq = (n_freq + 2 * freq_padding - kernel[1]) // freq_stride + 1
        if self.out_freq < 1:
            raise ValueError(f"{n_freq} frequency bins are too few for kernel {kernel} with stride {freq_stride}")
        self.norm = nn.LayerNorm([out_channels, self.out_freq]) if norm else None
        self.activation = nn.ELU()

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        frames = mask[:, None, :, None].to(x.dtype)
        y = self.conv(nn.functional.pad(x * frames, self.pad)).transpose(1, 2)  # (B, T, C, F)
        if self.norm is not None:
            y = self.norm(y)
        return zero_padded(self.activation(y), mask).transpose(1, 2)


class AttentionBlock(nn.Module):
    """Residual masked self-attention followed by LayerNorm over channels; padded frames zeroed."""

    def __init__(self, dim: int, heads: int, dropout: float, window: int | None) -> None:
        super().__init__()
        self.attention = MaskedSelfAttention(dim, heads, dropout, window)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        return zero_padded(self.norm(x + self.attention(x, mask)), mask)


class CAN2dTrunk(nn.Module):
    """Features ``(B, T, F)`` -> 3x3 conv2d blocks (frequency stride 2) -> per-frame embedding
    ``(B, T, embed_dim)`` -> self-attention over time."""

    def __init__(
        self,
        n_bins: int,
        channels: Sequence[int] = (16, 32, 64, 64),
        norm: bool = True,
        embed_dim: int = 256,
        attention_heads: int = 4,
        attention_dropout: float = 0.0,
        attention_window: int | None = None,
        dropout: float = 0.3,
    ) -> None:
        super().__init__()
        blocks, n_in, n_freq = [], 1, n_bins
        for c in channels:
            blocks.append(FreqConv2d(n_in, c, n_freq, norm=norm))
            n_in, n_freq = c, blocks[-1].out_freq
        self.convs = nn.ModuleList(blocks)
        self.embed = nn.Sequential(nn.Linear(n_in * n_freq, embed_dim), nn.ReLU(), nn.Dropout(dropout))
        self.attention = AttentionBlock(embed_dim, attention_heads, attention_dropout, attention_window)
        self.output_size = embed_dim

    def forward(self, feats: Tensor, mask: Tensor) -> Tensor:
        x = feats.unsqueeze(1)  # (B, 1, T, F)
        for conv in self.convs:
            x = conv(x, mask)
        x = self.embed(x.transpose(1, 2).flatten(2))
        return self.attention(x, mask)


@register_model("can2d_class")
class CAN2dClass(FrameClassifier):
    """2-D CNN over (time, frequency) + self-attention, regression and bin-classifier heads."""

    trunk_class = CAN2dTrunk


class LstmCanTrunk(nn.Module):
    """Features ``(B, T, F)`` -> BLSTM -> conv1d stack over time -> self-attention
    ``(B, T, conv_channels[-1])``."""

    def __init__(
        self,
        n_bins: int,
        lstm_hidden: int = 128,
        conv_channels: Sequence[int] = (128, 128),
        conv_kernel: int = 3,
        attention_heads: int = 4,
        attention_dropout: float = 0.0,
        attention_window: int | None = None,
        dropout: float = 0.3,
    ) -> None:
        super().__init__()
        if not conv_channels:
            raise ValueError("lstm_can_class needs at least one conv layer")
        self.blstm = MaskedBLSTM(n_bins, lstm_hidden)
        self.dropout = nn.Dropout(dropout)
        sizes = [self.blstm.output_size, *conv_channels]
        self.convs = nn.ModuleList(MaskedConv1d(a, b, conv_kernel) for a, b in zip(sizes[:-1], sizes[1:]))
        self.attention = AttentionBlock(sizes[-1], attention_heads, attention_dropout, attention_window)
        self.output_size = sizes[-1]

    def forward(self, feats: Tensor, mask: Tensor) -> Tensor:
        x = self.dropout(self.blstm(feats, mask))
        for conv in self.convs:
            x = nn.functional.relu(conv(x, mask))
        return self.attention(x, mask)


@register_model("lstm_can_class")
class LstmCanClass(FrameClassifier):
    """BLSTM first, then conv1d + self-attention, regression and bin-classifier heads."""

    trunk_class = LstmCanTrunk
