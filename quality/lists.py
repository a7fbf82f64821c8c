"""List files of scored utterances: read/write, score-balanced sampling, group splits, stats.

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

CLI: ``python -m quality.lists {balance,split,stats,convert} --help``.
"""
from __future__ import annotations

import argparse
import csv
import math
import os
import re
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .fileio import atomic_write

__all__ = [
    "ListError",
    "read_list",
    "resolve_path",
    "write_list",
    "resolve_target",
    "balance_list",
    "split_list",
    "bin_counts",
    "format_stats",
    "degradation_names",
    "degradation_targets",
    "main",
]

_COLUMNS_RE = re.compile(r"#\s*columns\s*:(.*)", re.IGNORECASE)
_ZERO_PADDED_RE = re.compile(r"[+-]?0\d+")
_TABLE_SEPARATORS = {".csv": ",", ".tsv": "\t"}
SPLITS = ("train", "valid", "test")
#: joins the degradation types of a combined ``condition`` (``room+talker``)
CONDITION_SEPARATOR = "+"
#: the ``condition`` of undegraded files: not a degradation type
CLEAN_CONDITION = "clean"


class ListError(ValueError):
    """A list file or table that cannot be used; the message names the file (and line)."""


# --------------------------------------------------------------------------------------- reading
def _default_names(n: int) -> list[str]:
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
        names = _default_names(width)
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
    sep = _TABLE_SEPARATORS.get(path.suffix.lower())
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


# --------------------------------------------------------------------------------------- writing
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
    sep = _TABLE_SEPARATORS.get(path.suffix.lower())
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
        default = len(columns) >= 2 and columns == _default_names(len(columns))
        header = [] if default else ["# columns: " + " ".join(columns)]
        text = "\n".join(header + [" ".join(row) for row in cells]) + "\n"

        def write(tmp: str) -> None:
            Path(tmp).write_text(text, encoding="utf-8")

    return atomic_write(path, write)


# --------------------------------------------------------------------------------------- scores
def resolve_target(df: pd.DataFrame, target: str | None = None, source: str | os.PathLike = "list") -> str:
    """The target column: ``target`` if given, else ``score``, else the only numeric column."""
    if target is not None:
        if target not in df.columns or target == "path":
            raise ValueError(f"{source}: no column {target!r}; columns: {', '.join(map(str, df.columns))}")
        return target
    if "score" in df.columns:
        return "score"
    numeric = [c for c in df.columns if c != "path" and pd.api.types.is_numeric_dtype(df[c])]
    if len(numeric) == 1:
        return str(numeric[0])
    if not numeric:
        raise ValueError(f"{source}: no numeric column to use as target; columns: {', '.join(map(str, df.columns))}")
    raise ValueError(f"{source}: no 'score' column and several numeric ones; pass --target one of {', '.join(map(str, numeric))}")


def _scores(df: pd.DataFrame, target: str) -> np.ndarray:
    if target not in df.columns:
        raise ValueError(f"no column {target!r}; columns: {', '.join(map(str, df.columns))}")
    if len(df) == 0:
        raise ValueError("empty list")
    try:
        values = df[target].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"column {target!r} is not numeric") from None
    if not np.isfinite(values).all():
        raise ValueError(f"column {target!r} has {int((~np.isfinite(values)).sum())} missing or non-finite value(s)")
    return values


def _bin_index(values: np.ndarray, bin_width: float, low: float | None) -> tuple[np.ndarray, float]:
    """Bin number of each value (bins ``[low + k*w, low + (k+1)*w)``; ``low`` defaults to the min)."""
    if not (bin_width > 0 and math.isfinite(bin_width)):
        raise ValueError(f"bin width must be a positive number, got {bin_width}")
    origin = float(values.min()) if low is None else float(low)
    # the small slack keeps values on a bin edge (e.g. 1.3 with width 0.1) in the upper bin
    return np.floor((values - origin) / bin_width + 1e-9).astype(np.int64), origin


def bin_counts(df: pd.DataFrame, target: str, bin_width: float, low: float | None = None) -> pd.DataFrame:
    """Rows per score bin from the lowest to the highest occupied bin (empty ones included).

    Columns ``low``, ``high``, ``count``; bins are ``[low, high)`` aligned at multiples of
    ``bin_width`` from ``low`` (default: the minimum score).
    """
    values = _scores(df, target)
    index, origin = _bin_index(values, bin_width, low)
    first, last = int(index.min()), int(index.max())
    counts = np.bincount(index - first, minlength=last - first + 1)
    ks = np.arange(first, last + 1)
    return pd.DataFrame({"low": origin + ks * bin_width, "high": origin + (ks + 1) * bin_width, "count": counts})


