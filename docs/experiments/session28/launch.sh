#!/usr/bin/env bash
# Session 28 (RULE24.md): two more `tcn` networks from scratch in K's recipe (docs/experiments/tcn_recipe.sh),
# seeds 3 and 4, 90 minutes each, side by side, one torch thread each, with the two changes session 27 proposed:
# early stopping off (patience 1000, so each run uses its whole budget) and an exponential moving average of the
# weights (ema_decay 0.9995, about 2000 steps or 3.5 epochs) validated and saved instead of the raw last epoch.
# The raw weights of the last epoch stay in each run's checkpoints/last.ckpt (`current_model_state`).
#   launch.sh [SEED SEED]   default 3 4 (K3e, K4e); `launch.sh 5 6` started K5e and K6e at the end of session 28
#                           for the next session (continue a cut-off one: train-quality --resume runs/v28/K5e_tcn)
# Needs the five corpora (`make corpora`). Run from the repository root; prints LAUNCH_DONE at the end.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
mkdir -p runs/v28
. docs/experiments/tcn_recipe.sh
COMMON=("${TCN_RECIPE[@]}" --out runs/v28 --lr 1e-3 --max-minutes 90
        --set early_stopping.patience=1000 --set ema_decay=0.9995)
for seed in "${1:-3}" "${2:-4}"; do
    $T "${COMMON[@]}" --set seed=$seed --run-name K${seed}e_tcn > runs/v28/K${seed}e_tcn.log 2>&1 &
done
wait
echo LAUNCH_DONE
