"""Noisy/clean training pairs mixed on the fly from folders of clean speech, noise and room IRs.

:func:`mixture_splits` divides speakers, noise clips and rooms into train/valid/test parts that
share none of them, so validation and test measure speakers and noises the enhancer never heard.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import Dataset

from .. import simulate as sim
from ..audio import SAMPLE_RATE
from ..corpus import speech_table
from ..lists import SPLITS, split_list


@dataclass
class MixtureSource:
    """The speech, noise and room-IR files of one split (paths relative to the folders of ``resources``)."""

    resources: sim.Resources
    speech: list[str]
    noise: list[str]
    rir: list[str]

    def describe(self) -> str:
        speakers = {self.resources.speakers.get(f, f) for f in self.speech}
        return f"{len(self.speech)} utterances of {len(speakers)} speakers, {len(self.noise)} noises, {len(self.rir)} rooms"


def _split_files(files: list[str], valid: float, test: float, seed: int) -> dict[str, list[str]]:
    if not files:
        return {name: [] for name in SPLITS}
    if len(files) < 3:  # too few to share out: every split uses them all
        return {name: list(files) for name in SPLITS}
    parts = split_list(pd.DataFrame({"path": files}), None, valid, test, seed)
    return {name: sorted(part["path"]) for name, part in parts.items()}


def mixture_splits(
    speech: str | os.PathLike,
    noise: str | os.PathLike,
    rir: str | os.PathLike | None = None,
    valid: float = 0.1,
    test: float = 0.1,
    seed: int = 0,
    min_seconds: float = 1.0,
) -> dict[str, MixtureSource]:
    """Train/valid/test sources: speakers split by speaker, noise clips and rooms split by file.

    Device responses found among the IRs (see :class:`~quality.simulate.Resources`) are not used.
    """
    table = speech_table(speech, min_seconds=min_seconds)
    resources = sim.Resources(noise=noise, rir=rir, speech=speech, speech_table=table)
    if not resources.has("noise"):
        raise FileNotFoundError(f"{noise}: no noise files")
    speech_parts = split_list(table, "speaker", valid, test, seed)
    noises = _split_files(resources.files["noise"], valid, test, seed)
    rooms = _split_files(resources.files["rir"], valid, test, seed)
    return {name: MixtureSource(resources, sorted(speech_parts[name]["path"]), noises[name], rooms[name])
            for name in SPLITS}


class MixtureDataset(Dataset):
    """``size`` noisy mixtures of ``source``, made when an item is read.

    Each item: a ``seconds``-long stretch of an utterance (shorter ones whole) at a random active
    level in ``level_db``; with probability ``reverb_prob`` convolved with a room (the target is
    then the reverberant speech: the enhancer removes noise, not the room); a random stretch of
    a noise clip added at an SNR drawn from ``snr_db``; scaled down if the mixture would clip.
    ``fixed=True`` draws item ``i`` from a generator seeded with ``(seed, i)`` (the same mixture
    every epoch: validation and test); otherwise from torch's per-worker seed (new each epoch).
    Items are dicts ``mix``, ``clean`` (1-D float tensors) and ``index``.
    """

    def __init__(
        self,
        source: MixtureSource,
        size: int,
        seconds: float | None = 4.0,
        snr_db: tuple[float, float] = (-5.0, 20.0),
        reverb_prob: float = 0.2,
        level_db: tuple[float, float] = (-35.0, -15.0),
        seed: int = 0,
        fixed: bool = False,
    ) -> None:
        if not source.speech:
            raise ValueError("no speech files in this split")
        if not source.noise:
            raise ValueError("no noise files in this split")
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        if snr_db[0] > snr_db[1] or level_db[0] > level_db[1]:
            raise ValueError(f"ranges must be (low, high), got snr {snr_db} and level {level_db}")
        if not 0.0 <= reverb_prob <= 1.0:
            raise ValueError(f"reverb_prob must be in [0, 1], got {reverb_prob}")
        self.source = source
        self.size = int(size)
        self.samples = int(round(seconds * SAMPLE_RATE)) if seconds else None
        self.snr_db = snr_db
        self.reverb_prob = reverb_prob if source.rir else 0.0
        self.level_db = level_db
        self.seed = seed
        self.fixed = fixed

    def __len__(self) -> int:
        return self.size

    def _rng(self, index: int) -> np.random.Generator:
        if self.fixed:
            return np.random.default_rng([self.seed, index, 0xE1])
        return np.random.default_rng([torch.initial_seed() % 2**63, index])

    def mixture(self, index: int) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
        """``(mix, clean, description)`` of item ``index`` as float32 arrays."""
        rng = self._rng(index)
        res, src = self.source.resources, self.source
        rel = src.speech[int(rng.integers(len(src.speech)))] if not self.fixed else src.speech[index % len(src.speech)]
        clean = res.load("speech", rel)
        if self.samples and len(clean) > self.samples:
            start = int(rng.integers(0, len(clean) - self.samples + 1))
            clean = clean[start : start + self.samples]
        clean = sim.set_level(clean, float(rng.uniform(*self.level_db)))
        info: dict[str, Any] = {"speech": rel}
        if rng.random() < self.reverb_prob:
            info["rir"] = src.rir[int(rng.integers(len(src.rir)))]
            clean = sim.reverb(clean, rng, rir=res.load("rir", info["rir"])).astype(np.float32)
        info["noise"] = src.noise[int(rng.integers(len(src.noise)))]
        info["snr_db"] = float(rng.uniform(*self.snr_db))
        mix = sim.add_noise(clean, rng, noise=res.load("noise", info["noise"]), snr_db=info["snr_db"])
        peak = float(max(np.max(np.abs(mix)), np.max(np.abs(clean))))
        if peak > sim.SAFE_PEAK:
            mix, clean = mix * (sim.SAFE_PEAK / peak), clean * (sim.SAFE_PEAK / peak)
        return mix.astype(np.float32), clean.astype(np.float32), info

    def __getitem__(self, index: int) -> dict[str, Any]:
        mix, clean, _ = self.mixture(index)
        return {"mix": torch.from_numpy(mix), "clean": torch.from_numpy(clean), "index": index}


def collate_mixtures(items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
    """Zero-pad to the longest item: ``mix``, ``clean`` ``(B, N)``, ``lengths``, ``index``."""
    lengths = torch.tensor([item["mix"].numel() for item in items], dtype=torch.long)
    mix = torch.zeros(len(items), int(lengths.max()))
    clean = torch.zeros_like(mix)
    for row, item in enumerate(items):
        mix[row, : lengths[row]] = item["mix"]
        clean[row, : lengths[row]] = item["clean"]
    return {"mix": mix, "clean": clean, "lengths": lengths,
            "index": torch.tensor([item["index"] for item in items], dtype=torch.long)}
