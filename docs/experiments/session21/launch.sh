#!/usr/bin/env bash
# Session 21 (RULE12.md): T (N's recipe from scratch) and W (NT fine-tuned on whole files), 75 minutes each,
# side by side, 1 torch thread each, on lists/train_tc_balanced.list without dropout, validated on lists/valid_tc.list.
# Needs the five corpora (`make corpora`). Run from the repository root; prints LAUNCH_DONE at the end.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
mkdir -p runs/v21
COMMON=(--config configs/shipped.yaml --train lists/train_tc_balanced.list --valid lists/valid_tc.list
        --set model.conditions=auto --set seed=1 --set model.dropout=0.0
        --loss 'mse+frame_mse+heads_mse:0.5+condition_bce:0.5' --max-minutes 75 --out runs/v21)
$T "${COMMON[@]}" --lr 1e-3 --run-name T_scratch > runs/v21/T_scratch.log 2>&1 &
$T "${COMMON[@]}" --lr 3e-4 --crop-seconds 8 --init checkpoints/default_members/NT_ft/model.pt \
    --run-name W_whole > runs/v21/W_whole.log 2>&1 &
wait
echo LAUNCH_DONE
