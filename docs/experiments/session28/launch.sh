#!/usr/bin/env bash
# Session 28 (RULE24.md): two more `tcn` networks from scratch in K's recipe (docs/experiments/tcn_recipe.sh),
# seeds 3 and 4, 90 minutes each, side by side, one torch thread each, with the two changes session 27 proposed:
# early stopping off (patience 1000, so each run uses its whole budget) and an exponential moving average of the
# weights (ema_decay 0.9995, about 2000 steps or 3.5 epochs) validated and saved instead of the raw last epoch.
# The raw weights of the last epoch stay in each run's checkpoints/last.ckpt (`current_model_state`).
# Needs the five corpora (`make corpora`). Run from the repository root; prints LAUNCH_DONE at the end.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
mkdir -p runs/v28
. docs/experiments/tcn_recipe.sh
COMMON=("${TCN_RECIPE[@]}" --out runs/v28 --lr 1e-3 --max-minutes 90
        --set early_stopping.patience=1000 --set ema_decay=0.9995)
$T "${COMMON[@]}" --set seed=3 --run-name K3e_tcn > runs/v28/K3e_tcn.log 2>&1 &
$T "${COMMON[@]}" --set seed=4 --run-name K4e_tcn > runs/v28/K4e_tcn.log 2>&1 &
wait
echo LAUNCH_DONE
