"""The scoring service through a real ``python -m quality.serve`` process on a loopback port."""
import http.client
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from quality import build_model, load_predictor, save_model
from quality.serve import main as serve_main
from synthetic import add_noise, speech_like

pytestmark = pytest.mark.timeout(300)

REPO = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
MAX_BYTES = 400_000
MAX_SECONDS = 8.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body=None, headers=None, timeout: float = 60.0):
    """``(status, parsed JSON or text)`` of one request on a fresh loopback connection."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})  # an iterator body is sent chunked
        response = conn.getresponse()
        data = response.read()
        kind = response.getheader("content-type", "")
        return response.status, json.loads(data) if kind.startswith("application/json") else data.decode()
    finally:
        conn.close()


def multipart(parts: list[tuple[str, str, bytes, str]]) -> tuple[bytes, dict]:
    """A multipart/form-data body from ``(field, filename, data, content type)`` parts."""
    boundary = uuid.uuid4().hex
    chunks = []
    for field, filename, data, kind in parts:
        chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                      f"Content-Type: {kind}\r\n\r\n".encode() + data + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


class Server:
    """``python -m quality.serve`` on a free loopback port; output goes to a log file."""

    def __init__(self, model: Path, log: Path, *args: str) -> None:
        self.port = free_port()
        self.log = log
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "quality.serve", "--model", str(model), "--port", str(self.port),
                 "--log-level", "warning", *args],
                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{log.read_text()}")
            try:
                if request(self.port, "GET", "/health", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not come up:\n{log.read_text()}")

    def __call__(self, method: str, path: str, body=None, headers=None, timeout: float = 60.0):
        return request(self.port, method, path, body, headers, timeout)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    model = build_model("cnn_mattn", channels=32, prepare_layers=2, blocks=1, heads={"stoi": [0, 1]},
                        conditions=["noise", "reverb"])
    return save_model(tmp_path_factory.mktemp("model") / "model.pt", model, {"target": "score", "nan": float("nan")})


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("audio")
    rng = np.random.default_rng(0)
    out = {}

    def write(name, audio, sr, **kw):
        out[name] = root / name
        sf.write(out[name], audio, sr, **kw)

    write("a.wav", add_noise(speech_like(rng, 2.0), 10, rng), 16000)
    write("b.flac", add_noise(speech_like(rng, 1.5, sr=8000), 20, rng), 8000)
    write("c.ogg", add_noise(speech_like(rng, 1.0, sr=48000), 5, rng), 48000)
    x44 = add_noise(speech_like(rng, 2.0, sr=44100), 15, rng)
    write("stereo44k.wav", np.stack([x44, 0.5 * x44], axis=1), 44100)
    write("d.wav", add_noise(speech_like(rng, 3.0), 25, rng), 16000)
    write("short.wav", speech_like(rng, 0.1), 16000)
    nan = speech_like(rng, 1.0)
    nan[100] = np.nan
    write("nan.wav", nan, 16000, subtype="FLOAT")
    write("long8k.flac", speech_like(rng, MAX_SECONDS + 2, sr=8000), 8000)  # small file, too long
    write("big.wav", speech_like(rng, 5.0, sr=48000), 48000, subtype="FLOAT")  # short enough, too many bytes
    write("window.wav", add_noise(speech_like(rng, 20.0), 10, rng), 16000)
    (root / "corrupt.wav").write_bytes(b"RIFF....WAVEjunk" * 20)
    out["corrupt.wav"] = root / "corrupt.wav"
    return out


@pytest.fixture(scope="module")
def expected(model_file, files) -> dict[str, object]:
    predictor = load_predictor(model_file)
    return {name: predictor.predict(files[name]) for name in ["a.wav", "b.flac", "c.ogg", "stereo44k.wav", "d.wav"]}


@pytest.fixture(scope="module")
def server(model_file, tmp_path_factory):
    srv = Server(model_file, tmp_path_factory.mktemp("log") / "serve.log", "--max-bytes", str(MAX_BYTES),
                 "--max-seconds", str(MAX_SECONDS), "--max-files", "5", "--concurrency", "2")
    try:
        yield srv
    finally:
        srv.stop()


def assert_matches(result: dict, prediction, sample_rate: int, channels: int = 1) -> None:
    assert result["mos"] == pytest.approx(prediction.mos, abs=1e-4)
    assert result["stoi"] == pytest.approx(prediction.heads["stoi"], abs=1e-4)
    assert result["duration_s"] == pytest.approx(prediction.duration_s, abs=1e-3)
    assert result["sample_rate"] == sample_rate and result["channels"] == channels
    assert result["model"] == "model" and result["warnings"] == []
    assert result["degradations"] == pytest.approx(prediction.degradations, abs=1e-4)
    assert list(result["degradations"]) == ["noise", "reverb"]


def test_health_model_metadata_and_docs(server):
    assert server("GET", "/health") == (200, {"status": "ok", "model": "model", "busy": 0, "waiting": 0})
    status, info = server("GET", "/v1/model")
    assert status == 200
    assert info["heads"] == ["mos", "stoi"] and info["sample_rate"] == 16000 and info["frame_seconds"] > 0
    assert info["degradations"] == ["noise", "reverb"]
    assert info["metadata"] == {"target": "score", "nan": None}  # NaN is not JSON: null
    assert info["limits"]["max_bytes"] == MAX_BYTES and info["limits"]["max_seconds"] == MAX_SECONDS
    status, page = server("GET", "/docs")
    assert status == 200 and "swagger" in page.lower()
    status, schema = server("GET", "/openapi.json")
    assert {"/v1/score", "/v1/score/batch", "/health", "/v1/model"} <= set(schema["paths"])
    assert "multipart/form-data" in schema["paths"]["/v1/score"]["post"]["requestBody"]["content"]


def test_score_raw_and_multipart_uploads(server, files, expected):
    status, result = server("POST", "/v1/score", files["a.wav"].read_bytes(), {"Content-Type": "audio/wav"})
    assert status == 200
    assert_matches(result, expected["a.wav"], 16000)
    assert "frames" not in result
    body, headers = multipart([("file", "b.flac", files["b.flac"].read_bytes(), "audio/flac")])
    status, result = server("POST", "/v1/score?frames=true", body, headers)
    assert status == 200
    assert_matches(result, expected["b.flac"], 8000)
    assert result["frames"] == pytest.approx(expected["b.flac"].frames.tolist(), abs=1e-3)
    assert result["frame_seconds"] == pytest.approx(expected["b.flac"].frame_seconds)
    octet = {"Content-Type": "application/octet-stream"}
    status, result = server("POST", "/v1/score", files["c.ogg"].read_bytes(), octet)
    assert status == 200
    assert_matches(result, expected["c.ogg"], 48000)
    data = files["stereo44k.wav"].read_bytes()
    chunks = iter([data[i:i + 50_000] for i in range(0, len(data), 50_000)])
    status, result = server("POST", "/v1/score", chunks, {"Content-Type": "audio/x-wav"})  # chunked upload
    assert status == 200
    assert_matches(result, expected["stereo44k.wav"], 44100, channels=2)


@pytest.mark.parametrize("case, status, message", [
    ("empty", 400, "empty upload"),
    ("corrupt.wav", 400, "cannot decode audio"),
    ("short.wav", 400, "too short"),
    ("nan.wav", 400, "NaN"),
    ("no file field", 400, "no file upload in a field named 'file'"),
    ("bad multipart", 400, "malformed multipart"),
    ("bad query", 400, "frames"),
    ("big.wav", 413, "the limit is 400000"),
    ("big.wav chunked", 413, "exceeds the limit of 400000"),
    ("long8k.flac", 413, "accepts at most 8 s"),
    ("too many files", 413, "at most 5 per request"),
    ("text/plain", 415, "unsupported content type 'text/plain'"),
    ("text part", 415, "unsupported content type 'text/plain'"),
    ("no content type", 415, "application/x-www-form-urlencoded"),
    ("batch raw", 415, "send multipart/form-data"),
])
def test_errors_are_json_with_a_message(server, files, case, status, message):
    path, wav = "/v1/score", {"Content-Type": "audio/wav"}
    name = case.split()[0]
    data = files[name].read_bytes() if name in files else files["a.wav"].read_bytes()
    body, headers = data, wav
    if case == "empty":
        body = b""
    elif case == "no file field":
        body, headers = multipart([("upload", "a.wav", data, "audio/wav")])
    elif case == "bad multipart":
        headers = {"Content-Type": "multipart/form-data; boundary=xyz"}
    elif case == "bad query":
        path = "/v1/score?frames=maybe"
    elif case == "big.wav chunked":
        body = iter([data[i:i + 65536] for i in range(0, len(data), 65536)])
    elif case == "text/plain":
        headers = {"Content-Type": "text/plain"}
    elif case == "text part":
        body, headers = multipart([("file", "a.txt", data, "text/plain")])
    elif case == "no content type":
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    elif case == "too many files":
        path = "/v1/score/batch"
        body, headers = multipart([("files", f"{i}.wav", data, "audio/wav") for i in range(6)])
    elif case == "batch raw":
        path = "/v1/score/batch"
    got_status, result = server("POST", path, body, headers)
    assert got_status == status, result
    assert result["status"] == status and message in result["error"]
    assert server("GET", "/health")[0] == 200


def test_unknown_route_and_method_are_json(server):
    assert server("GET", "/nowhere") == (404, {"error": "Not Found", "status": 404})
    assert server("GET", "/v1/score") == (405, {"error": "Method Not Allowed", "status": 405})


def test_batch_with_bad_files(server, files, expected):
    parts = [("files", name, files[name].read_bytes(), kind) for name, kind in [
        ("a.wav", "audio/wav"), ("corrupt.wav", "audio/wav"), ("b.flac", "audio/flac"), ("long8k.flac", "audio/flac")]]
    body, headers = multipart([*parts, ("files", "notes.txt", b"not audio", "text/plain")])
    status, result = server("POST", "/v1/score/batch", body, headers)
    assert status == 200
    assert result["scored"] == 2 and result["failed"] == 3 and result["model"] == "model"
    rows = result["results"]
    assert [r["file"] for r in rows] == ["a.wav", "corrupt.wav", "b.flac", "long8k.flac", "notes.txt"]
    assert_matches(rows[0], expected["a.wav"], 16000)
    assert_matches(rows[2], expected["b.flac"], 8000)
    assert [r.get("status") for r in rows] == [None, 400, None, 413, 415]
    assert "cannot decode" in rows[1]["error"] and "mos" not in rows[1]
    empty_body, headers = multipart([])
    assert server("POST", "/v1/score/batch", empty_body, headers)[0] == 400


def test_50_concurrent_requests_all_answered_correctly(server, files, expected):
    names = ["a.wav", "b.flac", "c.ogg", "stereo44k.wav", "d.wav"]
    payloads = {n: files[n].read_bytes() for n in names}

    def one(i: int):
        name = names[i % len(names)]
        return name, server("POST", "/v1/score", payloads[name], {"Content-Type": "audio/wav"}, timeout=120)

    health: list[int] = []
    stop = threading.Event()

    def poll_health():
        while not stop.is_set() and len(health) < 200:
            health.append(server("GET", "/health", timeout=30)[0])
            time.sleep(0.05)

    poller = threading.Thread(target=poll_health)
    poller.start()
    try:
        with ThreadPoolExecutor(max_workers=50) as pool:
            answers = list(pool.map(one, range(50)))
    finally:
        stop.set()
        poller.join(timeout=60)
    assert len(answers) == 50
    for name, (status, result) in answers:
        assert status == 200, result
        assert result["mos"] == pytest.approx(expected[name].mos, abs=1e-4)
        assert result["stoi"] == pytest.approx(expected[name].heads["stoi"], abs=1e-4)
    assert health and set(health) == {200}  # the event loop kept answering while scoring


def test_sigterm_finishes_requests_in_flight_and_exits_0(model_file, files, tmp_path):
    srv = Server(model_file, tmp_path / "serve.log", "--concurrency", "1")
    try:
        data = files["window.wav"].read_bytes()
        body, headers = multipart([("files", f"w{i}.wav", data, "audio/wav") for i in range(6)])
        answer: list = []
        client = threading.Thread(target=lambda: answer.append(srv("POST", "/v1/score/batch", body, headers, 120)))
        client.start()
        deadline = time.monotonic() + 60
        while not answer and time.monotonic() < deadline and srv("GET", "/health")[1]["busy"] == 0:
            time.sleep(0.01)
        assert not answer, "the batch was scored before SIGTERM could be sent while it was in flight"
        srv.proc.send_signal(signal.SIGTERM)
        client.join(timeout=120)
        assert answer and answer[0][0] == 200 and answer[0][1]["scored"] == 6  # finished, not dropped
        assert srv.proc.wait(timeout=20) == 0
    finally:
        srv.stop()
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def test_usage_errors_exit_1(tmp_path, capsys):
    assert serve_main(["--model", str(tmp_path / "missing.pt")]) == 1
    assert "missing.pt: no such checkpoint" in capsys.readouterr().err
    assert serve_main(["--model", str(tmp_path / "missing.pt"), "--max-bytes", "0"]) == 1
    assert "--max-bytes must be at least 1" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("quality.export") is None, reason="quality.export (ONNX) not available")
def test_onnx_model_serves_the_same_scores(model_file, files, expected, tmp_path):
    from quality import load_model
    from quality.export import export_onnx

    model, _ = load_model(model_file)
    onnx_file = tmp_path / "model.onnx"
    export_onnx(model, onnx_file, verify=False)  # checked here against the .pt scores instead
    srv = Server(onnx_file, tmp_path / "serve.log", "--threads", "1")
    try:
        status, info = srv("GET", "/v1/model")
        assert status == 200 and info["heads"] == ["mos", "stoi"]
        for name in ["a.wav", "stereo44k.wav"]:
            status, result = srv("POST", "/v1/score", files[name].read_bytes(), {"Content-Type": "audio/wav"})
            assert status == 200, result
            assert result["mos"] == pytest.approx(expected[name].mos, abs=1e-3)
            assert result["stoi"] == pytest.approx(expected[name].heads["stoi"], abs=1e-3)
        status, result = srv("POST", "/v1/score", b"junk", {"Content-Type": "audio/wav"})
        assert status == 400 and "cannot decode" in result["error"]
    finally:
        assert srv.stop() == 0
