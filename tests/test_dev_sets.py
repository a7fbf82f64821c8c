"""benchmarks/dev_sets.py on a tiny generated dev folder (no shared data needed)."""
from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from quality import build_model, save_model

from benchmark_scripts import load_benchmark
from synthetic import add_noise, speech_like

dev_sets = load_benchmark("dev_sets")

SNRS = {"ref": None, "snr20": 20.0, "snr5": 5.0}
HUMAN = {"ref": 4.9, "snr20": 3.5, "snr5": 2.0}


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> Path:
    """Two items (24 kHz) of three conditions each, the hidden reference included; the 5 dB file
    of item 2 is 0.1 s longer than its reference."""
    root = tmp_path_factory.mktemp("dev")
    rows = []
    for item in (1, 2):
        rng = np.random.default_rng(item)
        clean = speech_like(rng, 1.5, sr=24000)
        folder = root / "toy" / f"stim_{item:02d}"
        folder.mkdir(parents=True)
        sf.write(folder / "ref.flac", clean, 24000)
        for cond, snr in SNRS.items():
            if snr is not None:
                x = add_noise(clean, snr, rng)
                if item == 2 and cond == "snr5":
                    x = np.concatenate([x, x[:2400]])
                sf.write(folder / f"{cond}.flac", x, 24000)
            name = "ref.flac" if snr is None else f"{cond}.flac"
            rows.append({"path": f"toy/stim_{item:02d}/{name}", "ref_path": f"toy/stim_{item:02d}/ref.flac",
                         "condition": cond, "mushra": (HUMAN[cond] - 1) * 25, "mos_1to5": HUMAN[cond]})
    pd.DataFrame(rows).to_csv(root / "toy.csv", index=False)
    pd.DataFrame({"path": ["x.wav"], "note": ["no target"]}).to_csv(root / "junk.csv", index=False)
    return root


class FakePredictor:
    """Scores a file by its condition name (like a perfect model)."""

    def predict_many(self, paths):
        for p in paths:
            cond = Path(p).stem
            yield str(p), [SimpleNamespace(mos=HUMAN["ref" if cond == "ref" else cond])]


def test_no_csvs_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(dev_sets.DevSetError, match="no dev CSVs"):
        dev_sets.read_dev_sets(tmp_path)
    assert dev_sets.main(["--dev", str(tmp_path), "--checkpoint", "x.pt"]) == 1
    assert "no dev CSVs" in capsys.readouterr().err


def test_read_dev_sets(dev, capsys):
    sets = dev_sets.read_dev_sets(dev)
    assert list(sets) == ["toy"] and "skipping junk.csv" in capsys.readouterr().err
    toy = sets["toy"]
    assert toy.attrs["target"] == "mos_1to5" and toy["hidden_ref"].sum() == 2
    assert toy["item"].nunique() == 2
    with pytest.raises(dev_sets.DevSetError, match="no CSV for nope"):
        dev_sets.read_dev_sets(dev, only=["nope"])


def test_scores_and_correlations(dev, tmp_path):
    sets = dev_sets.read_dev_sets(dev)
    per_file = dev_sets.score_dev_sets(dev, sets, FakePredictor())
    assert list(per_file.columns) == dev_sets.CSV_COLUMNS and len(per_file) == 6
    pesq = per_file.set_index("path")["pesq_wb"]
    assert pesq["toy/stim_01/ref.flac"] == pytest.approx(4.64, abs=0.01)
    assert np.isfinite(pesq["toy/stim_02/snr5.flac"])  # length mismatch: trimmed, still scored
    assert pesq["toy/stim_01/snr20.flac"] > pesq["toy/stim_01/snr5.flac"]
    assert per_file["dnsmos_ovrl"].isna().all()
    rows = {r["method"]: r for r in dev_sets.correlations(per_file)}
    assert set(rows) == {"ours", "PESQ-wb (intrusive)"}  # no DNSMOS scores, no DNSMOS rows
    ours = rows["ours"]
    assert ours["n"] == 6 and ours["srcc"] == pytest.approx(1.0) and ours["item_srcc"] == pytest.approx(1.0)
    assert ours["item_srcc_no_ref"] == pytest.approx(1.0)
    table = dev_sets.format_table(list(rows.values()), {"toy": "mos_1to5"})
    assert "| toy (mos_1to5) | ours | 6 | 1.000 | 1.000 | 1.000 | 1.000 |" in table
    out = dev_sets.write_csv(tmp_path / "sub" / "dev.csv", per_file)
    assert list(pd.read_csv(out).columns) == dev_sets.CSV_COLUMNS


def test_item_srcc_with_and_without_reference():
    table = pd.DataFrame({
        "item": ["a"] * 3 + ["b"] * 3,
        "hidden_ref": [True, False, False] * 2,
        "human": [5.0, 3.0, 2.0, 5.0, 3.0, 2.0],
        "x": [9.0, 1.0, 2.0, 9.0, 2.0, 1.0],  # ref on top; item a's codecs in the wrong order
    })
    with_ref = dev_sets.item_srcc(table, "x")
    assert with_ref == pytest.approx(np.mean([0.5, 1.0]))
    assert dev_sets.item_srcc(table, "x", include_ref=False) == pytest.approx(0.0)
    assert math.isnan(dev_sets.item_srcc(table.assign(item="a"), "x"))  # one item only


def test_main_end_to_end(dev, tmp_path, capsys):
    model = save_model(tmp_path / "m.pt", build_model("cnn_mattn", channels=32, prepare_layers=2, blocks=1),
                       {"target": "score"})
    out = tmp_path / "dev.csv"
    assert dev_sets.main(["--dev", str(dev), "--checkpoint", str(model), "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "| toy (mos_1to5) | PESQ-wb (intrusive) | 6 |" in stdout
    df = pd.read_csv(out)
    assert len(df) == 6 and df["ours"].notna().all()
