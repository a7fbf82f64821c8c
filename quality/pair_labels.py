"""Label your own (degraded, reference) recordings with PESQ-wb, STOI and SI-SDR.

``python -m quality.corpus label PAIRS --out LIST`` reads a table of pairs (``.csv``/``.tsv``
with columns ``path`` and ``ref_path``, relative to the table's folder or absolute; optional
``speaker`` and ``condition`` columns are carried over) and writes a list with the corpus
builder's columns ``path pesq stoi sisdr condition speaker``, so real recordings (NOIZEUS, a
VoIP test set, enhancement output against its clean speech) can be scored by
``quality.evaluate`` or pooled into training exactly like a simulated corpus.

Both files are read at any sample rate and channel count (mixed to mono) and resampled to 16 kHz;
when their lengths differ, both are cut to the shorter one (labels assume they are
time-aligned). A pair that cannot be labelled (unreadable or silent file, PESQ finds no speech)
is reported on stderr and left out; the rest are still labelled.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .audio import AudioError, load_audio
from .corpus import LIST_COLUMNS as LABEL_COLUMNS
from .corpus import LabelError, compute_labels
from .lists import ListError, read_list, resolve_path, write_list


def label_pair(ref: np.ndarray, deg: np.ndarray) -> dict[str, float]:
    """``{"pesq", "stoi", "sisdr"}`` of 16 kHz ``deg`` against ``ref``, both cut to the shorter length.

    Raises :class:`quality.corpus.LabelError` when a metric cannot be computed.
    """
    n = min(len(ref), len(deg))
    return compute_labels(ref[:n], deg[:n])


def read_pairs(path: str | os.PathLike) -> pd.DataFrame:
    """The pairs table at ``path`` with absolute ``path`` and ``ref_path`` and string ``speaker``
    and ``condition`` columns (``unknown`` / ``real`` where the table has none)."""
    path = Path(path)
    if path.suffix.lower() not in (".csv", ".tsv"):
        raise ListError(f"{path}: a pairs table must be a .csv or .tsv with columns path and ref_path")
    table = read_list(path)
    if "ref_path" not in table.columns:
        raise ListError(f"{path}: no ref_path column (the clean reference of each file); "
                        f"columns: {', '.join(map(str, table.columns))}")
    folder = os.path.abspath(path.parent)
    out = pd.DataFrame({"path": table["path"]})
    refs = table["ref_path"]
    for row, ref in enumerate(refs, start=1):
        if not isinstance(ref, str) or not ref:
            raise ListError(f"{path}: row {row} ({table['path'][row - 1]}) has no ref_path")
    out["ref_path"] = [resolve_path(r, folder) for r in refs]
    for name, default in (("speaker", "unknown"), ("condition", "real")):
        values = table[name] if name in table.columns else [default] * len(table)
        out[name] = [_label_text(v, default) for v in values]
    return out


def _label_text(value: Any, default: str) -> str:
    """A speaker/condition cell as one word: numbers without a spurious ``.0``, blanks -> ``default``."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "_".join(str(value).split()) or default


def _label_row(path: str, ref_path: str) -> dict[str, Any]:
    try:
        labels = label_pair(load_audio(ref_path), load_audio(path))
    except AudioError as err:
        return {"error": str(err)}
    except LabelError as err:
        return {"error": f"{path}: {err} (reference {ref_path})"}
    return labels


def label_pairs(pairs: pd.DataFrame, workers: int = 1, progress: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Label every row of :func:`read_pairs`' table; returns ``(labelled, failures)``.

    ``labelled`` has :data:`LABEL_COLUMNS` in the table's order; ``failures`` has ``path`` and
    ``error``. ``workers`` > 1 labels in that many processes.
    """
    from tqdm import tqdm

    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    args = list(zip(pairs["path"], pairs["ref_path"]))
    parallel = workers > 1 and len(args) > 1
    with ProcessPoolExecutor(max_workers=workers) if parallel else nullcontext() as pool:
        rows = pool.map(_label_row, *zip(*args), chunksize=4) if parallel else (_label_row(*a) for a in args)
        results = list(tqdm(rows, total=len(args), file=sys.stderr, disable=not progress, desc="label", unit="pair",
                            dynamic_ncols=True))
    ok = [i for i, r in enumerate(results) if "error" not in r]
    labelled = pairs.iloc[ok][["path", "condition", "speaker"]].reset_index(drop=True)
    for name in ("pesq", "stoi", "sisdr"):
        labelled[name] = [results[i][name] for i in ok]
    failures = pd.DataFrame([{"path": p, "error": r["error"]} for (p, _), r in zip(args, results) if "error" in r],
                            columns=["path", "error"])
    return labelled[LABEL_COLUMNS], failures


def label_command(pairs_path: str, out: str, workers: int = 1, progress: bool = True) -> int:
    """``python -m quality.corpus label``: 0 when every pair was labelled, 2 when any failed."""
    labelled, failures = label_pairs(read_pairs(pairs_path), workers=workers, progress=progress)
    for row in failures.itertuples():
        print(f"failed: {row.error}", file=sys.stderr)
    if labelled.empty:
        raise ValueError(f"{pairs_path}: no pair could be labelled; {out} not written")
    write_list(labelled, out)
    print(f"{out}: {len(labelled)} labelled, {len(failures)} failed; PESQ-wb mean {labelled['pesq'].mean():.2f} "
          f"(min {labelled['pesq'].min():.2f}, max {labelled['pesq'].max():.2f})", file=sys.stderr)
    return 2 if len(failures) else 0


__all__: Sequence[str] = ["LABEL_COLUMNS", "label_pair", "label_pairs", "read_pairs", "label_command"]
