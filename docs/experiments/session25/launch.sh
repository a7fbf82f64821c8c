#!/usr/bin/env bash
# Session 25 (RULE17.md): two families other than HASANet at a real budget, session 21's T recipe otherwise.
# C: cnn_mattn (conv1d stack + residual conv blocks + global self-attention, no recurrence);
# K: tcn (dilated masked conv1d stack with per-bin input quantiles, no recurrence).
# From scratch without dropout on lists/train_tc_balanced.list, lr 1e-3, seed 1, 64 mel bands, the STOI/SI-SDR
# heads and the degradation classifier, keep_weights=last; 75 minutes each, side by side, 1 torch thread each.
# Needs the five corpora (`make corpora`). Run from the repository root; prints LAUNCH_DONE at the end.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
mkdir -p runs/v25
COMMON=(--config configs/shipped.yaml --train lists/train_tc_balanced.list --valid lists/valid_tc.list
        --set model.score_range=[1.0,4.64] --set 'model.heads={stoi: [0.0, 1.0], sisdr: [-20.0, 40.0]}'
        --set model.normalized_output=true --set 'model.features={kind: logpow, normalize: utterance, mel_bands: 64}'
        --set model.conditions=auto --set model.dropout=0.0 --set keep_weights=last --set seed=1
        --loss 'mse+frame_mse+heads_mse:0.5+condition_bce:0.5' --max-minutes 75 --lr 1e-3 --out runs/v25)
$T --model cnn_mattn "${COMMON[@]}" --set model.channels=128 --set model.prepare_kernel=4 \
   --set model.prepare_layers=4 --set model.block_kernel=2 --set model.blocks=2 --set model.attention_heads=4 \
   --set model.attention_dropout=0.0 --set model.attention_window=null \
   --run-name C_cnn_mattn > runs/v25/C_cnn_mattn.log 2>&1 &
$T --model tcn "${COMMON[@]}" --set model.channels=96 --set model.kernel_size=3 \
   --set 'model.dilations=[1, 2, 4, 8, 16, 1, 2, 4, 8, 16]' --set model.linear_size=128 \
   --set 'model.quantiles=[0.05, 0.25, 0.5, 0.75, 0.95]' \
   --run-name K_tcn > runs/v25/K_tcn.log 2>&1 &
wait
echo LAUNCH_DONE
