#!/usr/bin/env python
"""ONNX export of a quality model: file size, and scoring speed with onnxruntime next to PyTorch.

For one model (``--checkpoint model.pt``, or ``--model NAME`` for a freshly initialised model of
that family with its default config; speed does not depend on the weights):

1. export to ONNX in a temporary folder with :func:`quality.export.export_onnx` (verified against
   PyTorch as always) and report the export time, the file size and the largest difference the
   verification measured;
2. score generated files (deterministic speech-like signals with noise, ``tests/synthetic.py``,
   16 kHz mono WAV) of each ``--durations`` with a :class:`~quality.predict.Predictor` per backend
   (``predict_many``, one decoding worker, ``--batch-size``), for every ``--threads`` setting:
   ``torch.set_num_threads(N)`` for PyTorch, ``intra_op_num_threads=N`` for onnxruntime.

Timing: ``time.perf_counter`` around ``predict_many`` over the whole folder, in process (no start-up,
checkpoint loading or export), decoding included and the same for both backends; one untimed
warm-up pass per configuration, then the median of ``--repeats`` passes; repeats are the outer loop.
``files/s`` = files / wall, ``RTF`` = wall / audio seconds, ``x real time`` = its inverse. The
``max diff`` column is the largest difference of an onnxruntime score from PyTorch's on the same
files (a check, not a speed). Nothing asserts on a time.

Output: progress on stderr, a markdown table on stdout.

Example (on a quiet machine)::

    python benchmarks/onnx_speed.py --checkpoint checkpoints/default.pt
    python benchmarks/onnx_speed.py --model hasanet --durations 3 8 --threads 1 2
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import REPO_ROOT, generate_folder, load_average, log, markdown_table


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--checkpoint", type=Path, help="model.pt to export and time")
    which.add_argument("--model", help="model family to build with its default config (random weights)")
    p.add_argument("--durations", type=float, nargs="+", default=[3.0, 8.0], help="file lengths in s (default: 3 8)")
    p.add_argument("--files", type=int, default=None,
                   help="files per duration (default: about 2 minutes of audio per duration)")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts (default: 1 2)")
    p.add_argument("--batch-size", type=int, default=8, help="Predictor batch size (default 8)")
    p.add_argument("--repeats", type=int, default=3, help="timed passes per configuration (default 3)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated audio (default 0)")
    args = p.parse_args(argv)
    if args.checkpoint is not None and not args.checkpoint.is_file():
        p.error(f"--checkpoint {args.checkpoint}: no such file")
    if min(args.durations) <= 0 or min(args.threads) < 1 or args.batch_size < 1 or args.repeats < 1:
        p.error("durations must be positive; threads, batch size and repeats at least 1")
    if args.files is not None and args.files < 1:
        p.error("--files must be at least 1")
    return args


def timed_pass(predictor, paths: list[Path]) -> tuple[float, dict[str, float]]:
    """Wall seconds of scoring ``paths``, and each file's score."""
    start = time.perf_counter()
    scores = {}
    for path, preds in predictor.predict_many(paths, workers=1):
        if isinstance(preds, Exception):
            raise RuntimeError(f"{path}: {preds}")
        scores[path] = preds[0].mos
    return time.perf_counter() - start, scores


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(REPO_ROOT))
    import torch

    from quality import build_model, load_model
    from quality.export import export_onnx, read_metadata
    from quality.onnx_backend import OnnxBackend
    from quality.predict import Predictor

    if args.checkpoint is not None:
        model, metadata = load_model(args.checkpoint)
        label = str(args.checkpoint)
    else:
        torch.manual_seed(0)
        model, metadata, label = build_model(args.model).eval(), {}, f"{args.model} (default config, random weights)"
    log(f"{os.cpu_count()} CPUs, load average {load_average()}; model {label}")
    with tempfile.TemporaryDirectory(prefix="onnx_speed_") as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        onnx_path = export_onnx(model, work / "model.onnx", metadata, threads=max(args.threads))
        export_s = time.perf_counter() - start
        meta = read_metadata(onnx_path)
        size_mb = onnx_path.stat().st_size / 1e6
        params = sum(p.numel() for p in model.parameters())
        log(f"exported in {export_s:.1f} s (verification included): {size_mb:.2f} MB, "
            f"max |diff| {meta['verification']['max_abs_diff']:.2e}")

        folders = {}
        for duration in args.durations:
            count = args.files or max(1, round(120 / duration))
            folders[duration] = generate_folder(work / f"{duration:g}s", duration, count, args.seed)
        torch_threads = torch.get_num_threads()
        configs = [(backend, duration, n) for n in args.threads for duration in args.durations
                   for backend in ("torch", "onnx")]
        predictors = {}
        for backend, duration, n in configs:
            if (backend, n) not in predictors:
                scorer = model if backend == "torch" else OnnxBackend(onnx_path, threads=n)
                predictors[backend, n] = Predictor(scorer, metadata, batch_size=args.batch_size)

        def run(config) -> tuple[float, dict[str, float]]:
            backend, duration, n = config
            if backend == "torch":
                torch.set_num_threads(n)
            try:
                return timed_pass(predictors[backend, n], folders[duration])
            finally:
                torch.set_num_threads(torch_threads)

        scores = {config: run(config)[1] for config in configs}  # warm-up, untimed
        walls: dict[tuple, list[float]] = {config: [] for config in configs}
        for rep in range(args.repeats):
            for config in configs:
                wall, _ = run(config)
                walls[config].append(wall)
                log(f"[{rep + 1}/{args.repeats}] {config[0]:5s} {config[1]:g} s x {len(folders[config[1]])}, "
                    f"{config[2]} thread(s): {wall:.2f} s")

    header = ["backend", "duration", "threads", "files", "wall s", "files/s", "RTF", "x real time", "speed-up",
              "max diff"]
    lines = []
    for backend, duration, n in configs:
        files = folders[duration]
        wall = statistics.median(walls[backend, duration, n])
        ref = statistics.median(walls["torch", duration, n])
        diff = max(abs(scores[backend, duration, n][p] - scores["torch", duration, n][p])
                   for p in scores["torch", duration, n])
        audio = duration * len(files)
        lines.append([backend, f"{duration:g} s", str(n), str(len(files)), f"{wall:.2f}", f"{len(files) / wall:.1f}",
                      f"{wall / audio:.4f}", f"{audio / wall:.0f}x", f"{ref / wall:.2f}x", f"{diff:.1e}"])
    print(f"Model: {label}, {params / 1e6:.2f} M parameters. ONNX export: {size_mb:.2f} MB, "
          f"{export_s:.1f} s with verification (max |diff| {meta['verification']['max_abs_diff']:.1e}). "
          f"Batch size {args.batch_size}, median of {args.repeats}.\n")
    print(markdown_table(header, lines, "l" + "r" * (len(header) - 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