def balance_list(
    df: pd.DataFrame,
    target: str,
    bin_width: float,
    per_bin: int | None = None,
    repeat: bool = False,
    seed: int = 0,
    low: float | None = None,
) -> pd.DataFrame:
    """Sample every non-empty score bin to ``per_bin`` rows (default: the smallest bin's size).

    Larger bins are down-sampled without replacement; smaller bins are kept whole, or with
    ``repeat`` kept whole plus rows drawn with replacement up to ``per_bin``. Rows come out bin by
    bin (ascending), in their original order, repeats last; deterministic for a given ``seed``.
    """
    values = _scores(df, target)
    index, _ = _bin_index(values, bin_width, low)
    groups = [np.flatnonzero(index == k) for k in np.unique(index)]
    if per_bin is None:
        per_bin = min(len(g) for g in groups)
    if per_bin < 1:
        raise ValueError(f"per_bin must be at least 1, got {per_bin}")
    rng = np.random.default_rng(seed)
    chosen: list[np.ndarray] = []
    for rows in groups:
        if len(rows) > per_bin:
            chosen.append(np.sort(rng.choice(rows, size=per_bin, replace=False)))
        elif len(rows) < per_bin and repeat:
            chosen.append(np.concatenate([rows, rng.choice(rows, size=per_bin - len(rows), replace=True)]))
        else:
            chosen.append(rows)
    return df.iloc[np.concatenate(chosen)].reset_index(drop=True)


def split_list(
    df: pd.DataFrame, group: str | None, valid: float, test: float, seed: int = 0,
    max_group_share: float | None = None,
) -> dict[str, pd.DataFrame]:
    """Split rows into ``train``/``valid``/``test`` by ``group`` (None: each row is a group).

    A group never straddles two parts. Groups are shuffled (``seed``) and each goes to the part
    furthest below its target row count, so the fractions hold up to about one group's size.
    With ``max_group_share`` (e.g. 0.05), a group larger than that share of the validation or
    test part's target size stays out of that part (large groups go to training), so that no
    speaker with hundreds of files decides a held-out figure on its own.
    """
    if max_group_share is not None and not 0.0 < max_group_share <= 1.0:
        raise ValueError(f"max_group_share must be in (0, 1], got {max_group_share}")
    for name, fraction in (("valid", valid), ("test", test)):
        if not (0.0 <= fraction < 1.0):
            raise ValueError(f"{name} fraction must be in [0, 1), got {fraction}")
    if valid + test >= 1.0:
        raise ValueError(f"valid + test fractions must be below 1, got {valid + test:g}")
    if len(df) == 0:
        raise ValueError("empty list")
    if group is None:
        keys = pd.Series(np.arange(len(df)))
    else:
        if group not in df.columns:
            raise ValueError(f"no group column {group!r}; columns: {', '.join(map(str, df.columns))}")
        keys = df[group].reset_index(drop=True)
        if keys.isna().any():
            raise ValueError(f"group column {group!r} is empty on {int(keys.isna().sum())} row(s)")
    codes, uniques = pd.factorize(keys)
    sizes = np.bincount(codes, minlength=len(uniques))
    # shuffle a canonical (sorted) group order so the result does not depend on row order
    canonical = sorted(range(len(uniques)), key=lambda i: (type(uniques[i]).__name__, str(uniques[i])))
    order = np.asarray(canonical)[np.random.default_rng(seed).permutation(len(uniques))]
    wanted = np.array([1.0 - valid - test, valid, test]) * len(df)
    filled = np.zeros(3)
    part = np.zeros(len(uniques), dtype=np.int64)
    too_large = np.zeros((len(uniques), 2), dtype=bool)  # (groups, held-out parts); None: no group kept out
    if max_group_share is not None:
        too_large = sizes[:, None] > max_group_share * wanted[None, 1:]
    # groups too large for every held-out part go to training first, so the rest fill the targets
    only_train = too_large.all(axis=1)[order]
    order = np.concatenate([order[only_train], order[~only_train]])
    for g in order:
        room = wanted - filled
        room[1:][too_large[g]] = -np.inf  # training (room[0], finite) always can take a group
        k = int(np.argmax(room))
        part[g] = k
        filled[k] += sizes[g]
    row_part = part[codes]
    return {name: df.iloc[np.flatnonzero(row_part == k)].reset_index(drop=True) for k, name in enumerate(SPLITS)}


