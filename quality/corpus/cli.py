"""``python -m quality.corpus``: build, label, restore, codecs, degradations, regenerate."""
from __future__ import annotations

import argparse
import logging
import math
import sys
from typing import Sequence

import soundfile as sf

from ..audio import SAMPLE_RATE
from ..fileio import atomic_write
from ..lists import SPLITS
from .. import simulate as sim
from .build import build_corpus
from .jobs import to_pcm16
from .restore import regenerate, restore_corpus


def parse_weights(items: Sequence[str]) -> dict[str, float]:
    """``["vocoder=8", "noise=0.5,opus=2"]`` -> ``{"vocoder": 8.0, "noise": 0.5, "opus": 2.0}``."""
    weights: dict[str, float] = {}
    for item in (part for text in items for part in text.replace(",", " ").split()):
        name, sep, value = item.partition("=")
        try:
            factor = float(value)
        except ValueError:
            factor = float("nan")
        if not sep or not name.strip() or not math.isfinite(factor):
            raise ValueError(f"--weight {item!r}: expected NAME=FACTOR with a number, e.g. vocoder=8")
        weights[name.strip()] = factor
    return weights


def _cmd_build(args: argparse.Namespace) -> int:
    exclude = [s for s in (args.exclude or "").replace(",", " ").split() if s]
    weights = parse_weights(args.weight or [])
    info = build_corpus(
        args.speech, args.out, args.num, noise=args.noise, rir=args.rir, device_ir=args.device_ir, seed=args.seed,
        workers=args.workers, valid=args.valid, test=args.test, bin_width=args.bin_width, per_bin=args.per_bin,
        repeat=args.repeat, max_seconds=args.max_seconds, min_seconds=args.min_seconds, exclude=exclude,
        progress=not args.quiet, split_seed=args.split_seed, source_variation=args.source_variation,
        source_gate=args.source_gate,
        weights=weights, splits=args.splits,
    )
    print(info["summary"])
    print(f"wrote {args.out}: " + ", ".join(f"{k}.list {v}" for k, v in info["lists"].items()))
    return 0


def _cmd_codecs(args: argparse.Namespace) -> int:
    for name, backend in sim.available_codecs().items():
        spec = sim.CODECS[name]
        print(f"{name:11s} yes  {backend:24s} {spec.description}, {', '.join(f'{b / 1000:g}' for b in spec.bitrates)} kbit/s")
    for name, reason in sim.missing_codecs().items():
        print(f"{name:11s} no   {reason}")
    return 0


def _cmd_degradations(args: argparse.Namespace) -> int:
    print(sim.describe())
    return 0


def _cmd_regenerate(args: argparse.Namespace) -> int:
    _, degraded = regenerate(args.out, args.index)
    atomic_write(args.output, lambda tmp: sf.write(tmp, to_pcm16(degraded), SAMPLE_RATE, format="WAV", subtype="PCM_16"))
    print(f"wrote {args.output}")
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    info = restore_corpus(args.build, args.out, args.lists, speech=args.speech, noise=args.noise, rir=args.rir,
                          device_ir=args.device_ir, workers=args.workers, check=args.check, progress=not args.quiet)
    print(f"restored {args.out}: {info['files']} files named by the lists, {info['simulated']} simulated, "
          f"{info['failed']} failed, {info['seconds']:.0f} s")
    if info["checked"]:
        print(f"check: {info['checked']} files labelled again, largest PESQ difference from the lists "
              f"{info['max_pesq_difference']:.4f}")
    for line in info["failures"]:
        print(f"failed {line}", file=sys.stderr)
    return 2 if info["failed"] else 0


