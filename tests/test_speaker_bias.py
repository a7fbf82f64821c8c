"""benchmarks/speaker_bias.py on generated predictions with a planted per-speaker offset."""
from __future__ import annotations

import numpy as np
import pandas as pd

from benchmark_scripts import load_benchmark

speaker_bias = load_benchmark("speaker_bias")


def test_planted_speaker_offsets_are_found(tmp_path, capsys):
    rng = np.random.default_rng(0)
    speakers = np.repeat([f"s{i}" for i in range(10)], 20)
    conditions = np.tile(["clean"] + ["noise"] * 19, 10)
    true = np.where(conditions == "clean", 4.64, rng.uniform(1, 4, speakers.size))
    offset = np.repeat(np.linspace(-1, 1, 10), 20)  # each speaker's source sounds better or worse
    pred = true + offset + rng.normal(0, 0.1, speakers.size)
    paths = [str(tmp_path / f"f{i:03d}.flac") for i in range(speakers.size)]
    listing = tmp_path / "test.list"
    listing.write_text("# columns: path pesq condition speaker\n"
                       + "".join(f"{p} {t:.4f} {c} {s}\n" for p, t, c, s in zip(paths, true, conditions, speakers)))
    pd.DataFrame({"path": paths, "prediction": pred}).to_csv(tmp_path / "predictions.csv", index=False)
    assert speaker_bias.main(["--list", str(listing), "--predictions", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    share = float(out.split("between speakers ")[1].split("%")[0])
    assert share > 90  # the offsets dwarf the per-file noise
    oracle = float(out.split("(oracle): ")[1].split()[0])
    assert oracle > np.corrcoef(pred, true)[0, 1] and oracle > 0.99
    assert float(out.rsplit(": ", 1)[1]) > 0.95  # a speaker's clean score gives its offset away


def test_a_list_without_speakers_is_a_clear_error(tmp_path, capsys):
    listing = tmp_path / "a.list"
    listing.write_text("# columns: path pesq\nx.flac 3.0\n")
    assert speaker_bias.main(["--list", str(listing), "--predictions", str(tmp_path)]) == 1
    assert "needs speaker and condition columns" in capsys.readouterr().err
