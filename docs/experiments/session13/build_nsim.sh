#!/usr/bin/env bash
# Session 13: N_sim (runs/v11/RULE3.md): the 30 NOIZEUS sentences at 16 kHz as the only speech.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
$P - <<'PY'
from pathlib import Path
import soundfile as sf
from quality.audio import load_audio
src = Path("../shared/data/noizeus/clean")
for f in sorted(src.glob("sp*.flac")):
    n = int(f.stem[2:])
    out = Path(f"runs/v11/noizeus_speech/nz{(n - 1) // 5 + 1}/{f.stem}.flac")
    out.parent.mkdir(parents=True, exist_ok=True)
    sf.write(out, load_audio(f), 16000)
PY
D=../shared/data/corpus
$P -m quality.corpus build --speech runs/v11/noizeus_speech --noise $D/noise --rir $D/rir \
    --out corpus/noizeus_sim --num 1500 --seed 5 --valid 0 --test 0 --max-seconds 8 --workers 2 --quiet
