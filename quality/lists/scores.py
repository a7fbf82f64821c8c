"""The score column of a list: bins, score-balanced sampling (the seeds' "rs" lists) and stats."""
from __future__ import annotations

import math
import os
from typing import Sequence

import numpy as np
import pandas as pd


def resolve_target(df: pd.DataFrame, target: str | None = None, source: str | os.PathLike = "list") -> str:
    """The target column: ``target`` if given, else ``score``, else the only numeric column."""
    if target is not None:
        if target not in df.columns or target == "path":
            raise ValueError(f"{source}: no column {target!r}; columns: {', '.join(map(str, df.columns))}")
        return target
    if "score" in df.columns:
        return "score"
    numeric = [c for c in df.columns if c != "path" and pd.api.types.is_numeric_dtype(df[c])]
    if len(numeric) == 1:
        return str(numeric[0])
    if not numeric:
        raise ValueError(f"{source}: no numeric column to use as target; columns: {', '.join(map(str, df.columns))}")
    raise ValueError(f"{source}: no 'score' column and several numeric ones; pass --target one of {', '.join(map(str, numeric))}")


def _scores(df: pd.DataFrame, target: str) -> np.ndarray:
    if target not in df.columns:
        raise ValueError(f"no column {target!r}; columns: {', '.join(map(str, df.columns))}")
    if len(df) == 0:
        raise ValueError("empty list")
    try:
        values = df[target].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"column {target!r} is not numeric") from None
    if not np.isfinite(values).all():
        raise ValueError(f"column {target!r} has {int((~np.isfinite(values)).sum())} missing or non-finite value(s)")
    return values


def _bin_index(values: np.ndarray, bin_width: float, low: float | None) -> tuple[np.ndarray, float]:
    """Bin number of each value (bins ``[low + k*w, low + (k+1)*w)``; ``low`` defaults to the min)."""
    if not (bin_width > 0 and math.isfinite(bin_width)):
        raise ValueError(f"bin width must be a positive number, got {bin_width}")
    origin = float(values.min()) if low is None else float(low)
    # the small slack keeps values on a bin edge (e.g. 1.3 with width 0.1) in the upper bin
    return np.floor((values - origin) / bin_width + 1e-9).astype(np.int64), origin


def bin_counts(df: pd.DataFrame, target: str, bin_width: float, low: float | None = None) -> pd.DataFrame:
    """Rows per score bin from the lowest to the highest occupied bin (empty ones included).

    Columns ``low``, ``high``, ``count``; bins are ``[low, high)`` aligned at multiples of
    ``bin_width`` from ``low`` (default: the minimum score).
    """
    values = _scores(df, target)
    index, origin = _bin_index(values, bin_width, low)
    first, last = int(index.min()), int(index.max())
    counts = np.bincount(index - first, minlength=last - first + 1)
    ks = np.arange(first, last + 1)
    return pd.DataFrame({"low": origin + ks * bin_width, "high": origin + (ks + 1) * bin_width, "count": counts})


def balance_list(
    df: pd.DataFrame,
    target: str,
    bin_width: float,
    per_bin: int | None = None,
    repeat: bool = False,
    seed: int = 0,
    low: float | None = None,
) -> pd.DataFrame:
    """Sample every non-empty score bin to ``per_bin`` rows (default: the smallest bin's size).

    Larger bins are down-sampled without replacement; smaller bins are kept whole, or with
    ``repeat`` kept whole plus rows drawn with replacement up to ``per_bin``. Rows come out bin by
    bin (ascending), in their original order, repeats last; deterministic for a given ``seed``.
    """
    values = _scores(df, target)
    index, _ = _bin_index(values, bin_width, low)
    groups = [np.flatnonzero(index == k) for k in np.unique(index)]
    if per_bin is None:
        per_bin = min(len(g) for g in groups)
    if per_bin < 1:
        raise ValueError(f"per_bin must be at least 1, got {per_bin}")
    rng = np.random.default_rng(seed)
    chosen: list[np.ndarray] = []
    for rows in groups:
        if len(rows) > per_bin:
            chosen.append(np.sort(rng.choice(rows, size=per_bin, replace=False)))
        elif len(rows) < per_bin and repeat:
            chosen.append(np.concatenate([rows, rng.choice(rows, size=per_bin - len(rows), replace=True)]))
        else:
            chosen.append(rows)
    return df.iloc[np.concatenate(chosen)].reset_index(drop=True)


def _decimals(edges: Sequence[float]) -> int:
    for d in range(7):
        if all(abs(round(e, d) - e) < 1e-9 for e in edges):
            return d
    return 6


def format_stats(df: pd.DataFrame, target: str, bin_width: float, low: float | None = None, bar_width: int = 40) -> str:
    """Summary (n, min, max, mean, std) and a per-bin count histogram of ``target`` as text."""
    values = _scores(df, target)
    bins = bin_counts(df, target, bin_width, low)
    d = _decimals([bins["low"].iloc[0], bin_width])
    labels = [f"[{lo:.{d}f}, {hi:.{d}f})" for lo, hi in zip(bins["low"], bins["high"])]
    counts = bins["count"].tolist()
    most = max(counts)
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    lines = [
        f"{target}: n={len(values)}  min={values.min():.4g}  max={values.max():.4g}  "
        f"mean={values.mean():.4g}  std={std:.4g}",
    ]
    lw = max(len("bin"), *(len(s) for s in labels))
    cw = max(len("count"), *(len(str(c)) for c in counts))
    lines.append(f"{'bin':<{lw}}  {'count':>{cw}}")
    for label, count in zip(labels, counts):
        bar = "#" * (max(1, round(count / most * bar_width)) if count else 0)
        lines.append(f"{label:<{lw}}  {count:>{cw}}  {bar}".rstrip())
    return "\n".join(lines)
