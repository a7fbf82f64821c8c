#!/usr/bin/env bash
# Session 20 (RULE11.md and its amendment): NT (N fine-tuned), 35 minutes, 1 torch thread, on lists/train_tc_balanced.list without dropout, validated on lists/valid_tc.list.
# Needs the five corpora (`make corpora`). Run from the repository root; prints LAUNCH_DONE at the end.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
mkdir -p runs/v20
COMMON=(--config configs/shipped.yaml --train lists/train_tc_balanced.list --valid lists/valid_tc.list
        --set model.conditions=auto --set seed=1 --set model.dropout=0.0
        --loss 'mse+frame_mse+heads_mse:0.5+condition_bce:0.5' --max-minutes 35 --out runs/v20)
$T "${COMMON[@]}" --lr 3e-4 --init checkpoints/default_members/N_nodrop/model.pt --run-name NT_ft \
    > runs/v20/NT_ft.log 2>&1
echo LAUNCH_DONE
