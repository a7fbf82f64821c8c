#!/usr/bin/env bash
# RULE6's runs E3 and F3: E's and F's own recipe (their config.yaml), 60 minutes, from the shipped
# members, with a 64-band reference-difference head and difference_mse:0.25 added to their loss.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
M=checkpoints/default_members
LOSS='mse+frame_mse+heads_mse:0.5+condition_bce:0.5+difference_mse:0.25'
for pair in E3:E_ftC_nodrop F3:F_ftS_nodrop; do
    run=${pair%%:*}; member=${pair#*:}
    $T --config $M/$member/config.yaml --train runs/v16/train_tc_diff.list --valid lists/valid_tc.list \
       --set model.difference_bands=64 --loss "$LOSS" --lr 3e-4 --max-minutes 60 \
       --init $M/$member/model.pt --out runs/v16 --run-name $run > runs/v16/$run.log 2>&1 &
done
wait
