"""Writing list files (``.list``, ``.csv``, ``.tsv``) atomically; the formats are described in
:mod:`quality.lists.reading`."""
from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..fileio import atomic_write
from .reading import TABLE_SEPARATORS, default_column_names


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _format_value(value: Any) -> str:
    """Plain text for a cell: integral floats without ``.0``, other floats at full precision."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def _output_path(value: Any, folder: str, relative: bool = False) -> str:
    absolute = os.path.normpath(os.path.abspath(os.path.expanduser(str(value))))
    if relative or absolute == folder or absolute.startswith(folder.rstrip(os.sep) + os.sep):
        return os.path.relpath(absolute, folder)
    return absolute


def write_list(
    df: pd.DataFrame, path: str | os.PathLike, columns: list[str] | None = None, relative: bool = False
) -> Path:
    """Write ``df`` atomically as ``.list`` (default) or ``.csv``/``.tsv`` by the extension of ``path``.

    ``columns`` picks and orders the columns (``path`` is always written, first). Paths under the
    output file's folder are written relative to it, others absolute (relative paths in ``df``
    are taken relative to the current directory); ``relative=True`` writes every path relative
    to the list's folder, with ``..`` where needed (lists shipped beside a corpus folder). A ``.list`` gets a ``# columns:`` header line
    when its columns are not the default ``path score col3 ...``. Round-trips with :func:`read_list`.
    """
    path = Path(path)
    if "path" not in df.columns:
        raise ValueError(f"{path}: the table has no 'path' column")
    if columns is None:
        columns = list(df.columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: no column(s) {', '.join(map(repr, missing))}; columns: {', '.join(map(str, df.columns))}")
    columns = ["path"] + [str(c) for c in dict.fromkeys(columns) if c != "path"]
    if len(df) == 0:
        raise ValueError(f"{path}: refusing to write an empty list")

    folder = os.path.normpath(os.path.abspath(path.parent))
    sep = TABLE_SEPARATORS.get(path.suffix.lower())
    cells: list[list[str]] = []
    for values in df[columns].itertuples(index=False, name=None):
        row = [_output_path(values[0], folder, relative)]
        row += ["" if _is_missing(v) else _format_value(v) for v in values[1:]]
        cells.append(row)

    if sep:
        def write(tmp: str) -> None:
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f, delimiter=sep, lineterminator="\n")
                writer.writerow(columns)
                writer.writerows(cells)
    else:
        for name in columns:
            if not name or any(ch.isspace() for ch in name):
                raise ValueError(f"{path}: column name {name!r} cannot be written to a .list; use .csv")
        for row in cells:
            if row[0].startswith("#"):
                raise ValueError(f"{path}: path {row[0]!r} starts with '#'; use .csv")
            for j, cell in enumerate(row):
                if j and cell == "":
                    row[j] = "nan"
                elif any(ch.isspace() for ch in cell):
                    raise ValueError(
                        f"{path}: {columns[j]} value {cell!r} contains whitespace, which a .list "
                        "cannot hold; write a .csv instead"
                    )
        default = len(columns) >= 2 and columns == default_column_names(len(columns))
        header = [] if default else ["# columns: " + " ".join(columns)]
        text = "\n".join(header + [" ".join(row) for row in cells]) + "\n"

        def write(tmp: str) -> None:
            Path(tmp).write_text(text, encoding="utf-8")

    return atomic_write(path, write)

