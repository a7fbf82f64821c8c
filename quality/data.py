"""Datasets over list files: random crops for training, whole utterances for validation."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from .audio import SAMPLE_RATE, load_audio


class ListDataset(Dataset):
    """Recordings and targets from a list DataFrame (as returned by ``quality.lists.read_list``).

    ``crop_seconds``: when set, each item is a random crop of that length (shorter recordings are
    kept whole); otherwise the whole recording. Items are dicts with ``wav`` (1-D float tensor),
    ``target`` (float) and ``index`` (row position).
    """

    def __init__(self, table: pd.DataFrame, target: str, crop_seconds: float | None = None) -> None:
        if target not in table.columns:
            raise ValueError(f"list has no column {target!r}; columns: {list(table.columns)}")
        self.paths = table["path"].astype(str).tolist()
        self.targets = table[target].astype(np.float32).to_numpy()
        self.crop = int(round(crop_seconds * SAMPLE_RATE)) if crop_seconds else None

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict[str, Any]:
        wav = torch.from_numpy(load_audio(self.paths[index]))
        if self.crop is not None and wav.numel() > self.crop:
            start = int(torch.randint(0, wav.numel() - self.crop + 1, (1,)))
            wav = wav[start : start + self.crop]
        return {"wav": wav, "target": float(self.targets[index]), "index": index}


def collate_batch(items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """Zero-pad waveforms to the longest; returns ``wav (B, N)``, ``lengths``, ``target``, ``index``."""
    lengths = torch.tensor([item["wav"].numel() for item in items], dtype=torch.long)
    wav = torch.zeros(len(items), int(lengths.max()))
    for row, item in enumerate(items):
        wav[row, : item["wav"].numel()] = item["wav"]
    return {
        "wav": wav,
        "lengths": lengths,
        "target": torch.tensor([item["target"] for item in items], dtype=torch.float32),
        "index": torch.tensor([item["index"] for item in items], dtype=torch.long),
    }
