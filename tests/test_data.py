"""ListDataset: crops, heads and speed perturbation of training items."""
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from quality.data import ListDataset
from quality.training.config import DEFAULTS, merge, validate_config

SR = 16000


@pytest.fixture()
def tone_table(tmp_path):
    t = np.arange(2 * SR) / SR
    path = tmp_path / "tone.wav"
    sf.write(path, 0.3 * np.sin(2 * np.pi * 500.0 * t), SR, subtype="FLOAT")
    return pd.DataFrame({"path": [str(path)], "pesq": [3.2], "stoi": [0.9]})


def peak_hz(wav: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(wav * np.hanning(len(wav))))
    return float(np.fft.rfftfreq(len(wav), 1 / SR)[np.argmax(spectrum)])


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_speed_perturbation_scales_duration_and_pitch_keeps_targets(tone_table, factor):
    item = ListDataset(tone_table, "pesq", heads=["stoi"], speed_factors=[factor])[0]
    wav = item["wav"].numpy()
    assert abs(len(wav) - 2 * SR / factor) <= 2
    assert abs(peak_hz(wav) - 500.0 * factor) < 5.0
    assert item["target"] == pytest.approx(3.2) and float(item["heads"][0]) == pytest.approx(0.9)


def test_no_speed_perturbation_and_crop(tone_table):
    assert ListDataset(tone_table, "pesq")[0]["wav"].numel() == 2 * SR
    assert ListDataset(tone_table, "pesq", crop_seconds=0.5)[0]["wav"].numel() == SR // 2
    # Perturbation happens before the crop: the crop length is what the model sees.
    assert ListDataset(tone_table, "pesq", crop_seconds=0.5, speed_factors=[0.9, 1.1])[0]["wav"].numel() == SR // 2


def test_speed_factors_are_drawn_from_the_given_set(tone_table):
    data = ListDataset(tone_table, "pesq", speed_factors=[0.9, 1.0, 1.1])
    lengths = {data[0]["wav"].numel() for _ in range(40)}
    assert lengths == {round(2 * SR / f) for f in (0.9, 1.0, 1.1)}


@pytest.mark.parametrize("bad", [[0.1], [3.0]])
def test_speed_factors_out_of_range_are_refused(tone_table, bad):
    with pytest.raises(ValueError, match="speed_perturb"):
        ListDataset(tone_table, "pesq", speed_factors=bad)


@pytest.mark.parametrize("bad", [0.9, [0.9, "fast"], [4.0]])
def test_config_validation_names_speed_perturb(bad):
    with pytest.raises(ValueError, match="speed_perturb"):
        validate_config(merge(DEFAULTS, {"speed_perturb": bad}))


def test_conditions_become_multi_hot_targets(tone_table):
    table = pd.concat([tone_table] * 3, ignore_index=True).assign(condition=["noise+reverb", "clean", "opus+noise"])
    data = ListDataset(table, "pesq", conditions=["noise", "reverb"])
    assert [data[i]["conditions"].tolist() for i in range(3)] == [[1.0, 1.0], [0.0, 0.0], [1.0, 0.0]]
    assert ListDataset(table, "pesq")[0]["conditions"].numel() == 0
    with pytest.raises(ValueError, match="condition"):
        ListDataset(tone_table, "pesq", conditions=["noise"])


@pytest.mark.parametrize("bad", ["yes", [], ["noise", 3]])
def test_config_validation_names_conditions(bad):
    with pytest.raises(ValueError, match="model.conditions"):
        validate_config(merge(DEFAULTS, {"model": {"name": "hasanet", "conditions": bad}}))


def test_missing_files_fail_before_training_with_a_hint(tone_table, tmp_path):
    table = pd.concat([tone_table, tone_table.assign(path=str(tmp_path / "gone.flac"))], ignore_index=True)
    with pytest.raises(ValueError, match=r"1 of the list's 2 files do not exist, e.g. .*gone\.flac.*restore"):
        ListDataset(table, "pesq")
