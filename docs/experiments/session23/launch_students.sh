#!/usr/bin/env bash
# Session 23 (RULE16.md): S50 and S100, session 21's T recipe (seed 1, dropout 0, lr 1e-3, 75 minutes) on the lists that
# teacher.sh wrote (labels blended with the shipped E+F+NT's scores: half and whole), last epoch kept; side by side,
# 1 torch thread each. Run from the repository root after teacher.sh; prints LAUNCH_DONE.
# If the machine stopped them: train-quality --resume runs/v23/S50 --max-minutes 75 (and S100).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
COMMON=(--config configs/shipped.yaml --valid lists/valid_tc.list
        --set model.conditions=auto --set seed=1 --set model.dropout=0.0 --set keep_weights=last
        --loss 'mse+frame_mse+heads_mse:0.5+condition_bce:0.5' --max-minutes 75 --lr 1e-3 --out runs/v23)
for w in 50 100; do
    $T "${COMMON[@]}" --train runs/v23/train_tc_teacher$w.list --run-name S$w > runs/v23/S$w.log 2>&1 &
done
wait
echo LAUNCH_DONE
