#!/usr/bin/env bash
# RULE31.md: H7e and H8e, HASANet networks of session 21's T recipe (from scratch on lists/train_tc_balanced.list)
# with the averaged `tcn` networks' changes (early stopping off, ema_decay 0.9995, the last averaged weights kept),
# seeds 7 and 8, 180 CPU-minutes each, side by side on one torch thread each, in runs/v32.
#   launch.sh [OUT SEED...]   other seeds or another runs folder (session 33's RULE32: launch.sh runs/v33 9 10)
# Run again after a session ends mid-run: a run with a Lightning checkpoint is resumed (the budget counts across
# resumes); one cut off before its first checkpoint starts again. Needs the five corpora (`make corpora`).
# Run from anywhere; logs in OUT/H<seed>e_hasanet.log; prints LAUNCH_DONE at the end.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
T=.venv/bin/train-quality
MINUTES=180
OUT=${1:-runs/v32}; shift || true
SEEDS=("${@:-7 8}")
mkdir -p $OUT
RECIPE=(--config configs/shipped.yaml --train lists/train_tc_balanced.list --valid lists/valid_tc.list
        --set model.conditions=auto --set model.dropout=0.0 --loss 'mse+frame_mse+heads_mse:0.5+condition_bce:0.5'
        --lr 1e-3 --max-minutes $MINUTES --set early_stopping.patience=1000 --set ema_decay=0.9995
        --set keep_weights=last --out $OUT)
for seed in ${SEEDS[@]}; do
    name=H${seed}e_hasanet run=$OUT/H${seed}e_hasanet
    {
        echo; echo "# $(date -u +%FT%TZ) seed $seed"   # the blank line ends an earlier part's progress bar
        if [ -f $run/checkpoints/last.ckpt ]; then
            $T --resume $run --max-minutes $MINUTES
        else
            rm -rf $run
            $T "${RECIPE[@]}" --set seed=$seed --run-name $name
        fi
    } >> $run.log 2>&1 &
done
wait
echo LAUNCH_DONE
