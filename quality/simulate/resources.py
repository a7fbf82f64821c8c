"""Folders of noise, impulse responses and speech that degradation parameters refer to."""
from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import AUDIO_EXTENSIONS, load_audio


def list_audio(folder: str | os.PathLike) -> list[str]:
    """Audio files under ``folder`` (recursive), as sorted POSIX paths relative to it."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder")
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS and not p.name.startswith(".")
    )


def _manifest_kinds(folder: Path) -> dict[str, str]:
    """``{path relative to folder: kind}`` from a manifest.csv in ``folder`` or its parent."""
    for base in (folder, folder.parent):
        manifest = base / "manifest.csv"
        if not manifest.is_file():
            continue
        import pandas as pd

        try:
            table = pd.read_csv(manifest)
        except Exception:  # a malformed manifest is only a hint
            return {}
        if not {"file", "kind"} <= set(table.columns):
            return {}
        out = {}
        for f, k in zip(table["file"].astype(str), table["kind"].astype(str)):
            p = (base / f).resolve()
            try:
                out[p.relative_to(folder.resolve()).as_posix()] = k
            except ValueError:
                continue
        return out
    return {}


class Resources:
    """Folders of noise clips, room IRs, device IRs and speech (for babble and competing talkers).

    Files are listed when the object is made and loaded lazily on first use (LRU cache of about
    ``cache_mb`` MB). ``rir`` files that a manifest marks ``device_ir`` or that sit in a folder
    whose name contains "device" are device responses; when no ``device_ir`` folder is given they
    are used as such. ``speech`` is a folder or a table (``path`` relative to ``speech_root`` plus
    ``speaker`` and optionally ``split``) -- see :func:`quality.corpus.speech_table`.
    """

    KINDS = ("noise", "rir", "device_ir", "speech")

    def __init__(
        self,
        noise: str | os.PathLike | None = None,
        rir: str | os.PathLike | None = None,
        device_ir: str | os.PathLike | None = None,
        speech: str | os.PathLike | None = None,
        speech_table: Any = None,
        cache_mb: float = 400.0,
    ) -> None:
        self.roots: dict[str, Path | None] = {"noise": None, "rir": None, "device_ir": None, "speech": None}
        self.files: dict[str, list[str]] = {k: [] for k in self.KINDS}
        if noise:
            self.roots["noise"] = Path(noise)
            self.files["noise"] = list_audio(noise)
        if rir:
            root = Path(rir)
            self.roots["rir"] = root
            kinds = _manifest_kinds(root)
            rooms, devices = [], []
            for f in list_audio(root):
                is_device = kinds.get(f) == "device_ir" or any("device" in part.lower() for part in f.split("/")[:-1])
                (devices if is_device else rooms).append(f)
            self.files["rir"] = rooms
            if device_ir is None and devices:
                self.roots["device_ir"] = root
                self.files["device_ir"] = devices
        if device_ir:
            self.roots["device_ir"] = Path(device_ir)
            self.files["device_ir"] = list_audio(device_ir)
        self.speakers: dict[str, str] = {}
        self.splits: dict[str, str] = {}
        if speech is not None:
            self.roots["speech"] = Path(speech)
            if speech_table is None:
                self.files["speech"] = list_audio(speech)
                self.speakers = {f: (f.split("/")[-2] if "/" in f else "") for f in self.files["speech"]}
            else:
                self.files["speech"] = [str(p) for p in speech_table["path"]]
                self.speakers = dict(zip(self.files["speech"], speech_table["speaker"].astype(str)))
                if "split" in speech_table:
                    self.splits = dict(zip(self.files["speech"], speech_table["split"].astype(str)))
        self._cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._cache_bytes = 0
        self._cache_limit = int(cache_mb * 1e6)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={len(v)}" for k, v in self.files.items())
        return f"Resources({counts})"

    def has(self, kind: str) -> bool:
        return bool(self.files.get(kind))

    def path(self, kind: str, rel: str) -> Path:
        root = self.roots.get(kind)
        if root is None:
            raise KeyError(f"no {kind} folder given")
        return root / rel

    def load(self, kind: str, rel: str) -> np.ndarray:
        """Load ``rel`` from the ``kind`` folder as float32 16 kHz mono (cached)."""
        key = (kind, rel)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        min_seconds = 0.0 if kind in ("rir", "device_ir") else 0.05
        audio = load_audio(self.path(kind, rel), min_seconds=min_seconds)
        self._cache[key] = audio
        self._cache_bytes += audio.nbytes
        while self._cache_bytes > self._cache_limit and len(self._cache) > 1:
            _, old = self._cache.popitem(last=False)
            self._cache_bytes -= old.nbytes
        return audio

    def choose(self, kind: str, rng: np.random.Generator) -> str:
        files = self.files.get(kind) or []
        if not files:
            raise KeyError(f"no {kind} files")
        return files[int(rng.integers(len(files)))]

    def other_speech(self, rng: np.random.Generator, count: int, speaker: str | None = None, split: str | None = None) -> list[str]:
        """``count`` utterances of distinct speakers other than ``speaker``, from the same split if possible."""
        files = self.files["speech"]
        if not files:
            raise KeyError("no speech files for babble / competing talker")
        pools = []
        others = [f for f in files if self.speakers.get(f) != speaker] if speaker is not None else list(files)
        if split is not None and self.splits:
            pools.append([f for f in others if self.splits.get(f) == split])
        pools += [others, list(files)]
        pool = next(p for p in pools if p)
        # one utterance per speaker where possible
        by_speaker: dict[str, list[str]] = {}
        for f in pool:
            by_speaker.setdefault(self.speakers.get(f, f), []).append(f)
        names = sorted(by_speaker)
        pick = rng.permutation(len(names))[:count]
        chosen = [by_speaker[names[i]][int(rng.integers(len(by_speaker[names[i]])))] for i in pick]
        while len(chosen) < count:  # fewer speakers than requested: reuse
            chosen.append(pool[int(rng.integers(len(pool)))])
        return chosen
