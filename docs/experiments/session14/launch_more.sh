#!/usr/bin/env bash
# RULE5's runs E2 and F2 (rewritten in session 15 after runs/ was lost): E's and F's own recipe
# (their config.yaml: crop 4 s, dropout 0, lr 3e-4, best epoch on lists/valid_tc.list), 60 minutes,
# started from the shipped members, on runs/v14/train_more_balanced.list.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
M=checkpoints/default_members
$T --config $M/E_ftC_nodrop/config.yaml --train runs/v14/train_more_balanced.list --valid lists/valid_tc.list \
   --lr 3e-4 --max-minutes 60 --init $M/E_ftC_nodrop/model.pt --out runs/v14 --run-name E2 > runs/v14/E2.log 2>&1 &
$T --config $M/F_ftS_nodrop/config.yaml --train runs/v14/train_more_balanced.list --valid lists/valid_tc.list \
   --lr 3e-4 --max-minutes 60 --init $M/F_ftS_nodrop/model.pt --out runs/v14 --run-name F2 > runs/v14/F2.log 2>&1 &
wait
