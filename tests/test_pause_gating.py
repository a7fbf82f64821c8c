"""benchmarks/pause_gating.py on generated clean files, with an untrained model and a fake predictor."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from quality import build_model, save_model

from benchmark_scripts import load_benchmark
from synthetic import speech_like

pause_gating = load_benchmark("pause_gating")


@pytest.fixture(scope="module")
def clean_list(tmp_path_factory) -> Path:
    """Two clean files (speech with pauses over a floor 50 dB down) and one noisy file."""
    root = tmp_path_factory.mktemp("gating")
    rows = []
    for i, condition in enumerate(["clean", "clean", "noise"]):
        rng = np.random.default_rng(i)
        x = np.concatenate([np.zeros(8000), 0.3 * speech_like(rng, 1.0), np.zeros(8000)])
        x += 10 ** (-50 / 20) * 0.1 * rng.standard_normal(len(x))
        sf.write(root / f"f{i}.wav", x.astype(np.float32), 16000)
        rows.append(f"f{i}.wav 4.64 1.0 30.0 {condition} S{i}")
    (root / "l.list").write_text("# columns: path pesq stoi sisdr condition speaker\n" + "\n".join(rows) + "\n")
    return root / "l.list"


def test_pause_depth():
    rng = np.random.default_rng(0)
    x = np.concatenate([1e-3 * rng.standard_normal(16000), 0.3 * rng.standard_normal(16000)])
    assert pause_gating.pause_depth_db(x) == pytest.approx(20 * np.log10(300), abs=2.0)


def test_changes_and_table(clean_list, tmp_path, capsys, monkeypatch):
    class PauseLevelPredictor:
        """Scores the level of the quietest frames: gating lowers it, so the score falls."""

        def predict(self, audio, sample_rate=None):
            depth = pause_gating.pause_depth_db(audio)
            return SimpleNamespace(mos=5.0 - depth / 50.0)

    monkeypatch.setattr(pause_gating, "load_predictor", lambda path: PauseLevelPredictor())
    out = tmp_path / "g.csv"
    assert pause_gating.main(["--list", str(clean_list), "--checkpoint", "fake=x.pt", "--depths", "20", "40",
                              "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert len(df) == 2 * 3 and set(df["depth_db"]) == {0, 20, 40}  # the noisy file is not scored
    assert (df["pause_depth_db"] > 40).all()
    scores = df.groupby("depth_db")["score"].mean()
    assert scores[0] > scores[20] > scores[40]
    table = capsys.readouterr().out
    assert "| fake | as recorded | 2 |" in table and "| fake | 40 | 2 |" in table and "100%" in table


def test_real_model_and_errors(clean_list, tmp_path, capsys):
    model = save_model(tmp_path / "m.pt", build_model("cnn_mattn", channels=32, prepare_layers=2, blocks=1),
                       {"target": "score"})
    assert pause_gating.main(["--list", str(clean_list), "--checkpoint", str(model), "--depths", "30"]) == 0
    assert "| m | 30 | 2 |" in capsys.readouterr().out
    no_clean = tmp_path / "n.list"
    no_clean.write_text(clean_list.read_text().replace(" clean ", " noise "))
    with pytest.raises(SystemExit):
        pause_gating.main(["--list", str(no_clean), "--checkpoint", str(model)])
    assert "no file with condition 'clean'" in capsys.readouterr().err