def _cmd_label(args: argparse.Namespace) -> int:
    from ..pair_labels import label_command

    return label_command(args.pairs, args.out, workers=args.workers, progress=not args.quiet)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m quality.corpus",
                                     description="Build a labelled speech-quality corpus by simulating degradations.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="simulate and label a corpus",
                       description="Simulate degraded speech from clean speech, noise and impulse responses, label it "
                                   "with PESQ-wb/STOI/SI-SDR against the clean crop, split by speaker and balance.")
    p.add_argument("--speech", required=True, help="folder of clean speech (speaker from ../manifest.csv or the parent folder)")
    p.add_argument("--noise", help="folder of noise clips")
    p.add_argument("--rir", help="folder of room impulse responses (device responses in it are recognised)")
    p.add_argument("--device-ir", help="folder of loudspeaker/device impulse responses")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--num", type=int, required=True, help="number of files to generate")
    p.add_argument("--seed", type=int, default=0, help="global seed (default: %(default)s)")
    p.add_argument("--split-seed", type=int,
                   help="seed of the speaker split alone (default: --seed); keeps another build's split")
    p.add_argument("--source-variation", type=float, default=0.0, metavar="SHARE",
                   help="share of files whose clean source is first varied (speed 0.9-1.1, broad EQ +-5 dB); "
                        "their labels are computed against the varied source (default: %(default)s)")
    p.add_argument("--source-gate", type=float, default=0.0, metavar="SHARE",
                   help="share of files whose clean source has its pauses gated 20-60 dB down (a studio-clean "
                        "recording); labelled against the gated source (default: %(default)s)")
    p.add_argument("--workers", type=int, default=2, help="parallel processes (default: %(default)s)")
    p.add_argument("--valid", type=float, default=0.1, help="fraction of speech files (by speaker) for valid (default: %(default)s)")
    p.add_argument("--test", type=float, default=0.1, help="fraction for test (default: %(default)s)")
    p.add_argument("--bin-width", type=float, default=0.25, help="PESQ bin width of train_balanced.list (default: %(default)s)")
    p.add_argument("--per-bin", type=int, help="files per PESQ bin (default: the smallest bin)")
    p.add_argument("--repeat", action="store_true", help="fill small bins by repetition up to --per-bin")
    p.add_argument("--max-seconds", type=float, default=10.0, help="crop longer utterances to this (default: %(default)s)")
    p.add_argument("--min-seconds", type=float, default=1.0, help="skip shorter utterances (default: %(default)s)")
    p.add_argument("--exclude", help="degradations to leave out, comma separated (see 'degradations')")
    p.add_argument("--weight", action="append", metavar="NAME=FACTOR",
                   help="multiply a degradation's draw weight, e.g. --weight vocoder=8 (repeatable)")
    p.add_argument("--splits", nargs="+", choices=SPLITS, metavar="SPLIT",
                   help="simulate only these speaker splits (train valid test), e.g. --splits test to rebuild "
                        "a corpus's test split with its labels; the files are those of the full build")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_build)
    p = sub.add_parser("label", help="label your own (degraded, reference) pairs with PESQ-wb/STOI/SI-SDR",
                       description="Label real recordings against their clean references: a .csv/.tsv with columns "
                                   "path and ref_path (relative to the table, any sample rate; optional speaker and "
                                   "condition) becomes a list with columns path pesq stoi sisdr condition speaker. "
                                   "Exit status 2 when any pair failed (each is named on stderr).")
    p.add_argument("pairs", help="table of pairs (.csv or .tsv)")
    p.add_argument("--out", required=True, help="list to write (.list, .csv or .tsv)")
    p.add_argument("--workers", type=int, default=2, help="parallel processes (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_label)
    p = sub.add_parser("restore", help="re-simulate the audio of a corpus's lists from its build.json (no relabelling)",
                       description="Rebuild the audio that list files of a corpus point to, from the corpus's "
                                   "build.json (e.g. lists/corpus_build.json), without computing labels again: "
                                   "several times faster than 'build'. A few files are labelled again as a check. "
                                   "Exit status 2 when any file failed.")
    p.add_argument("lists", nargs="+", help="list files whose paths point into OUT/audio")
    p.add_argument("--build", required=True, help="the corpus's build.json")
    p.add_argument("--out", required=True, help="corpus folder the lists point into")
    p.add_argument("--speech", help="clean speech folder (default: the one in build.json)")
    p.add_argument("--noise", help="noise folder (default: the one in build.json)")
    p.add_argument("--rir", help="impulse-response folder (default: the one in build.json)")
    p.add_argument("--device-ir", help="device-response folder (default: the one in build.json)")
    p.add_argument("--workers", type=int, default=2, help="parallel processes (default: %(default)s)")
    p.add_argument("--check", type=int, default=20,
                   help="files to label again and compare with the lists' PESQ (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_restore)
    p = sub.add_parser("codecs", help="list the codecs usable here")
    p.set_defaults(func=_cmd_codecs)
    p = sub.add_parser("degradations", help="list the degradations and their parameter ranges")
    p.set_defaults(func=_cmd_degradations)
    p = sub.add_parser("regenerate", help="re-simulate one file of a built corpus from its chain")
    p.add_argument("--out", required=True, help="corpus folder")
    p.add_argument("--index", type=int, required=True)
    p.add_argument("--output", required=True, help="WAV file to write")
    p.set_defaults(func=_cmd_regenerate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, KeyError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
