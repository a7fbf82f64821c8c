"""Reference-difference frame targets: their values, corpus targets, the dataset crop, the loss and
a training run that learns them."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from quality import corpus
from quality.data import ListDataset, collate_batch
from quality.lists import read_list, write_list
from quality.losses import build_loss
from quality.models import build_model
from quality.models.base import DIFFERENCE_KEY
from quality.reference_difference import (
    add_difference_targets,
    best_lag,
    difference_frontend,
    main as difference_main,
    reference_difference,
)
from quality.scores import ScoreRange
from quality.training.cli import init_weights
from quality.training.cli import main as train_main
from synthetic import speech_like
from test_corpus import build, make_tree

SR = 16000
pytestmark = pytest.mark.filterwarnings("ignore:.*digital silence:UserWarning")


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return speech_like(np.random.default_rng(5), 2.0).astype(np.float64)


def test_best_lag_finds_the_delay(speech):
    delayed = np.concatenate([np.zeros(137), speech])[: len(speech)]
    assert best_lag(speech, delayed, 4000) == 137
    assert best_lag(delayed, speech, 4000) == -137
    assert best_lag(speech, np.zeros_like(speech), 4000) == 0


def test_difference_is_zero_for_a_delayed_rescaled_copy_and_has_the_degraded_frames(speech):
    frontend = difference_frontend({"mel_bands": 32})
    delayed = 0.3 * np.concatenate([np.zeros(500), speech])[: len(speech) + 300]
    diff = reference_difference(speech, delayed, frontend)
    assert diff.shape == (len(delayed) // 256 + 1, 32) and diff.dtype == np.float32
    # the first 500 samples have no counterpart; past them the copy matches its reference
    assert np.abs(diff[4:-4]).max() < 0.05


def test_difference_signs_added_noise_and_removed_bands(speech):
    frontend = difference_frontend({"mel_bands": 32})
    rng = np.random.default_rng(0)
    noisy = speech + 0.05 * rng.standard_normal(len(speech))
    assert reference_difference(speech, noisy, frontend).mean() > 0.3  # energy added (dB / 10)
    spectrum = np.fft.rfft(speech)
    spectrum[len(spectrum) // 8 :] = 0  # low-pass at 1 kHz
    lowpassed = np.fft.irfft(spectrum, len(speech))
    diff = reference_difference(speech, lowpassed, frontend)
    # bands 12-18 (1.2-2.3 kHz) lost their energy; the lowest bands kept theirs (up to the level change)
    assert diff[:, 12:19].mean() < -0.5 and abs(diff[:, 1:6].mean()) < 0.3
    assert diff.min() >= -4.0 and diff.max() <= 4.0  # clipped to +-40 dB
    with pytest.raises(ValueError, match="empty"):
        reference_difference(speech, np.zeros(0), frontend)


@pytest.fixture(scope="module")
def targets(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("refdiff")
    tree = make_tree(root / "tree")
    build(tree, root / "corpus", 24)
    out = root / "train_diff.list"
    rows, failures = add_difference_targets(root / "corpus" / "train.list", out, {"mel_bands": 16}, workers=1,
                                            progress=False)
    assert not failures and rows == len(read_list(root / "corpus" / "train.list"))
    return root / "corpus", out


def test_corpus_targets_match_the_clean_reference_of_each_file(targets):
    folder, out = targets
    table = read_list(out)
    path = table["path"].iloc[0]
    index = int(Path(path).stem)
    clean, degraded = corpus.regenerate(folder, index)
    from quality.audio import load_audio

    expected = reference_difference(clean, load_audio(path), difference_frontend({"mel_bands": 16}))
    stored = np.load(table["difference"].iloc[0])
    assert stored.dtype == np.float16 and stored.shape == expected.shape
    np.testing.assert_allclose(stored.astype(np.float32), expected, atol=2e-3)


def test_target_command_reports_files_that_are_not_corpus_files(targets, tmp_path, capsys):
    folder, out = targets
    table = read_list(out).head(3)
    stray = tmp_path / "stray.flac"
    import shutil

    shutil.copy(table["path"].iloc[0], stray)
    mixed = pd.concat([table.drop(columns="difference"), table.head(1).drop(columns="difference").assign(path=str(stray))])
    write_list(mixed, tmp_path / "mixed.list")
    assert difference_main([str(tmp_path / "mixed.list"), "--out", str(tmp_path / "o.list"), "--mel-bands", "16",
                            "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "stray.flac: ValueError: " in err and "not a file of a built corpus" in err
    assert len(read_list(tmp_path / "o.list")) == 3  # the others are kept


def test_dataset_crops_on_frame_boundaries_with_the_matching_rows(targets):
    _, out = targets
    table = read_list(out)
    data = ListDataset(table, "pesq", crop_seconds=0.5, difference="difference", frame_hop=256)
    torch.manual_seed(0)
    item = data[0]
    full = np.load(table["difference"].iloc[0]).astype(np.float32)
    assert item["difference"].shape == (8000 // 256 + 1, 16)
    rows = [r for r in range(full.shape[0] - item["difference"].shape[0] + 1)
            if np.array_equal(full[r : r + item["difference"].shape[0]], item["difference"].numpy())]
    assert rows, "the crop's rows are a run of the file's rows"
    batch = collate_batch([data[0], ListDataset(table, "pesq", difference="difference")[1]])
    assert batch["difference"].shape[0] == 2 and torch.isnan(batch["difference"][0, -1]).all()
    bad = table.head(1).assign(difference=table["difference"].iloc[1])  # another file's (shorter/longer) array
    lengths = [np.load(p).shape[0] for p in table["difference"].head(2)]
    if lengths[0] != lengths[1]:
        with pytest.raises(ValueError, match="reference-difference rows"):
            ListDataset(bad, "pesq", difference="difference")[0]
    with pytest.raises(ValueError, match="speed perturbation"):
        ListDataset(table, "pesq", speed_factors=[0.9, 1.0], difference="difference")


def test_difference_loss_masks_padding_and_missing_targets():
    model = build_model("hasanet", lstm_hidden=8, linear_size=8, difference_bands=4, features={"mel_bands": 16})
    model.train()
    wav = torch.randn(2, 4000)
    out = model(wav, torch.tensor([4000, 2000]))
    assert out.difference_frames.shape == (2, 16, 4)
    loss = build_loss("difference_mse", ScoreRange(1.0, 5.0))
    y = torch.full((2, 16, 4), float("nan"))
    y[0] = 0.5
    y[1, :5] = -0.5
    value, _ = loss(out, torch.zeros(2), {DIFFERENCE_KEY: y})
    pred = out.difference_frames
    expected = torch.cat([(pred[0] - 0.5).pow(2).flatten(), (pred[1, :5] + 0.5).pow(2).flatten()]).mean()
    torch.testing.assert_close(value, expected)
    assert loss(out, torch.zeros(2), {})[0].item() == 0.0  # no targets (validation lists) -> 0
    scores = model.eval()(wav).utterance_score
    del model.difference_head  # an auxiliary head: the scores never depend on it
    model.difference_head = None
    torch.testing.assert_close(model(wav).utterance_score, scores)
    plain = build_model("hasanet", lstm_hidden=8, linear_size=8, features={"mel_bands": 16}).train()
    with pytest.raises(ValueError, match="difference_bands"):
        loss(plain(wav), torch.zeros(2), {DIFFERENCE_KEY: y})
    with pytest.raises(ValueError, match="difference_bands"):
        build_model("hasanet", difference_bands=-1)


def test_training_learns_the_targets_from_a_start_without_the_head(targets, tmp_path):
    _, out = targets
    common = ["--model", "hasanet", "--train", str(out), "--valid", str(out), "--target", "pesq",
              "--set", "model.lstm_hidden=16", "--set", "model.linear_size=16", "--set", "model.features={mel_bands: 16}",
              "--set", "model.score_range=[1.0,4.64]", "--batch-size", "8", "--num-workers", "0",
              "--crop-seconds", "1.0", "--seed", "0"]
    assert train_main([*common, "--out", str(tmp_path / "plain"), "--max-epochs", "1"]) == 0
    (plain,) = (tmp_path / "plain").iterdir()
    assert train_main([*common, "--out", str(tmp_path / "aux"), "--max-epochs", "8", "--set", "model.difference_bands=16",
                       "--loss", "mse+difference_mse", "--init", str(plain / "model.pt"), "--crop-seconds", "0",
                       "--lr", "1e-2"]) == 0
    (aux,) = (tmp_path / "aux").iterdir()
    metrics = pd.read_csv(aux / "metrics.csv")
    assert "train_difference_mse" in metrics.columns
    # the validation list has the targets too: its loss (mse + difference_mse) falls steadily
    learnt = metrics["val_loss"].dropna()
    assert len(learnt) == 8 and learnt.iloc[-1] < 0.8 * learnt.iloc[0]
    from quality.checkpoint import load_model

    model, _ = load_model(aux / "model.pt")
    assert model.difference_bands == 16
    # the head starts fresh on top of weights without it; everything else is copied
    start, _ = load_model(plain / "model.pt")
    fresh = build_model("hasanet", lstm_hidden=16, linear_size=16, features={"mel_bands": 16},
                        score_range=(1.0, 4.64), difference_bands=16, conditions=start.conditions)
    init_weights(fresh, plain / "model.pt")
    torch.testing.assert_close(fresh.frame_head.weight, start.frame_head.weight)
    # a model without the head refuses the loss
    assert train_main([*common, "--out", str(tmp_path / "bad"), "--max-epochs", "1", "--loss", "mse+difference_mse"]) == 1
