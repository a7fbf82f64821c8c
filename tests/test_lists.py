"""Tests for quality.lists: list I/O, score balancing, group splits, stats and the CLI."""
from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quality.lists import (
    ListError,
    balance_list,
    bin_counts,
    format_stats,
    main,
    read_list,
    resolve_target,
    split_list,
    write_list,
)

REPO = Path(__file__).resolve().parents[1]


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "quality.lists", *map(str, args)],
        cwd=cwd or REPO, env=env, capture_output=True, text=True, timeout=120,
    )


def _scored(counts: dict[float, int], speakers: int = 1) -> pd.DataFrame:
    """Rows with score = bin start + 0.1 for each ``{bin start: count}``; cycling speaker ids."""
    rows = []
    for start, n in counts.items():
        for i in range(n):
            rows.append({"path": f"/data/{start}_{i}.wav", "score": start + 0.1, "speaker": f"s{len(rows) % speakers}"})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------- read / write
def test_read_list_comments_extra_columns_relative_paths(tmp_path: Path) -> None:
    folder = tmp_path / "lists"
    folder.mkdir()
    (folder / "a.list").write_text(
        "# a comment\n\n"
        "wavs/one.wav 3.5 clean\n"
        "  # indented comment\n"
        "/abs/two.wav 1 noisy extra\n"
        "../up/three.wav 2.25 clean\n"
    )
    df = read_list(folder / "a.list")
    assert list(df.columns) == ["path", "score", "col3", "col4"]
    assert df["path"].tolist() == [str(folder / "wavs/one.wav"), "/abs/two.wav", str(tmp_path / "up/three.wav")]
    assert df["score"].dtype == np.float64
    assert df["score"].tolist() == [3.5, 1.0, 2.25]
    assert df["col3"].tolist() == ["clean", "noisy", "clean"]
    assert df["col4"].tolist()[1] == "extra" and df["col4"].isna().sum() == 2


def test_list_round_trip_with_columns_header(tmp_path: Path) -> None:
    src = tmp_path / "in.list"
    src.write_text(
        "# columns: path pesq stoi condition speaker\n"
        "# another comment\n"
        "a/x.wav 3.25 0.91 babble 007\n"
        "b/y.wav 1.5 0.5 white 012\n"
    )
    df = read_list(src, target="pesq")
    assert list(df.columns) == ["path", "pesq", "stoi", "condition", "speaker"]
    assert df["pesq"].tolist() == [3.25, 1.5] and df["stoi"].dtype == np.float64
    assert df["speaker"].tolist() == ["007", "012"]  # zero-padded ids stay strings

    out = write_list(df, tmp_path / "out.list")
    text = out.read_text().splitlines()
    assert text[0] == "# columns: path pesq stoi condition speaker"
    assert text[1].split()[0] == "a/x.wav"  # written relative to the output folder
    pd.testing.assert_frame_equal(read_list(out), df)

    elsewhere = write_list(df, tmp_path / "sub" / "out.list", columns=["path", "pesq"])
    first = elsewhere.read_text().splitlines()[0]
    assert first.startswith("# columns: path pesq") and os.path.isabs(elsewhere.read_text().splitlines()[1].split()[0])
    pd.testing.assert_frame_equal(read_list(elsewhere), df[["path", "pesq"]])


def test_default_columns_need_no_header(tmp_path: Path) -> None:
    df = pd.DataFrame({"path": [str(tmp_path / "a.wav")], "score": [2.5], "col3": ["x"]})
    out = write_list(df, tmp_path / "d.list")
    assert out.read_text() == "a.wav 2.5 x\n"
    pd.testing.assert_frame_equal(read_list(out), df)


