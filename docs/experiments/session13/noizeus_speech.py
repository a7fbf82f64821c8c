"""The 30 NOIZEUS clean sentences at 16 kHz as a speech folder for `quality.corpus build`, one
folder per talker (NOIZEUS's blocks of five sentences: sp01-05 -> nz1, ...):
    python noizeus_speech.py ../shared/data/noizeus/clean runs/v11/noizeus_speech"""
import sys
from pathlib import Path

import soundfile as sf

from quality.audio import load_audio

src, dst = Path(sys.argv[1]), Path(sys.argv[2])
for f in sorted(src.glob("sp*.flac")):
    n = int(f.stem[2:])
    out = dst / f"nz{(n - 1) // 5 + 1}" / f"{f.stem}.flac"
    out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(out, load_audio(f), 16000)
