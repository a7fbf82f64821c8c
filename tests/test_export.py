"""ONNX export (STFT inside, dynamic axes, metadata, verification) and the onnxruntime backend."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from quality import __version__, available_models, build_model, load_predictor, save_model  # noqa: E402
from quality.checkpoint import CheckpointError  # noqa: E402
from quality.export import (  # noqa: E402
    ExportError, OnnxWrapper, export_checkpoint, export_onnx, read_metadata, verify_onnx)
from quality.export import main as export_main  # noqa: E402
from quality.onnx_backend import OnnxBackend  # noqa: E402
from quality.predict_cli import main as predict_main  # noqa: E402
from synthetic import add_noise, speech_like  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
HEADS = {"stoi": [0, 1], "sisdr": [-20, 40]}
# Small versions of every family (fast to export and run); some with extra heads or other features.
SMALL = {
    "hasanet": dict(lstm_hidden=16, linear_size=16, attention_heads=2, heads=HEADS, output_margin=0.1),
    "hasanet_class": dict(lstm_hidden=16, linear_size=16, attention_heads=2, conv_channels=8, attention_window=20,
                          pooling="disturbance"),  # the PESQ-style pooling exports too
    "cnn_mattn": dict(channels=16, prepare_layers=2, blocks=1, attention_heads=2,
                      features={"n_fft": 256, "hop_length": 128, "kind": "logpow"}),
    "cnn_class": dict(channels=16, prepare_layers=2, blocks=1, attention_heads=2, heads={"stoi": [0, 1]},
                      features={"kind": "logpow", "mel_bands": 32}),
    "can2d_class": dict(channels=(4, 8), embed_dim=16, attention_heads=2, prediction="cls"),
    "lstm_can_class": dict(lstm_hidden=16, conv_channels=(16,), attention_heads=2),
    "crn": dict(channels=(4, 8), lstm_hidden=16, trans_size=16, heads=HEADS, conditions=["noise", "opus"],
                calibration=[0.02, -0.1, 1.2, -0.3]),  # and a cubic calibration (it rises over 1..5)
    "tcn": dict(stem_channels=4, channels=16, dilations=(1, 4), linear_size=16, quantiles=(0.1, 0.9), heads=HEADS,
                calibration=[1.25, -0.5]),  # the export carries the calibration line and its clamp
}


def small_model(name: str):
    torch.manual_seed(0)
    return build_model(name, **SMALL[name])


def test_every_family_has_a_small_config():
    assert sorted(SMALL) == available_models()


@pytest.mark.parametrize("name", sorted(SMALL))
def test_every_family_exports_with_dynamic_axes(name, tmp_path):
    model = small_model(name).train()  # export must switch dropout off itself
    path = export_onnx(model, tmp_path / f"{name}.onnx", {"target": "mos"}, verify=False)
    assert model.training  # and give the mode back
    # lengths and batch sizes unlike the traced example, mixed and zero-padded in one batch
    report = verify_onnx(model, path, lengths_s=(0.5, 2.3, 7.0), batch_sizes=(1, 3))
    assert report["max_abs_diff"] <= 1e-4
    meta = read_metadata(path)
    assert meta["model_name"] == name and meta["model_config"] == json.loads(json.dumps(model.config))
    assert meta["head_names"] == ["mos", *SMALL[name].get("heads", {})]
    assert meta["hop_length"] == model.frontend.hop_length and meta["sample_rate"] == 16000


def test_export_checkpoint_verifies_by_default_and_records_metadata(tmp_path, capsys, monkeypatch):
    model = small_model("crn")  # nn.LSTM: the time axis must stay dynamic
    metadata = {"target": "pesq_wb", "valid_metrics": {"lcc": 0.9}, "nan": float("nan")}
    pt = save_model(tmp_path / "crn.pt", model, metadata)
    assert export_main(["--checkpoint", str(pt)]) == 0  # default output: beside the checkpoint
    out = capsys.readouterr().out
    assert "crn.onnx" in out and "MB" in out and "max |diff|" in out
    meta = read_metadata(tmp_path / "crn.onnx")
    assert meta["quality_version"] == __version__
    assert meta["score_ranges"] == {"mos": [1.0, 5.0], "stoi": [0.0, 1.0], "sisdr": [-20.0, 40.0]}
    assert meta["checkpoint_metadata"] == {"target": "pesq_wb", "valid_metrics": {"lcc": 0.9}}  # NaN is not JSON
    assert len(meta["checkpoint_sha256"]) == 64
    check = meta["verification"]
    assert check["lengths_s"] == [0.5, 7.0, 63.0] and check["batch_sizes"] == [1, 3]
    assert check["max_abs_diff"] <= 1e-4
    import onnx

    proto = onnx.load(str(tmp_path / "crn.onnx"))
    dims = {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in proto.graph.input}
    assert dims == {"waveform": ["batch", "samples"], "lengths": ["batch"]}
    assert [o.name for o in proto.graph.output] == ["mos", "stoi", "sisdr", "frame_scores", "frame_lengths",
                                                    "degradations"]
    assert meta["degradation_names"] == ["noise", "opus"]
    assert proto.doc_string.startswith("Speech quality model 'crn'") and "lengths int64 (batch,)" in proto.doc_string
    assert export_main(["--checkpoint", str(tmp_path / "missing.pt")]) == 1
    assert "no such checkpoint" in capsys.readouterr().err
    # backend "onnx" for the checkpoint reuses this verified export instead of exporting again
    monkeypatch.setenv("QUALITY_CACHE_DIR", str(tmp_path / "cache"))
    assert load_predictor(pt, backend="onnx", threads=1).backend.path == tmp_path / "crn.onnx"
    assert not list((tmp_path / "cache").rglob("*.onnx"))


def test_failed_verification_leaves_no_file(tmp_path, monkeypatch):
    model = small_model("cnn_class")
    forward = OnnxWrapper.forward

    def drifting(self, waveform, lengths):  # the traced graph is right; torch "drifts" afterwards
        out = forward(self, waveform, lengths)
        return out if torch.jit.is_tracing() else (out[0] + 1e-2, *out[1:])

    monkeypatch.setattr(OnnxWrapper, "forward", drifting)
    target = tmp_path / "model.onnx"
    target.write_bytes(b"previous export")
    with pytest.raises(ExportError, match=r"output 'mos' differs from torch by 0\.01 .*batch of 1 \(0\.5 s\)"):
        export_onnx(model, target)
    assert target.read_bytes() == b"previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]  # no temporary file left
    with pytest.raises(ExportError, match="clash"):
        export_onnx(build_model("crn", channels=(4,), lstm_hidden=8, heads={"frame_scores": [0, 1]}), target)


@pytest.fixture(scope="module")
def audio_files(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("audio")
    rng = np.random.default_rng(0)
    paths = []
    for i, seconds in enumerate([1.2, 3.7, 2.1]):
        paths.append(root / f"f{i}.wav")
        sf.write(paths[-1], add_noise(speech_like(rng, seconds), 5 + 10 * i, rng), 16000)
    x44 = add_noise(speech_like(rng, 2.0, sr=44100), 10, rng)
    paths.append(root / "stereo44k.wav")
    sf.write(paths[-1], np.stack([x44, 0.5 * x44], axis=1), 44100)
    paths.append(root / "long.wav")  # longer than the window below: streamed in windows
    sf.write(paths[-1], add_noise(speech_like(rng, 7.5), 20, rng), 16000)
    return paths


@pytest.fixture(scope="module")
def heads_model(tmp_path_factory) -> tuple[Path, Path]:
    """A model.pt with extra heads and its (unverified, for speed) ONNX export."""
    root = tmp_path_factory.mktemp("heads")
    pt = save_model(root / "hasanet.pt", small_model("hasanet"), {"target": "mos", "name": "tiny-hasa"})
    return pt, export_checkpoint(pt, root / "hasanet_export.onnx", verify=False)


def test_onnx_predictor_matches_torch(heads_model, audio_files):
    pt, onnx_file = heads_model
    torch_pred = load_predictor(pt, batch_size=2, window_seconds=3.0)
    onnx_pred = load_predictor(onnx_file, batch_size=2, window_seconds=3.0, threads=1)
    assert isinstance(onnx_pred.backend, OnnxBackend) and onnx_pred.backend.metadata["model_name"] == "hasanet"
    assert onnx_pred.head_names == torch_pred.head_names == ["mos", "stoi", "sisdr"]
    assert onnx_pred.frame_seconds == torch_pred.frame_seconds
    assert onnx_pred.name == "tiny-hasa" and onnx_pred.metadata == torch_pred.metadata
    expected = dict(torch_pred.predict_many(audio_files, channels="each"))
    for path, preds in onnx_pred.predict_many(audio_files, channels="each"):
        assert len(preds) == len(expected[path])
        for got, ref in zip(preds, expected[path]):
            for head in ["mos", "stoi", "sisdr"]:
                assert got.heads[head] == pytest.approx(ref.heads[head], abs=1e-4)
            assert got.frames.shape == ref.frames.shape
            assert np.max(np.abs(got.frames - ref.frames)) <= 1e-4
            assert got.duration_s == ref.duration_s


def test_backend_onnx_for_a_checkpoint_exports_once_to_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QUALITY_CACHE_DIR", str(tmp_path / "cache"))
    pt = save_model(tmp_path / "crn.pt", small_model("crn"))
    wav = add_noise(speech_like(np.random.default_rng(1), 2.5), 10, np.random.default_rng(2))
    first = load_predictor(pt, backend="onnx", threads=1)
    cached = list((tmp_path / "cache" / "onnx").glob("*.onnx"))
    assert len(cached) == 1 and cached[0].name.startswith("crn-")
    assert read_metadata(cached[0])["verification"]["max_abs_diff"] <= 1e-4  # verified when exported
    import quality.export

    monkeypatch.setattr(quality.export, "export_checkpoint", lambda *a, **k: pytest.fail("exported twice"))
    again = load_predictor(pt, backend="onnx", threads=1)
    assert again.backend.path == cached[0]
    ref = load_predictor(pt).predict(wav, sample_rate=16000)
    got = again.predict(wav, sample_rate=16000)
    assert got.mos == pytest.approx(ref.mos, abs=1e-4) and got.sisdr == pytest.approx(ref.sisdr, abs=1e-4)
    assert first.predict(wav, sample_rate=16000).mos == got.mos


def test_backend_errors(heads_model, tmp_path):
    pt, onnx_file = heads_model
    with pytest.raises(ValueError, match="backend 'onnx', not 'torch'"):
        load_predictor(onnx_file, backend="torch")
    with pytest.raises(ValueError, match="backend must be one of"):
        load_predictor(pt, backend="tensorrt")
    with pytest.raises(ValueError, match="threads applies to backend 'onnx'"):
        load_predictor(pt, threads=2)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    with pytest.raises(CheckpointError, match="junk.onnx: not a loadable ONNX model"):
        load_predictor(junk)
    import onnx

    proto = onnx.load(str(onnx_file))
    del proto.metadata_props[:]
    onnx.save(proto, tmp_path / "foreign.onnx")
    with pytest.raises(CheckpointError, match="not a quality ONNX export"):
        load_predictor(tmp_path / "foreign.onnx")


def test_predict_cli_backend_onnx(heads_model, audio_files, tmp_path, capsys):
    pt, onnx_file = heads_model
    files = [str(p) for p in audio_files[:3]]
    assert predict_main(["--checkpoint", str(pt), *files, "--format", "csv"]) == 0
    ref = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    proc = subprocess.run([sys.executable, str(REPO / "predict_mos.py"), "--backend", "onnx", "--checkpoint",
                           str(onnx_file), *files, "--format", "csv"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    got = pd.read_csv(pd.io.common.StringIO(proc.stdout))
    assert list(got.columns) == ["path", "mos", "stoi", "sisdr", "duration_s", "error"]
    for head in ["mos", "stoi", "sisdr"]:  # the CLI rounds to 4 decimals
        assert np.max(np.abs(got[head].to_numpy() - ref[head].to_numpy())) <= 2e-4
    assert predict_main(["--checkpoint", str(onnx_file), "--backend", "torch", files[0]]) == 1
    assert "backend 'onnx', not 'torch'" in capsys.readouterr().err


def test_ensemble_cli_builds_a_model_every_tool_takes(tmp_path, capsys):
    from quality.ensemble import main as ensemble_main

    a = save_model(tmp_path / "a.pt", small_model("hasanet"), {"target": "pesq"})
    # members may differ in size and pooling (mean of frame scores, or PESQ-style disturbance pooling)
    b = save_model(tmp_path / "b.pt", build_model("hasanet", **{**SMALL["hasanet"], "lstm_hidden": 8,
                                                              "pooling": "disturbance"}), {"target": "pesq"})
    out = tmp_path / "ens.pt"
    assert ensemble_main(["--members", str(a), str(b), "--output", str(out)]) == 0
    assert "ensemble of 2 models" in capsys.readouterr().out
    predictor = load_predictor(out)
    assert predictor.metadata["members"][1]["path"] == str(b) and predictor.metadata["target"] == "pesq"
    assert "valid_metrics" not in predictor.metadata
    rng = np.random.default_rng(3)
    wave = add_noise(speech_like(rng, 2.0), 10.0, rng)
    pa, pb = load_predictor(a).predict(wave, 16000), load_predictor(b).predict(wave, 16000)
    both = predictor.predict(wave, 16000)
    assert both.mos == pytest.approx(min(max((pa.mos + pb.mos) / 2, 1.0), 5.0), abs=1e-5)
    assert both.stoi == pytest.approx((pa.stoi + pb.stoi) / 2, abs=1e-5)
    assert both.frames.shape == pa.frames.shape == pb.frames.shape and np.isfinite(both.frames).all()
    report = verify_onnx(predictor.backend.model, export_onnx(predictor.backend.model, tmp_path / "ens.onnx",
                                                                 {"target": "pesq"}, verify=False))
    assert report["max_abs_diff"] <= 1e-4
    other = save_model(tmp_path / "c.pt", small_model("hasanet"), {"target": "stoi"})
    assert ensemble_main(["--members", str(a), str(other), "--output", str(tmp_path / "x.pt")]) == 1
    assert "different targets" in capsys.readouterr().err and not (tmp_path / "x.pt").exists()
    assert ensemble_main(["--members", str(a), str(tmp_path / "none.pt"), "--output", str(tmp_path / "x.pt")]) == 1
    assert "none.pt" in capsys.readouterr().err


def test_average_weights_makes_one_network_of_the_mean_weights(tmp_path, capsys):
    from quality.checkpoint import load_model
    from quality.ensemble import main as ensemble_main

    torch.manual_seed(0)
    a = save_model(tmp_path / "a.pt", small_model("hasanet"), {"target": "pesq"})
    torch.manual_seed(1)
    b_model = build_model("hasanet", **{**SMALL["hasanet"], "dropout": 0.0})  # dropout has no weights
    b = save_model(tmp_path / "b.pt", b_model, {"target": "pesq"})
    out = tmp_path / "soup.pt"
    assert ensemble_main(["--members", str(a), str(b), "--weights", "3", "1", "--average-weights",
                          "--output", str(out)]) == 0
    assert "weights averaged over 2 models" in capsys.readouterr().out
    soup, meta = load_model(out)
    assert meta["target"] == "pesq" and [m["weight"] for m in meta["averaged_from"]] == [0.75, 0.25]
    state_a, state_b = load_model(a)[0].state_dict(), b_model.state_dict()
    for key, value in soup.state_dict().items():
        assert torch.allclose(value, 0.75 * state_a[key] + 0.25 * state_b[key], atol=1e-7), key
    assert load_predictor(out).predict(add_noise(speech_like(np.random.default_rng(2), 1.5), 5.0,
                                                 np.random.default_rng(3)), 16000).mos > 0
    # another architecture, or another target, is refused and nothing is written
    wider = save_model(tmp_path / "w.pt", build_model("hasanet", **{**SMALL["hasanet"], "lstm_hidden": 8}),
                       {"target": "pesq"})
    assert ensemble_main(["--members", str(a), str(wider), "--average-weights", "--output", str(tmp_path / "x.pt")]) == 1
    assert "config differs in lstm_hidden" in capsys.readouterr().err and not (tmp_path / "x.pt").exists()
    other = save_model(tmp_path / "o.pt", small_model("hasanet"), {"target": "stoi"})
    assert ensemble_main(["--members", str(a), str(other), "--average-weights", "--output", str(tmp_path / "x.pt")]) == 1
    assert "trained on 'stoi'" in capsys.readouterr().err and not (tmp_path / "x.pt").exists()
    # weights must be one positive number per member, for either way of combining
    for mode in (["--average-weights"], []):
        assert ensemble_main(["--members", str(a), str(b), "--weights", "1", "0", *mode,
                              "--output", str(tmp_path / "x.pt")]) == 1
        assert "weights must be 2 positive numbers" in capsys.readouterr().err and not (tmp_path / "x.pt").exists()


def test_degradation_probabilities_in_every_backend_ensemble_and_cli(audio_files, tmp_path, capsys):
    from quality.ensemble import main as ensemble_main

    kinds = ["noise", "opus", "reverb"]
    torch.manual_seed(1)
    a = save_model(tmp_path / "a.pt", build_model("hasanet", **SMALL["hasanet"], conditions=kinds), {"target": "mos"})
    b = save_model(tmp_path / "b.pt",
                   build_model("hasanet", **{**SMALL["hasanet"], "lstm_hidden": 8}, conditions=kinds), {"target": "mos"})
    plain = save_model(tmp_path / "plain.pt", small_model("hasanet"), {"target": "mos"})
    ens = tmp_path / "ens.pt"
    assert ensemble_main(["--members", str(a), str(b), "--output", str(ens)]) == 0
    mixed = tmp_path / "mixed.pt"
    assert ensemble_main(["--members", str(a), str(plain), "--output", str(mixed)]) == 0
    assert load_predictor(mixed).degradation_names == []
    assert load_predictor(plain).predict(audio_files[0]).degradations == {}

    rng = np.random.default_rng(5)
    wave = add_noise(speech_like(rng, 2.0), 10.0, rng)
    pa, pb = (load_predictor(m).predict(wave, 16000).degradations for m in (a, b))
    both = load_predictor(ens).predict(wave, 16000)
    assert list(both.degradations) == kinds
    for kind in kinds:  # the ensemble's probability is the mean of its members'
        assert 0.0 < both.degradations[kind] < 1.0
        assert both.degradations[kind] == pytest.approx((pa[kind] + pb[kind]) / 2, abs=1e-5)
    assert list(both.likely_degradations(0.0)) == sorted(kinds, key=lambda k: -both.degradations[k])
    assert both.likely_degradations(1.0) == {}

    onnx_file = export_checkpoint(ens, tmp_path / "ens.onnx")  # verified: the probabilities are compared too
    assert read_metadata(onnx_file)["degradation_names"] == kinds
    torch_pred = load_predictor(ens, batch_size=2, window_seconds=3.0)
    onnx_pred = load_predictor(onnx_file, batch_size=2, window_seconds=3.0, threads=1)
    assert onnx_pred.degradation_names == torch_pred.degradation_names == kinds
    expected = dict(torch_pred.predict_many(audio_files))  # long.wav is streamed in windows
    singles = {str(p): torch_pred.predict(p).degradations for p in audio_files}
    for path, (got,) in onnx_pred.predict_many(audio_files):
        for kind in kinds:
            assert got.degradations[kind] == pytest.approx(expected[path][0].degradations[kind], abs=1e-4)
            assert singles[path][kind] == pytest.approx(expected[path][0].degradations[kind], abs=1e-6)

    out = tmp_path / "scores.csv"
    assert predict_main([str(p) for p in audio_files[:2]] + ["--checkpoint", str(ens), "--degradations", "0",
                                                            "--output", str(out), "--no-progress"]) == 0
    table = pd.read_csv(out)
    assert list(table.columns) == ["path", "mos", "stoi", "sisdr", "degradations", "duration_s", "error"]
    assert all(sorted(part.split(":")[0] for part in cell.split()) == sorted(kinds) for cell in table["degradations"])
    assert predict_main([str(audio_files[0]), "--checkpoint", str(plain), "--degradations"]) == 1
    assert "no degradation classifier" in capsys.readouterr().err
    assert predict_main([str(audio_files[0]), "--checkpoint", str(ens), "--degradations", "1.5"]) == 1
    assert "probability in [0, 1]" in capsys.readouterr().err
