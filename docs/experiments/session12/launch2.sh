#!/usr/bin/env bash
# Session 12: runs C and D side by side, 60 min each (runs/v10/RULE2.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
$T --config configs/shipped.yaml --train lists/train_balanced.list --valid lists/valid.list \
   --set model.conditions=auto --set model.features.normalize=mean \
   --loss 'mse+frame_mse+heads_mse:0.5+condition_bce:0.5' --max-minutes 60 \
   --out runs/v10 --run-name C_meannorm > runs/v10/C_meannorm.log 2>&1 &
# D was restarted by hand with 45 minutes after a failed first start (RULE2.md, amendment)
$T --config checkpoints/default_members/ft_C_tc/config.yaml --train lists/train_tc_balanced.list \
   --valid lists/valid_tc.list --set model.features.normalize=mean --lr 3e-4 --max-minutes 45 \
   --init runs/v10/member_C_tc.pt --out runs/v10 --run-name D_ftC_meannorm \
   > runs/v10/D_ftC_meannorm.log 2>&1 &
wait
