"""benchmarks/detection_by_severity.py on generated predictions and chains (no audio needed)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from benchmark_scripts import load_benchmark

severity = load_benchmark("detection_by_severity")


def test_auc_per_severity_bin(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # 4 clean files (p 0.1..0.4); noise at 0 dB (p 0.9: always found) and at 30 dB (p 0.25: half found)
    rows = [("clean", None, p) for p in (0.1, 0.2, 0.3, 0.4)]
    rows += [("noise", 0.0, 0.9)] * 3 + [("noise", 30.0, 0.25)] * 2
    chains = []
    for i, (kind, snr, _) in enumerate(rows):
        chain = [] if kind == "clean" else [["reverb", {"rt60": 0.3}], ["noise", {"snr_db": snr}]]
        chains.append({"path": f"audio/{i:06d}.flac", "chain": chain})
    (corpus / "chains.jsonl").write_text("".join(json.dumps(c) + "\n" for c in chains))
    predictions = tmp_path / "eval"
    predictions.mkdir()
    pd.DataFrame({"path": [str(corpus / c["path"]) for c in chains], "prediction": 3.0,
                  "p_noise": [p for *_, p in rows]}).to_csv(predictions / "predictions.csv", index=False)
    out = tmp_path / "table.csv"
    assert severity.main(["--predictions", str(predictions), "--corpus", str(corpus), "--type", "noise:snr_db",
                          "--bins", "-5", "15", "40", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    assert table["bin"].tolist() == ["-5..15", "15..40", "all"] and table["files"].tolist() == [3, 2, 5]
    assert table["auc"].tolist() == pytest.approx([1.0, 0.5, 0.8])  # 0.25 beats 0.1 and 0.2 of the 4 clean
    assert "| noise | snr_db | -5..15 | 3 | 1.000 |" in capsys.readouterr().out
    assert severity.main(["--predictions", str(predictions), "--corpus", str(corpus), "--type", "opus:bitrate",
                          "--bins", "0", "1"]) == 1
    assert "no 'p_opus' column" in capsys.readouterr().err
    assert severity.main(["--predictions", str(predictions), "--corpus", str(corpus), "--type", "noise",
                          "--bins", "0", "1"]) == 1
    assert "TYPE:PARAM" in capsys.readouterr().err
