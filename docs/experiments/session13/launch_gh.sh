#!/usr/bin/env bash
# Session 13: G and H (runs/v11/RULE2.md): E and F on whole files.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
$T --config checkpoints/default_members/ft_C_tc/config.yaml --train lists/train_tc_balanced.list \
   --valid lists/valid_tc.list --set model.dropout=0.0 --lr 3e-4 --max-minutes 50 --crop-seconds 8 \
   --init runs/v10/member_C_tc.pt --out runs/v11 --run-name G_ftC_whole > runs/v11/G_ftC_whole.log 2>&1 &
$T --config checkpoints/default_members/ft_S_tc/config.yaml --train lists/train_tc_balanced.list \
   --valid lists/valid_tc.list --set model.dropout=0.0 --lr 3e-4 --max-minutes 50 --crop-seconds 8 \
   --init runs/v11/member_S_tc.pt --out runs/v11 --run-name H_ftS_whole > runs/v11/H_ftS_whole.log 2>&1 &
wait
