#!/usr/bin/env python
"""Wall-clock speed of scoring a folder with ``predict_mos.py``, next to DNSMOS on the same files.

The question it answers is the one a user asks: how long does ``predict_mos.py FOLDER`` take,
process start-up (Python, torch, checkpoint loading) included? So every measurement is a
black-box timing of a whole command run as a subprocess:

- ``ours``: ``python predict_mos.py FOLDER --checkpoint M --backend torch --workers W --output tmp.csv
  --no-progress`` (PyTorch) (``--batch-size`` passed on only when given here), for every duration in
  ``--durations`` and every ``W`` in ``--workers``;
- ``ours (onnx)``, with ``--onnx``: the same command with ``--checkpoint M.onnx``, an ONNX export
  scored by onnxruntime without importing torch (the fastest start-up; what plain
  ``predict_mos.py FOLDER`` does with the shipped ``checkpoints/default.onnx``). ``--onnx FILE`` times that
  export; ``--onnx`` alone exports ``--checkpoint`` once (verified, untimed) into the temporary
  folder with ``python -m quality.export``. ``--no-torch`` leaves out the ``ours`` rows;
- ``dnsmos``: the same files scored one by one with ``speechmos.dnsmos.run(path, 16000)`` (the
  ONNX DNSMOS P.835 + P.808 models shipped with the ``speechmos`` package) in a fresh
  ``python benchmarks/scoring_speed.py --dnsmos-worker FOLDER --dnsmos-output tmp.csv`` process,
  which imports nothing but the standard library before speechmos. Workers 1 only: speechmos has
  no worker or batch option (its list mode uses a thread pool of a size it picks itself), and no
  process pool is added here. Skipped with a note when speechmos cannot be imported, or with
  ``--no-dnsmos``.

Audio: deterministic speech-like signals (``tests/synthetic.py``) with white noise at 5-30 dB SNR,
16 kHz mono 16-bit WAV, generated once into a temporary folder per duration before any timing.
By default each 3 s / 8 s folder holds about 10 minutes of audio and the 60 s folder 10 files.

Timing: ``time.perf_counter`` around ``subprocess.run``; the median of ``--repeats`` runs. Repeats
are the outer loop, so a drift in background load touches every configuration alike. One untimed
warm-up run per system on a one-file folder first (page cache, and a check that the command works).
``x real time`` = audio seconds / wall seconds, ``RTF`` = wall / audio, ``files/s`` = files / wall.

Threads: ``--threads`` lists thread settings; ``default`` passes the environment through unchanged,
a number ``N`` sets ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS`` to N for
both systems. The torch intra-op thread count a fresh process gets under each setting is probed
(untimed) and recorded. onnxruntime ignores ``OMP_NUM_THREADS``, so whenever the DNSMOS worker
sees ``OMP_NUM_THREADS=N`` (set here or already in the environment) it creates speechmos's ONNX
sessions with ``intra_op_num_threads=N``; with it unset onnxruntime picks its own (``ort auto``).
``predict_mos.py`` does the same for a ``.onnx`` checkpoint (``ours (onnx)``).

Checks: a run counts only if it exited 0 and its output has exactly one row per file, every path
of the folder, an empty ``error`` column and a finite score; otherwise the benchmark stops with the
command's stderr and reports no speed. Nothing asserts on a time.

Output: progress on stderr, a markdown table on stdout, one CSV row per configuration with
``--out`` (written atomically).

Example (on a quiet machine)::

    python benchmarks/scoring_speed.py --checkpoint checkpoints/default.pt --onnx \
        --out docs/benchmarks_scoring_speed.csv
"""
from __future__ import annotations

# Only the standard library at module level (common.py included): the --dnsmos-worker process is timed,
# start-up included.
import argparse
import csv
import importlib.util
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (REPO_ROOT, SAMPLE_RATE, generate_folder, load_average, log, markdown_table, positive_float,
                    positive_int, write_csv)

PREDICT_SCRIPT = REPO_ROOT / "predict_mos.py"
OURS, OURS_ONNX = "ours", "ours (onnx)"  # predict_mos.py with --checkpoint model.pt / model.onnx
EXPORT_ONNX = Path("<export --checkpoint>")  # --onnx without a file
FOLDER_SECONDS = 600.0  # default audio per short-file folder
LONG_FILE_SECONDS = 30.0  # durations from here on default to LONG_FILE_COUNT files
LONG_FILE_COUNT = 10
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

