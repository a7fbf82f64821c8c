"""Enhancer training: mixtures made on the fly, the Lightning CLI in every quality-loss mode, a tiny
enhancer learning with each mode, enhancer checkpoints and the denoise CLI."""
import re

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import torch

from quality.checkpoint import CheckpointError, save_model
from quality.enhance import build_enhancer
from quality.enhance.checkpoint import load_enhancer, save_enhancer
from quality.enhance.data import MixtureDataset, collate_mixtures, mixture_splits
from quality.enhance.denoise import enhance_array, enhance_stream
from quality.enhance.losses import neg_si_snr_loss, si_snr
from quality.enhance.train_cli import main as train_main
from quality.models import build_model
from quality.quality_loss import QualityLoss
from quality.simulate import active_rms, rms
from synthetic import SR, make_mixture_folders, speech_like

TINY = {"channels": [8, 8], "kernel_sizes": [[2, 5], [2, 3]], "strides": [[1, 2], [1, 2]],
        "intra_hidden": 8, "inter_hidden": 16, "num_blocks": 1}
TINY_SET = [f"--set=enhancer.{k}={v}" for k, v in TINY.items()]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """12 speakers x 2 utterances of speech-like audio, 6 noise clips, 4 synthetic rooms."""
    return make_mixture_folders(tmp_path_factory.mktemp("enh_data"))


@pytest.fixture(scope="module")
def quality_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = build_model("hasanet", lstm_hidden=8, linear_size=8, attention_heads=2, score_range=(1.0, 4.64))
    path = tmp_path_factory.mktemp("q") / "quality.pt"
    return save_model(path, model.eval(), {"target": "pesq"})


def test_splits_share_no_speaker_noise_or_room(folders):
    splits = mixture_splits(folders / "speech", folders / "noise", folders / "rir", 0.2, 0.2, seed=0)
    speakers = {name: {src.resources.speakers[f] for f in src.speech} for name, src in splits.items()}
    assert all(speakers.values())
    assert not (speakers["train"] & speakers["valid"]) and not (speakers["train"] & speakers["test"])
    assert not (speakers["valid"] & speakers["test"])
    for kind in ("noise", "rir"):
        parts = [set(getattr(src, kind)) for src in splits.values()]
        assert all(parts) and not (parts[0] & parts[1]) and not (parts[0] & parts[2]) and not (parts[1] & parts[2])


def test_mixtures_have_the_requested_snr_and_fixed_ones_repeat(folders):
    splits = mixture_splits(folders / "speech", folders / "noise", None, 0.2, 0.2, seed=0)
    data = MixtureDataset(splits["valid"], 6, seconds=1.5, snr_db=(5.0, 5.0), level_db=(-30, -30), fixed=True)
    for i in range(3):
        mix, clean, info = data.mixture(i)
        assert len(mix) == len(clean) <= int(1.5 * SR)
        snr = 20 * np.log10(active_rms(clean) / rms(mix - clean))
        assert snr == pytest.approx(5.0, abs=0.05)
        assert 20 * np.log10(active_rms(clean)) == pytest.approx(-30.0, abs=0.05)
        assert info["noise"] in splits["valid"].noise
    a, b = data[2], data[2]
    assert torch.equal(a["mix"], b["mix"]) and torch.equal(a["clean"], b["clean"])
    batch = collate_mixtures([data[0], data[1]])
    assert batch["mix"].shape == batch["clean"].shape and batch["lengths"].tolist() == [len(data[0]["mix"]), len(data[1]["mix"])]
    with pytest.raises(ValueError, match="reverb_prob"):
        MixtureDataset(splits["train"], 4, reverb_prob=1.5)


def fixed_mixtures(n: int = 2, seconds: float = 1.0):
    rng = np.random.default_rng(1)
    clean = np.stack([speech_like(rng, seconds) for _ in range(n)])
    noise = rng.standard_normal(clean.shape).astype(np.float32)
    noise *= np.sqrt((clean**2).mean(1, keepdims=True) / (noise**2).mean(1, keepdims=True))  # 0 dB
    return torch.from_numpy(clean + noise), torch.from_numpy(clean)


@pytest.mark.parametrize("mode", ["joint", "grl"])  # mode none: tests/test_enhance_models.py
def test_tiny_enhancer_overfits_with_each_quality_loss_mode(mode, quality_checkpoint):
    torch.manual_seed(0)
    mix, clean = fixed_mixtures()
    enhancer = build_enhancer("dpcrn", **TINY)
    quality = QualityLoss(quality_checkpoint, mode=mode, weight=0.1, reference_metric=None)
    params = list(enhancer.parameters()) + (list(quality.model.parameters()) if mode == "grl" else [])
    opt = torch.optim.Adam(params, lr=3e-3)
    with torch.no_grad():
        start = si_snr(enhancer.eval()(mix), clean).mean().item()
    enhancer.train()
    for _ in range(40):
        opt.zero_grad()
        est = enhancer(mix)
        loss = neg_si_snr_loss(est, clean) + quality(est)
        loss.backward()
        opt.step()
    with torch.no_grad():
        end = si_snr(enhancer.eval()(mix), clean).mean().item()
    assert end > start + 3.0, (start, end)


def run_folder(out):
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


