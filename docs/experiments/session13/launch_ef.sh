#!/usr/bin/env bash
# Session 13: E and F (runs/v11/RULE.md): the shipped members fine-tuned without dropout.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
$T --config checkpoints/default_members/ft_C_tc/config.yaml --train lists/train_tc_balanced.list \
   --valid lists/valid_tc.list --set model.dropout=0.0 --lr 3e-4 --max-minutes 60 \
   --init runs/v10/member_C_tc.pt --out runs/v11 --run-name E_ftC_nodrop > runs/v11/E_ftC_nodrop.log 2>&1 &
$T --config checkpoints/default_members/ft_S_tc/config.yaml --train lists/train_tc_balanced.list \
   --valid lists/valid_tc.list --set model.dropout=0.0 --lr 3e-4 --max-minutes 60 \
   --init runs/v11/member_S_tc.pt --out runs/v11 --run-name F_ftS_nodrop > runs/v11/F_ftS_nodrop.log 2>&1 &
wait
