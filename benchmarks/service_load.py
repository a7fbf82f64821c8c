#!/usr/bin/env python
"""Latency and throughput of the scoring service (``python -m quality.serve``) under concurrent load.

The question it answers: with C clients each sending one recording after another to
``POST /v1/score``, how long does a request take (p50 / p99 latency) and how many requests per
second does the service answer? Measured at each concurrency in ``--levels`` (default 1, 4, 16).

Service: started here as ``python -m quality.serve --model M --host 127.0.0.1 --port <free>
--log-level warning [--server-arg ...]`` and stopped with SIGTERM at the end (its exit status is
reported); or an already running one given with ``--url`` (loopback addresses only:
127.0.0.1, ::1 or localhost). Nothing here talks to any other address.

Load: ``--requests`` requests per level (default 200), sent by C threads, each with its own
keep-alive ``http.client`` connection, taking the next request number until all are sent. Every
level is bounded in time too: when ``--level-timeout`` seconds have passed, no new request starts
(the ones in flight finish or hit ``--request-timeout``); the whole run stops after
``--timeout`` seconds. Before the first level, ``--warmup`` untimed requests (default 5).

Audio: one deterministic speech-like recording (``tests/synthetic.py``) of ``--seconds`` (default
3 s) at ``--sample-rate`` (default 16 kHz), white noise at 15 dB SNR, 16-bit WAV, sent raw with
``Content-Type: audio/wav``. Every request sends the same bytes.

Timing: ``time.perf_counter`` from just before the request is written until its response body
has been read, per request. Latency p50/p99: nearest-rank percentiles of the successful
requests. ``req/s``: successful requests / wall time of the level (first request sent to last
response read). ``x real time``: audio seconds scored per wall second. A request counts as
successful only with status 200 and a finite ``mos``; anything else is counted under ``errors``
(with the first error message kept). No assertions: the table is the output.

Output: progress on stderr, a markdown table on stdout, optionally ``--csv PATH``.
"""
from __future__ import annotations

import argparse
import csv
import http.client
import io
import ipaddress
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from common import REPO_ROOT, import_synthetic, log, markdown_table, positive_int

LOOPBACK_NAMES = {"localhost"}


def loopback_url(text: str) -> tuple[str, int]:
    """``(host, port)`` of an ``http://`` URL on a loopback address; ValueError otherwise."""
    parts = urlsplit(text)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"--url must look like http://127.0.0.1:8000, got {text!r}")
    host = parts.hostname
    if host not in LOOPBACK_NAMES:
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise ValueError
        except ValueError:
            raise ValueError(f"--url must name a loopback address (127.0.0.1, ::1, localhost), got {host!r}") from None
    return host, parts.port or 80


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_wav(seconds: float, sample_rate: int) -> bytes:
    import numpy as np
    import soundfile as sf

    synthetic = import_synthetic()
    rng = np.random.default_rng(0)
    buf = io.BytesIO()
    sf.write(buf, synthetic.add_noise(synthetic.speech_like(rng, seconds, sr=sample_rate), 15, rng), sample_rate,
             format="WAV", subtype="PCM_16")
    return buf.getvalue()


