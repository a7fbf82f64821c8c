"""CRN: convolutional-recurrent network (after Tan & Wang's CRN encoder), seed 003's best model
(crn_cp_qn20240608_084606: C=256, LSTM hidden 128, "trans" linear 256; lcc 0.9449, srcc 0.9387).

Causal conv2d encoder over (time, frequency): kernel (2, 3), stride 2 along frequency, channels
growing to ``channels[-1]``; each frame flattened and fed to an LSTM over time (unidirectional by
default, so the whole model is causal; :class:`MaskedBLSTM` when ``bidirectional``), then the
"trans" linear layer + ReLU, a frame head, and the masked mean of frame scores as the utterance score.
"""
from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor, nn

from . import register_model
from .base import FrameRegressor
from .can import FreqConv2d
from .layers import MaskedBLSTM, zero_padded


class CRNTrunk(nn.Module):
    """Features ``(B, T, F)`` -> causal conv2d encoder -> LSTM -> trans ``(B, T, trans_size)``."""

    def __init__(
        self,
        n_bins: int,
        channels: Sequence[int] = (16, 32, 64, 128, 256),
        norm: bool = True,
        lstm_hidden: int = 128,
        bidirectional: bool = False,
        trans_size: int = 256,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        blocks, n_in, n_freq = [], 1, n_bins
        for c in channels:
            blocks.append(FreqConv2d(n_in, c, n_freq, kernel=(2, 3), freq_padding=0, causal=True, norm=norm))
            n_in, n_freq = c, blocks[-1].out_freq
        self.encoder = nn.ModuleList(blocks)
        size = n_in * n_freq
        rnn = MaskedBLSTM(size, lstm_hidden) if bidirectional else nn.LSTM(size, lstm_hidden, batch_first=True)
        self.rnn = rnn
        rnn_size = 2 * lstm_hidden if bidirectional else lstm_hidden
        self.trans = nn.Sequential(nn.Linear(rnn_size, trans_size), nn.ReLU(), nn.Dropout(dropout))
        self.output_size = trans_size

    def forward(self, feats: Tensor, mask: Tensor) -> Tensor:
        x = feats.unsqueeze(1)  # (B, 1, T, F)
        for block in self.encoder:
            x = block(x, mask)
        x = x.transpose(1, 2).flatten(2)  # (B, T, C * F'), zero on padded frames
        if isinstance(self.rnn, MaskedBLSTM):
            x = self.rnn(x, mask)
        else:
            x = self.rnn(x)[0]  # forward in time only: trailing padding cannot reach valid frames
        return zero_padded(self.trans(x), mask)


@register_model("crn")
class CRN(FrameRegressor):
    """Conv encoder + LSTM + trans layer; frame scores, utterance score = masked mean of frame scores."""

    trunk_class = CRNTrunk