CSV_FIELDS = [
    "system", "duration_s", "workers", "threads", "compute_threads", "files", "audio_s",
    "wall_s", "wall_min_s", "wall_max_s", "repeats", "x_realtime", "rtf", "files_per_s",
    "batch_size", "checkpoint", "cpus", "load_avg_start", "command",
]


def thread_setting(text: str) -> str:
    if text == "default":
        return text
    positive_int(text)
    return str(int(text))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = p.add_argument
    add("--checkpoint", type=Path, help="model.pt scored by predict_mos.py (required)")
    add("--onnx", type=Path, nargs="?", const=EXPORT_ONNX, default=None, metavar="FILE",
        help="also time predict_mos.py with a .onnx checkpoint (torch-free): FILE, or without FILE an "
             "export of --checkpoint made once before timing (system 'ours (onnx)')")
    add("--no-torch", action="store_true", help="leave out the torch rows ('ours'; needs --onnx)")
    add("--durations", type=positive_float, nargs="+", default=[3.0, 8.0, 60.0],
        help="file lengths in seconds, one folder each (default: 3 8 60)")
    add("--files", type=positive_int, default=None,
        help=f"files per duration (default: about {FOLDER_SECONDS / 60:g} min of audio per folder, "
             f"{LONG_FILE_COUNT} files for durations of {LONG_FILE_SECONDS:g} s and more)")
    add("--workers", type=positive_int, nargs="+", default=[1, 2],
        help="predict_mos.py --workers values (default: 1 2)")
    add("--threads", type=thread_setting, nargs="+", default=["default", "1"],
        help="thread settings: 'default' (environment as is) and/or N for OMP_NUM_THREADS=N "
             "(default: default 1)")
    add("--batch-size", type=positive_int, default=None,
        help="predict_mos.py --batch-size (default: the CLI's own default)")
    add("--repeats", type=positive_int, default=3, help="timed runs per configuration (default: 3)")
    add("--seed", type=int, default=0, help="seed of the synthetic audio (default: 0)")
    add("--no-dnsmos", action="store_true", help="time only predict_mos.py")
    add("--keep", action="store_true", help="keep the generated audio and outputs (path printed)")
    add("--out", type=Path, default=None, help="write one CSV row per configuration here")
    # internal: the timed DNSMOS process
    add("--dnsmos-worker", metavar="FOLDER", help=argparse.SUPPRESS)
    add("--dnsmos-output", metavar="CSV", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.dnsmos_worker is not None:
        if args.dnsmos_output is None:
            p.error("--dnsmos-worker needs --dnsmos-output")
        return args
    if args.checkpoint is None:
        p.error("--checkpoint is required")
    if not args.checkpoint.is_file():
        p.error(f"--checkpoint {args.checkpoint}: no such file")
    args.checkpoint = args.checkpoint.resolve()
    if args.onnx not in (None, EXPORT_ONNX):
        if args.onnx.suffix.lower() != ".onnx" or not args.onnx.is_file():
            p.error(f"--onnx {args.onnx}: no such .onnx file")
        args.onnx = args.onnx.resolve()
    if args.no_torch and args.onnx is None:
        p.error("--no-torch needs --onnx (nothing left to time)")
    args.durations = list(dict.fromkeys(args.durations))
    args.workers = list(dict.fromkeys(args.workers))
    args.threads = list(dict.fromkeys(args.threads))
    env_omp = os.environ.get("OMP_NUM_THREADS")
    if "default" in args.threads and env_omp in args.threads:
        log(f"note: OMP_NUM_THREADS={env_omp} is already set, so --threads {env_omp} equals 'default'; "
            "measured once")
        args.threads.remove(env_omp)
    return args


# ----------------------------------------------------------------------------- DNSMOS worker


def dnsmos_worker(folder: str, output: str) -> int:
    """Score every WAV under ``folder`` with speechmos DNSMOS, one file at a time; write a CSV."""
    import onnxruntime as ort
    from speechmos import dnsmos

    threads = os.environ.get("OMP_NUM_THREADS", "")
    if threads.isdigit():  # onnxruntime has its own pool and ignores OMP_NUM_THREADS
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads)
        options.inter_op_num_threads = 1
        session = ort.InferenceSession
        dnsmos.ort.InferenceSession = lambda path, **kw: session(path, sess_options=options, **kw)
    paths = sorted(p for p in Path(folder).rglob("*.wav") if p.is_file())
    lines = ["path,ovrl_mos,sig_mos,bak_mos,p808_mos,error\n"]
    failed = 0
    for path in paths:
        try:
            r = dnsmos.run(str(path), SAMPLE_RATE)
            lines.append(f"{path},{r['ovrl_mos']:.4f},{r['sig_mos']:.4f},{r['bak_mos']:.4f},{r['p808_mos']:.4f},\n")
        except Exception as err:  # keep going, like predict_mos.py; the parent rejects the run
            failed += 1
            print(f"error: {path}: {err}", file=sys.stderr)
            lines.append(f"{path},,,,,{type(err).__name__}\n")
    tmp = f"{output}.tmp"
    Path(tmp).write_text("".join(lines))
    os.replace(tmp, output)
    return 2 if failed else 0


