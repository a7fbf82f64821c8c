"""benchmarks/paired_comparison.py on generated predictions (no audio needed)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmark_scripts import load_benchmark

paired = load_benchmark("paired_comparison")


def write_case(tmp_path: Path) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(0)
    speakers = np.repeat([f"s{i}" for i in range(20)], 10)
    true = rng.uniform(1, 4.6, speakers.size)
    paths = [str(tmp_path / f"f{i:03d}.flac") for i in range(speakers.size)]
    listing = tmp_path / "test.list"
    listing.write_text("# columns: path pesq speaker\n" + "".join(f"{p} {t:.4f} {s}\n" for p, t, s in zip(paths, true, speakers)))
    good, poor = tmp_path / "good", tmp_path / "poor"
    for folder, noise in ((good, 0.2), (poor, 1.0)):
        folder.mkdir()
        order = rng.permutation(speakers.size)  # rows in another order than the list
        pred = true + rng.normal(0, noise, speakers.size)
        pd.DataFrame({"path": np.array(paths)[order], "prediction": pred[order]}).to_csv(folder / "predictions.csv", index=False)
    return listing, good, poor


def test_table_has_intervals_and_paired_differences(tmp_path, capsys):
    listing, good, poor = write_case(tmp_path)
    assert paired.main(["--list", str(listing), "--predictions", f"poor={poor}", f"good={good}/predictions.csv",
                        "--resamples", "200"]) == 0
    out = capsys.readouterr().out
    assert "200 resamples of the speakers; Δ against poor" in out
    good_row = next(line for line in out.splitlines() if line.startswith("| good "))
    cells = [c.strip() for c in good_row.strip("|").split("|")]
    low, high = (float(x) for x in cells[3].split(".."))
    assert low < float(cells[2]) < high
    assert float(cells[6]) < 0.2  # raw-scale MSE of predictions with noise SD 0.2
    gain = float(cells[7].split()[0])
    gain_low = float(cells[7].split("(")[1].split("..")[0])
    assert gain > 0 and gain_low > 0  # clearly better, and the interval says so
    assert out.splitlines()[2].rstrip().endswith("| LCC (speakers equal) |")
    assert -1.0 <= float(cells[9]) <= 1.0


def test_means_add_the_average_of_named_models(tmp_path, capsys):
    listing, good, poor = write_case(tmp_path)
    args = ["--list", str(listing), "--predictions", f"poor={poor}", f"good={good}", "--resamples", "50"]
    assert paired.main([*args, "--means", "good+poor"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| good+poor "))
    table = paired.read_list(listing, target="pesq")
    mean = (paired.read_predictions(f"a={good}", table)[1] + paired.read_predictions(f"b={poor}", table)[1]) / 2
    lcc = np.corrcoef(mean, table["pesq"])[0, 1]
    assert float(row.strip("|").split("|")[2]) == round(lcc, 4)
    assert paired.main([*args, "--means", "good+other"]) == 1
    assert "unknown ['other']" in capsys.readouterr().err


def test_missing_predictions_are_named(tmp_path, capsys):
    listing, good, _ = write_case(tmp_path)
    rows = pd.read_csv(good / "predictions.csv").iloc[1:]
    rows.to_csv(good / "predictions.csv", index=False)
    assert paired.main(["--list", str(listing), "--predictions", f"good={good}"]) == 1
    assert "no prediction for 1 file(s)" in capsys.readouterr().err
    assert paired.main(["--list", str(listing), "--predictions", "noname"]) == 1
    assert "NAME=PATH" in capsys.readouterr().err
