"""Evaluation metrics against scipy and hand-computed values."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import pearsonr, spearmanr

from quality.metrics import (bootstrap_interval, detection_auc, format_metrics, lcc, metrics_by_group, mse,
                             score_metrics, srcc)
from quality.scores import ScoreRange


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lcc_srcc_match_scipy(seed):
    rng = np.random.default_rng(seed)
    true = rng.uniform(1, 5, 50)
    pred = true + rng.normal(0, 0.7, 50)
    assert lcc(pred, true) == pytest.approx(pearsonr(pred, true)[0], abs=1e-12)
    assert srcc(pred, true) == pytest.approx(spearmanr(pred, true)[0], abs=1e-12)


def test_srcc_with_ties_uses_average_ranks():
    rng = np.random.default_rng(3)
    true = rng.integers(1, 6, 60).astype(float)  # MOS-like integers: many ties
    pred = np.round(true + rng.normal(0, 1.0, 60))  # ties on both sides
    expected = spearmanr(pred, true)[0]
    assert srcc(pred, true) == pytest.approx(expected, abs=1e-12)
    # ordinal ranks (no tie averaging) would give a different value
    ordinal = pearsonr(pred.argsort().argsort(), true.argsort().argsort())[0]
    assert not math.isclose(ordinal, expected, abs_tol=1e-6)
    assert srcc([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(spearmanr([1, 2, 2, 3], [1, 2, 3, 4])[0])


def test_accepts_lists_and_tensors():
    pred, true = [1.0, 2.0, 4.0], [1.5, 2.0, 3.0]
    assert lcc(torch.tensor(pred), np.array(true)) == pytest.approx(pearsonr(pred, true)[0])
    assert mse(pred, true) == pytest.approx((0.25 + 0 + 1) / 3)


def test_mse_normalised_vs_raw():
    pred, true = [3.0, 5.0, 2.0], [1.0, 4.0, 2.0]
    m = score_metrics(pred, true, ScoreRange(1.0, 5.0))  # span 4
    assert m["mse_raw"] == pytest.approx((4 + 1 + 0) / 3)
    assert m["mse"] == pytest.approx(((2 / 4) ** 2 + (1 / 4) ** 2) / 3)
    assert m["n"] == 3 and set(m) == {"mse", "mse_raw", "lcc", "srcc", "n"}
    plain = score_metrics(pred, true)
    assert plain["mse"] == plain["mse_raw"] == m["mse_raw"]


def test_constant_or_short_input_gives_nan_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(lcc([3.0, 3.0, 3.0], [1.0, 2.0, 3.0]))
        assert math.isnan(srcc([1.0, 2.0, 3.0], [2.0, 2.0, 2.0]))
        assert math.isnan(lcc([1.0], [2.0]))
        m = score_metrics([1.0], [2.0])
        assert math.isnan(m["lcc"]) and math.isnan(m["srcc"]) and m["mse"] == 1.0


def test_metrics_by_group():
    pred = [1.0, 2.0, 3.0, 4.0, 2.0, 3.0]
    true = [1.5, 2.0, 2.5, 4.0, 3.0, 3.0]
    groups = ["b", "a", "b", "a", "c", "b"]
    sr = ScoreRange(1.0, 5.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = metrics_by_group(pred, true, groups, sr)
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == ["group", "n", "mse", "mse_raw", "bias", "lcc", "srcc"]
    assert table["group"].tolist() == ["a", "b", "c"]
    assert table["n"].tolist() == [2, 3, 1]
    row_b = table.set_index("group").loc["b"]
    b_pred, b_true = [1.0, 3.0, 3.0], [1.5, 2.5, 3.0]
    assert row_b["mse_raw"] == pytest.approx((0.25 + 0.25 + 0) / 3)
    assert row_b["mse"] == pytest.approx(row_b["mse_raw"] / 16)
    assert row_b["lcc"] == pytest.approx(pearsonr(b_pred, b_true)[0])
    assert row_b["srcc"] == pytest.approx(spearmanr(b_pred, b_true)[0])
    assert row_b["bias"] == pytest.approx((-0.5 + 0.5 + 0) / 3)
    row_c = table.set_index("group").loc["c"]
    assert math.isnan(row_c["lcc"]) and math.isnan(row_c["srcc"]) and row_c["mse_raw"] == 1.0
    assert row_c["bias"] == -1.0
    with pytest.raises(ValueError, match="groups and pred differ"):
        metrics_by_group(pred, true, groups[:-1])


def test_metrics_by_group_splits_combined_labels():
    pred = [2.0, 3.0, 4.0, 1.0]
    true = [1.0, 3.0, 3.0, 1.0]
    table = metrics_by_group(pred, true, ["noise", "noise+reverb", "reverb", "clean"], separator="+")
    assert table["group"].tolist() == ["clean", "noise", "reverb"]
    rows = table.set_index("group")
    assert rows["n"].tolist() == [1, 2, 2]
    assert rows.loc["noise", "bias"] == pytest.approx(0.5) and rows.loc["reverb", "bias"] == pytest.approx(0.5)
    assert rows.loc["clean", "mse_raw"] == 0.0
    # Without a separator a combined label is a group of its own.
    assert "noise+reverb" in metrics_by_group(pred, true, ["noise", "noise+reverb", "reverb", "clean"])["group"].tolist()


def test_bootstrap_interval_brackets_the_estimate_and_is_deterministic():
    rng = np.random.default_rng(3)
    true = rng.uniform(1, 5, 300)
    pred = true + rng.normal(0, 0.8, 300)
    speakers = np.repeat(np.arange(30), 10)
    by_speaker = bootstrap_interval(pred, true, speakers, resamples=300)
    assert by_speaker == bootstrap_interval(pred, true, speakers, resamples=300)
    for name, value in (("lcc", lcc(pred, true)), ("srcc", srcc(pred, true))):
        low, high = by_speaker[name]
        assert low < value < high and high - low < 0.3
    assert bootstrap_interval(true * 2, true, resamples=50) == {"lcc": (1.0, 1.0), "srcc": (1.0, 1.0)}


def test_bootstrap_over_groups_sees_between_group_spread():
    # Each speaker has its own offset: resampling speakers spreads the LCC more than resampling files.
    rng = np.random.default_rng(0)
    speakers = np.repeat(np.arange(12), 25)
    true = rng.uniform(1, 5, speakers.size)
    pred = true + rng.normal(0, 1.0, 12)[speakers] + rng.normal(0, 0.2, speakers.size)
    width = {name: np.diff(bootstrap_interval(pred, true, groups, resamples=400)["lcc"])[0]
             for name, groups in (("speakers", speakers), ("files", None))}
    assert width["speakers"] > 1.5 * width["files"]
    better = true + rng.normal(0, 0.3, speakers.size)
    gain = bootstrap_interval(better, true, speakers, resamples=400, baseline=pred)
    assert 0 < gain["lcc"][0] < lcc(better, true) - lcc(pred, true) < gain["lcc"][1]
    assert bootstrap_interval(pred, true, speakers, resamples=50, baseline=pred) == {"lcc": (0.0, 0.0), "srcc": (0.0, 0.0)}
    with pytest.raises(ValueError, match="groups and pred differ"):
        bootstrap_interval(pred, true, speakers[:-1])
    with pytest.raises(ValueError, match="resamples"):
        bootstrap_interval(pred, true, resamples=0)


def test_format_metrics():
    m = {"mse": 0.010234, "lcc": 0.94214, "srcc": 0.93466, "n": 10, "mse_raw": 0.2}
    assert format_metrics(m) == "mse: 0.0102, lcc: 0.9421, srcc: 0.9347"
    assert format_metrics(score_metrics([1, 2, 3], [1, 2, 3])) == "mse: 0.0000, lcc: 1.0000, srcc: 1.0000"


def test_errors():
    with pytest.raises(ValueError, match="differ in length"):
        mse([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="differ in length"):
        score_metrics([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="empty"):
        lcc([], [])
    with pytest.raises(ValueError, match="empty"):
        metrics_by_group([], [], [])
    with pytest.raises(ValueError, match="NaN"):
        srcc([1.0, float("nan")], [1.0, 2.0])


def test_group_balanced_lcc_weighs_every_group_the_same():
    from quality.metrics import group_balanced_lcc

    pred, true = [1.0, 2.0, 3.5, 2.0, 4.0], [1.2, 1.9, 3.0, 3.1, 4.4]
    groups = ["a", "a", "a", "b", "c"]
    # a's three items count once in all, as b's and c's single items do: the same as repeating b and c 3 times
    expected = lcc(pred[:3] + [pred[3]] * 3 + [pred[4]] * 3, true[:3] + [true[3]] * 3 + [true[4]] * 3)
    assert group_balanced_lcc(pred, true, groups) == pytest.approx(expected, abs=1e-12)
    assert group_balanced_lcc(pred, true, list("abcde")) == pytest.approx(lcc(pred, true), abs=1e-12)
    assert expected != pytest.approx(lcc(pred, true), abs=1e-3)
    with pytest.raises(ValueError, match="differ in length"):
        group_balanced_lcc(pred, true, groups[:2])


def test_detection_auc_per_type():
    present = np.array([[1, 0, 1], [1, 0, 0], [0, 0, 1], [0, 0, 0]], dtype=float)
    probs = np.array([[0.9, 0.2, 0.4], [0.8, 0.1, 0.6], [0.3, 0.3, 0.65], [0.1, 0.4, 0.7]])
    table = detection_auc(probs, present, ["noise", "opus", "reverb"])
    assert table["type"].tolist() == ["noise", "opus", "reverb"]
    assert table["present"].tolist() == [2, 0, 2] and table["absent"].tolist() == [2, 4, 2]
    assert table["auc"].iloc[0] == 1.0  # every file with noise ranks above every file without
    assert np.isnan(table["auc"].iloc[1])  # no file has it: undefined, not 0.5
    assert table["auc"].iloc[2] == 0.25  # with (0.4, 0.65) vs without (0.6, 0.7): 1 of 4 pairs in order
    with pytest.raises(ValueError, match=r"\(n, 3\)"):
        detection_auc(probs[:, :2], present, ["noise", "opus", "reverb"])