def _decimals(edges: Sequence[float]) -> int:
    for d in range(7):
        if all(abs(round(e, d) - e) < 1e-9 for e in edges):
            return d
    return 6


def format_stats(df: pd.DataFrame, target: str, bin_width: float, low: float | None = None, bar_width: int = 40) -> str:
    """Summary (n, min, max, mean, std) and a per-bin count histogram of ``target`` as text."""
    values = _scores(df, target)
    bins = bin_counts(df, target, bin_width, low)
    d = _decimals([bins["low"].iloc[0], bin_width])
    labels = [f"[{lo:.{d}f}, {hi:.{d}f})" for lo, hi in zip(bins["low"], bins["high"])]
    counts = bins["count"].tolist()
    most = max(counts)
    std = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    lines = [
        f"{target}: n={len(values)}  min={values.min():.4g}  max={values.max():.4g}  "
        f"mean={values.mean():.4g}  std={std:.4g}",
    ]
    lw = max(len("bin"), *(len(s) for s in labels))
    cw = max(len("count"), *(len(str(c)) for c in counts))
    lines.append(f"{'bin':<{lw}}  {'count':>{cw}}")
    for label, count in zip(labels, counts):
        bar = "#" * (max(1, round(count / most * bar_width)) if count else 0)
        lines.append(f"{label:<{lw}}  {count:>{cw}}  {bar}".rstrip())
    return "\n".join(lines)


def degradation_names(conditions: Sequence[str]) -> list[str]:
    """Sorted distinct degradation types in ``condition`` values; ``room+talker`` counts as
    ``room`` and ``talker``, and ``clean`` is not a degradation."""
    parts = {part.strip() for value in conditions for part in str(value).split(CONDITION_SEPARATOR)}
    return sorted(parts - {"", CLEAN_CONDITION})


def degradation_targets(conditions: Sequence[str], names: Sequence[str]) -> np.ndarray:
    """Multi-hot ``(len(conditions), len(names))`` float32: 1 where a file's condition contains that
    degradation type. Types not in ``names`` are ignored (a clean file is all zeros)."""
    column = {name: i for i, name in enumerate(names)}
    out = np.zeros((len(conditions), len(names)), np.float32)
    for row, value in enumerate(conditions):
        for part in (p.strip() for p in str(value).split(CONDITION_SEPARATOR)):
            if part in column:
                out[row, column[part]] = 1.0
    return out


# --------------------------------------------------------------------------------------- CLI
def _load(path: str, target: str | None) -> tuple[pd.DataFrame, str]:
    df = read_list(path)
    name = resolve_target(df, target, path)
    if name != "score":  # re-read so bad values are reported with their line number
        df = read_list(path, name)
    return df, name


def _split_prefix(path: Path, prefix: str | None) -> tuple[str, str]:
    suffix = path.suffix or ".list"
    if prefix is None:
        return str(path.with_suffix("")), suffix
    return prefix, suffix


def _cmd_balance(args: argparse.Namespace) -> None:
    loaded = [_load(path, args.target) for path in args.inputs]
    targets = {target for _, target in loaded}
    if len(targets) > 1:
        raise ValueError(f"the input lists have different score columns ({', '.join(sorted(targets))}); "
                         "name one with --target")
    df, target = pd.concat([part for part, _ in loaded], ignore_index=True), targets.pop()
    out = balance_list(df, target, args.bin_width, args.per_bin, args.repeat, args.seed, args.low)
    write_list(out, args.output)
    bins = bin_counts(out, target, args.bin_width, args.low if args.low is not None else float(df[target].min()))
    filled = bins[bins["count"] > 0]
    print(f"wrote {args.output}: {len(out)} of {len(df)} rows, {len(filled)} bins of "
          f"{filled['count'].min()}-{filled['count'].max()} rows")


