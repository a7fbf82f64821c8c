#!/usr/bin/env bash
# Session 17: the speaker learning curve (PLAN.md). Three runs side by side on the 2-core CPU, 1 torch
# thread each: session 12's arm A recipe (configs/shipped.yaml, conditions=auto, its loss, seed 0),
# from scratch, 19 epochs of 562 batches, on the nested speaker subsets of make_subsets.py.
# The 225-speaker point is arm A itself: its list is lists/train_balanced.list row for row.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
for n in 28 56 112; do
    .venv/bin/train-quality --config configs/shipped.yaml --train runs/v17/lists/train_spk${n}_balanced.list \
        --valid lists/valid.list --set model.conditions=auto --loss 'mse+frame_mse+heads_mse:0.5+condition_bce:0.5' \
        --max-epochs 19 --out runs/v17 --run-name spk$n > runs/v17/spk$n.log 2>&1 &
done
wait
echo TRAIN_DONE
