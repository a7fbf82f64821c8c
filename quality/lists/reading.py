"""Reading list files of scored utterances.

Formats (chosen by extension; ``.csv`` and ``.tsv`` are tables, anything else is a ``.list``):

* ``.list``: one utterance per line, ``path score [more columns ...]``, whitespace separated.
  Blank lines and lines starting with ``#`` are ignored. Columns are named ``path, score, col3,
  col4, ...`` unless a comment line ``# columns: path pesq stoi condition speaker`` before the
  first entry names them (every line must then have exactly that many columns). Paths (and
  values) containing spaces are not supported in a ``.list``; use a ``.csv`` for those.
* ``.csv`` / ``.tsv``: a header row with a ``path`` column plus any other columns (all kept).

Relative paths are resolved against the list file's folder; :func:`read_list` returns absolute
path strings. A column whose values all parse as numbers is read as float (except columns of
zero-padded integers such as speaker ``007``, which stay strings).

This module reads them; :mod:`quality.lists.writing` writes them.
"""
from __future__ import annotations

import csv
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

_COLUMNS_RE = re.compile(r"#\s*columns\s*:(.*)", re.IGNORECASE)
_ZERO_PADDED_RE = re.compile(r"[+-]?0\d+")
TABLE_SEPARATORS = {".csv": ",", ".tsv": "\t"}


class ListError(ValueError):
    """A list file or table that cannot be used; the message names the file (and line)."""


def default_column_names(n: int) -> list[str]:
    """The column names of a ``.list`` without a ``# columns:`` header: ``path, score, col3, ...``."""
    return ["path", "score"][:n] + [f"col{i}" for i in range(3, n + 1)]


def _parse_list(path: Path, text: str) -> tuple[list[str], list[list[str | None]], list[int]]:
    """Whitespace ``.list`` text -> (column names, rows of strings, 1-based line numbers)."""
    names: list[str] | None = None
    rows: list[list[str | None]] = []
    lines: list[int] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            match = _COLUMNS_RE.fullmatch(stripped)
            if match and not rows:
                names = match.group(1).replace(",", " ").split()
                _check_names(path, names, lineno)
            continue
        tokens = stripped.split()
        if names is not None:
            if len(tokens) != len(names):
                raise ListError(
                    f"{path}, line {lineno}: expected {len(names)} columns ({' '.join(names)}), "
                    f"got {len(tokens)}"
                )
        elif len(tokens) < 2:
            raise ListError(f"{path}, line {lineno}: missing score after the path")
        rows.append(list(tokens))
        lines.append(lineno)
    if names is None:
        width = max((len(r) for r in rows), default=2)
        names = default_column_names(width)
        for row in rows:
            row.extend([None] * (width - len(row)))
    return names, rows, lines


def _parse_table(path: Path, text: str, sep: str) -> tuple[list[str], list[list[str | None]], list[int]]:
    """CSV/TSV text with a header row -> (column names, rows of strings, 1-based line numbers)."""
    reader = csv.reader(text.splitlines(keepends=True), delimiter=sep)
    names: list[str] | None = None
    rows: list[list[str | None]] = []
    lines: list[int] = []
    for record in reader:
        lineno = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        if record[0].lstrip().startswith("#"):
            continue
        if names is None:
            names = [cell.strip() for cell in record]
            _check_names(path, names, lineno)
            continue
        if len(record) != len(names):
            raise ListError(f"{path}, line {lineno}: expected {len(names)} fields, got {len(record)}")
        rows.append([cell.strip() or None for cell in record])
        lines.append(lineno)
    return names or [], rows, lines


def _check_names(path: Path, names: list[str], lineno: int) -> None:
    if "path" not in names:
        raise ListError(f"{path}, line {lineno}: no 'path' column in header ({', '.join(names) or 'empty'})")
    if any(not n for n in names):
        raise ListError(f"{path}, line {lineno}: empty column name in header")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ListError(f"{path}, line {lineno}: duplicate column name(s) {', '.join(dupes)}")


def _to_number(value: str | None) -> float | None:
    if value is None:
        return math.nan
    try:
        return float(value)
    except ValueError:
        return None


def resolve_path(value: str, folder: str) -> str:
    """``value`` (``~`` expanded) as a normalised absolute path; relative paths are taken from ``folder``."""
    value = os.path.expanduser(value)
    if not os.path.isabs(value):
        value = os.path.join(folder, value)
    return os.path.normpath(value)


def read_list(path: str | os.PathLike, target: str | None = None) -> pd.DataFrame:
    """Read a ``.list`` / ``.csv`` / ``.tsv`` into a DataFrame with absolute ``path`` strings.

    Numeric columns become float. The column ``target`` (or ``score`` when ``target`` is None and
    the file has one) must hold finite numbers on every line. Raises :class:`ListError` (a
    ``ValueError``) naming the file, and the line for malformed lines; ``FileNotFoundError`` for
    a missing file.
    """
    path = Path(path)
    if not path.is_file():
        if path.exists():
            raise ListError(f"{path}: not a file")
        raise FileNotFoundError(f"{path}: no such list file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ListError(f"{path}: not a UTF-8 text file") from None
    sep = TABLE_SEPARATORS.get(path.suffix.lower())
    names, rows, lines = _parse_table(path, text, sep) if sep else _parse_list(path, text)
    if not rows:
        raise ListError(f"{path}: empty list (no entries)")
    if target is not None and target not in names:
        raise ListError(f"{path}: no column {target!r}; columns: {', '.join(names)}")
    if target == "path":
        raise ListError(f"{path}: the target column cannot be 'path'")
    checked = target if target is not None else ("score" if "score" in names else None)

    folder = os.path.abspath(path.parent)
    data: dict[str, Any] = {}
    for j, name in enumerate(names):
        raw = [row[j] for row in rows]
        if name == "path":
            for value, lineno in zip(raw, lines):
                if not value:
                    raise ListError(f"{path}, line {lineno}: empty path")
            data[name] = [resolve_path(v, folder) for v in raw]  # type: ignore[arg-type]
            continue
        numbers = [_to_number(v) for v in raw]
        if name == checked:
            for value, number, lineno in zip(raw, numbers, lines):
                if value is None:
                    raise ListError(f"{path}, line {lineno}: missing {name} value")
                if number is None:
                    raise ListError(f"{path}, line {lineno}: {name} value {value!r} is not a number")
                if not math.isfinite(number):
                    raise ListError(f"{path}, line {lineno}: {name} value {value!r} is not a finite number")
        numeric = all(n is not None for n in numbers) and (
            name == checked or not any(v is not None and _ZERO_PADDED_RE.fullmatch(v) for v in raw)
        )
        data[name] = np.asarray(numbers, dtype=np.float64) if numeric else raw
    order = ["path"] + [n for n in names if n != "path"]
    return pd.DataFrame({n: data[n] for n in order})

