"""End-to-end training on generated audio (score = SNR): learning, run folder, resume, DDP, evaluate."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from quality.checkpoint import load_model
from quality.training.cli import main as train_main
from quality.training.schedule import cosine_factor

REPO = Path(__file__).resolve().parents[1]
SMALL = ["--set", "model.lstm_hidden=32", "--set", "model.linear_size=32", "--set", "model.score_range=[0,30]",
         "--batch-size", "8", "--num-workers", "0", "--crop-seconds", "1.0", "--lr", "3e-3", "--seed", "0"]
LINE = re.compile(r"^mse: \d+\.\d{4}, lcc: -?\d\.\d{4}, srcc: -?\d\.\d{4}$")


def run_folder(out: Path) -> Path:
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


def csv_lists(snr_lists, folder: Path, **columns) -> list[Path]:
    """The (train, valid) SNR lists as CSV files in ``folder`` with extra columns computed from each table."""
    written = []
    for source in snr_lists:
        table = pd.read_csv(source, sep=r"\s+", comment="#", names=["path", "score", "speaker"])
        for name, compute in columns.items():
            table[name] = compute(table)
        target = folder / source.name.replace(".list", ".csv")
        table.assign(path=[str(source.parent / p) for p in table["path"]]).to_csv(target, index=False)
        written.append(target)
    return written


@pytest.fixture(scope="module")
def trained(snr_lists, tmp_path_factory):
    train, valid = snr_lists
    out = tmp_path_factory.mktemp("runs")
    args = ["--model", "hasanet", "--train", str(train), "--valid", str(valid), "--max-epochs", "6",
            "--monitor", "val_loss", "--out", str(out), "--set", "lr_scheduler={name: plateau, patience: 1}", *SMALL]
    assert train_main(args) == 0
    return run_folder(out)


def test_tiny_end_to_end_run_learns_snr(trained, snr_lists, capsys):
    for name in ("config.yaml", "metrics.csv", "model.pt", "checkpoints/best.ckpt", "checkpoints/last.ckpt"):
        assert (trained / name).exists(), name
    assert re.match(r"hasanet_\d{8}_\d{6}$", trained.name)
    model, meta = load_model(trained / "model.pt")
    assert meta["target"] == "score" and meta["valid_metrics"]["lcc"] > 0.8
    payload = torch.load(trained / "model.pt", weights_only=True)
    assert payload["config"]["lstm_hidden"] == 32
    metrics = pd.read_csv(trained / "metrics.csv")
    assert {"val_lcc", "val_srcc", "val_mse", "val_loss", "train_loss"} <= set(metrics.columns)


def test_last_printed_line_is_the_metrics(snr_lists, tmp_path, capsys):
    train, valid = snr_lists
    assert train_main(["--model", "cnn_mattn", "--train", str(train), "--valid", str(valid), "--max-epochs", "1",
                       "--out", str(tmp_path), "--set", "model.channels=16", *SMALL[6:]]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert LINE.match(last), last


def test_resume_continues_from_saved_epoch(snr_lists, tmp_path):
    train, valid = snr_lists
    args = ["--model", "hasanet", "--train", str(train), "--valid", str(valid), "--out", str(tmp_path), *SMALL]
    assert train_main([*args, "--max-epochs", "2"]) == 0
    folder = run_folder(tmp_path)
    first = pd.read_csv(folder / "metrics.csv").dropna(subset=["val_lcc"])
    assert first["epoch"].tolist() == [0, 1]
    assert train_main(["--resume", str(folder), "--max-epochs", "4"]) == 0
    assert [p for p in tmp_path.iterdir() if p.is_dir()] == [folder]  # same folder, no new run
    resumed = pd.read_csv(folder / "metrics.csv").dropna(subset=["val_lcc"])
    assert resumed["epoch"].tolist() == [0, 1, 2, 3]  # earlier epochs kept, training went on from 2
    assert load_model(folder / "model.pt")[1]["epochs_trained"] == 4


def test_init_starts_a_new_run_from_given_weights(trained, snr_lists, tmp_path, capsys):
    train, valid = snr_lists
    args = ["--model", "hasanet", "--train", str(train), "--valid", str(valid), "--out", str(tmp_path), *SMALL]
    # zero epochs of training: the new run's model.pt holds exactly the initial weights
    assert train_main([*args, "--init", str(trained / "model.pt"), "--max-epochs", "1", "--lr", "1e-12"]) == 0
    start, _ = load_model(trained / "model.pt")
    tuned, meta = load_model(run_folder(tmp_path) / "model.pt")
    assert meta["train_config"]["init"] == str(trained / "model.pt")
    for (name, a), b in zip(start.state_dict().items(), tuned.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0, msg=name)
    other = tmp_path / "other"
    assert train_main([*args, "--out", str(other), "--init", str(trained / "model.pt"),
                       "--set", "model.lstm_hidden=16", "--max-epochs", "1"]) == 1
    assert "do not fit" in capsys.readouterr().err


def test_ema_weights_are_validated_and_saved(snr_lists, tmp_path):
    train, valid = snr_lists
    args = ["--model", "hasanet", "--train", str(train), "--valid", str(valid), "--out", str(tmp_path),
            "--max-epochs", "2", "--set", "ema_decay=0.9", "--set", "speed_perturb=[0.9, 1.1]", *SMALL]
    assert train_main(args) == 0
    folder = run_folder(tmp_path)
    last = torch.load(folder / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    averaged, current = last["state_dict"], last["current_model_state"]
    assert any(not torch.equal(averaged[k], current[k]) for k in averaged)  # two different weight sets
    best = torch.load(folder / "checkpoints" / "best.ckpt", map_location="cpu", weights_only=True)["state_dict"]
    model, meta = load_model(folder / "model.pt")
    for name, value in model.state_dict().items():  # model.pt holds the averaged weights of the best epoch
        torch.testing.assert_close(value, best[f"model.{name}"], atol=0, rtol=0, msg=name)
    logged = pd.read_csv(folder / "metrics.csv").dropna(subset=["val_lcc"])["val_lcc"]
    assert min(abs(logged - meta["valid_metrics"]["lcc"])) < 1e-4  # validation ran on the averaged weights
    assert meta["train_config"]["speed_perturb"] == [0.9, 1.1] and meta["train_config"]["ema_decay"] == 0.9
    assert train_main(["--resume", str(folder), "--max-epochs", "3"]) == 0  # the average resumes with the run
    assert load_model(folder / "model.pt")[1]["epochs_trained"] == 3


def test_keep_weights_last_saves_the_final_epoch_not_the_best(snr_lists, tmp_path):
    train, valid = snr_lists
    args = ["--model", "hasanet", "--train", str(train), "--valid", str(valid), "--out", str(tmp_path),
            "--max-epochs", "2", "--set", "keep_weights=last", *SMALL]
    assert train_main(args) == 0
    folder = run_folder(tmp_path)
    last = torch.load(folder / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert last["epoch"] == 1
    model, meta = load_model(folder / "model.pt")
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, last["state_dict"][f"model.{name}"], atol=0, rtol=0, msg=name)
    assert meta["best_checkpoint"] == "last.ckpt" and meta["train_config"]["keep_weights"] == "last"


def test_resume_errors_are_clear(tmp_path, capsys):
    assert train_main(["--resume", str(tmp_path)]) == 1
    assert "no checkpoint to resume from" in capsys.readouterr().err


def test_bad_config_values_are_clear(snr_lists, tmp_path, capsys):
    train, valid = snr_lists
    base = ["--train", str(train), "--valid", str(valid), "--out", str(tmp_path)]
    assert train_main([*base, "--model", "nope"]) == 1
    assert "unknown model" in capsys.readouterr().err
    assert train_main([*base, "--loss", "mse+bogus"]) == 1
    assert "bogus" in capsys.readouterr().err
    assert train_main([*base, "--set", "lr_scheduler={name: step}"]) == 1
    assert "lr_scheduler" in capsys.readouterr().err
    assert train_main([*base, "--set", "lr_scheduler={name: cosine, final: 2}"]) == 1
    assert "lr_scheduler.final" in capsys.readouterr().err
    assert train_main([*base, "--set", "lr_scheduler={name: cosine, patience: 2}"]) == 1
    assert "patience" in capsys.readouterr().err
    assert train_main([*base, "--set", "ema_decay=1.5"]) == 1
    assert "ema_decay" in capsys.readouterr().err
    assert train_main([*base, "--set", "keep_weights=final"]) == 1
    assert "keep_weights" in capsys.readouterr().err
    assert train_main([*base, "--set", "speed_perturb=0.9"]) == 1
    assert "speed_perturb" in capsys.readouterr().err
    assert train_main([*base, "--model", "hasanet", "--loss", "mse+ce"]) == 1
    assert "ce" in capsys.readouterr().err
    assert train_main(["--model", "hasanet", "--train", str(tmp_path / "none.list"), "--valid", str(valid)]) == 1
    assert "none.list" in capsys.readouterr().err


def test_evaluate_cli_writes_csv_plot_and_metrics(trained, snr_lists, tmp_path):
    _, valid = snr_lists
    out = tmp_path / "eval"
    proc = subprocess.run([sys.executable, "-m", "quality.evaluate", "--checkpoint", str(trained / "model.pt"),
                           "--list", str(valid), "--out", str(out)], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert LINE.match(proc.stdout.strip().splitlines()[-1])
    rows = pd.read_csv(out / "predictions.csv")
    assert len(rows) == 16 and set(rows.columns) == {"path", "target", "prediction", "error"}
    report = json.loads((out / "metrics.json").read_text())
    meta = load_model(trained / "model.pt")[1]["valid_metrics"]
    assert report["lcc"] == pytest.approx(meta["lcc"], abs=1e-6)  # same scores as training's final evaluation
    assert (out / "scatter.png").read_bytes()[:4] == b"\x89PNG"
    by_speaker = pd.read_csv(out / "metrics_by_speaker.csv")  # the list has a speaker column
    assert by_speaker["n"].sum() == 16
    assert not (out / "metrics_by_degradation.csv").exists()  # no condition column
    low, high = report["ci95"]["lcc"]
    assert report["ci95"]["resampled"] == "speakers" and low <= report["lcc"] <= high
    assert "95% interval, 1000 resamples of the speakers: lcc" in proc.stdout
    from quality.lists import read_list
    from quality.metrics import group_balanced_lcc
    speakers = read_list(valid)["speaker"].to_numpy()
    assert report["lcc_speaker_balanced"] == pytest.approx(
        group_balanced_lcc(rows["prediction"], rows["target"], speakers), abs=1e-9)
    assert "lcc with every speaker weighing the same:" in proc.stdout


def test_evaluate_cli_reports_each_part_of_combined_conditions(trained, snr_lists, tmp_path):
    _, valid = snr_lists
    rows = [line for line in valid.read_text().splitlines() if not line.startswith("#")]
    conditions = ["noise", "noise+reverb", "reverb", "clean"]
    combined = valid.parent / "valid_conditions.list"
    combined.write_text("# columns: path score speaker condition\n" + "".join(
        f"{row} {conditions[i % 4]}\n" for i, row in enumerate(rows)))
    out = tmp_path / "eval"
    proc = subprocess.run([sys.executable, "-m", "quality.evaluate", "--checkpoint", str(trained / "model.pt"),
                           "--list", str(combined), "--out", str(out)], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    by_part = pd.read_csv(out / "metrics_by_degradation.csv").set_index("group")
    assert by_part["n"].to_dict() == {"clean": 4, "noise": 8, "reverb": 8}
    errors = pd.read_csv(out / "predictions.csv")["error"].to_numpy()
    assert by_part.loc["clean", "bias"] == pytest.approx(errors[3::4].mean(), abs=1e-6)
    assert "noise+reverb" in pd.read_csv(out / "metrics_by_condition.csv")["group"].tolist()


def test_ddp_two_cpu_processes_on_gloo(snr_lists, tmp_path):
    train, valid = snr_lists
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, str(REPO / "train_quality.py"), "--model", "hasanet", "--train", str(train),
         "--valid", str(valid), "--max-epochs", "1", "--out", str(tmp_path), "--accelerator", "cpu",
         "--devices", "2", *SMALL],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "distributed_backend=gloo" in proc.stderr + proc.stdout
    folder = run_folder(tmp_path)  # both ranks wrote into one run folder
    assert (folder / "model.pt").exists()
    assert LINE.match(proc.stdout.strip().splitlines()[-1])


def test_extra_head_is_trained_and_reported(snr_lists, tmp_path):
    lists = csv_lists(snr_lists, tmp_path, half=lambda table: table["score"] / 2)
    args = ["--model", "hasanet", "--train", str(lists[0]), "--valid", str(lists[1]), "--max-epochs", "1",
            "--out", str(tmp_path / "runs"), "--loss", "mse+frame_mse+heads_mse", "--set", "model.heads={half: [0, 15]}",
            *SMALL]
    assert train_main(args) == 0
    folder = run_folder(tmp_path / "runs")
    assert "val_half_lcc" in pd.read_csv(folder / "metrics.csv").columns
    _, meta = load_model(folder / "model.pt")
    assert set(meta["valid_head_metrics"]["half"]) >= {"mse", "lcc", "srcc"}
    # quality.evaluate keeps the head's predictions and metrics, not only the main score's
    from quality.evaluate import main as evaluate_main
    out = tmp_path / "eval"
    assert evaluate_main(["--checkpoint", str(folder / "model.pt"), "--list", str(lists[1]), "--out", str(out),
                          "--bootstrap", "0"]) == 0
    rows = pd.read_csv(out / "predictions.csv")
    assert {"prediction_half", "target_half"} <= set(rows.columns)
    assert rows["target_half"].to_numpy() == pytest.approx(rows["target"].to_numpy() / 2)
    assert rows["prediction_half"].between(0, 15).all()
    report = json.loads((out / "metrics.json").read_text())
    assert report["heads"]["half"]["lcc"] == pytest.approx(meta["valid_head_metrics"]["half"]["lcc"], abs=1e-6)


def test_last_checkpoint_follows_the_latest_epoch_not_the_best(tmp_path):
    import lightning as L

    from quality.training.runner import checkpoint_callbacks

    class Worsening(L.LightningModule):
        """Validation score falls every epoch, so the best epoch is the first."""

        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(torch.zeros(1))

        def training_step(self, batch, batch_idx):
            return (self.weight - 1.0).pow(2).sum()

        def validation_step(self, batch, batch_idx):
            self.log("val_lcc", -float(self.current_epoch))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    data = torch.utils.data.DataLoader(torch.zeros(2, 1), batch_size=1)
    best, last = checkpoint_callbacks(tmp_path, "val_lcc", "max")
    trainer = L.Trainer(max_epochs=3, callbacks=[best, last], logger=False, enable_progress_bar=False,
                        enable_model_summary=False, accelerator="cpu")
    trainer.fit(Worsening(), data, data)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.ckpt", "last.ckpt"]
    assert torch.load(tmp_path / "best.ckpt", weights_only=True)["epoch"] == 0
    assert torch.load(tmp_path / "last.ckpt", weights_only=True)["epoch"] == 2


def test_degradation_classifier_is_trained_from_the_condition_column(snr_lists, tmp_path):
    lists = csv_lists(snr_lists, tmp_path,
                      condition=lambda table: ["noise" if snr < 15 else "clean" for snr in table["score"]])
    args = ["--model", "hasanet", "--train", str(lists[0]), "--valid", str(lists[1]), "--max-epochs", "3",
            "--out", str(tmp_path / "runs"), "--loss", "mse+frame_mse+condition_bce", "--set", "model.conditions=auto",
            *SMALL]
    assert train_main(args) == 0
    folder = run_folder(tmp_path / "runs")
    assert "train_condition_bce" in pd.read_csv(folder / "metrics.csv").columns
    model, meta = load_model(folder / "model.pt")
    assert model.conditions == ["noise"] and meta["train_config"]["model"]["conditions"] == ["noise"]
    # The classifier separates the noisier half of the validation files from the rest.
    from quality.audio import load_audio
    valid = pd.read_csv(lists[1])
    with torch.no_grad():
        logits = [float(model(torch.from_numpy(load_audio(p))[None]).condition_logits) for p in valid["path"]]
    noisy = valid["condition"].eq("noise").to_numpy()
    assert pd.Series(logits)[noisy].mean() - pd.Series(logits)[~noisy].mean() > 0.5
    # quality.evaluate measures how well it detects each type
    from quality.evaluate import main as evaluate_main
    from quality.metrics import detection_auc

    assert evaluate_main(["--checkpoint", str(folder / "model.pt"), "--list", str(lists[1]), "--out",
                          str(tmp_path / "eval"), "--bootstrap", "0"]) == 0
    detection = pd.read_csv(tmp_path / "eval" / "degradation_detection.csv")
    assert detection["type"].tolist() == ["noise"] and detection["present"].tolist() == [int(noisy.sum())]
    expected = detection_auc(np.array(logits)[:, None], noisy[:, None], ["noise"])["auc"].iloc[0]  # AUC: ranks only
    assert detection["auc"].iloc[0] == pytest.approx(expected, abs=1e-9) and expected > 0.5
    rows = pd.read_csv(tmp_path / "eval" / "predictions.csv")
    np.testing.assert_allclose(rows["p_noise"], 1 / (1 + np.exp(-np.array(logits))), atol=1e-5)
    report = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert report["degradation_auc_mean"] == pytest.approx(expected, abs=1e-9)


def test_epoch_batches_sets_how_often_a_large_list_is_validated(snr_lists, tmp_path):
    train, valid = snr_lists
    args = ["--model", "hasanet", "--train", str(train), "--valid", str(valid), "--max-epochs", "2",
            "--out", str(tmp_path), "--set", "epoch_batches=3", *SMALL]
    assert train_main(args) == 0
    folder = run_folder(tmp_path)
    last = torch.load(folder / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    assert last["global_step"] == 6 and last["epoch"] == 1
    assert pd.read_csv(folder / "metrics.csv")["val_lcc"].notna().sum() == 2
    assert train_main([*args, "--set", "epoch_batches=0"]) == 1


def test_cosine_schedule_ends_at_the_final_rate_with_the_step_budget(snr_lists, tmp_path):
    train, valid = snr_lists
    args = ["--model", "hasanet", "--train", str(train), "--valid", str(valid), "--max-epochs", "2",
            "--out", str(tmp_path), "--set", "epoch_batches=3",
            "--set", "lr_scheduler={name: cosine, warmup: 0.2, final: 0.1}", *SMALL]
    assert train_main(args) == 0
    last = torch.load(run_folder(tmp_path) / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)
    (group,) = last["optimizer_states"][0]["param_groups"]
    # the last of 6 batches ran at progress 5/6 of the budget; the base rate is kept for --resume
    assert group["initial_lr"] == pytest.approx(3e-3)
    assert group["lr"] == pytest.approx(3e-3 * cosine_factor(5 / 6, 0.2, 0.1))
    logged = pd.read_csv(run_folder(tmp_path) / "metrics.csv")["lr"].dropna()
    assert len(logged) >= 2 and logged.is_monotonic_decreasing


def test_calibrate_cli_fits_a_line_on_held_out_scores(trained, snr_lists, tmp_path, capsys):
    from quality.calibrate import main as calibrate_main
    from quality.evaluate import predict_table
    from quality.lists import read_list

    _, valid = snr_lists
    out = tmp_path / "calibrated.pt"
    assert calibrate_main(["--checkpoint", str(trained / "model.pt"), "--list", str(valid), "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "score = " in printed and "before:" in printed and "after:" in printed
    model, meta = load_model(out)
    scale, offset = model.calibration
    assert model.config["calibration"] == [scale, offset] and meta["calibration"]["list"] == str(valid)
    table = read_list(valid, target="score")
    pred, _, _ = predict_table(model, table)
    raw, _, _ = predict_table(load_model(trained / "model.pt")[0], table)
    # the line is the least-squares fit of the labels on the raw scores, applied by the saved model
    true = table["score"].to_numpy()
    assert abs(meta["calibration"]["mean_error_after"]) <= abs(meta["calibration"]["mean_error_before"]) + 1e-6
    assert ((pred - true) ** 2).mean() <= ((raw - true) ** 2).mean() + 1e-9
    assert abs(pred - (raw * scale + offset).clip(0, 30)).max() < 1e-4
    # calibrating again fits on the raw scores, not on the calibrated ones
    again = tmp_path / "again.pt"
    assert calibrate_main(["--checkpoint", str(out), "--list", str(valid), "--output", str(again)]) == 0
    assert load_model(again)[0].calibration == pytest.approx((scale, offset), rel=1e-5)
    assert calibrate_main(["--checkpoint", str(out), "--list", str(tmp_path / "none.list"),
                           "--output", str(tmp_path / "x.pt")]) == 1
    assert "none.list" in capsys.readouterr().err and not (tmp_path / "x.pt").exists()
    with pytest.raises(SystemExit):
        calibrate_main(["--checkpoint", str(out), "--list", str(valid), "--output", str(out)])
    # --degree 3: P.1401's cubic, fitted on the same raw scores; what the saved model applies
    cubic = tmp_path / "cubic.pt"
    assert calibrate_main(["--checkpoint", str(out), "--list", str(valid), "--output", str(cubic), "--degree", "3"]) == 0
    assert "x raw^3" in capsys.readouterr().out
    model3, meta3 = load_model(cubic)
    assert len(model3.calibration) == 4 and meta3["calibration"]["coefficients"] == list(model3.calibration)
    pred3, _, _ = predict_table(model3, table)
    assert ((pred3 - true) ** 2).mean() <= ((pred - true) ** 2).mean() + 1e-6  # the cubic contains the line


def test_fit_calibration_refuses_lines_it_cannot_support():
    import numpy as np

    from quality.calibrate import fit_calibration

    x = np.linspace(1, 4, 50)
    assert fit_calibration(x, 2 * x - 1) == pytest.approx((2.0, -1.0))
    with pytest.raises(ValueError, match="at least"):
        fit_calibration(x[:5], x[:5])
    with pytest.raises(ValueError, match="same score"):
        fit_calibration(np.ones(50), x)
    with pytest.raises(ValueError, match="slope"):
        fit_calibration(x, -x)


def test_fit_calibration_cubic_recovers_a_rising_cubic_and_refuses_a_falling_one():
    import numpy as np

    from quality.calibrate import apply_calibration, describe_calibration, fit_calibration
    from quality.scores import ScoreRange

    scores = ScoreRange(1.0, 4.64)
    x = np.linspace(1.2, 4.0, 60)
    cubic = (0.05, -0.2, 1.1, -0.1)  # slope 0.15x² - 0.4x + 1.1 > 0 everywhere
    fitted = fit_calibration(x, np.polyval(cubic, x), 3, scores)
    assert fitted == pytest.approx(cubic, abs=1e-6)
    assert apply_calibration(np.array([0.0, 2.0, 9.0]), fitted, scores) == pytest.approx(
        np.clip(np.polyval(cubic, [1.0, 2.0, 4.64]), 1.0, 4.64), abs=1e-6)  # reads clamped raw scores
    assert describe_calibration(fitted) == "0.0500 x raw^3 -0.2000 x raw^2 +1.1000 x raw -0.1000" and describe_calibration((1.5, -0.25)) == "1.5000 x raw -0.2500"
    with pytest.raises(ValueError, match="use --degree 1"):
        fit_calibration(x, -(x - 2.5) ** 2 + 3 * x, 3, scores)  # rises, then falls: no rising cubic fits
    with pytest.raises(ValueError, match="degree"):
        fit_calibration(x, x, 2, scores)


def test_ensemble_of_a_model_with_itself_scores_as_the_model(trained, snr_lists, tmp_path, capsys):
    from quality.ensemble import main as ensemble_main

    _, valid = snr_lists
    member = str(trained / "model.pt")
    out = tmp_path / "twice.pt"
    assert ensemble_main(["--members", member, member, "--output", str(out), "--valid", str(valid)]) == 0
    printed = capsys.readouterr().out.strip().splitlines()[-1]  # the validation line comes last
    _, single = load_model(member)
    model, meta = load_model(out)
    assert meta["valid_list"] == str(valid) and meta["target"] == "score"
    assert meta["valid_metrics"]["lcc"] == pytest.approx(single["valid_metrics"]["lcc"], abs=1e-6)
    assert printed.startswith(f"{valid}: mse: ")
    assert ensemble_main(["--members", member, "--output", str(tmp_path / "one.pt")]) == 1
    assert "at least two" in capsys.readouterr().err


def test_init_copies_the_classifier_rows_of_known_degradation_types(tmp_path):
    from quality import build_model
    from quality.checkpoint import save_model
    from quality.training.cli import init_weights

    small = {"lstm_hidden": 8, "linear_size": 8, "attention_heads": 2}
    torch.manual_seed(0)
    source = build_model("hasanet", conditions=["noise", "reverb", "opus"], **small)
    path = save_model(tmp_path / "source.pt", source.eval())
    torch.manual_seed(1)
    target = build_model("hasanet", conditions=["reverb", "vocoder", "noise"], **small)
    fresh = target.condition_head.weight[1].detach().clone()
    init_weights(target, path)
    head, old = target.condition_head, source.condition_head
    for new_row, old_row in ((0, 1), (2, 0)):  # reverb, noise
        torch.testing.assert_close(head.weight[new_row], old.weight[old_row])
        torch.testing.assert_close(head.bias[new_row], old.bias[old_row])
    torch.testing.assert_close(head.weight[1], fresh)  # the new type keeps its initialisation
    copied = {k: v for k, v in target.state_dict().items() if not k.startswith("condition_head.")}
    assert copied and all(torch.equal(v, source.state_dict()[k]) for k, v in copied.items())


def test_init_across_poolings_keeps_every_frame_score(tmp_path):
    """--init from a mean-pooled model into a disturbance-pooled one keeps the frame scores exactly."""
    from quality import build_model
    from quality.checkpoint import save_model
    from quality.training.cli import init_weights

    small = {"lstm_hidden": 8, "linear_size": 8, "attention_heads": 2, "score_range": [1.0, 4.64]}
    torch.manual_seed(0)
    source = build_model("hasanet", **small).eval()
    path = save_model(tmp_path / "source.pt", source)
    target = build_model("hasanet", pooling="disturbance", **small).eval()
    init_weights(target, path)
    wav = 0.1 * torch.randn(2, 16000, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before, after = source(wav), target(wav)
    torch.testing.assert_close(after.frame_scores, before.frame_scores, atol=1e-5, rtol=0)
    # the pooling differs: the utterance score is no longer the mean of the frames
    mean_of_frames = after.frame_scores.mean(1)
    assert torch.all(after.utterance_score <= mean_of_frames + 1e-5)
