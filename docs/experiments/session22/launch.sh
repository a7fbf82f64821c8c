#!/usr/bin/env bash
# Session 22 (RULE14.md): T2 and T3, session 21's T (N's recipe from scratch on lists/train_tc_balanced.list,
# dropout 0, lr 1e-3) with seeds 2 and 3; 75 minutes each, side by side, 1 torch thread each.
# Needs the five corpora (`make corpora`). Run from the repository root; prints LAUNCH_DONE at the end.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
mkdir -p runs/v22
COMMON=(--config configs/shipped.yaml --train lists/train_tc_balanced.list --valid lists/valid_tc.list
        --set model.conditions=auto --set model.dropout=0.0
        --loss 'mse+frame_mse+heads_mse:0.5+condition_bce:0.5' --max-minutes 75 --lr 1e-3 --out runs/v22)
for s in 2 3; do
    $T "${COMMON[@]}" --set seed=$s --run-name T$s > runs/v22/T$s.log 2>&1 &
done
wait
echo LAUNCH_DONE
