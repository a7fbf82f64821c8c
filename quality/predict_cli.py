"""``predict-mos`` / ``predict_mos.py``: score files, folders and list files with a quality model.

Exit status: 0 when every file was scored, 2 when any file failed (each failure gets one line on
stderr and a row with its ``error``), 1 for usage errors (bad option, missing checkpoint).
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
import warnings
from pathlib import Path
from typing import Any

from .audio import AUDIO_EXTENSIONS, SilentAudioWarning
from .fileio import atomic_write

LIST_EXTENSIONS = {".list", ".csv", ".tsv", ".txt"}
PROGRESS_MIN_FILES = 5
DEGRADATION_THRESHOLD = 0.5


def expand_inputs(inputs: list[str]) -> list[Path]:
    """Files as given, folders searched recursively for audio extensions, list files read."""
    paths: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix.lower() in AUDIO_EXTENSIONS and p.is_file())
            if not found:
                raise ValueError(f"{path}: folder holds no audio files ({', '.join(sorted(AUDIO_EXTENSIONS))})")
            paths.extend(found)
        elif path.suffix.lower() in LIST_EXTENSIONS and path.is_file():
            from .lists import read_list  # pandas: imported only when a list file is given

            paths.extend(Path(p) for p in read_list(path)["path"])
        else:
            paths.append(path)  # a missing or bad file is reported per file, not as a usage error
    return paths


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="predict-mos",
        description="Predict speech quality (MOS 1-5) from recordings alone, no reference needed.",
        epilog="Exit status: 0 all scored, 2 some files failed (see stderr and the error column), 1 usage error.",
    )
    p.add_argument("inputs", nargs="+", metavar="PATH", help="audio files, folders (recursive) or list files")
    p.add_argument("--checkpoint", help="model.pt or .onnx export to use (default: the shipped checkpoints/default.pt)")
    p.add_argument("--backend", choices=["torch", "onnx"],
                   help="score with PyTorch or onnxruntime (default: onnx for a .onnx file, else torch; "
                        "onnx with a model.pt exports it once, verified, to a cache)")
    p.add_argument("--format", choices=["table", "csv", "json"],
                   help="output format (default: table on a terminal, else csv)")
    p.add_argument("--output", help="write results to this file (atomically) instead of stdout")
    p.add_argument("--channels", choices=["mix", "each"], default="mix",
                   help="mix channels to mono (default) or score each channel")
    p.add_argument("--frames", metavar="DIR", help="write per-frame scores (CSV) and a timeline plot (PNG) per file")
    p.add_argument("--degradations", nargs="?", type=float, const=DEGRADATION_THRESHOLD, metavar="P",
                   help="add a 'degradations' column: the degradation types the model's classifier finds with "
                        f"probability >= P (default {DEGRADATION_THRESHOLD:g}), most likely first; needs a model "
                        "with a classifier, as the shipped one")
    p.add_argument("--batch-size", type=int, default=8, help="windows scored together (default 8)")
    p.add_argument("--workers", type=int, default=2, help="threads decoding audio (default 2)")
    p.add_argument("--window", type=float, default=20.0, help="longest window in seconds for long files (default 20)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return p


def format_rows(rows: list[dict[str, Any]], columns: list[str], fmt: str) -> str:
    """Render result rows as an aligned table, CSV or JSON."""
    if fmt == "json":
        clean = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in rows]
        return json.dumps(clean, indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()})
        return buf.getvalue()
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip() for r in cells]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def write_frames(folder: Path, prediction, index: int) -> None:
    """Per-frame scores as CSV plus a PNG timeline, named after the file (and channel)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    stem = f"{index:04d}_{Path(prediction.source).stem}"
    if prediction.channel is not None:
        stem += f"_ch{prediction.channel}"
    times = np.arange(len(prediction.frames)) * prediction.frame_seconds
    text = "time_s,score\n" + "".join(f"{t:.4f},{s:.4f}\n" for t, s in zip(times, prediction.frames))
    atomic_write(folder / f"{stem}.csv", lambda tmp: Path(tmp).write_text(text))
    fig, ax = plt.subplots(figsize=(8, 2.5), dpi=100)
    ax.plot(times, prediction.frames, lw=1)
    ax.axhline(prediction.mos, color="grey", ls="--", lw=1, label=f"utterance {prediction.mos:.2f}")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frame score")
    ax.set_title(Path(prediction.source).name, fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    atomic_write(folder / f"{stem}.png", lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .errors import CheckpointError
    from .predict import load_predictor  # imports torch only for a model scored with torch

    try:
        if args.batch_size < 1 or args.workers < 1:
            raise ValueError("--batch-size and --workers must be at least 1")
        if args.degradations is not None and not 0.0 <= args.degradations <= 1.0:
            raise ValueError(f"--degradations takes a probability in [0, 1], got {args.degradations:g}")
        predictor = load_predictor(args.checkpoint, args.backend, batch_size=args.batch_size,
                                   window_seconds=args.window)
        if args.degradations is not None and not predictor.degradation_names:
            raise ValueError(f"--degradations: model {predictor.name!r} has no degradation classifier")
        paths = expand_inputs(args.inputs)
    except (ValueError, CheckpointError, ImportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except RuntimeError as err:
        from .export import ExportError  # raised only by an export, which has imported it already

        if not isinstance(err, ExportError):
            raise
        print(f"error: {err}", file=sys.stderr)
        return 1
    fmt = args.format or ("table" if sys.stdout.isatty() and not args.output else "csv")
    heads = predictor.head_names
    extra = ["degradations"] if args.degradations is not None else []
    columns = ["path", *(["channel"] if args.channels == "each" else []), *heads, *extra, "duration_s", "error"]
    progress = None
    if len(paths) > PROGRESS_MIN_FILES and not args.no_progress:
        from tqdm import tqdm

        progress = tqdm(total=len(paths), unit="file", file=sys.stderr, desc="scoring")
    rows: list[dict[str, Any]] = []
    failed = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SilentAudioWarning)
        for index, (path, result) in enumerate(predictor.predict_many(paths, channels=args.channels,
                                                                       workers=args.workers)):
            if progress:
                progress.update(1)
            if isinstance(result, Exception):
                failed += 1
                print(f"error: {result}", file=sys.stderr)
                rows.append({"path": path, **{h: float("nan") for h in heads}, **dict.fromkeys(extra, ""),
                             "duration_s": float("nan"), "error": str(result)})
                continue
            for pred in result:
                row = {"path": path, **({"channel": pred.channel} if args.channels == "each" else {}),
                       **{h: round(pred.heads[h], 4) for h in heads},
                       **({"degradations": " ".join(f"{name}:{p:.2f}" for name, p in
                                                    pred.likely_degradations(args.degradations).items())}
                          if extra else {}),
                       "duration_s": round(pred.duration_s, 3), "error": ""}
                rows.append(row)
                if args.frames:
                    write_frames(Path(args.frames), pred, index)
    if progress:
        progress.close()
    text = format_rows(rows, columns, fmt)
    if args.output:
        atomic_write(args.output, lambda tmp: Path(tmp).write_text(text))
    else:
        sys.stdout.write(text)
    return 2 if failed else 0
