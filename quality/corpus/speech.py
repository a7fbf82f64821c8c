"""The clean speech of a corpus: files, speakers and durations, split by speaker."""
from __future__ import annotations

import logging
import os
from pathlib import Path

import pandas as pd

from ..audio import AudioError, audio_info
from ..lists import split_list
from .. import simulate as sim

log = logging.getLogger(__name__)


def _manifest_speakers(folder: Path) -> dict[str, str]:
    """``{path relative to folder: speaker}`` from ``manifest.csv`` in the folder's parent (or itself)."""
    for base in (folder.parent, folder):
        manifest = base / "manifest.csv"
        if not manifest.is_file():
            continue
        try:
            table = pd.read_csv(manifest, dtype=str)
        except Exception as err:
            log.warning("%s: unreadable manifest (%s); speakers from folder names", manifest, err)
            return {}
        col = "file" if "file" in table.columns else "path" if "path" in table.columns else None
        if col is None or "speaker" not in table.columns:
            continue
        if "kind" in table.columns:
            table = table[table["kind"].fillna("speech") == "speech"]
        out = {}
        root = folder.resolve()
        for f, spk in zip(table[col], table["speaker"]):
            if not isinstance(f, str) or not isinstance(spk, str) or not spk.strip():
                continue
            try:
                out[(base / f).resolve().relative_to(root).as_posix()] = spk.strip()
            except ValueError:
                continue
        return out
    return {}


def speech_table(folder: str | os.PathLike, min_seconds: float = 1.0) -> pd.DataFrame:
    """The clean speech of ``folder``: columns ``path`` (relative), ``speaker``, ``seconds``.

    The speaker comes from a ``manifest.csv`` (columns ``file``/``path``, ``speaker`` and
    optionally ``kind``; paths relative to the manifest) in the folder's parent or the folder
    itself, else from the file's parent folder name. Files shorter than ``min_seconds`` or that
    cannot be read are left out with a log line.
    """
    folder = Path(folder)
    files = sim.list_audio(folder)
    if not files:
        raise FileNotFoundError(f"{folder}: no audio files")
    speakers = _manifest_speakers(folder)
    rows = []
    for f in files:
        try:
            _, seconds = audio_info(folder / f)
        except AudioError as err:
            log.warning("skipping %s", err)
            continue
        if seconds < min_seconds:
            log.info("skipping %s: %.2f s is shorter than %.2f s", f, seconds, min_seconds)
            continue
        spk = speakers.get(f) or (f.split("/")[-2] if "/" in f else folder.name)
        rows.append((f, "_".join(spk.split()), float(seconds)))
    if not rows:
        raise FileNotFoundError(f"{folder}: no usable speech files (all shorter than {min_seconds} s?)")
    return pd.DataFrame(rows, columns=["path", "speaker", "seconds"])


def split_speech_table(speech: str | os.PathLike, min_seconds: float, valid: float, test: float,
                       split_seed: int) -> pd.DataFrame:
    """:func:`speech_table` with a ``split`` column (train/valid/test by speaker), sorted by path."""
    table = speech_table(speech, min_seconds)
    parts = split_list(table, "speaker", valid, test, split_seed)
    return pd.concat([p.assign(split=name) for name, p in parts.items()]).sort_values("path").reset_index(drop=True)