# ----------------------------------------------------------------------------- audio


def default_files(duration: float) -> int:
    if duration >= LONG_FILE_SECONDS:
        return LONG_FILE_COUNT
    return max(1, math.ceil(FOLDER_SECONDS / duration))


def audio_seconds(paths: list[Path]) -> float:
    import soundfile as sf

    return sum(sf.info(str(p)).frames for p in paths) / SAMPLE_RATE


# ----------------------------------------------------------------------------- running and checking


class RunFailed(RuntimeError):
    pass


def thread_env(setting: str) -> dict[str, str]:
    env = dict(os.environ)
    if setting != "default":
        env.update({var: setting for var in THREAD_VARS})
    return env


def thread_label(setting: str) -> str:
    if setting == "default":
        value = os.environ.get("OMP_NUM_THREADS")
        return "default" if value is None else f"OMP={value} (env)"
    return f"OMP={setting}"


def ort_threads(setting: str) -> str:
    """Intra-op threads of onnxruntime sessions (DNSMOS worker, .onnx checkpoints) under this setting."""
    omp = thread_env(setting).get("OMP_NUM_THREADS", "")
    return f"ort {int(omp)}" if omp.isdigit() else "ort auto"


def export_onnx(checkpoint: Path, output: Path) -> Path:
    """Export ``checkpoint`` (verified) with ``python -m quality.export``; untimed."""
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "quality.export", "--checkpoint", str(checkpoint), "--output",
                           str(output)], cwd=REPO_ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RunFailed(f"export of {checkpoint} failed:\n{proc.stderr.strip()}")
    log(f"exported {checkpoint.name} to {output} in {time.perf_counter() - start:.1f} s (untimed)")
    return output


def probe_torch_threads(setting: str) -> str:
    """Intra-op threads torch picks in a fresh process under this setting (untimed)."""
    code = "import torch; print(torch.get_num_threads())"
    proc = subprocess.run([sys.executable, "-c", code], env=thread_env(setting), capture_output=True, text=True)
    return f"torch {proc.stdout.strip()}" if proc.returncode == 0 else "torch ?"


def ours_command(folder: Path, output: Path, workers: int, args: argparse.Namespace, checkpoint: Path) -> list[str]:
    cmd = [sys.executable, str(PREDICT_SCRIPT), str(folder), "--checkpoint", str(checkpoint),
           "--workers", str(workers), "--output", str(output), "--no-progress"]
    if checkpoint.suffix.lower() != ".onnx":  # a verified .onnx beside a .pt would otherwise be used
        cmd += ["--backend", "torch"]
    if args.batch_size is not None:
        cmd += ["--batch-size", str(args.batch_size)]
    return cmd


def dnsmos_command(folder: Path, output: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--dnsmos-worker", str(folder),
            "--dnsmos-output", str(output)]


def check_output(output: Path, paths: list[Path], score_column: str, duration: float | None) -> None:
    """Raise RunFailed unless ``output`` has one good row per file of ``paths``."""
    if not output.is_file():
        raise RunFailed(f"{output}: not written")
    with open(output, newline="") as fh:
        rows = list(csv.DictReader(fh))
    if len(rows) != len(paths):
        raise RunFailed(f"{output}: {len(rows)} rows for {len(paths)} files")
    expected = {str(p.resolve()) for p in paths}
    got = {str(Path(r.get("path", "")).resolve()) for r in rows}
    if got != expected:
        raise RunFailed(f"{output}: {len(expected - got)} file(s) missing, {len(got - expected)} unexpected")
    for row in rows:
        if row.get("error"):
            raise RunFailed(f"{output}: {row['path']}: error {row['error']!r}")
        try:
            score = float(row[score_column])
        except (KeyError, TypeError, ValueError):
            raise RunFailed(f"{output}: {row.get('path')}: no {score_column} score") from None
        if not math.isfinite(score):
            raise RunFailed(f"{output}: {row['path']}: {score_column} = {score}")
        if duration is not None and abs(float(row.get("duration_s") or "nan") - duration) > 0.01:
            raise RunFailed(f"{output}: {row['path']}: duration_s {row.get('duration_s')} != {duration:g}")


