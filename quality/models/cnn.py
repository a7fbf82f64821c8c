"""CNN + multi-head self-attention (seed 003 "cnnA"): a conv1d "prepare" stack over time on the
spectrum, residual conv blocks, self-attention, frame scores averaged to the utterance score;
and CnnClass, the same trunk with a per-frame score-bin classifier.

Seed-best settings (cnnA_cp_qn20240601): compressed input, prepare kernel 4 with 4 layers, block
kernel 2, attention dropout 0.2; BatchNorm and dilated convolutions both hurt and are not offered.
"""
from __future__ import annotations

from torch import Tensor, nn

from . import register_model
from .base import FrameClassifier, FrameRegressor
from .layers import MaskedConv1d, MaskedSelfAttention, zero_padded


class ResidualConvBlock(nn.Module):
    """``x -> LayerNorm(x + Dropout(conv(ReLU(conv(x)))))`` with masked convs over time."""

    def __init__(self, channels: int, kernel_size: int, dropout: float) -> None:
        super().__init__()
        self.conv1 = MaskedConv1d(channels, channels, kernel_size)
        self.conv2 = MaskedConv1d(channels, channels, kernel_size)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(channels)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        y = self.conv2(nn.functional.relu(self.conv1(x, mask)), mask)
        return zero_padded(self.norm(x + self.dropout(y)), mask)


class CnnTrunk(nn.Module):
    """Features ``(B, T, F)`` -> frame embeddings ``(B, T, channels)``.

    ``prepare_layers`` masked conv1d layers (kernel ``prepare_kernel``, ReLU) map the bins to
    ``channels``; ``blocks`` residual conv blocks (kernel ``block_kernel``) follow, then a
    residual multi-head self-attention layer with LayerNorm.
    """

    def __init__(
        self,
        n_bins: int,
        channels: int = 128,
        prepare_kernel: int = 4,
        prepare_layers: int = 4,
        block_kernel: int = 2,
        blocks: int = 2,
        attention_heads: int = 4,
        attention_dropout: float = 0.2,
        attention_window: int | None = None,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        if prepare_layers < 1:
            raise ValueError(f"prepare_layers must be at least 1, got {prepare_layers}")
        self.prepare = nn.ModuleList(
            MaskedConv1d(n_bins if i == 0 else channels, channels, prepare_kernel) for i in range(prepare_layers)
        )
        self.blocks = nn.ModuleList(ResidualConvBlock(channels, block_kernel, dropout) for _ in range(blocks))
        self.attention = MaskedSelfAttention(channels, attention_heads, attention_dropout, attention_window)
        self.norm = nn.LayerNorm(channels)
        self.output_size = channels

    def forward(self, feats: Tensor, mask: Tensor) -> Tensor:
        x = feats
        for conv in self.prepare:
            x = nn.functional.relu(conv(x, mask))
        for block in self.blocks:
            x = block(x, mask)
        x = self.norm(x + self.attention(x, mask))
        return zero_padded(x, mask)


@register_model("cnn_mattn")
class CnnMAttn(FrameRegressor):
    """Conv stack + multi-head attention; frame scores, utterance score = their masked mean."""

    trunk_class = CnnTrunk


@register_model("cnn_class")
class CnnClass(FrameClassifier):
    """CnnMAttn trunk with a regression frame head and a per-frame score-bin classifier."""

    trunk_class = CnnTrunk