def test_csv_round_trip_and_conversion(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text('path,mos,note,speaker\nclip one.wav,4.5,"a, b",3\n/abs/two.wav,2,,4\n')
    df = read_list(src)
    assert df["path"].tolist() == [str(tmp_path / "clip one.wav"), "/abs/two.wav"]
    assert df["mos"].tolist() == [4.5, 2.0] and df["speaker"].tolist() == [3.0, 4.0]
    assert df["note"].tolist()[0] == "a, b" and df["note"].isna().tolist()[1]
    with pytest.raises(ValueError, match="several numeric"):
        resolve_target(df)
    assert resolve_target(df, "mos") == "mos"

    out = write_list(df, tmp_path / "out.csv")
    assert out.read_text().splitlines()[0] == "path,mos,note,speaker"
    pd.testing.assert_frame_equal(read_list(out), df)

    tsv = write_list(df, tmp_path / "out.tsv")
    pd.testing.assert_frame_equal(read_list(tsv), df)

    # a path with a space cannot go into a .list
    with pytest.raises(ValueError, match="whitespace"):
        write_list(df, tmp_path / "out.list")
    plain = df.drop(columns=["note"]).iloc[[1]].reset_index(drop=True)
    lst = write_list(plain, tmp_path / "plain.list")
    back = write_list(read_list(lst), tmp_path / "back.csv")
    pd.testing.assert_frame_equal(read_list(back), plain)


@pytest.mark.parametrize(
    ("text", "line", "match"),
    [
        ("a.wav 3\nb.wav\n", 2, "missing score"),
        ("# c\n\na.wav 3\nb.wav bad\n", 4, "not a number"),
        ("a.wav 3\nb.wav nan\n", 2, "not a finite"),
        ("# columns: path score spk\na.wav 3 x\nb.wav 2\n", 3, "expected 3 columns"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path: Path, text: str, line: int, match: str) -> None:
    path = tmp_path / "bad.list"
    path.write_text(text)
    with pytest.raises(ListError, match=match) as info:
        read_list(path)
    assert str(path) in str(info.value) and f"line {line}" in str(info.value)


def test_read_errors_target_empty_missing(tmp_path: Path) -> None:
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("path,pesq,cond\na.wav,3.1,x\nb.wav,oops,y\n")
    with pytest.raises(ValueError, match=r"no column 'stoi'.*path, pesq, cond") as info:
        read_list(csv_path, target="stoi")
    assert str(csv_path) in str(info.value)
    with pytest.raises(ListError, match="line 3"):
        read_list(csv_path, target="pesq")
    assert read_list(csv_path)["pesq"].tolist() == ["3.1", "oops"]  # not a target: kept as text

    empty = tmp_path / "empty.list"
    empty.write_text("# nothing here\n\n")
    with pytest.raises(ValueError, match="empty.list: empty"):
        read_list(empty)
    with pytest.raises(FileNotFoundError, match="nope.list"):
        read_list(tmp_path / "nope.list")


# ------------------------------------------------------------------------------- balance
def test_balance_equal_bins_with_repeat() -> None:
    df = _scored({1.0: 20, 1.5: 3, 2.0: 9, 3.0: 5})  # bin 2.5 stays empty
    out = balance_list(df, "score", 0.25, per_bin=8, repeat=True, seed=1)
    counts = bin_counts(out, "score", 0.25, low=1.0)
    nonzero = counts[counts["count"] > 0]
    assert nonzero["count"].tolist() == [8, 8, 8, 8]
    assert len(out) == 32
    # small bins are kept whole before repeats are added
    assert set(df["path"][df["score"] == 1.6]) <= set(out["path"])


def test_balance_without_repeat_keeps_small_bins_whole() -> None:
    df = _scored({1.0: 20, 1.5: 3, 2.0: 9})
    out = balance_list(df, "score", 0.25, per_bin=8)
    sizes = out.groupby("score").size().to_dict()
    assert sizes == {1.1: 8, 1.6: 3, 2.1: 8}
    assert not out["path"].duplicated().any()

    default = balance_list(df, "score", 0.25)  # per_bin = smallest non-empty bin
    assert default.groupby("score").size().tolist() == [3, 3, 3]


def test_balance_seeded() -> None:
    df = _scored({1.0: 30, 2.0: 30, 3.0: 5})
    a = balance_list(df, "score", 0.5, per_bin=10, seed=3)
    b = balance_list(df, "score", 0.5, per_bin=10, seed=3)
    c = balance_list(df, "score", 0.5, per_bin=10, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert a["path"].tolist() != c["path"].tolist()


def test_balance_bins_align_to_low() -> None:
    df = pd.DataFrame({"path": list("abcd"), "score": [1.3, 1.4, 1.6, 2.0]})
    counts = bin_counts(df, "score", 0.5, low=1.0)
    assert counts["low"].tolist() == [1.0, 1.5, 2.0] and counts["count"].tolist() == [2, 1, 1]
    counts = bin_counts(df, "score", 0.5)  # aligned at the data minimum
    assert counts["low"].tolist() == pytest.approx([1.3, 1.8]) and counts["count"].tolist() == [3, 1]
    with pytest.raises(ValueError, match="bin width"):
        balance_list(df, "score", 0.0)


# ------------------------------------------------------------------------------- split
def test_split_keeps_groups_and_fractions() -> None:
    rng = np.random.default_rng(0)
    speakers = [f"spk{i}" for i in range(60) for _ in range(int(rng.integers(5, 15)))]
    df = pd.DataFrame({"path": [f"/d/{i}.wav" for i in range(len(speakers))], "score": 3.0, "speaker": speakers})
    parts = split_list(df, "speaker", valid=0.1, test=0.2, seed=5)
    assert set(parts) == {"train", "valid", "test"}
    assert sum(len(p) for p in parts.values()) == len(df)
    groups = {k: set(p["speaker"]) for k, p in parts.items()}
    assert not (groups["train"] & groups["valid"]) and not (groups["train"] & groups["test"])
    assert not (groups["valid"] & groups["test"])
    assert abs(len(parts["valid"]) / len(df) - 0.1) < 0.05
    assert abs(len(parts["test"]) / len(df) - 0.2) < 0.05

    again = split_list(df, "speaker", valid=0.1, test=0.2, seed=5)
    for k in parts:
        pd.testing.assert_frame_equal(parts[k], again[k])
    other = split_list(df, "speaker", valid=0.1, test=0.2, seed=6)
    assert set(other["test"]["speaker"]) != groups["test"]


def test_split_keeps_large_groups_out_of_held_out_parts() -> None:
    sizes = {"big0": 400, "big1": 300, **{f"spk{i}": 10 for i in range(100)}}
    speakers = [s for s, n in sizes.items() for _ in range(n)]
    df = pd.DataFrame({"path": [f"/d/{i}.wav" for i in range(len(speakers))], "score": 3.0, "speaker": speakers})
    capped = split_list(df, "speaker", valid=0.1, test=0.2, seed=1, max_group_share=0.1)
    assert {"big0", "big1"} <= set(capped["train"]["speaker"])  # 400 and 300 > 10 % of 170 / 340 rows
    assert capped["valid"]["speaker"].nunique() >= 15 and capped["test"]["speaker"].nunique() >= 30
    assert abs(len(capped["test"]) - 0.2 * len(df)) <= 10
    held_out = {s for seed in range(8) for k in ("valid", "test")
                for s in split_list(df, "speaker", valid=0.1, test=0.2, seed=seed)[k]["speaker"]}
    assert held_out & {"big0", "big1"}  # without the cap they do land in held-out parts
    with pytest.raises(ValueError, match="max_group_share"):
        split_list(df, "speaker", valid=0.1, test=0.2, max_group_share=0.0)


def test_split_with_no_held_out_part_puts_everything_in_training() -> None:
    """--valid 0 --test 0 (a corpus that is all evaluation material): no warning, every row in train."""
    df = pd.DataFrame({"path": [f"/d/{i}.wav" for i in range(30)], "score": 1.0,
                       "speaker": [f"spk{i % 6}" for i in range(30)]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for cap in (None, 0.05):
            parts = split_list(df, "speaker", valid=0.0, test=0.0, max_group_share=cap)
            assert [len(parts[k]) for k in ("train", "valid", "test")] == [30, 0, 0]


def test_split_without_group_and_bad_fractions() -> None:
    df = pd.DataFrame({"path": [f"/d/{i}.wav" for i in range(100)], "score": 1.0})
    parts = split_list(df, None, valid=0.1, test=0.1)
    assert [len(parts[k]) for k in ("train", "valid", "test")] == [80, 10, 10]
    with pytest.raises(ValueError, match="below 1"):
        split_list(df, None, valid=0.6, test=0.5)
    with pytest.raises(ValueError, match="no group column"):
        split_list(df, "speaker", valid=0.1, test=0.1)


# ------------------------------------------------------------------------------- stats
def test_format_stats_contains_counts() -> None:
    df = _scored({1.0: 7, 1.5: 12, 2.25: 3})
    text = format_stats(df, "score", 0.25)
    assert "n=22" in text and "min=1.1" in text and "max=2.35" in text
    lines = text.splitlines()
    rows = [line for line in lines if line.startswith("[")]
    assert [int(r.split(")")[1].split()[0]) for r in rows] == [7, 0, 12, 0, 0, 3]
    assert rows[2].count("#") > rows[0].count("#") > rows[-1].count("#") > 0
    assert len({r.index(")") for r in rows}) == 1  # aligned


# ------------------------------------------------------------------------------- CLI
@pytest.fixture()
def speaker_list(tmp_path: Path) -> Path:
    df = _scored({1.0: 12, 2.0: 6, 3.0: 4}, speakers=11)
    df["path"] = [str(tmp_path / "wav" / Path(p).name) for p in df["path"]]
    return write_list(df, tmp_path / "all.list", columns=["path", "score", "speaker"])


def test_cli_balance_and_stats(speaker_list: Path, tmp_path: Path) -> None:
    out = tmp_path / "bal.csv"
    res = _run("balance", speaker_list, out, "--bin-width", "0.5", "--per-bin", "5", "--repeat", "--seed", "2")
    assert res.returncode == 0, res.stderr
    bal = read_list(out)
    assert bal.groupby("score").size().tolist() == [5, 5, 5]
    assert bal["path"].iloc[0].startswith(str(tmp_path / "wav"))

    res = _run("stats", speaker_list, "--bin-width", "1")
    assert res.returncode == 0, res.stderr
    assert "n=22" in res.stdout and "12" in res.stdout and "#" in res.stdout


def test_cli_balance_pools_several_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _scored({1.0: 6, 2.0: 2})
    second = _scored({2.0: 4, 3.0: 5})
    first["path"] = [str(tmp_path / "a" / Path(p).name) for p in first["path"]]
    second["path"] = [str(tmp_path / "b" / f"other_{Path(p).name}") for p in second["path"]]
    write_list(first, tmp_path / "a" / "first.list")
    write_list(second, tmp_path / "b" / "second.list")
    out = tmp_path / "pooled.list"
    assert main(["balance", str(tmp_path / "a" / "first.list"), str(tmp_path / "b" / "second.list"), str(out),
                 "--bin-width", "0.5", "--per-bin", "6", "--repeat"]) == 0
    pooled = read_list(out)
    assert pooled.groupby("score").size().tolist() == [6, 6, 6]
    twos = pooled[pooled["score"].between(2.0, 2.5)]["path"]
    assert twos.str.contains("other_").any() and (~twos.str.contains("other_")).any()  # both lists' rows
    assert set(pooled["path"]) <= set(first["path"]) | set(second["path"])  # paths stay right from the new folder
    assert "wrote" in capsys.readouterr().out


def test_cli_split_and_convert(speaker_list: Path, tmp_path: Path) -> None:
    res = _run("split", speaker_list, "--group", "speaker", "--valid", "0.2", "--test", "0.2", "--prefix", tmp_path / "part")
    assert res.returncode == 0, res.stderr
    parts = {k: read_list(tmp_path / f"part_{k}.list") for k in ("train", "valid", "test")}
    assert sum(len(p) for p in parts.values()) == 22
    assert not set(parts["train"]["speaker"]) & (set(parts["valid"]["speaker"]) | set(parts["test"]["speaker"]))

    res = _run("convert", speaker_list, tmp_path / "all.csv")
    assert res.returncode == 0, res.stderr
    pd.testing.assert_frame_equal(read_list(tmp_path / "all.csv"), read_list(speaker_list))

    res = _run("convert", tmp_path / "part_valid.list", tmp_path / "part_test.list", tmp_path / "sub" / "joined.list")
    assert res.returncode == 0, res.stderr
    joined = read_list(tmp_path / "sub" / "joined.list")
    pd.testing.assert_frame_equal(joined, pd.concat([parts["valid"], parts["test"]], ignore_index=True))
    res = _run("convert", speaker_list, tmp_path / "sub" / "rel.list", "--relative")
    assert res.returncode == 0, res.stderr
    first = (tmp_path / "sub" / "rel.list").read_text().splitlines()[1].split()[0]
    assert first.startswith("..") and not Path(first).is_absolute()
    pd.testing.assert_frame_equal(read_list(tmp_path / "sub" / "rel.list"), read_list(speaker_list))
    (tmp_path / "other.csv").write_text("path,score\na.wav,1.5\n")
    res = _run("convert", tmp_path / "part_valid.list", tmp_path / "other.csv", tmp_path / "bad.list")
    assert res.returncode == 1 and "different columns" in res.stderr


def test_cli_errors(tmp_path: Path) -> None:
    res = _run("stats", tmp_path / "missing.list")
    assert res.returncode == 1
    assert res.stderr.startswith("error:") and "missing.list" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


def test_cli_errors_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "two.csv"
    bad.write_text("path,pesq,stoi\na.wav,1,0.5\n")
    assert main(["stats", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "--target" in err and len(err.strip().splitlines()) == 1
    assert main(["balance", str(bad), str(tmp_path / "o.list"), "--target", "mos"]) == 1
    assert "no column 'mos'" in capsys.readouterr().err
    assert not (tmp_path / "o.list").exists()
    assert main(["stats", str(bad), "--target", "stoi", "--bin-width", "0.5"]) == 0
    assert "n=1" in capsys.readouterr().out

    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert all(cmd in out for cmd in ("balance", "split", "stats", "convert"))


def test_degradation_names_and_targets() -> None:
    from quality.lists import degradation_names, degradation_targets

    conditions = ["room+talker", "clean", "noise", "noise+opus", "talker"]
    names = degradation_names(conditions)
    assert names == ["noise", "opus", "room", "talker"]
    targets = degradation_targets(conditions + ["unknown+noise"], names)
    assert targets.dtype == np.float32 and targets.shape == (6, 4)
    assert targets.tolist() == [[0, 0, 1, 1], [0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0]]


# ------------------------------------------------------------------------------- teacher targets
def _teacher_files(tmp_path: Path) -> tuple[Path, Path]:
    """A list of three files (pesq, stoi, sisdr, speaker) and a predictions.csv of quality.evaluate for them."""
    lst = tmp_path / "train.list"
    lst.write_text("# columns: path pesq stoi sisdr speaker\n"
                   "a.wav 2.0 0.5 0.0 s1\nb.wav 4.0 0.9 20.0 s1\nc.wav 1.0 0.2 -10.0 s2\n")
    pred = tmp_path / "teacher"
    pred.mkdir()
    pd.DataFrame({"path": [str(tmp_path / n) for n in ("c.wav", "a.wav", "b.wav")],
                  "target": [1.0, 2.0, 4.0], "prediction": [2.0, 3.0, 3.0],
                  "prediction_stoi": [0.4, 0.7, 0.7], "prediction_extra": [9.0, 9.0, 9.0]}).to_csv(pred / "predictions.csv", index=False)
    return lst, pred


def test_cli_teacher_blends_target_and_heads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lst, pred = _teacher_files(tmp_path)
    out = tmp_path / "train_teacher.list"
    assert main(["teacher", str(lst), str(out), "--predictions", str(pred), "--weight", "0.5", "--target", "pesq"]) == 0
    assert "pesq, stoi = 0.5 x teacher" in capsys.readouterr().out
    got = read_list(out).set_index("path")
    a, b, c = (str(tmp_path / n) for n in ("a.wav", "b.wav", "c.wav"))
    assert got.loc[[a, b, c], "pesq"].tolist() == pytest.approx([2.5, 3.5, 1.5])
    assert got.loc[[a, b, c], "stoi"].tolist() == pytest.approx([0.6, 0.8, 0.3])
    assert got.loc[[a, b, c], "sisdr"].tolist() == pytest.approx([0.0, 20.0, -10.0])  # no prediction_sisdr: kept
    assert got.loc[a, "speaker"] == "s1" and list(got.columns) == ["pesq", "stoi", "sisdr", "speaker"]
    # weight 1 (the default): the teacher's scores alone, from predictions.csv given as a file
    assert main(["teacher", str(lst), str(out), "--predictions", str(pred / "predictions.csv"), "--target", "pesq"]) == 0
    assert read_list(out).set_index("path").loc[[a, b, c], "pesq"].tolist() == pytest.approx([3.0, 3.0, 2.0])


def test_cli_teacher_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lst, pred = _teacher_files(tmp_path)
    out = tmp_path / "o.list"
    assert main(["teacher", str(lst), str(out), "--predictions", str(pred), "--target", "pesq", "--weight", "0"]) == 1
    assert "--weight must be in (0, 1]" in capsys.readouterr().err
    table = pd.read_csv(pred / "predictions.csv")
    table.iloc[:2].to_csv(pred / "predictions.csv", index=False)
    assert main(["teacher", str(lst), str(out), "--predictions", str(pred), "--target", "pesq"]) == 1
    err = capsys.readouterr().err
    assert "1 of 3 file(s) have no prediction" in err and "b.wav" in err and str(lst) in err
    table.drop(columns="prediction").to_csv(pred / "predictions.csv", index=False)
    assert main(["teacher", str(lst), str(out), "--predictions", str(pred), "--target", "pesq"]) == 1
    assert "not a predictions.csv" in capsys.readouterr().err
    assert not out.exists()
