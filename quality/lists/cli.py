"""``python -m quality.lists {balance,split,stats,convert,teacher}``: the list tools on the command line."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

import pandas as pd

from .reading import read_list
from .scores import balance_list, bin_counts, format_stats, resolve_target
from .split import split_list
from .teacher import blend_teacher, read_predictions
from .writing import write_list


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


def _cmd_teacher(args: argparse.Namespace) -> None:
    df, target = _load(args.input, args.target)
    out, columns = blend_teacher(df, read_predictions(args.predictions), args.weight, target, args.input)
    write_list(out, args.output, relative=args.relative)
    print(f"wrote {args.output}: {len(out)} rows, {', '.join(columns)} = {args.weight:g} x teacher + "
          f"{1 - args.weight:g} x label")


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m quality.lists`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m quality.lists",
        description="Score lists (.list 'path score ...' or .csv/.tsv with a 'path' column): "
        "balance by score bins, split by group, print stats, convert formats, blend in a teacher's scores.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="{balance,split,stats,convert,teacher}")
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

    p = sub.add_parser("teacher", help="blend the labels with a teacher model's predictions (distillation)",
                       description="Replace the target column, and each head column the predictions carry, by "
                       "WEIGHT x prediction + (1 - WEIGHT) x label. The predictions come from "
                       "'python -m quality.evaluate --checkpoint TEACHER --list INPUT --out DIR'.")
    p.add_argument("input", help="input list (.list/.csv/.tsv)")
    p.add_argument("output", help="output list; format by extension")
    p.add_argument("--predictions", required=True, metavar="DIR",
                   help="quality.evaluate output folder (or its predictions.csv) for the input's files")
    p.add_argument("--weight", type=float, default=1.0, help="teacher's share, in (0, 1] (default: %(default)s)")
    p.add_argument("--target", help=target_help)
    p.add_argument("--relative", action="store_true", help="write every path relative to the output's folder")
    p.set_defaults(func=_cmd_teacher)
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