def _cmd_split(args: argparse.Namespace) -> None:
    df = read_list(args.input)
    if args.group is not None and args.group not in df.columns:
        raise ValueError(f"{args.input}: no group column {args.group!r}; columns: {', '.join(df.columns)}")
    parts = split_list(df, args.group, args.valid, args.test, args.seed, args.max_group_share)
    prefix, suffix = _split_prefix(Path(args.input), args.prefix)
    for name, part in parts.items():
        out = f"{prefix}_{name}{suffix}"
        if len(part):
            write_list(part, out)
            print(f"wrote {out}: {len(part)} rows")
        else:
            print(f"skipped {out}: no rows", file=sys.stderr)


def _cmd_stats(args: argparse.Namespace) -> None:
    df, target = _load(args.input, args.target)
    print(format_stats(df, target, args.bin_width, args.low))


def _cmd_convert(args: argparse.Namespace) -> None:
    tables = [read_list(path) for path in args.inputs]
    columns = [list(t.columns) for t in tables]
    if any(c != columns[0] for c in columns):
        raise ValueError("the input lists have different columns: "
                         + "; ".join(f"{path}: {', '.join(c)}" for path, c in zip(args.inputs, columns)))
    df = pd.concat(tables, ignore_index=True)
    write_list(df, args.output, relative=args.relative)
    print(f"wrote {args.output}: {len(df)} rows")


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m quality.lists`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m quality.lists",
        description="Score lists (.list 'path score ...' or .csv/.tsv with a 'path' column): "
        "balance by score bins, split by group, print stats, convert formats.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{balance,split,stats,convert}")
    target_help = "score column (default: 'score', else the only numeric column)"

    p = sub.add_parser("balance", help="sample every score bin to the same number of rows",
                       description="Bin the target scores and sample each non-empty bin to --per-bin rows.")
    p.add_argument("inputs", nargs="+", metavar="input",
                   help="input list(s) (.list/.csv/.tsv); the rows of several lists are pooled")
    p.add_argument("output", help="output list; format by extension")
    p.add_argument("--target", help=target_help)
    p.add_argument("--bin-width", type=float, default=0.25, help="score bin width (default: %(default)s)")
    p.add_argument("--low", type=float, help="bin edges are low + k*width (default: the minimum score)")
    p.add_argument("--per-bin", type=int, help="rows per bin (default: the size of the smallest non-empty bin)")
    p.add_argument("--repeat", action="store_true", help="fill bins smaller than --per-bin by sampling with replacement")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.set_defaults(func=_cmd_balance)

    p = sub.add_parser("split", help="train/valid/test split that never splits a group",
                       description="Write <prefix>_train, <prefix>_valid and <prefix>_test with the input's extension.")
    p.add_argument("input", help="input list (.list/.csv/.tsv)")
    p.add_argument("--prefix", help="output prefix (default: the input path without its extension)")
    p.add_argument("--group", help="column whose groups (e.g. speaker) stay in one part (default: each row alone)")
    p.add_argument("--valid", type=float, default=0.1, help="validation fraction of rows (default: %(default)s)")
    p.add_argument("--test", type=float, default=0.1, help="test fraction of rows (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    p.add_argument("--max-group-share", type=float, metavar="F",
                   help="keep a group out of valid/test if it would fill more than this fraction of the part's "
                        "target size (large groups go to train; e.g. 0.05)")
    p.set_defaults(func=_cmd_split)

    p = sub.add_parser("stats", help="print n/min/max/mean/std and a histogram per score bin")
    p.add_argument("input", help="input list (.list/.csv/.tsv)")
    p.add_argument("--target", help=target_help)
    p.add_argument("--bin-width", type=float, default=0.25, help="score bin width (default: %(default)s)")
    p.add_argument("--low", type=float, help="bin edges are low + k*width (default: the minimum score)")
    p.set_defaults(func=_cmd_stats)

    p = sub.add_parser("convert", help="convert between .list and .csv/.tsv, or join lists",
                       description="Write the rows of the input list(s), in order, in the output's format.")
    p.add_argument("inputs", nargs="+", metavar="input",
                   help="input list(s) (.list/.csv/.tsv) with the same columns; several are joined")
    p.add_argument("output", help="output file; format by extension")
    p.add_argument("--relative", action="store_true",
                   help="write every path relative to the output's folder (with '..' where needed), "
                        "e.g. for lists kept beside a corpus folder")
    p.set_defaults(func=_cmd_convert)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; user errors print ``error: ...`` on stderr and return 1."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (OSError, ValueError) as err:
        message = str(err) if not isinstance(err, OSError) or not err.filename else f"{err.filename}: {err.strerror}"
        print(f"error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