def timed_run(cmd: list[str], env: dict[str, str], output: Path, paths: list[Path], score_column: str,
              duration: float | None) -> float:
    """Wall seconds of ``cmd``, after checking that it succeeded and scored every file."""
    output.unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-15:])
        raise RunFailed(f"exit status {proc.returncode}: {' '.join(cmd)}\n{tail}")
    check_output(output, paths, score_column, duration)
    return wall


def dnsmos_available() -> tuple[bool, str]:
    if importlib.util.find_spec("speechmos") is None:
        return False, "speechmos is not installed"
    proc = subprocess.run([sys.executable, "-c", "from speechmos import dnsmos"], capture_output=True, text=True)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        return False, f"speechmos does not import: {lines[-1] if lines else 'exit ' + str(proc.returncode)}"
    return True, ""


# ----------------------------------------------------------------------------- benchmark


def run(args: argparse.Namespace, work: Path) -> tuple[list[dict[str, Any]], list[str]]:
    notes: list[str] = []
    load_start = load_average()
    # audio, generated before anything is timed
    folders: dict[float, tuple[Path, list[Path], float]] = {}
    t0 = time.perf_counter()
    for duration in args.durations:
        count = args.files or default_files(duration)
        folder = work / "audio" / f"{duration:g}s"
        paths = generate_folder(folder, duration, count, args.seed)
        folders[duration] = (folder, paths, audio_seconds(paths))
    warm_folder = work / "audio_warmup"
    warm_paths = generate_folder(warm_folder, 3.0, 1, args.seed + 1)
    log(f"generated {sum(len(f[1]) for f in folders.values())} files "
        f"({sum(f[2] for f in folders.values()) / 60:.1f} min of audio) in {time.perf_counter() - t0:.1f} s "
        f"under {work}")
    outputs = work / "outputs"
    outputs.mkdir(parents=True, exist_ok=True)
    checkpoints = {} if args.no_torch else {OURS: args.checkpoint}
    if args.onnx is not None:
        checkpoints[OURS_ONNX] = (export_onnx(args.checkpoint, work / f"{args.checkpoint.stem}.onnx")
                                  if args.onnx == EXPORT_ONNX else args.onnx)

    use_dnsmos = not args.no_dnsmos
    if use_dnsmos:
        use_dnsmos, why = dnsmos_available()
        if not use_dnsmos:
            notes.append(f"DNSMOS skipped: {why}")
            log(f"note: DNSMOS skipped: {why}")
    else:
        notes.append("DNSMOS skipped (--no-dnsmos)")

    # configurations: (system, duration, workers, thread setting)
    configs: list[tuple[str, float, int, str]] = []
    for setting in args.threads:
        for duration in args.durations:
            configs += [(system, duration, w, setting) for system in checkpoints for w in args.workers]
            if use_dnsmos:
                configs.append(("dnsmos", duration, 1, setting))
    compute_threads = {}
    for setting in args.threads:
        torch_threads = probe_torch_threads(setting)
        compute_threads[(OURS, setting)] = torch_threads
        compute_threads[(OURS_ONNX, setting)] = compute_threads[("dnsmos", setting)] = ort_threads(setting)
        log(f"threads {thread_label(setting)}: {torch_threads} intra-op threads in a fresh process")

    def command(system: str, folder: Path, output: Path, workers: int) -> list[str]:
        if system in checkpoints:
            return ours_command(folder, output, workers, args, checkpoints[system])
        return dnsmos_command(folder, output)

    def score_column(system: str) -> str:
        return "mos" if system in checkpoints else "ovrl_mos"

    def file_tag(system: str) -> str:
        return {OURS: "ours", OURS_ONNX: "ours_onnx"}.get(system, system)

    # warm-up: one untimed one-file run per system (also checks that each command works at all)
    for system in [*checkpoints, "dnsmos"] if use_dnsmos else list(checkpoints):
        output = outputs / f"warmup_{file_tag(system)}.csv"
        wall = timed_run(command(system, warm_folder, output, 1), thread_env(args.threads[0]), output,
                         warm_paths, score_column(system), None)
        log(f"warm-up {system}: one 3 s file in {wall:.2f} s (untimed)")

    times: dict[tuple[str, float, int, str], list[float]] = {c: [] for c in configs}
    for rep in range(args.repeats):
        for config in configs:
            system, duration, workers, setting = config
            folder, paths, _ = folders[duration]
            output = outputs / f"{file_tag(system)}_{duration:g}s_w{workers}_t{setting}.csv"
            wall = timed_run(command(system, folder, output, workers), thread_env(setting), output, paths,
                             score_column(system), duration if system in checkpoints else None)
            times[config].append(wall)
            log(f"[{rep + 1}/{args.repeats}] {system:11s} {duration:g} s x {len(paths)} files, workers {workers}, "
                f"{thread_label(setting)}: {wall:.2f} s ({folders[duration][2] / wall:.0f}x real time)")

    rows = []
    for config in configs:
        system, duration, workers, setting = config
        folder, paths, seconds = folders[duration]
        walls = times[config]
        wall = statistics.median(walls)
        rows.append({
            "system": system,
            "duration_s": duration,
            "workers": workers,
            "threads": thread_label(setting),
            "compute_threads": compute_threads[(system, setting)],
            "files": len(paths),
            "audio_s": round(seconds, 3),
            "wall_s": round(wall, 4),
            "wall_min_s": round(min(walls), 4),
            "wall_max_s": round(max(walls), 4),
            "repeats": len(walls),
            "x_realtime": round(seconds / wall, 1),
            "rtf": round(wall / seconds, 6),
            "files_per_s": round(len(paths) / wall, 2),
            "batch_size": (args.batch_size or "cli default") if system in checkpoints else "",
            "checkpoint": (str(checkpoints[system]) if system in checkpoints
                           else "speechmos dnsmos (sig_bak_ovr + p808)"),
            "cpus": os.cpu_count(),
            "load_avg_start": load_start,
            "command": " ".join(command(system, Path("FOLDER"), Path("OUT.csv"), workers)),
        })
    return rows, notes


