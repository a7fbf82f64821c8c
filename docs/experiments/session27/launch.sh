#!/usr/bin/env bash
# Session 27 (RULE21.md, RULE22.md): the two `tcn` members of the default trained for longer, 75 minutes each, side
# by side, one torch thread each, last epoch kept.
# K2c: K2 continued (--init K2's model.pt, lr 3e-4, seed 2), as Kc continued K in session 26.
# Kcc: Kc continued again (--init Kc's model.pt, lr 1e-4, seed 1).
# Needs the five corpora (`make corpora`). Run from the repository root; prints LAUNCH_DONE at the end.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
M=checkpoints/default_members
mkdir -p runs/v27
. docs/experiments/tcn_recipe.sh
COMMON=("${TCN_RECIPE[@]}" --out runs/v27)
$T "${COMMON[@]}" --set seed=2 --lr 3e-4 --init $M/K2_tcn/model.pt --run-name K2c_tcn > runs/v27/K2c_tcn.log 2>&1 &
$T "${COMMON[@]}" --set seed=1 --lr 1e-4 --init $M/Kc_tcn/model.pt --run-name Kcc_tcn > runs/v27/Kcc_tcn.log 2>&1 &
wait
echo LAUNCH_DONE
