"""``python -m quality.corpus label``: real (degraded, reference) pairs become a labelled list."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from quality import corpus
from quality.lists import ListError, read_list
from quality.pair_labels import label_pair, label_pairs, read_pairs
from synthetic import add_noise, speech_like

pytestmark = pytest.mark.filterwarnings("ignore:.*digital silence:UserWarning")


@pytest.fixture(scope="module")
def pairs_folder(tmp_path_factory):
    """clean.wav (8 kHz stereo), two noisy versions of it, a corrupt, a silent and a missing file."""
    root = tmp_path_factory.mktemp("pairs")
    rng = np.random.default_rng(0)
    clean16 = speech_like(rng, 2.5)
    clean8 = clean16[::2].astype(np.float32)
    sf.write(root / "clean.wav", np.stack([clean8, clean8], axis=1), 8000)
    for snr in (0, 20):
        sf.write(root / f"noisy_{snr}.wav", add_noise(clean8, snr, rng).astype(np.float32), 8000)
    (root / "corrupt.wav").write_bytes(b"RIFF0000WAVEnot audio at all")
    sf.write(root / "silent.wav", np.zeros(len(clean8), np.float32), 8000)
    rows = [("noisy_0.wav", "clean.wav", "a", "noise_0dB"), ("clean.wav", "clean.wav", "a", "clean"),
            ("corrupt.wav", "clean.wav", "a", "x"), ("noisy_20.wav", "clean.wav", "b", "noise_20dB"),
            ("silent.wav", "clean.wav", "b", "x"), ("noisy_20.wav", "missing.wav", "b", "x")]
    pd.DataFrame(rows, columns=["path", "ref_path", "speaker", "condition"]).to_csv(root / "pairs.csv", index=False)
    return root


def test_cli_labels_good_pairs_and_names_the_bad_ones(pairs_folder, tmp_path, capsys):
    out = tmp_path / "labelled.list"
    code = corpus.main(["label", str(pairs_folder / "pairs.csv"), "--out", str(out), "--workers", "1", "--quiet"])
    assert code == 2  # some pairs failed
    err = capsys.readouterr().err
    assert "corrupt.wav" in err and "silent.wav" in err and "missing.wav" in err
    table = read_list(out, target="pesq")
    assert list(table.columns) == ["path", "pesq", "stoi", "sisdr", "condition", "speaker"]
    assert [p.rsplit("/", 1)[-1] for p in table["path"]] == ["noisy_0.wav", "clean.wav", "noisy_20.wav"]
    assert list(table["speaker"]) == ["a", "a", "b"] and list(table["condition"]) == ["noise_0dB", "clean", "noise_20dB"]
    noisy0, clean, noisy20 = table["pesq"]
    assert clean > 4.4 and noisy0 < noisy20 < clean
    assert table["stoi"][1] > 0.99 and table["sisdr"][0] < table["sisdr"][2] < table["sisdr"][1]


def test_parallel_labels_equal_serial_and_defaults(pairs_folder, tmp_path):
    table = pd.read_csv(pairs_folder / "pairs.csv").drop(columns=["speaker", "condition"]).iloc[[0, 1, 3]]
    table["path"] = [str(pairs_folder / p) for p in table["path"]]
    table["ref_path"] = [str(pairs_folder / p) for p in table["ref_path"]]
    table.to_csv(tmp_path / "plain.csv", index=False)
    pairs = read_pairs(tmp_path / "plain.csv")
    assert set(pairs["speaker"]) == {"unknown"} and set(pairs["condition"]) == {"real"}
    serial, failed = label_pairs(pairs, workers=1, progress=False)
    parallel, _ = label_pairs(pairs, workers=2, progress=False)
    assert failed.empty and len(serial) == 3
    pd.testing.assert_frame_equal(serial, parallel)


def test_read_pairs_speaker_ids_and_blanks(tmp_path):
    (tmp_path / "p.csv").write_text("path,ref_path,speaker,condition\na.wav,r.wav,19,\nb.wav,r.wav,,car 5 dB\n")
    pairs = read_pairs(tmp_path / "p.csv")
    assert list(pairs["speaker"]) == ["19", "unknown"] and list(pairs["condition"]) == ["real", "car_5_dB"]
    assert pairs["ref_path"][0] == str(tmp_path / "r.wav")
    (tmp_path / "q.csv").write_text("path,ref_path\na.wav,r.wav\nb.wav,\n")
    with pytest.raises(ListError, match="row 2.*no ref_path"):
        read_pairs(tmp_path / "q.csv")


def test_read_pairs_errors(tmp_path):
    (tmp_path / "a.list").write_text("x.wav 1.0\n")
    with pytest.raises(ListError, match="csv or .tsv"):
        read_pairs(tmp_path / "a.list")
    (tmp_path / "b.csv").write_text("path,score\nx.wav,1.0\n")
    with pytest.raises(ListError, match="no ref_path column"):
        read_pairs(tmp_path / "b.csv")
    with pytest.raises(FileNotFoundError):
        read_pairs(tmp_path / "none.csv")
    assert corpus.main(["label", str(tmp_path / "b.csv"), "--out", str(tmp_path / "o.list"), "--quiet"]) == 2
    assert not (tmp_path / "o.list").exists()


def test_label_pair_cuts_to_the_shorter_signal():
    x = speech_like(np.random.default_rng(3), 2.0)
    longer = np.concatenate([x, np.zeros(800, np.float32)])
    assert label_pair(x, longer) == corpus.compute_labels(x, x)
