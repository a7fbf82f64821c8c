"""Teacher targets for distillation: a list's labels blended with a model's predictions on its files.

``python -m quality.evaluate --checkpoint TEACHER --list LIST --out DIR`` writes ``DIR/predictions.csv``
(columns ``path``, ``prediction`` and ``prediction_<head>``); :func:`blend_teacher` replaces the list's
target column by ``weight * prediction + (1 - weight) * label``, and each extra head column the
predictions carry (``stoi``, ``sisdr``) the same way, so that a student network trains on the teacher's
scores with the usual ``train-quality`` command and stays comparable with networks trained on the labels.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .scores import resolve_target


def read_predictions(path: str | os.PathLike) -> pd.DataFrame:
    """``predictions.csv`` of ``quality.evaluate`` (``path`` given as the file or its folder), one row per path."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "predictions.csv")
    table = pd.read_csv(path)
    if "path" not in table.columns or "prediction" not in table.columns:
        raise ValueError(f"{path}: not a predictions.csv of quality.evaluate (needs 'path' and 'prediction' columns)")
    if table["path"].duplicated().any():
        raise ValueError(f"{path}: {int(table['path'].duplicated().sum())} path(s) appear more than once")
    return table.set_index("path")


def blend_teacher(df: pd.DataFrame, predictions: pd.DataFrame, weight: float = 1.0,
                  target: str | None = None, source: str = "list") -> tuple[pd.DataFrame, list[str]]:
    """A copy of ``df`` whose target column (and every head column with a ``prediction_<head>`` in
    ``predictions``, indexed by path) is ``weight * prediction + (1 - weight) * label``; also returns the
    blended column names. ValueError when ``weight`` is outside (0, 1] or a path has no finite prediction."""
    if not 0.0 < weight <= 1.0:
        raise ValueError(f"--weight must be in (0, 1], got {weight}")
    target = resolve_target(df, target, source)
    columns = {target: "prediction"}
    columns.update({c: f"prediction_{c}" for c in df.columns
                    if c not in ("path", target) and f"prediction_{c}" in predictions.columns})
    missing = ~df["path"].isin(predictions.index)
    if missing.any():
        raise ValueError(f"{source}: {int(missing.sum())} of {len(df)} file(s) have no prediction, "
                         f"e.g. {df['path'][missing].iloc[0]}; evaluate the teacher on this list first")
    rows = predictions.loc[df["path"]]  # the teacher's row for each of the list's rows, looked up once
    out = df.copy()
    for column, predicted in columns.items():
        teacher = rows[predicted].to_numpy(dtype=np.float64)
        if not np.isfinite(teacher).all():
            raise ValueError(f"{source}: the teacher's {predicted!r} is missing or not finite for "
                             f"{int((~np.isfinite(teacher)).sum())} file(s)")
        out[column] = np.round(weight * teacher + (1.0 - weight) * out[column].to_numpy(dtype=np.float64), 4)
    return out, list(columns)
