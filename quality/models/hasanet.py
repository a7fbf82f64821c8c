"""HASANet (Chiang et al. 2021 / Zezario et al. HASA-Net): BLSTM + self-attention, frame scores
averaged to the utterance score; and HASAClassifier, the same trunk with a score-bin classifier.

Options from seed 003: an optional leading conv1d ("hasa_cp_qn ... 加了一层conv1d"), a local
attention window, normalised (sigmoid) vs raw output, compressed ("cp") input.
"""
from __future__ import annotations

from torch import Tensor, nn

from . import register_model
from .base import FrameClassifier, FrameRegressor
from .layers import MaskedBLSTM, MaskedConv1d, MaskedSelfAttention, zero_padded


class HASATrunk(nn.Module):
    """Features ``(B, T, F)`` -> frame embeddings ``(B, T, linear_size)``."""

    def __init__(
        self,
        n_bins: int,
        conv_channels: int = 0,
        conv_kernel: int = 5,
        lstm_hidden: int = 100,
        linear_size: int = 128,
        attention_heads: int = 4,
        attention_dropout: float = 0.0,
        attention_window: int | None = None,
        dropout: float = 0.3,
    ) -> None:
        super().__init__()
        self.conv = MaskedConv1d(n_bins, conv_channels, conv_kernel) if conv_channels else None
        self.blstm = MaskedBLSTM(conv_channels or n_bins, lstm_hidden)
        self.linear = nn.Sequential(nn.Linear(self.blstm.output_size, linear_size), nn.ReLU(), nn.Dropout(dropout))
        self.attention = MaskedSelfAttention(linear_size, attention_heads, attention_dropout, attention_window)
        self.norm = nn.LayerNorm(linear_size)
        self.output_size = linear_size

    def forward(self, feats: Tensor, mask: Tensor) -> Tensor:
        x = feats
        if self.conv is not None:
            x = nn.functional.relu(self.conv(x, mask))
        x = self.linear(self.blstm(x, mask))
        x = self.norm(x + self.attention(x, mask))
        return zero_padded(x, mask)


@register_model("hasanet")
class HASANet(FrameRegressor):
    """BLSTM + attention; frame scores, utterance score = masked mean of frame scores."""

    trunk_class = HASATrunk


@register_model("hasanet_class")
class HASAClassifier(FrameClassifier):
    """HASANet trunk with a regression frame head and a per-frame score-bin classifier."""

    trunk_class = HASATrunk