class Client:
    """One keep-alive connection; reconnects after a failure."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            response = self.conn.getresponse()
            return response.status, response.read()
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def score_once(client: Client, wav: bytes) -> str | None:
    """None for a good answer, else a short description of what went wrong."""
    try:
        status, data = client.call("POST", "/v1/score", wav, {"Content-Type": "audio/wav"})
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    if status != 200:
        return f"HTTP {status}: {data[:200]!r}"
    try:
        mos = json.loads(data)["mos"]
        if not (isinstance(mos, float) and math.isfinite(mos)):
            return f"bad mos {mos!r}"
    except Exception as err:
        return f"bad body ({err}): {data[:200]!r}"
    return None


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0-100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def run_level(host: str, port: int, wav: bytes, concurrency: int, requests: int, level_timeout: float,
              request_timeout: float, deadline: float) -> dict:
    """Send ``requests`` requests from ``concurrency`` threads; latency and throughput."""
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = min(deadline, time.monotonic() + level_timeout)

    def worker() -> None:
        client = Client(host, port, request_timeout)
        try:
            while True:
                with lock:
                    if next_index[0] >= requests or time.monotonic() >= stop_at:
                        return
                    next_index[0] += 1
                start = time.perf_counter()
                problem = score_once(client, wav)
                elapsed = time.perf_counter() - start
                with lock:
                    (errors.append(problem) if problem else latencies.append(elapsed))
        finally:
            client.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, stop_at - time.monotonic()) + request_timeout + 5)
    wall = time.perf_counter() - t0
    ok = len(latencies)
    return {
        "concurrency": concurrency,
        "sent": next_index[0],
        "ok": ok,
        "errors": len(errors),
        "p50_ms": 1000 * percentile(latencies, 50) if ok else float("nan"),
        "p99_ms": 1000 * percentile(latencies, 99) if ok else float("nan"),
        "req_per_s": ok / wall if wall > 0 else float("nan"),
        "wall_s": wall,
        "first_error": errors[0] if errors else "",
        "hung_threads": sum(t.is_alive() for t in threads),
    }


def start_service(args: argparse.Namespace, log_path: Path) -> tuple[subprocess.Popen, str, int]:
    port = free_port()
    cmd = [sys.executable, "-m", "quality.serve", "--model", str(args.model), "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning", *args.server_arg]
    log("starting: " + " ".join(cmd))
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT,
                                env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    client = Client("127.0.0.1", port, 2.0)
    deadline = time.monotonic() + args.startup_timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"service exited with {proc.returncode}:\n{log_path.read_text()}")
            try:
                if client.call("GET", "/health")[0] == 200:
                    return proc, "127.0.0.1", port
            except OSError:
                pass
            time.sleep(0.2)
    finally:
        client.close()
    stop_service(proc)
    raise RuntimeError(f"service did not answer /health within {args.startup_timeout} s:\n{log_path.read_text()}")


def stop_service(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def markdown(rows: list[dict]) -> str:
    header = ["concurrency", "requests ok", "errors", "p50 ms", "p99 ms", "req/s", "x real time"]
    lines = [[str(r["concurrency"]), str(r["ok"]), str(r["errors"]), f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}",
              f"{r['req_per_s']:.2f}", f"{r['x_real_time']:.1f}"] for r in rows]
    return markdown_table(header, lines, "r" * len(header)) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--model", type=Path, help="model.pt or model.onnx: start the service with it")
    target.add_argument("--url", help="an already running service on loopback, e.g. http://127.0.0.1:8000")
    p.add_argument("--server-arg", action="append", default=[], metavar="ARG",
                   help="extra argument for quality.serve (repeat: --server-arg=--threads --server-arg=2)")
    p.add_argument("--levels", default="1,4,16", help="concurrency levels, comma-separated (default 1,4,16)")
    p.add_argument("--requests", type=positive_int, default=200, help="requests per level (default 200)")
    p.add_argument("--warmup", type=int, default=5, help="untimed requests before the first level (default 5)")
    p.add_argument("--seconds", type=float, default=3.0, help="audio length per request in seconds (default 3)")
    p.add_argument("--sample-rate", type=positive_int, default=16000, help="audio sample rate (default 16000)")
    p.add_argument("--level-timeout", type=float, default=120.0, help="no new requests after this long per level (s)")
    p.add_argument("--request-timeout", type=float, default=60.0, help="socket timeout of one request (s)")
    p.add_argument("--timeout", type=float, default=600.0, help="overall limit for all levels (s)")
    p.add_argument("--startup-timeout", type=float, default=120.0, help="wait this long for /health (s)")
    p.add_argument("--csv", type=Path, help="also write the rows as CSV here")
    args = p.parse_args(argv)
    try:
        args.levels = [int(x) for x in args.levels.split(",") if x.strip()]
        if not args.levels or min(args.levels) < 1 or max(args.levels) > 256:
            raise ValueError
    except ValueError:
        p.error(f"--levels must be comma-separated integers 1-256, got {args.levels!r}")
    if args.url:
        try:
            loopback_url(args.url)
        except ValueError as err:
            p.error(str(err))
    if not args.seconds > 0:
        p.error("--seconds must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    overall = time.monotonic() + args.timeout
    wav = make_wav(args.seconds, args.sample_rate)
    proc = None
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "serve.log"
        try:
            if args.url:
                host, port = loopback_url(args.url)
            else:
                proc, host, port = start_service(args, log_path)
            client = Client(host, port, args.request_timeout)
            try:
                status, data = client.call("GET", "/v1/model")
                info = json.loads(data) if status == 200 else {}
                for _ in range(max(0, args.warmup)):
                    problem = score_once(client, wav)
                    if problem:
                        raise RuntimeError(f"warm-up request failed: {problem}")
            finally:
                client.close()
            rows = []
            for level in args.levels:
                if time.monotonic() >= overall:
                    log(f"overall --timeout reached; skipping concurrency {level}")
                    break
                row = run_level(host, port, wav, level, args.requests, args.level_timeout, args.request_timeout,
                                overall)
                row["x_real_time"] = row["req_per_s"] * args.seconds
                rows.append(row)
                log(f"concurrency {level}: {row['ok']} ok, {row['errors']} errors, p50 {row['p50_ms']:.1f} ms, "
                    f"p99 {row['p99_ms']:.1f} ms, {row['req_per_s']:.2f} req/s"
                    + (f"; first error: {row['first_error']}" if row["errors"] else ""))
        finally:
            if proc is not None:
                code = stop_service(proc)
                log(f"service stopped with SIGTERM, exit status {code}")
                if code != 0:
                    log(log_path.read_text()[-3000:])
    print(f"model: {info.get('name', '?')} ({info.get('backend', '?')}, heads {info.get('heads', '?')}); "
          f"audio: {args.seconds:g} s at {args.sample_rate} Hz, {len(wav)} bytes WAV per request; "
          f"{args.requests} requests per level; server args: {' '.join(args.server_arg) or '(defaults)'}\n")
    sys.stdout.write(markdown(rows))
    if args.csv:
        fields = ["concurrency", "sent", "ok", "errors", "p50_ms", "p99_ms", "req_per_s", "x_real_time", "wall_s",
                  "hung_threads", "first_error"]
        with open(args.csv, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
