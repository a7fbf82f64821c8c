#!/usr/bin/env bash
# Session 13: RULE3 on N_sim: ./eval_nsim.sh EF [GH]
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
E="$P -m quality.evaluate --bootstrap 0 --list corpus/noizeus_sim/train.list"
[ -d runs/v11/ev_shipped_nsim ] || $E --checkpoint checkpoints/default.pt --out runs/v11/ev_shipped_nsim > runs/v11/ev_shipped_nsim.log 2>&1
preds="shipped=runs/v11/ev_shipped_nsim"
for N in "$@"; do
    [ -d runs/v11/ev_${N}_nsim ] || $E --checkpoint runs/v11/$N.pt --out runs/v11/ev_${N}_nsim > runs/v11/ev_${N}_nsim.log 2>&1
    preds="$preds $N=runs/v11/ev_${N}_nsim"
done
$P benchmarks/paired_comparison.py --target pesq --resamples 1000 --list corpus/noizeus_sim/train.list \
    --predictions $preds > runs/v11/paired_nsim_$(IFS=_; echo "$*").txt
cat runs/v11/paired_nsim_$(IFS=_; echo "$*").txt