def format_markdown(rows: list[dict[str, Any]]) -> str:
    header = ["system", "duration", "workers", "threads", "files", "audio s", "wall s", "x real time", "RTF",
              "files/s"]
    lines = []
    for r in rows:
        lines.append([r["system"], f"{r['duration_s']:g} s", str(r["workers"]),
                      f"{r['threads']}; {r['compute_threads']}", str(r["files"]), f"{r['audio_s']:.0f}",
                      f"{r['wall_s']:.2f}", f"{r['x_realtime']:.{0 if r['x_realtime'] >= 10 else 1}f}x",
                      f"{r['rtf']:.4f}", f"{r['files_per_s']:.1f}"])
    return markdown_table(header, lines, "lrrlrrrrrr")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.dnsmos_worker is not None:
        return dnsmos_worker(args.dnsmos_worker, args.dnsmos_output)
    log(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load_average()}; "
        f"durations {[f'{d:g}' for d in args.durations]} s, workers {args.workers}, "
        f"threads {[thread_label(t) for t in args.threads]}, {args.repeats} repeat(s)")
    work = Path(tempfile.mkdtemp(prefix="scoring_speed_"))
    start = time.perf_counter()
    try:
        rows, notes = run(args, work)
    except RunFailed as err:
        log(f"error: a run failed, no speed reported:\n{err}")
        return 1
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    log(f"done in {time.perf_counter() - start:.0f} s; load average {load_average()}")
    if args.out is not None:
        write_csv(args.out, rows, CSV_FIELDS)
        log(f"wrote {args.out}")
    print(format_markdown(rows))
    for note in notes:
        print(f"\n{note}")
    for system in (OURS, OURS_ONNX):
        goal = [r for r in rows if r["system"] == system and r["duration_s"] == 8.0]
        if goal:
            best = max(goal, key=lambda r: r["x_realtime"])
            print(f"\n{system}, 8 s files, fastest configuration: {best['x_realtime']:.0f}x real time "
                  f"(workers {best['workers']}, {best['threads']}); goal: at least 200x, process start-up "
                  f"included (measured here, not asserted)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
