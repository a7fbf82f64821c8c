#!/usr/bin/env bash
# Session 13: the shipped model on files it trained on, on fresh files of sources it trained on,
# and on fresh files of the test speakers (runs/v11/build_fresh.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
# 1500 rows of lists/train.list (files the shipped members trained on), drawn with a fixed seed
$P - <<'PY'
import random
lines = [l for l in open("lists/train.list") if not l.startswith("#")]
random.Random(13).shuffle(lines)
with open("runs/v11/train_seen_1500.list", "w") as f:
    f.write("# columns: path pesq stoi sisdr condition speaker\n")
    for l in lines[:1500]:
        f.write(l.replace("../corpus/", "../../corpus/", 1))
PY
E="$P -m quality.evaluate --checkpoint checkpoints/default.pt"
$E --list runs/v11/train_seen_1500.list --out runs/v11/eval_seen_files > runs/v11/eval_seen_files.log 2>&1
$E --list corpus/v3fresh/train.list --out runs/v11/eval_fresh_train > runs/v11/eval_fresh_train.log 2>&1
$E --list corpus/v3fresh/test.list --out runs/v11/eval_fresh_test > runs/v11/eval_fresh_test.log 2>&1
$E --list corpus/v3fresh/valid.list --out runs/v11/eval_fresh_valid > runs/v11/eval_fresh_valid.log 2>&1
