"""Corpus builder on a tiny synthetic folder: labels, lists, speaker split, determinism, resume."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from quality import corpus, simulate as sim
from quality.lists import read_list
from synthetic import speech_like

SR = 16000
SPEAKERS = 6
# the tree holds a digitally silent utterance on purpose (it must fail PESQ and be reported)
pytestmark = pytest.mark.filterwarnings("ignore:.*digital silence:UserWarning")


def make_tree(root: Path) -> Path:
    """speech/<speaker>/*.wav (plus one digitally silent file), noise/, rir/ (room + device)."""
    rng = np.random.default_rng(0)
    for s in range(SPEAKERS):
        for u in range(2):
            path = root / "speech" / f"spk{s}" / f"u{u}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            sf.write(path, speech_like(rng, float(rng.uniform(1.5, 2.5))), SR)
    (root / "speech" / "mute").mkdir()
    sf.write(root / "speech" / "mute" / "silent.wav", np.zeros(int(1.5 * SR), np.float32), SR)
    (root / "noise").mkdir()
    sf.write(root / "noise" / "white.wav", (0.1 * rng.standard_normal(3 * SR)).astype(np.float32), SR)
    brown = np.cumsum(rng.standard_normal(3 * SR))
    sf.write(root / "noise" / "brown.wav", (0.5 * brown / np.max(np.abs(brown))).astype(np.float32), SR)
    (root / "rir" / "device").mkdir(parents=True)
    t = np.arange(int(0.3 * SR)) / SR
    rir = rng.standard_normal(len(t)) * np.exp(-6.9 * t / 0.3) * 0.2
    rir[0] = 1.0
    sf.write(root / "rir" / "room.wav", rir.astype(np.float32), SR)
    dev = np.zeros(400, np.float32)
    dev[:32] = np.hanning(32)
    sf.write(root / "rir" / "device" / "phone.wav", dev, SR)
    return root


def build(tree: Path, out: Path, num: int, workers: int = 1, **kw) -> dict:
    return corpus.build_corpus(tree / "speech", out, num, noise=tree / "noise", rir=tree / "rir", seed=3,
                               workers=workers, valid=0.2, test=0.2, progress=False, **kw)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return make_tree(tmp_path_factory.mktemp("tree"))


@pytest.fixture(scope="module")
def built(tree, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("corpus")
    return out, build(tree, out, 24)


def test_si_sdr():
    rng = np.random.default_rng(0)
    ref = rng.standard_normal(SR)
    noise = rng.standard_normal(SR)
    noise -= noise.mean()
    noise -= np.dot(noise, ref - ref.mean()) / np.dot(ref - ref.mean(), ref - ref.mean()) * (ref - ref.mean())
    noise *= np.linalg.norm(ref - ref.mean()) / np.linalg.norm(noise) * 10 ** (-10 / 20)
    assert corpus.si_sdr(ref + noise, ref) == pytest.approx(10.0, abs=1e-6)
    assert corpus.si_sdr(3.0 * (ref + noise) + 0.5, ref) == pytest.approx(10.0, abs=1e-6)  # scale/offset invariant
    assert corpus.si_sdr(ref, ref) > 100
    with pytest.raises(ValueError):
        corpus.si_sdr(ref[:-1], ref)


def test_labels_and_failure():
    x = speech_like(np.random.default_rng(1), 2.0)
    clean = corpus.compute_labels(x, x)
    assert clean["pesq"] > 4.4 and clean["stoi"] > 0.99
    noisy = sim.add_noise(x, np.random.default_rng(0), noise=np.random.default_rng(1).standard_normal(SR), snr_db=0.0)
    labels = corpus.compute_labels(x, noisy)
    assert 1.0 <= labels["pesq"] < 2.5 and labels["stoi"] < clean["stoi"] and abs(labels["sisdr"]) < 3
    with pytest.raises(corpus.LabelError):
        corpus.compute_labels(np.zeros(SR), np.zeros(SR))


def test_every_degradation_labels_in_range(tree):
    res = sim.Resources(noise=tree / "noise", rir=tree / "rir", speech=tree / "speech")
    x = speech_like(np.random.default_rng(2), 2.0)
    names = sim.available_degradations(res)
    assert {"noise", "babble", "reverb", "device", "enhancement"} <= set(names)
    for name in names:
        params = sim.DEGRADATIONS[name].sample(np.random.default_rng(0), 0.5, res, {"speaker": "spk0"})
        y = sim.apply_chain(x, [(name, params)], res, seed=1)
        labels = corpus.compute_labels(x, y)
        assert 1.0 <= labels["pesq"] <= 4.65, name
        assert 0.0 <= labels["stoi"] <= 1.0, name
        assert np.isfinite(labels["sisdr"]), name


def test_speech_table_speakers(tree, tmp_path):
    table = corpus.speech_table(tree / "speech")
    assert len(table) == 2 * SPEAKERS + 1
    assert dict(zip(table["path"], table["speaker"]))["spk3/u1.wav"] == "spk3"
    # a manifest in the parent folder names the speakers (shared-corpus layout)
    root = tmp_path / "data"
    (root / "speech" / "en").mkdir(parents=True)
    for i in range(3):
        sf.write(root / "speech" / "en" / f"f{i}.flac", speech_like(np.random.default_rng(i), 1.2), SR)
    pd.DataFrame({"file": [f"speech/en/f{i}.flac" for i in range(3)] + ["noise/x.flac"],
                  "kind": ["speech"] * 3 + ["noise"], "speaker": ["A", "A", "B", None]}).to_csv(root / "manifest.csv", index=False)
    table = corpus.speech_table(root / "speech")
    assert list(table["speaker"]) == ["A", "A", "B"]


def test_build_outputs(built):
    out, info = built
    all_ = pd.read_csv(out / "all.csv")
    failures = pd.read_csv(out / "failures.csv")
    assert len(all_) + len(failures) == 24 and info["labelled"] == len(all_)
    # the silent utterance fails PESQ: reported, left out, the build goes on
    assert len(failures) >= 1 and set(failures["speech"]) == {"mute/silent.wav"}
    assert set(failures["stage"]) == {"label"} and failures["error"].str.contains("PESQ").all()
    assert "mute/silent.wav" not in set(all_["speech"])
    assert all_["pesq"].between(1.0, 4.65).all() and all_["stoi"].between(0.0, 1.0).all()
    assert np.isfinite(all_["sisdr"]).all()
    chains = {c["index"]: c for c in map(json.loads, (out / "chains.jsonl").read_text().splitlines())}
    for row in all_.itertuples():
        data, sr = sf.read(out / row.path, dtype="int16")
        assert sr == SR and sf.info(str(out / row.path)).subtype == "PCM_16"
        assert len(data) == chains[row.index]["length"]  # the clean crop's length
        assert abs(len(data) / SR - row.seconds) < 1e-3
    text = (out / "train.list").read_text()
    assert text.startswith("# columns: path pesq stoi sisdr condition speaker\n")
    parts = {name: read_list(out / f"{name}.list") for name in ("train", "valid", "test")}
    assert sum(len(p) for p in parts.values()) == len(all_)
    speakers = {name: set(p["speaker"]) for name, p in parts.items()}
    assert not (speakers["train"] & speakers["valid"] or speakers["train"] & speakers["test"]
                or speakers["valid"] & speakers["test"])
    assert all(Path(p).is_file() for p in parts["train"]["path"])
    balanced = read_list(out / "train_balanced.list")
    assert set(balanced["path"]) <= set(parts["train"]["path"])
    assert len(chains) == len(all_) and all(c["condition"] == sim.condition_name(c["chain"]) for c in chains.values())
    assert json.loads((out / "build.json").read_text())["status"] == "done"
    assert "pesq histogram" in info["summary"]


def test_regenerate_matches_stored_audio(built):
    out, _ = built
    all_ = pd.read_csv(out / "all.csv")
    for row in all_.head(4).itertuples():
        clean, degraded = corpus.regenerate(out, row.index)
        stored, _ = sf.read(out / row.path, dtype="float32")
        assert len(clean) == len(stored)
        assert np.max(np.abs(stored - degraded)) <= 1.0 / 32767 + 1e-6


def test_build_deterministic_any_workers(built, tree, tmp_path):
    out, _ = built
    other = tmp_path / "again"
    code = corpus.main(["build", "--speech", str(tree / "speech"), "--noise", str(tree / "noise"), "--rir",
                        str(tree / "rir"), "--out", str(other), "--num", "24", "--seed", "3", "--workers", "2",
                        "--valid", "0.2", "--test", "0.2", "--quiet"])
    assert code == 0
    for name in ("all.csv", "train.list", "valid.list", "test.list", "train_balanced.list", "chains.jsonl",
                 "failures.csv"):
        assert (out / name).read_bytes() == (other / name).read_bytes(), name
    for f in sorted((out / "audio").iterdir()):
        assert f.read_bytes() == (other / "audio" / f.name).read_bytes()


def test_resume_and_extend(built, tree, tmp_path):
    out, _ = built
    part = tmp_path / "part"
    build(tree, part, 10)
    (part / "audio" / "000002.flac").unlink(missing_ok=True)  # a lost file is redone
    build(tree, part, 24)
    assert (out / "all.csv").read_bytes() == (part / "all.csv").read_bytes()
    assert (out / "chains.jsonl").read_bytes() == (part / "chains.jsonl").read_bytes()
    with pytest.raises(ValueError, match="different settings"):
        corpus.build_corpus(tree / "speech", part, 24, noise=tree / "noise", rir=tree / "rir", seed=4, progress=False)


def test_splits_builds_one_split_with_the_full_builds_files_and_labels(built, tree, tmp_path):
    out, _ = built
    only = tmp_path / "only_test"
    info = build(tree, only, 24, splits=["test"])
    assert info["splits"] == ["test"] and set(info["lists"]) == {"test"}
    assert not (only / "train.list").exists() and not (only / "valid.list").exists()
    assert (only / "test.list").read_bytes() == (out / "test.list").read_bytes()
    full = pd.read_csv(out / "all.csv")
    for rel in full.loc[full["split"] == "test", "path"]:
        assert (only / rel).read_bytes() == (out / rel).read_bytes()
    assert sorted(p.name for p in (only / "audio").iterdir()) == sorted(
        Path(p).name for p in full.loc[full["split"] == "test", "path"])
    build(tree, only, 24)  # the rest, later: the same corpus as one full build
    assert (only / "all.csv").read_bytes() == (out / "all.csv").read_bytes()
    with pytest.raises(ValueError, match="--splits must name"):
        build(tree, tmp_path / "bad", 4, splits=["holdout"])


def test_cli_lists(capsys):
    assert corpus.main(["degradations"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in sim.DEGRADATIONS)
    assert corpus.main(["codecs"]) == 0


def test_source_variation_relabels_against_the_varied_source(built, tree, tmp_path):
    out, _ = built
    varied = tmp_path / "varied"
    build(tree, varied, 24, source_variation=1.0, split_seed=3)
    plain = {c["index"]: c for c in map(json.loads, (out / "chains.jsonl").read_text().splitlines())}
    chains = {c["index"]: c for c in map(json.loads, (varied / "chains.jsonl").read_text().splitlines())}
    assert all(c["source_variation"] is None for c in plain.values())
    assert chains and all(c["source_variation"]["speed"] for c in chains.values())
    # the variation has its own generator: the same crops and chains as the plain build
    for i in set(plain) & set(chains):
        assert (plain[i]["chain"], plain[i]["start"], plain[i]["seed"]) == (chains[i]["chain"], chains[i]["start"],
                                                                             chains[i]["seed"])
    all_ = pd.read_csv(varied / "all.csv")
    assert (all_.loc[all_["condition"] == "clean", "pesq"] > 4.5).all()  # clean = the varied source itself
    for row in all_.head(3).itertuples():
        clean, degraded = corpus.regenerate(varied, row.index)
        stored, _ = sf.read(varied / row.path, dtype="float32")
        speed = chains[row.index]["source_variation"]["speed"]
        assert len(stored) == len(clean) == pytest.approx(chains[row.index]["length"] / speed, abs=2)
        assert np.max(np.abs(stored - degraded)) <= 1.0 / 32767 + 1e-6
    with pytest.raises(ValueError, match="source-variation"):
        build(tree, tmp_path / "bad", 4, source_variation=1.5)


def test_source_gate_relabels_against_the_gated_source(built, tree, tmp_path):
    out, _ = built
    gated = tmp_path / "gated"
    info = build(tree, gated, 12, source_gate=1.0, source_variation=0.5, split_seed=3)
    assert info["source_gate"] == 1.0
    plain = {c["index"]: c for c in map(json.loads, (out / "chains.jsonl").read_text().splitlines())}
    chains = {c["index"]: c for c in map(json.loads, (gated / "chains.jsonl").read_text().splitlines())}
    assert chains and all(len(c["source_variation"]["gate"]) == 2 for c in chains.values())
    assert any("speed" in c["source_variation"] for c in chains.values())
    assert any("speed" not in c["source_variation"] for c in chains.values())
    # the gate has its own generator: the same crops and chains as the plain build
    for i in set(plain) & set(chains):
        assert (plain[i]["chain"], plain[i]["seed"]) == (chains[i]["chain"], chains[i]["seed"])
    all_ = pd.read_csv(gated / "all.csv")
    for row in all_.head(3).itertuples():
        clean, degraded = corpus.regenerate(gated, row.index)
        stored, _ = sf.read(gated / row.path, dtype="float32")
        assert np.max(np.abs(stored - degraded)) <= 1.0 / 32767 + 1e-6
    with pytest.raises(ValueError, match="source_gate"):
        build(tree, gated, 12, source_gate=0.5, source_variation=0.5, split_seed=3)
    with pytest.raises(ValueError, match="source-gate"):
        build(tree, tmp_path / "bad", 4, source_gate=-0.1)


def test_split_seed_keeps_another_builds_split(built, tree, tmp_path):
    out, _ = built
    other = tmp_path / "other"
    corpus.build_corpus(tree / "speech", other, 24, noise=tree / "noise", rir=tree / "rir", seed=11, split_seed=3,
                        valid=0.2, test=0.2, progress=False)
    a, b = pd.read_csv(out / "all.csv"), pd.read_csv(other / "all.csv")
    assert a.groupby("speaker")["split"].first().to_dict() == b.groupby("speaker")["split"].first().to_dict()
    assert not a["seed"].equals(b["seed"])


def test_resume_accepts_a_build_older_than_its_newest_settings(built, tree, tmp_path):
    out, _ = built
    old = tmp_path / "old"
    build(tree, old, 6)
    settings = json.loads((old / "build.json").read_text())
    for key in ("split_seed", "source_variation", "weights", "source_gate"):
        settings.pop(key)
    (old / "build.json").write_text(json.dumps(settings))
    build(tree, old, 8)
    assert (old / "chains.jsonl").read_text().splitlines() == (out / "chains.jsonl").read_text().splitlines()[:8]
    with pytest.raises(ValueError, match="source_variation"):
        build(tree, old, 8, source_variation=0.5)


def test_weight_emphasises_a_degradation(built, tree, tmp_path):
    out, _ = built
    heavy = tmp_path / "heavy"
    info = build(tree, heavy, 24, weights={"vocoder": 50.0}, split_seed=3)
    assert info["weights"] == {"vocoder": 50.0}
    share = lambda folder: pd.read_csv(folder / "all.csv")["condition"].str.contains("vocoder").mean()  # noqa: E731
    assert share(heavy) > 0.6 > share(out)
    with pytest.raises(ValueError, match="weights"):  # resuming with other weights is refused
        build(tree, heavy, 24, split_seed=3)
    with pytest.raises(ValueError, match="nosuch"):
        build(tree, tmp_path / "bad", 4, weights={"nosuch": 2.0})
    assert corpus.parse_weights(["vocoder=8", "noise=0.5,opus=2"]) == {"vocoder": 8.0, "noise": 0.5, "opus": 2.0}
    for bad in ("vocoder", "vocoder=x", "=2", "vocoder=inf"):
        with pytest.raises(ValueError, match="NAME=FACTOR"):
            corpus.parse_weights([bad])


def test_restore_rebuilds_the_audio_of_the_lists(built, tmp_path):
    """restore re-simulates exactly the audio a build wrote, for the files its lists name, from build.json."""
    import shutil

    out, _ = built
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    removed = sorted((copy / "audio").iterdir())
    for f in removed:
        f.unlink()
    lists = [copy / "test.list", copy / "valid.list"]
    named = {Path(p).name for name in lists for p in read_list(name)["path"]}
    info = corpus.restore_corpus(copy / "build.json", copy, lists, workers=1, check=2, progress=False)
    assert info["files"] == len(named) and info["simulated"] == len(named) and info["failed"] == 0
    assert info["checked"] == 2 and info["max_pesq_difference"] < 1e-3  # labelled again: the lists' PESQ
    assert {f.name for f in (copy / "audio").iterdir()} == named  # the lists' files, no others
    for name in named:
        assert (copy / "audio" / name).read_bytes() == (out / "audio" / name).read_bytes()
    # files already there are kept (only the check files are simulated again)
    again = corpus.restore_corpus(copy / "build.json", copy, lists, workers=2, check=1, progress=False)
    assert again["simulated"] == 1 and again["failed"] == 0


def test_restore_refuses_a_build_whose_codecs_are_missing_here(built, tmp_path, monkeypatch):
    """A codec the build used but this machine lacks (e.g. another PyAV) stops restore before any file is
    simulated, with an error naming the codec and the build file."""
    from quality.corpus import restore

    out, _ = built
    settings = json.loads((out / "build.json").read_text())
    settings["codecs"] = {**(settings.get("codecs") or {}), "opus": "av:libopus"}
    build_file = tmp_path / "build.json"
    build_file.write_text(json.dumps(settings))
    monkeypatch.setattr(restore.sim, "missing_codecs", lambda: {"opus": "no encoder libopus"})
    fresh = tmp_path / "fresh"
    with pytest.raises(ValueError, match=r"build\.json.*opus \(av:libopus at build time\): no encoder libopus"):
        corpus.restore_corpus(build_file, fresh, [out / "test.list"], workers=1, check=0, progress=False)
    assert not fresh.exists()


def test_restore_writes_the_chain_records_of_every_listed_file(built, tmp_path):
    """A restored corpus gets the build's chains.jsonl records of its listed files — drawn again for
    files already on disk — and a build.json, so regenerate works on it."""
    import shutil

    out, _ = built
    fresh = tmp_path / "fresh"
    (fresh / "audio").mkdir(parents=True)
    for name in ("test.list", "valid.list"):
        shutil.copy(out / name, fresh / name)
    kept = [Path(p).name for p in read_list(out / "test.list")["path"]]
    for name in kept:  # the test files are already there: only their records are drawn
        shutil.copy(out / "audio" / name, fresh / "audio" / name)
    info = corpus.restore_corpus(out / "build.json", fresh, [fresh / "valid.list"], workers=1, check=0,
                                 progress=False)
    assert info["failed"] == 0
    corpus.restore_corpus(out / "build.json", fresh, [fresh / "test.list"], workers=2, check=0, progress=False)
    assert (fresh / "build.json").is_file()
    original = {json.loads(line)["index"]: json.loads(line) for line in (out / "chains.jsonl").read_text().splitlines()}
    restored = [json.loads(line) for line in (fresh / "chains.jsonl").read_text().splitlines()]
    listed = {int(Path(p).stem) for name in ("test.list", "valid.list") for p in read_list(fresh / name)["path"]}
    assert [r["index"] for r in restored] == sorted(listed)  # both restores' files, merged, in order
    for rec in restored:
        assert rec == {k: original[rec["index"]][k] for k in corpus.CHAIN_KEYS}
    index = int(Path(kept[0]).stem)
    np.testing.assert_allclose(corpus.regenerate(fresh, index)[1], corpus.regenerate(out, index)[1])


def test_restore_cli_errors(built, tmp_path, capsys):
    out, _ = built
    elsewhere = tmp_path / "other.list"
    elsewhere.write_text("/nowhere/audio/000001.flac 3.0\n")
    code = corpus.main(["restore", str(elsewhere), "--build", str(out / "build.json"), "--out", str(out), "--quiet"])
    assert code == 2 and "none of the lists' files lie in" in capsys.readouterr().err
    code = corpus.main(["restore", str(out / "test.list"), "--build", str(out / "build.json"), "--out", str(out),
                        "--speech", str(tmp_path / "missing"), "--quiet"])
    assert code == 2 and "speech folder" in capsys.readouterr().err
