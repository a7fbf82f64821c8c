"""The files of a corpus folder: names, columns, ``chains.jsonl``, the build journal, the summary."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from ..fileio import atomic_write
from ..lists import CONDITION_SEPARATOR

CORPUS_FORMAT_VERSION = 1
LIST_COLUMNS = ["path", "pesq", "stoi", "sisdr", "condition", "speaker"]
ALL_COLUMNS = LIST_COLUMNS + ["split", "chain_length", "speech", "start", "seconds", "seed", "index"]
#: the build journal (one record per finished file), which lets an interrupted build resume
JOURNAL = ".journal.jsonl"

#: the keys of a file's record in ``chains.jsonl``
CHAIN_KEYS = ("index", "path", "speech", "speaker", "split", "start", "length", "condition", "chain", "seed",
              "source_variation")


def read_chains(path: Path) -> dict[int, dict]:
    """``chains.jsonl`` by file index (empty when there is none)."""
    if not path.is_file():
        return {}
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return {int(r["index"]): r for r in rows}


def read_journal(path: Path) -> dict[int, dict]:
    """The build journal's records by file index (lines cut short by an interruption are skipped)."""
    done: dict[int, dict] = {}
    if not path.is_file():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
            done[int(rec["index"])] = rec
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by an interruption
    return done


def write_chains(path: Path, records: Iterable[Mapping[str, Any]]) -> None:
    """``chains.jsonl``: one line of :data:`CHAIN_KEYS` per record, in the given order."""
    text = "".join(json.dumps({k: r.get(k) for k in CHAIN_KEYS}, sort_keys=True) + "\n" for r in records)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented, key-sorted JSON, atomically."""
    text = json.dumps(obj, indent=2, sort_keys=True) + "\n"
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_csv(path: Path, df: pd.DataFrame) -> None:
    """Write ``df`` as CSV without its index, atomically."""
    atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))


def _pesq_histogram(values: np.ndarray, width: float = 0.5) -> str:
    edges = np.arange(1.0, 5.0 + 1e-9, width)
    counts, _ = np.histogram(np.clip(values, 1.0, 4.999), bins=edges)
    top = max(1, int(counts.max()))
    return "\n".join(f"  [{lo:.2f}, {lo + width:.2f})  {c:5d}  {'#' * round(30 * c / top)}".rstrip()
                     for lo, c in zip(edges[:-1], counts))


def summarize(df: pd.DataFrame, failures: pd.DataFrame, codecs: Mapping[str, str], missing: Mapping[str, str],
              seconds: float | None = None) -> str:
    """The text summary a build prints: counts per degradation and condition, label ranges, PESQ histogram."""
    lines = [f"files: {len(df)} labelled, {len(failures)} failed" + (f", {seconds:.1f} s" if seconds else "")]
    lines.append("codecs available: " + (", ".join(f"{k} ({v})" for k, v in codecs.items()) or "none"))
    if missing:
        lines.append("codecs missing: " + ", ".join(sorted(missing)))
    if len(df):
        lines.append("labels (min / mean / max):")
        for col in ("pesq", "stoi", "sisdr"):
            v = df[col].to_numpy(dtype=float)
            lines.append(f"  {col:6s} {v.min():8.3f} {v.mean():8.3f} {v.max():8.3f}")
        lines.append("pesq histogram:")
        lines.append(_pesq_histogram(df["pesq"].to_numpy(dtype=float)))
        steps = df["condition"].str.split(CONDITION_SEPARATOR, regex=False).explode()
        per_step = df.assign(step=df["condition"].str.split(CONDITION_SEPARATOR, regex=False)).explode("step").groupby("step")["pesq"]
        lines.append("files per degradation (any position in the chain), mean pesq:")
        for name, count in steps.value_counts().sort_index().items():
            lines.append(f"  {name:12s} {count:5d}  {per_step.mean()[name]:.2f}")
        counts = df["condition"].value_counts()
        shown = counts.head(20)
        lines.append(f"files per condition ({len(counts)} conditions" + (", 20 most common" if len(counts) > 20 else "") + "):")
        lines.extend(f"  {name:40s} {count:5d}" for name, count in shown.items())
        lines.append("chain length: " + ", ".join(f"{k}: {v}" for k, v in df["chain_length"].value_counts().sort_index().items()))
        lines.append("files per split: " + ", ".join(f"{k}: {v}" for k, v in df["split"].value_counts().sort_index().items()))
    if len(failures):
        lines.append("failures by stage: " + ", ".join(f"{k}: {v}" for k, v in failures["stage"].value_counts().items()))
    return "\n".join(lines)