@pytest.mark.parametrize("mode", ["none", "joint", "grl"])
def test_train_enhancer_cli_runs_each_mode(mode, folders, quality_checkpoint, tmp_path, capsys, snr_lists):
    anchor = []
    if mode == "grl":  # a labelled list keeps the critic honest; here the SNR list stands in for PESQ
        from quality.lists import read_list

        table = read_list(snr_lists[0])
        table = pd.DataFrame({"path": table["path"], "pesq": 1.0 + table["score"] / 10.0})
        table.to_csv(tmp_path / "anchor.csv", index=False)
        anchor = ["--anchor-list", str(tmp_path / "anchor.csv")]
    args = ["--speech", str(folders / "speech"), "--noise", str(folders / "noise"), "--rir", str(folders / "rir"),
            "--quality-loss", mode, "--quality-checkpoint", str(quality_checkpoint), "--quality-weight", "0.1",
            "--epoch-size", "8", "--valid-size", "4", "--batch-size", "4", "--max-epochs", "1",
            "--set", "mixtures.seconds=1.0", "--set", "quality.reference_workers=0", "--out", str(tmp_path / "runs"),
            *anchor, *TINY_SET]
    assert train_main(args) == 0
    folder = run_folder(tmp_path / "runs")
    assert re.match(rf"dpcrn_{mode}_\d{{8}}_\d{{6}}$", folder.name)
    model, meta = load_enhancer(folder / "model.pt")
    assert meta["train_config"]["quality"]["mode"] == mode and meta["steps"] == 2
    assert model.config["channels"] == [8, 8]
    assert (folder / "critic.pt").exists() == (mode == "grl")
    metrics = pd.read_csv(folder / "metrics.csv")
    assert {"val_pesq", "val_stoi", "val_sisdr", "val_quality", "val_loss", "train_loss"} <= set(metrics.columns)
    if mode != "none":
        assert "train_quality_loss" in metrics.columns
    if mode == "grl":
        assert {"grl_lambda", "train_anchor"} <= set(metrics.columns)
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.match(r"^pesq: -?\d+\.\d{4}, stoi: -?\d\.\d{4}, sisdr: -?\d+\.\d{4}, quality: -?\d\.\d{4}$", last), last
    if mode == "none":  # resume continues the same run folder
        assert train_main(["--resume", str(folder), "--max-epochs", "2"]) == 0
        assert load_enhancer(folder / "model.pt")[1]["steps"] == 4


def test_train_enhancer_usage_errors(tmp_path, capsys):
    assert train_main(["--noise", str(tmp_path), "--out", str(tmp_path)]) == 1
    assert "--speech" in capsys.readouterr().err


def test_enhancer_checkpoint_round_trip_and_errors(tmp_path):
    torch.manual_seed(0)
    model = build_enhancer("dpcrn", **TINY).eval()
    path = save_enhancer(tmp_path / "enh.pt", model, {"note": "x"})
    loaded, meta = load_enhancer(path)
    wav = torch.randn(1, 3000) * 0.1
    with torch.no_grad():
        torch.testing.assert_close(loaded(wav), model(wav))
    assert meta == {"note": "x"}
    torch.load(path, weights_only=True)  # plain data only
    quality = save_model(tmp_path / "q.pt", build_model("hasanet", lstm_hidden=8, linear_size=8, attention_heads=2))
    with pytest.raises(CheckpointError, match="not a quality-enhancer file"):
        load_enhancer(quality)


def test_streamed_enhancement_matches_one_pass(tmp_path):
    torch.manual_seed(0)
    model = build_enhancer("dpcrn", **TINY).eval()
    audio = speech_like(np.random.default_rng(3), 6.0) + 0.01 * np.random.default_rng(4).standard_normal(6 * SR).astype(np.float32)
    whole = enhance_array(model, audio)
    windows = [audio[i : i + 2 * SR] for i in range(0, len(audio), 2 * SR)]
    streamed = np.concatenate(list(enhance_stream(model, windows, context_seconds=2.0)))
    assert streamed.shape == whole.shape
    exact = 2 * SR - model.latency_samples  # the first pass saw everything these samples depend on
    np.testing.assert_allclose(streamed[:exact], whole[:exact], atol=1e-5)
    err = np.abs(streamed - whole).max() / np.abs(whole).max()
    assert err < 0.05, err


def test_denoise_cli_files_folders_and_bad_files(tmp_path, capsys):
    from quality.enhance.__main__ import main as enhance_main

    torch.manual_seed(0)
    ckpt = save_enhancer(tmp_path / "enh.pt", build_enhancer("dpcrn", **TINY).eval())
    rng = np.random.default_rng(5)
    (tmp_path / "in" / "sub").mkdir(parents=True)
    stereo = np.stack([speech_like(rng, 1.5, 44100), speech_like(rng, 1.5, 44100)], 1)
    sf.write(tmp_path / "in" / "sub" / "stereo.flac", stereo, 44100)
    sf.write(tmp_path / "in" / "narrow.wav", speech_like(rng, 2.0, 8000), 8000)
    (tmp_path / "bad.wav").write_bytes(b"RIFF....not audio")
    code = enhance_main(["denoise", "--checkpoint", str(ckpt), str(tmp_path / "in"), str(tmp_path / "bad.wav"),
                         "--output", str(tmp_path / "out"), "--window", "1.0"])
    assert code == 2
    err = capsys.readouterr().err
    assert "bad.wav" in err and "cannot decode" in err
    out_stereo, sr = sf.read(tmp_path / "out" / "sub" / "stereo.wav")
    assert sr == SR and out_stereo.ndim == 1 and len(out_stereo) == pytest.approx(1.5 * SR, abs=2)
    out_narrow, _ = sf.read(tmp_path / "out" / "narrow.wav")
    assert len(out_narrow) == pytest.approx(2.0 * SR, abs=2) and np.abs(out_narrow).max() > 0
    assert not (tmp_path / "out" / "bad.wav").exists()
    assert not list((tmp_path / "out").rglob(".*.tmp"))
    assert enhance_main(["denoise", "--checkpoint", str(tmp_path / "missing.pt"), str(tmp_path / "in"),
                         "--output", str(tmp_path / "o2")]) == 1
