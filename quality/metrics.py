"""Evaluation metrics on numpy arrays: MSE, LCC (Pearson), SRCC (Spearman), per-group tables.

Correlations are NaN (explicitly, without runtime warnings) when fewer than two items are given
or either side is constant.
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from .scores import ScoreRange

__all__ = ["bootstrap_interval", "detection_auc", "format_metrics", "group_balanced_lcc", "lcc", "metrics_by_group",
           "mse",
           "score_metrics", "srcc"]


def _as_array(x: Any, name: str) -> np.ndarray:
    """Array-like (lists, numpy, CPU/GPU torch tensors) -> 1-D float64 array."""
    if hasattr(x, "detach"):  # torch tensor
        x = x.detach().cpu().numpy()
    arr = np.asarray(x, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf values")
    return arr


def _pair(pred: Any, true: Any) -> tuple[np.ndarray, np.ndarray]:
    p, t = _as_array(pred, "pred"), _as_array(true, "true")
    if p.shape != t.shape:
        raise ValueError(f"pred and true differ in length: {p.size} vs {t.size}")
    if p.size == 0:
        raise ValueError("pred and true are empty")
    return p, t


def _pearson(p: np.ndarray, t: np.ndarray, w: np.ndarray | None = None) -> float:
    """Pearson correlation, optionally with item weights ``w``; NaN for < 2 items or a constant side."""
    if p.size < 2:
        return float("nan")
    w = np.full(p.size, 1.0 / p.size) if w is None else w / w.sum()
    dp, dt = p - (w * p).sum(), t - (w * t).sum()
    denom = np.sqrt((w * dp * dp).sum() * (w * dt * dt).sum())
    if denom == 0.0 or np.ptp(p) == 0.0 or np.ptp(t) == 0.0:
        return float("nan")
    return float(np.clip((w * dp * dt).sum() / denom, -1.0, 1.0))


def mse(pred: Any, true: Any) -> float:
    """Mean squared error ``mean (pred - true)^2``."""
    p, t = _pair(pred, true)
    return float(np.mean((p - t) ** 2))


def lcc(pred: Any, true: Any) -> float:
    """Linear (Pearson) correlation coefficient; NaN for < 2 items or constant input."""
    return _pearson(*_pair(pred, true))


def group_balanced_lcc(pred: Any, true: Any, groups: Any) -> float:
    """Pearson correlation with every group (e.g. speaker) weighing the same: each item weighs
    ``1 / size of its group``, so a split dominated by a few large groups is not read as theirs."""
    p, t = _pair(pred, true)
    g = np.asarray(groups).reshape(-1)
    if g.size != p.size:
        raise ValueError(f"groups and pred differ in length: {g.size} vs {p.size}")
    _, inverse, counts = np.unique(g, return_inverse=True, return_counts=True)
    return _pearson(p, t, 1.0 / counts[inverse])


def srcc(pred: Any, true: Any) -> float:
    """Spearman rank correlation (average ranks for ties); NaN for < 2 items or constant input."""
    p, t = _pair(pred, true)
    return _pearson(rankdata(p), rankdata(t))


def score_metrics(pred: Any, true: Any, score_range: ScoreRange | None = None) -> dict[str, float]:
    """``{mse, mse_raw, lcc, srcc, n}``; ``mse`` is on the normalised scale ``((p - t) / span)^2``
    when ``score_range`` is given, else equal to ``mse_raw``."""
    p, t = _pair(pred, true)
    mse_raw = float(np.mean((p - t) ** 2))
    mse_norm = mse_raw / score_range.span**2 if score_range is not None else mse_raw
    return {
        "mse": mse_norm,
        "mse_raw": mse_raw,
        "lcc": _pearson(p, t),
        "srcc": _pearson(rankdata(p), rankdata(t)),
        "n": int(p.size),
    }


def bootstrap_interval(
    pred: Any, true: Any, groups: Any = None, resamples: int = 1000, level: float = 0.95, seed: int = 0,
    baseline: Any = None,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap interval of LCC and SRCC: ``{"lcc": (low, high), "srcc": (low, high)}``.

    With ``groups`` (e.g. speakers) whole groups are drawn with replacement, so the interval
    reflects how much the figure depends on which speakers happened to be in the split; without,
    items are drawn. With ``baseline`` (another model's predictions of the same items) the interval
    is of the paired difference ``metric(pred) - metric(baseline)`` over the same draws. Deterministic
    for a given ``seed``."""
    p, t = _pair(pred, true)
    b = _pair(baseline, true)[0] if baseline is not None else None
    if resamples < 1 or not 0.0 < level < 1.0:
        raise ValueError(f"need resamples >= 1 and 0 < level < 1, got {resamples} and {level}")
    if groups is None:
        codes = np.arange(p.size)
    else:
        g = np.asarray(groups, dtype=object).reshape(-1)
        if g.size != p.size:
            raise ValueError(f"groups and pred differ in length: {g.size} vs {p.size}")
        codes = np.unique(g.astype(str), return_inverse=True)[1].reshape(-1)
    n_groups = int(codes.max()) + 1

    def correlations(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        return _pearson(x, y), _pearson(rankdata(x), rankdata(y))

    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(resamples):
        # Every item appears as often as its group was drawn.
        rows = np.repeat(np.arange(p.size), np.bincount(rng.integers(0, n_groups, n_groups), minlength=n_groups)[codes])
        value = np.array(correlations(p[rows], t[rows]))
        draws.append(value - np.array(correlations(b[rows], t[rows])) if b is not None else value)
    tail = 100.0 * (1.0 - level) / 2.0
    bounds = np.nanpercentile(np.array(draws), [tail, 100.0 - tail], axis=0)
    return {name: (float(bounds[0, k]), float(bounds[1, k])) for k, name in enumerate(("lcc", "srcc"))}


def metrics_by_group(
    pred: Any, true: Any, groups: Any, score_range: ScoreRange | None = None, separator: str | None = None
) -> pd.DataFrame:
    """One row per group (sorted where the labels sort, else first-seen order) with columns
    ``group, n, mse, mse_raw, bias, lcc, srcc``; ``bias`` is the mean of ``pred - true`` on the raw scale.

    ``separator``: labels such as ``"noise+reverb"`` are split on it and the item counts towards
    each part (per-degradation figures for combined conditions)."""
    p, t = _pair(pred, true)
    g = np.asarray(groups.detach().cpu().numpy() if hasattr(groups, "detach") else groups, dtype=object).reshape(-1)
    if g.size != p.size:
        raise ValueError(f"groups and pred differ in length: {g.size} vs {p.size}")
    parts = [set(str(x).split(separator)) if separator else {x} for x in g.tolist()]
    labels = list(dict.fromkeys(label for item in parts for label in sorted(item, key=str)))
    try:
        labels = sorted(labels)
    except TypeError:
        pass
    rows = []
    for label in labels:
        sel = np.fromiter((label in item for item in parts), dtype=bool, count=g.size)
        rows.append({"group": label, **score_metrics(p[sel], t[sel], score_range),
                     "bias": float(np.mean(p[sel] - t[sel]))})
    return pd.DataFrame(rows, columns=["group", "n", "mse", "mse_raw", "bias", "lcc", "srcc"])


def detection_auc(probabilities: Any, present: Any, names: Any) -> pd.DataFrame:
    """How well probabilities ``(n, C)`` tell files with each of ``names`` (multi-hot ``present``
    ``(n, C)``) from those without: one row per name with ``type, present, absent, auc`` (ROC area;
    NaN when either side is empty)."""
    from sklearn.metrics import roc_auc_score

    p, y = np.asarray(probabilities, dtype=float), np.asarray(present, dtype=float)
    names = [str(n) for n in names]
    if p.shape != y.shape or p.ndim != 2 or p.shape[1] != len(names):
        raise ValueError(f"probabilities {p.shape} and present {y.shape} must both be (n, {len(names)})")
    rows = []
    for j, name in enumerate(names):
        pos = int(y[:, j].sum())
        auc = float(roc_auc_score(y[:, j], p[:, j])) if 0 < pos < len(y) else float("nan")
        rows.append({"type": name, "present": pos, "absent": len(y) - pos, "auc": auc})
    return pd.DataFrame(rows, columns=["type", "present", "absent", "auc"])


def format_metrics(m: Mapping[str, Any]) -> str:
    """``'mse: 0.0102, lcc: 0.9421, srcc: 0.9347'`` (4 decimals) from a metrics dict."""
    return ", ".join(f"{key}: {float(m[key]):.4f}" for key in ("mse", "lcc", "srcc"))
