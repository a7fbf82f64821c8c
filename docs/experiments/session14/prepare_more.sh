#!/usr/bin/env bash
# Session 14 (runs/v14/RULE5.md): corpus/v3more, N_sim3 and the training list of E2/F2.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
D=../shared/data/corpus
$P -m quality.corpus build --speech $D/speech --noise $D/noise --rir $D/rir --out corpus/v3more --num 12000 \
    --seed 8 --split-seed 0 --valid 0.1 --test 0.15 --max-seconds 8 --source-variation 0.5 --splits train \
    --workers 2 --quiet
$P -m quality.corpus build --speech runs/v11/noizeus_speech --noise $D/noise --rir $D/rir \
    --out corpus/noizeus_sim3 --num 1500 --seed 15 --valid 0 --test 0 --max-seconds 8 --workers 2 --quiet
# the training pool on disk after `restore`: lists/train.list (every corpus/v3 training file) and the
# distinct add-on training files that lists/train_tc_balanced.list names
$P - <<'PY'
import pandas as pd
from quality.lists import read_list, write_list
pool = pd.concat([read_list("lists/train.list"), read_list("lists/train_tc_balanced.list")])
pool = pool.drop_duplicates("path").reset_index(drop=True)
write_list(pool, "runs/v14/pool_tc.list", columns=["path", "pesq", "stoi", "sisdr", "condition", "speaker"])
print(f"runs/v14/pool_tc.list: {len(pool)} distinct files")
PY
$P -m quality.lists balance runs/v14/pool_tc.list corpus/v3more/train.list runs/v14/train_more_balanced.list \
    --target pesq --bin-width 0.25 --low 1.0 --per-bin 1600 --repeat --seed 0
