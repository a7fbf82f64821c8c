"""Gradient reversal: identity forward, ``-lambda * grad`` backward (Ganin & Lempitsky 2015)."""
from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class _ReverseGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, scale: float) -> Tensor:  # noqa: D102 - autograd API
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None]:  # noqa: D102 - autograd API
        return -ctx.scale * grad, None


def reverse_gradient(x: Tensor, scale: float = 1.0) -> Tensor:
    """``x`` unchanged in the forward pass; the gradient flowing back is multiplied by ``-scale``."""
    return _ReverseGradient.apply(x, float(scale))


class GradientReversal(nn.Module):
    """Identity forward, gradient multiplied by ``-lambda_`` backward; ``lambda_`` may be set
    between steps (see :func:`grl_ramp` for the usual schedule)."""

    def __init__(self, lambda_: float = 1.0) -> None:
        super().__init__()
        if lambda_ < 0:
            raise ValueError(f"lambda_ must be >= 0, got {lambda_}")
        self.lambda_ = float(lambda_)

    def forward(self, x: Tensor) -> Tensor:
        return reverse_gradient(x, self.lambda_)

    def extra_repr(self) -> str:
        return f"lambda_={self.lambda_:g}"


def grl_ramp(progress: float, gamma: float = 10.0) -> float:
    """The DANN schedule ``2 / (1 + exp(-gamma * p)) - 1``: 0 at the start, close to 1 by the end.

    ``progress`` is the fraction of training done, clipped to ``[0, 1]``.
    """
    p = min(max(float(progress), 0.0), 1.0)
    return 2.0 / (1.0 + math.exp(-gamma * p)) - 1.0
