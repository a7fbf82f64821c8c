"""predict-mos and the Predictor API: inputs of every kind, bad files, invariance, long files."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from quality import build_model, load_predictor, save_model
from quality.audio import AudioError
from quality.predict_cli import main as predict_main
from synthetic import add_noise, speech_like

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory) -> Path:
    torch.manual_seed(0)
    model = build_model("cnn_mattn", channels=32, prepare_layers=2, blocks=1)
    return save_model(tmp_path_factory.mktemp("model") / "model.pt", model, {"target": "score"})


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("audio")
    rng = np.random.default_rng(0)
    for i, snr in enumerate([5, 15, 25]):
        sf.write(root / f"good{i}.wav", add_noise(speech_like(rng, 1.5 + i), snr, rng), 16000)
    nested = root / "nested"
    nested.mkdir()
    x44 = add_noise(speech_like(rng, 2.0, sr=44100), 10, rng)
    sf.write(nested / "stereo44k.wav", np.stack([x44, 0.5 * x44], axis=1), 44100)
    sf.write(nested / "narrow8k.flac", add_noise(speech_like(rng, 2.0, sr=8000), 20, rng), 8000)
    (nested / "notes.txt").write_text("not audio")
    return root


def run_cli(*args: str) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, str(REPO / "predict_mos.py"), *args], capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


def test_files_folder_and_list_with_bad_files(model_file, audio_dir, tmp_path):
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF....WAVEjunk" * 20)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    out = tmp_path / "scores.csv"
    code, stdout, stderr = run_cli("--checkpoint", str(model_file), str(audio_dir), str(corrupt), str(empty),
                                   "--output", str(out))
    assert code == 2
    assert stdout == ""
    assert "corrupt.wav: cannot decode audio" in stderr and "empty.wav: empty file" in stderr
    rows = pd.read_csv(out)
    assert list(rows.columns) == ["path", "mos", "duration_s", "error"]
    good = rows[rows["error"].isna()]
    assert len(good) == 5 and not any(p.endswith("notes.txt") for p in rows["path"])
    assert good["mos"].between(1, 5).all()
    assert good.loc[good["path"].str.endswith("stereo44k.wav"), "duration_s"].item() == pytest.approx(2.0, abs=0.01)
    assert good.loc[good["path"].str.endswith("narrow8k.flac"), "duration_s"].item() == pytest.approx(2.0, abs=0.01)
    bad = rows[rows["error"].notna()]
    assert len(bad) == 2 and bad["mos"].isna().all()


def test_list_file_input_and_json(model_file, audio_dir, tmp_path):
    listing = tmp_path / "some.list"
    listing.write_text("".join(f"{audio_dir / f'good{i}.wav'} 3.0\n" for i in range(3)))
    code, stdout, _ = run_cli("--checkpoint", str(model_file), str(listing), "--format", "json")
    assert code == 0
    data = json.loads(stdout)
    assert [Path(r["path"]).name for r in data] == ["good0.wav", "good1.wav", "good2.wav"]
    assert all(r["error"] == "" for r in data)


def test_channels_each_and_frames_output(model_file, audio_dir, tmp_path, capsys):
    frames = tmp_path / "frames"
    code = predict_main(["--checkpoint", str(model_file), str(audio_dir / "nested" / "stereo44k.wav"),
                         "--channels", "each", "--format", "csv", "--frames", str(frames)])
    assert code == 0
    rows = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert rows["channel"].tolist() == [0, 1]
    csvs = sorted(frames.glob("*.csv"))
    assert [p.name for p in csvs] == ["0000_stereo44k_ch0.csv", "0000_stereo44k_ch1.csv"]
    frame_rows = pd.read_csv(csvs[0])
    assert list(frame_rows.columns) == ["time_s", "score"] and len(frame_rows) == 2 * 16000 // 256 + 1
    assert (frames / "0000_stereo44k_ch0.png").read_bytes()[:4] == b"\x89PNG"


def test_usage_errors_exit_1(model_file, tmp_path, capsys):
    assert predict_main(["--checkpoint", str(tmp_path / "missing.pt"), "x.wav"]) == 1
    assert "missing.pt: no such checkpoint" in capsys.readouterr().err
    assert predict_main(["--checkpoint", str(model_file), str(tmp_path)]) == 1
    assert "holds no audio files" in capsys.readouterr().err


def test_scores_do_not_depend_on_batch_size_or_order(model_file, audio_dir):
    files = sorted(str(p) for p in audio_dir.rglob("*") if p.suffix in {".wav", ".flac"})
    results = {}
    for batch_size, order in [(1, files), (3, files[::-1]), (16, files)]:
        predictor = load_predictor(model_file, batch_size=batch_size)
        results[batch_size] = {p: preds[0].mos for p, preds in predictor.predict_many(order)}
    for p in files:
        assert results[1][p] == pytest.approx(results[3][p], abs=1e-5)
        assert results[1][p] == pytest.approx(results[16][p], abs=1e-5)


def test_array_input_matches_file_input(model_file, audio_dir):
    predictor = load_predictor(model_file)
    path = audio_dir / "good1.wav"
    audio, sr = sf.read(path, dtype="float32")
    from_file = predictor.predict(path)
    from_array = predictor.predict(audio, sample_rate=sr)
    assert from_file.mos == pytest.approx(from_array.mos, abs=1e-6)
    assert from_file.frames.shape == from_array.frames.shape
    assert from_file.heads["mos"] == from_file.mos
    with pytest.raises(ValueError, match="sample_rate"):
        predictor.predict(audio)
    with pytest.raises(AudioError, match="too short"):
        predictor.predict(audio[:1000], sample_rate=sr)


def test_long_file_streams_in_windows(model_file, tmp_path):
    rng = np.random.default_rng(3)
    seconds = 50
    audio = np.concatenate([add_noise(speech_like(rng, 5.0), 20, rng) for _ in range(seconds // 5)])
    path = tmp_path / "long.wav"
    sf.write(path, audio, 16000)
    predictor = load_predictor(model_file, window_seconds=20.0)
    pred = predictor.predict(path)
    assert pred.duration_s == pytest.approx(seconds, abs=0.01)
    # three windows of ~16.7 s; frames of all windows are reported
    assert len(pred.frames) == pytest.approx(seconds * 16000 / 256, abs=6)
    # the utterance score is the frame-weighted mean of the windows, as for an in-memory array
    same = predictor.predict(audio, sample_rate=16000)
    assert pred.mos == pytest.approx(same.mos, abs=1e-3)
    assert 1.0 <= pred.mos <= 5.0


def test_extra_heads_become_columns(audio_dir, tmp_path, capsys):
    torch.manual_seed(0)
    model = build_model("hasanet", lstm_hidden=16, linear_size=16, heads={"stoi": [0, 1], "sisdr": [-20, 40]})
    path = save_model(tmp_path / "heads.pt", model)
    assert predict_main(["--checkpoint", str(path), str(audio_dir / "good0.wav"), "--format", "csv"]) == 0
    rows = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert list(rows.columns) == ["path", "mos", "stoi", "sisdr", "duration_s", "error"]
    assert 0 <= rows["stoi"].item() <= 1 and -20 <= rows["sisdr"].item() <= 40
    prediction = load_predictor(path).predict(audio_dir / "good0.wav")
    assert prediction.stoi == prediction.heads["stoi"]


# ----------------------------------------------------------------------------- torch-free ONNX path

HEAVY = ("torch", "lightning", "pytorch_lightning", "quality.models")  # must not load for a .onnx model


def heavy_modules(names) -> list[str]:
    return sorted(n for n in names if any(n == h or n.startswith(h + ".") for h in HEAVY))


def imported_by(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run ``python -X importtime predict_mos.py ARGS``; the process and every module it imported."""
    proc = subprocess.run([sys.executable, "-X", "importtime", str(REPO / "predict_mos.py"), *args],
                          capture_output=True, text=True, env=env)
    modules = [line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    assert "numpy" in modules  # importtime output was parsed
    return proc, modules


@pytest.fixture(scope="module")
def onnx_file(model_file, tmp_path_factory) -> Path:
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from quality.export import export_checkpoint

    # unverified for speed: the tests below compare its scores with the .pt's
    return export_checkpoint(model_file, tmp_path_factory.mktemp("onnx") / "model.onnx", verify=False)


def test_onnx_predictor_loads_and_scores_without_torch(onnx_file, model_file, audio_dir):
    wav = audio_dir / "good1.wav"
    code = (
        "import json, sys\n"
        "import soundfile as sf\n"
        "from quality import load_predictor\n"
        f"predictor = load_predictor({str(onnx_file)!r}, threads=1)\n"
        f"audio, sr = sf.read({str(wav)!r}, dtype='float32')\n"
        f"scores = [predictor.predict({str(wav)!r}).mos, predictor.predict(audio, sample_rate=sr).mos]\n"
        "print(json.dumps({'scores': scores, 'modules': sorted(sys.modules)}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert "torch" not in result["modules"] and heavy_modules(result["modules"]) == []
    ref = load_predictor(model_file).predict(wav).mos
    assert result["scores"] == pytest.approx([ref, ref], abs=1e-4)


def test_predict_cli_with_onnx_checkpoint_needs_no_torch(onnx_file, model_file, audio_dir):
    wav = audio_dir / "nested" / "stereo44k.wav"  # resampled and mixed: the whole audio path, torch-free
    proc, modules = imported_by("--checkpoint", str(onnx_file), str(wav), "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    assert heavy_modules(modules) == []
    got = pd.read_csv(pd.io.common.StringIO(proc.stdout))
    ref = load_predictor(model_file).predict(wav)
    assert got["mos"].item() == pytest.approx(ref.mos, abs=1e-4)  # the CLI rounds to 4 decimals
    assert got["duration_s"].item() == pytest.approx(ref.duration_s, abs=1e-3)


def test_predict_cli_help_needs_no_torch():
    proc, modules = imported_by("--help")
    assert proc.returncode == 0 and "--checkpoint" in proc.stdout
    assert heavy_modules(modules) == []


def test_model_object_and_tensor_input(model_file, audio_dir):
    from quality import Predictor, load_model
    from quality.inference import TorchBackend

    model, metadata = load_model(model_file)
    predictor = Predictor(model, metadata)
    assert isinstance(predictor.backend, TorchBackend)
    audio, sr = sf.read(audio_dir / "good0.wav", dtype="float32")
    from_tensor = predictor.predict(torch.from_numpy(audio), sample_rate=sr)
    assert from_tensor.mos == predictor.predict(audio, sample_rate=sr).mos


def test_backend_onnx_reuses_a_cached_export_without_torch(model_file, audio_dir, tmp_path):
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    env = {**os.environ, "QUALITY_CACHE_DIR": str(tmp_path / "cache")}
    wav = audio_dir / "good2.wav"
    args = ("--backend", "onnx", "--checkpoint", str(model_file), str(wav), "--format", "csv")
    first, _ = imported_by(*args, env=env)  # exports (with torch) into the cache
    assert first.returncode == 0, first.stderr
    assert len(list((tmp_path / "cache" / "onnx").glob("model-*.onnx"))) == 1
    again, modules = imported_by(*args, env=env)  # reuses the export
    assert again.returncode == 0, again.stderr
    assert heavy_modules(modules) == [] and again.stdout == first.stdout
    got = pd.read_csv(pd.io.common.StringIO(again.stdout))
    assert got["mos"].item() == pytest.approx(load_predictor(model_file).predict(wav).mos, abs=1e-4)
