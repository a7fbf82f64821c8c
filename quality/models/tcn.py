"""Dilated temporal convolutions with utterance statistics: every frame sees the whole recording.

``tcn``: an optional 2-D convolution stem over (time, frequency) that halves the frequency axis
per layer, a linear projection of the bins, residual blocks of dilated masked ``conv1d`` over time
(ReLU, per-frame LayerNorm), then *statistics context*: the masked mean and standard deviation of
the frame embeddings over the valid frames are projected and added back to every frame before the
frame head. Frame scores are therefore local evidence read in the light of the whole recording,
and the utterance score is still their masked mean (so frame scores stay meaningful).

Everything is convolution, LayerNorm and masked pooling: no recurrence, fast on a CPU, and the
score of a recording does not depend on padding (each block zeroes padded frames before it
convolves, pooling counts only valid frames).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from . import register_model
from .base import FrameRegressor
from .layers import MaskedConv1d, masked_mean, masked_quantiles, masked_std, zero_padded


class FrequencyConvStem(nn.Module):
    """``(B, T, F)`` -> ``(B, T, channels * F')``: 2-D convs (3 x 3, stride 2 in frequency, ReLU).

    Time keeps its length ('same' padding of one frame); padded frames are zeroed before each
    layer, so a recording sees the zeros it would see at its own edge.
    """

    def __init__(self, n_bins: int, channels: int, layers: int) -> None:
        super().__init__()
        convs, size, in_ch = [], n_bins, 1
        for _ in range(layers):
            convs.append(nn.Conv2d(in_ch, channels, (3, 3), stride=(1, 2), padding=(1, 1)))
            size, in_ch = (size - 1) // 2 + 1, channels
        self.convs = nn.ModuleList(convs)
        self.output_size = channels * size

    def forward(self, feats: Tensor, mask: Tensor) -> Tensor:
        x = feats.unsqueeze(1)  # (B, 1, T, F)
        m = mask[:, None, :, None].to(feats.dtype)
        for conv in self.convs:
            x = nn.functional.relu(conv(x * m))
        b, c, t, f = x.shape
        return zero_padded(x.permute(0, 2, 1, 3).reshape(b, t, c * f), mask)


class DilatedBlock(nn.Module):
    """``x -> x + LayerNorm(ReLU(conv_d(x)))`` with a masked dilated conv over time.

    ReLU and no dropout inside the stack: on a CPU, GELU's backward and dropout's masks cost
    about a third of a training step here; regularisation is the dropout before the frame head.
    """

    def __init__(self, channels: int, kernel_size: int, dilation: int) -> None:
        super().__init__()
        self.conv = MaskedConv1d(channels, channels, kernel_size, dilation)
        self.norm = nn.LayerNorm(channels)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        return zero_padded(x + self.norm(nn.functional.relu(self.conv(x, mask))), mask)


class TCNTrunk(nn.Module):
    """Features ``(B, T, F)`` -> frame embeddings ``(B, T, linear_size)``.

    ``stem_channels``/``stem_layers``: the 2-D frequency stem (0 channels = none). ``channels``:
    width of the dilated stack; ``dilations`` one block each (repeat the list for more depth);
    ``kernel_size`` of every block; ``dropout`` before the frame head. ``quantiles``: levels of
    per-bin quantiles over time of the *input* features (e.g. the 5 % level is each band's noise
    floor, the 95 % its speech peak) projected and added to every frame, like the embedding
    statistics (empty = off). With kernel 3 and dilations 1..16 twice the receptive field is 125
    frames (2 s at the default 16 ms hop) before the utterance statistics are added.
    """

    def __init__(
        self,
        n_bins: int,
        stem_channels: int = 0,
        stem_layers: int = 2,
        channels: int = 128,
        kernel_size: int = 3,
        dilations: Sequence[int] = (1, 2, 4, 8, 16, 1, 2, 4, 8, 16),
        linear_size: int = 128,
        dropout: float = 0.1,
        quantiles: Sequence[float] = (),
    ) -> None:
        super().__init__()
        if any(not 0.0 <= float(q) <= 1.0 for q in quantiles):
            raise ValueError(f"quantiles must lie in [0, 1], got {list(quantiles)}")
        self.register_buffer("levels", torch.tensor([float(q) for q in quantiles]), persistent=False)
        self.input_stats = nn.Linear(len(quantiles) * n_bins, channels) if len(quantiles) else None
        self.stem = FrequencyConvStem(n_bins, stem_channels, stem_layers) if stem_channels else None
        in_size = self.stem.output_size if self.stem is not None else n_bins
        self.project = nn.Linear(in_size, channels)
        self.input_norm = nn.LayerNorm(channels)
        self.blocks = nn.ModuleList(DilatedBlock(channels, kernel_size, int(d)) for d in dilations)
        self.context = nn.Linear(2 * channels, channels)
        self.output = nn.Sequential(nn.Linear(channels, linear_size), nn.ReLU(), nn.Dropout(dropout))
        self.output_size = linear_size

    def forward(self, feats: Tensor, mask: Tensor) -> Tensor:
        x = self.stem(feats, mask) if self.stem is not None else feats
        x = self.project(x)
        if self.input_stats is not None:
            levels = masked_quantiles(feats, mask, self.levels)
            x = x + self.input_stats(levels.flatten(1)).unsqueeze(1)
        x = zero_padded(self.input_norm(x), mask)
        for block in self.blocks:
            x = block(x, mask)
        stats = torch.cat([masked_mean(x, mask), masked_std(x, mask)], dim=-1)
        x = x + self.context(stats).unsqueeze(1)
        return zero_padded(self.output(x), mask)


@register_model("tcn")
class TCN(FrameRegressor):
    """Dilated conv stack + utterance statistics; frame scores, utterance score = their masked mean."""

    trunk_class = TCNTrunk
