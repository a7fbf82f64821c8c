#!/usr/bin/env bash
# Session 12: arms A (control) and B (disturbance pooling) side by side, 60 min each (runs/v10/RULE.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
$T --config configs/shipped.yaml --train lists/train_balanced.list --valid lists/valid.list \
   --set model.conditions=auto --loss 'mse+frame_mse+heads_mse:0.5+condition_bce:0.5' --max-minutes 60 \
   --out runs/v10 --run-name A_mean > runs/v10/A_mean.log 2>&1 &
$T --config configs/shipped.yaml --train lists/train_balanced.list --valid lists/valid.list \
   --set model.conditions=auto --set model.pooling=disturbance --loss 'mse+heads_mse:0.5+condition_bce:0.5' \
   --max-minutes 60 --out runs/v10 --run-name B_disturbance > runs/v10/B_disturbance.log 2>&1 &
wait
