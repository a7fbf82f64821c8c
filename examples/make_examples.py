#!/usr/bin/env python3
"""Rebuild the example recordings in this folder from the shared corpus (deterministic).

    python examples/make_examples.py --corpus ../shared/data/corpus --out examples

Clean LibriSpeech train-clean-100 utterances of two speakers that are in the *test* split of
the shipped model's corpus (never trained on), cropped to 4 s, and degraded copies made with
quality.simulate: cafe-like machine noise at 10 dB SNR, AMR-NB at 4.75 kbit/s, and a church.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import soundfile as sf

from quality.audio import load_audio
from quality.fileio import atomic_write
from quality.simulate import add_noise, codec, reverb, set_level

SPEECH = {"ls1363": "speech/en/librispeech_train-clean-100/1363-135842-0000.flac",
          "ls201": "speech/en/librispeech_train-clean-100/201-122255-0000.flac"}
NOISE = "noise/tumult_freesound_cc0/machine_machine9_thailand-hotel-hallway-heavy-ventilation-hum-distant-voices-man-spits-middle.flac"
RIR = "rir/openair_ccby/St._Margaret's_Church_W.flac"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", required=True, help="the shared corpus folder (speech/, noise/, rir/)")
    p.add_argument("--out", default=str(Path(__file__).parent))
    args = p.parse_args()
    corpus, out = Path(args.corpus), Path(args.out)
    rng = np.random.default_rng(0)
    clean = {k: set_level(load_audio(corpus / v)[16000 : 16000 * 5]) for k, v in SPEECH.items()}
    made = {
        "ls1363_clean": clean["ls1363"],
        "ls1363_noise_10db": add_noise(clean["ls1363"], rng, noise=load_audio(corpus / NOISE), snr_db=10.0),
        "ls201_clean": clean["ls201"],
        "ls201_amrnb_4k75": codec(clean["ls201"], rng, codec="amr_nb", bitrate=4750),
        "ls201_church": reverb(clean["ls201"], rng, rir=load_audio(corpus / RIR)),
    }
    for name, audio in made.items():
        audio = np.clip(audio, -1, 1)
        atomic_write(out / f"{name}.flac", lambda tmp: sf.write(tmp, audio, 16000, format="FLAC", subtype="PCM_16"))
        print(out / f"{name}.flac")


if __name__ == "__main__":
    main()
