#!/usr/bin/env bash
# Session 18 (RULE7.md): members G (arm A's recipe, seed 1) and H (arm B's disturbance pooling),
# side by side, 1 torch thread each, 90 minutes, from scratch on lists/train_balanced.list.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
mkdir -p runs/v18
$T --config configs/shipped.yaml --train lists/train_balanced.list --valid lists/valid.list \
   --set model.conditions=auto --set seed=1 --loss 'mse+frame_mse+heads_mse:0.5+condition_bce:0.5' \
   --max-minutes 90 --out runs/v18 --run-name G_mean_seed1 > runs/v18/G_mean_seed1.log 2>&1 &
$T --config configs/shipped.yaml --train lists/train_balanced.list --valid lists/valid.list \
   --set model.conditions=auto --set model.pooling=disturbance --loss 'mse+heads_mse:0.5+condition_bce:0.5' \
   --max-minutes 90 --out runs/v18 --run-name H_disturbance > runs/v18/H_disturbance.log 2>&1 &
wait
echo LAUNCH_DONE
