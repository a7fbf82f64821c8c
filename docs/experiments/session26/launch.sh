#!/usr/bin/env bash
# Session 26 (RULE19.md, RULE20.md): two more `tcn` networks of session 25's K recipe, 75 minutes each, side by side,
# one torch thread each, last epoch kept.
# K2: from scratch with seed 2 (K had seed 1). Kc: K continued (--init K's model.pt, lr 3e-4, seed 1).
# Needs the five corpora (`make corpora`). Run from the repository root; prints LAUNCH_DONE at the end.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
mkdir -p runs/v26
. docs/experiments/tcn_recipe.sh
COMMON=("${TCN_RECIPE[@]}" --out runs/v26)
$T "${COMMON[@]}" --set seed=2 --lr 1e-3 --run-name K2_tcn > runs/v26/K2_tcn.log 2>&1 &
$T "${COMMON[@]}" --set seed=1 --lr 3e-4 --init checkpoints/default_members/K_tcn/model.pt \
   --run-name Kc_tcn > runs/v26/Kc_tcn.log 2>&1 &
wait
echo LAUNCH_DONE
