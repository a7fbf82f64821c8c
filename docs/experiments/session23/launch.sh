#!/usr/bin/env bash
# Session 23 (RULE15.md): P (disturbance pooling, seed 4) and Q (a conv1d front layer, seed 5), from scratch
# without dropout on lists/train_tc_balanced.list, lr 1e-3, keep_weights=last; 80 minutes each, side by side,
# 1 torch thread each. Needs the five corpora (`make corpora`). Run from the repository root; prints LAUNCH_DONE.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
mkdir -p runs/v23
COMMON=(--config configs/shipped.yaml --train lists/train_tc_balanced.list --valid lists/valid_tc.list
        --set model.conditions=auto --set model.dropout=0.0 --set keep_weights=last
        --max-minutes 80 --lr 1e-3 --out runs/v23)
$T "${COMMON[@]}" --set model.pooling=disturbance --set seed=4 --loss 'mse+heads_mse:0.5+condition_bce:0.5' \
   --run-name P_disturbance > runs/v23/P_disturbance.log 2>&1 &
$T "${COMMON[@]}" --set model.conv_channels=96 --set seed=5 --loss 'mse+frame_mse+heads_mse:0.5+condition_bce:0.5' \
   --run-name Q_conv96 > runs/v23/Q_conv96.log 2>&1 &
wait
echo LAUNCH_DONE
