"""Datasets over list files: random crops (and optional speed perturbation) for training, whole
utterances for validation."""
from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from .audio import SAMPLE_RATE, load_audio, resample
from .lists import degradation_targets


def check_speed_factors(factors: object) -> list[float]:
    """The ``speed_perturb`` setting as a list of floats; ValueError unless it is a list of numbers in [0.5, 2.0]."""
    if not isinstance(factors, (list, tuple)) or not all(
            isinstance(f, (int, float)) and not isinstance(f, bool) and 0.5 <= f <= 2.0 for f in factors):
        raise ValueError(f"speed_perturb must be a list of speed factors in [0.5, 2.0], got {factors!r}")
    return [float(f) for f in factors]


class ListDataset(Dataset):
    """Recordings and targets from a list DataFrame (as returned by ``quality.lists.read_list``).

    ``crop_seconds``: when set, each item is a random crop of that length (shorter recordings are
    kept whole); otherwise the whole recording. ``heads``: columns of extra-head targets.
    ``speed_factors``: when given, each item is first played ``f`` times faster (pitch and formants
    scaled by ``f``, duration by ``1/f``), ``f`` drawn uniformly from the factors — Kaldi-style speed
    perturbation, which makes new voices from the training speakers. The item keeps its target:
    this assumes quality labels survive a small speed change (as UTMOS22's training did).
    ``conditions``: degradation types whose presence in the ``condition`` column becomes a
    multi-hot target (:func:`quality.lists.degradation_targets`). ``difference``: the column
    naming each file's ``(frames, bands)`` reference-difference array
    (:mod:`quality.reference_difference`), framed with hop ``frame_hop``; crops then start on a
    frame boundary and carry the matching rows. Items are dicts with ``wav`` (1-D float tensor),
    ``target`` (float), ``heads`` (float tensor, one value per head), ``conditions`` (float tensor,
    one value per degradation type), ``index`` (row position) and, with ``difference``,
    ``difference`` (float tensor ``(frames, bands)``).
    """

    def __init__(self, table: pd.DataFrame, target: str, crop_seconds: float | None = None,
                 heads: list[str] | tuple[str, ...] = (), speed_factors: list[float] | tuple[float, ...] = (),
                 conditions: list[str] | tuple[str, ...] = (), difference: str | None = None,
                 frame_hop: int = 256) -> None:
        wanted = (target, *heads, *(["condition"] if conditions else []), *([difference] if difference else []))
        missing = [c for c in wanted if c not in table.columns]
        if missing:
            raise ValueError(f"list has no column(s) {missing}; columns: {list(table.columns)}")
        bad = [c for c in heads if not np.all(np.isfinite(pd.to_numeric(table[c], errors="coerce")))]
        if bad:
            raise ValueError(f"head target column(s) {bad} hold missing or non-numeric values")
        self.paths = table["path"].astype(str).tolist()
        absent = [p for p in self.paths if not os.path.isfile(p)]
        if absent:
            raise ValueError(f"{len(absent)} of the list's {len(self.paths)} files do not exist, e.g. "
                             f"{', '.join(absent[:3])} (a corpus not built or restored yet? "
                             "see python -m quality.corpus restore)")
        self.targets = table[target].astype(np.float32).to_numpy()
        self.heads = table[list(heads)].astype(np.float32).to_numpy() if heads else np.zeros((len(table), 0), np.float32)
        self.crop = int(round(crop_seconds * SAMPLE_RATE)) if crop_seconds else None
        self.speed_factors = check_speed_factors(speed_factors)
        self.conditions = (degradation_targets(table["condition"].astype(str).tolist(), list(conditions)) if conditions
                           else np.zeros((len(table), 0), np.float32))
        self.differences = table[difference].astype(str).tolist() if difference else None
        if self.differences is not None and self.speed_factors:
            raise ValueError("reference-difference targets cannot follow speed perturbation (frames would move)")
        self.frame_hop = int(frame_hop)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict[str, Any]:
        audio = load_audio(self.paths[index])
        if self.speed_factors:
            factor = self.speed_factors[int(torch.randint(0, len(self.speed_factors), (1,)))]
            # Read as if recorded at factor x the rate, then brought back to SAMPLE_RATE.
            audio = resample(audio, int(round(SAMPLE_RATE * factor)), SAMPLE_RATE)
        wav = torch.from_numpy(np.ascontiguousarray(audio))
        start = 0
        if self.crop is not None and wav.numel() > self.crop:
            if self.differences is None:
                start = int(torch.randint(0, wav.numel() - self.crop + 1, (1,)))
            else:  # on a frame boundary, so the crop's frames are rows of the file's array
                start = self.frame_hop * int(torch.randint(0, (wav.numel() - self.crop) // self.frame_hop + 1, (1,)))
            wav = wav[start : start + self.crop]
        item = {"wav": wav, "target": float(self.targets[index]), "heads": torch.tensor(self.heads[index]),
                "conditions": torch.from_numpy(self.conditions[index]), "index": index}
        if self.differences is not None:
            item["difference"] = self.difference_rows(index, len(audio), start, wav.numel())
        return item

    def difference_rows(self, index: int, file_samples: int, start: int, samples: int) -> torch.Tensor:
        """The rows of file ``index``'s difference array for ``samples`` samples from ``start``."""
        path = self.differences[index]
        try:
            array = np.load(path)
        except (OSError, ValueError) as err:
            raise ValueError(f"{path}: cannot read the reference-difference array ({err})") from None
        frames = file_samples // self.frame_hop + 1
        if array.ndim != 2 or array.shape[0] != frames:
            raise ValueError(f"{path}: {array.shape} reference-difference rows for {self.paths[index]}, which has "
                             f"{frames} frames of {self.frame_hop} samples (built for another front end?)")
        first = start // self.frame_hop
        return torch.from_numpy(array[first : first + samples // self.frame_hop + 1].astype(np.float32))


def collate_batch(items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """Zero-pad waveforms to the longest; returns ``wav (B, N)``, ``lengths``, ``target``, ``heads (B, H)``,
    ``conditions (B, C)``, ``index`` and, when the items have them, ``difference (B, T, D)`` (NaN on
    padded frames)."""
    lengths = torch.tensor([item["wav"].numel() for item in items], dtype=torch.long)
    wav = torch.zeros(len(items), int(lengths.max()))
    for row, item in enumerate(items):
        wav[row, : item["wav"].numel()] = item["wav"]
    batch = {
        "wav": wav,
        "lengths": lengths,
        "target": torch.tensor([item["target"] for item in items], dtype=torch.float32),
        "heads": torch.stack([item["heads"] for item in items]),
        "conditions": torch.stack([item["conditions"] for item in items]),
        "index": torch.tensor([item["index"] for item in items], dtype=torch.long),
    }
    if "difference" in items[0]:
        rows = [item["difference"] for item in items]
        batch["difference"] = torch.full((len(rows), max(r.shape[0] for r in rows), rows[0].shape[1]), float("nan"))
        for i, r in enumerate(rows):
            batch["difference"][i, : r.shape[0]] = r
    return batch
