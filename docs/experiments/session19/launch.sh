#!/usr/bin/env bash
# Session 19 (RULE9.md): N (G's recipe, dropout 0) and W (the same, lstm_hidden 200, linear_size 256),
# 80 minutes each, side by side, 1 torch thread each, from scratch on lists/train_balanced.list.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
.venv/bin/python -m quality.corpus restore lists/train_balanced.list lists/valid.list --build lists/corpus_build.json \
    --out corpus/v3 --quiet
T=.venv/bin/train-quality
mkdir -p runs/v19
COMMON=(--config configs/shipped.yaml --train lists/train_balanced.list --valid lists/valid.list
        --set model.conditions=auto --set seed=1 --set model.dropout=0.0
        --loss 'mse+frame_mse+heads_mse:0.5+condition_bce:0.5' --max-minutes 80 --out runs/v19)
$T "${COMMON[@]}" --run-name N_nodrop > runs/v19/N_nodrop.log 2>&1 &
$T "${COMMON[@]}" --set model.lstm_hidden=200 --set model.linear_size=256 --run-name W_wide > runs/v19/W_wide.log 2>&1 &
wait
echo LAUNCH_DONE
