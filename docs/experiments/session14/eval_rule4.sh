#!/usr/bin/env bash
# Session 14: read runs/v14/RULE4.md's conditions 1-2 for SOUP and K4 (runs/v14/make_candidates.sh first).
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
E="$P -m quality.evaluate --bootstrap 0"
NS=corpus/noizeus_sim2/train.list
[ -d runs/v14/ev_shipped_nsim2 ] || $E --checkpoint checkpoints/default.pt --list $NS --out runs/v14/ev_shipped_nsim2 > runs/v14/ev_shipped_nsim2.log 2>&1
for N in SOUP K4; do
    [ -d runs/v14/ev_${N}_nsim2 ] || $E --checkpoint runs/v14/$N.pt --list $NS --out runs/v14/ev_${N}_nsim2 > runs/v14/ev_${N}_nsim2.log 2>&1
    [ -d runs/v14/ev_${N}_nreal ] || $E --checkpoint runs/v14/$N.pt --list corpus/noizeus_real/all.list --out runs/v14/ev_${N}_nreal > runs/v14/ev_${N}_nreal.log 2>&1
done
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
# the shipped model's N_real predictions: session 13 scored it there as EF (runs/v11/ev_EF_nreal)
$PC --list $NS --predictions shipped=runs/v14/ev_shipped_nsim2 SOUP=runs/v14/ev_SOUP_nsim2 K4=runs/v14/ev_K4_nsim2 > runs/v14/paired_rule4_nsim2.txt
$PC --list corpus/noizeus_real/all.list --predictions shipped=runs/v11/ev_EF_nreal SOUP=runs/v14/ev_SOUP_nreal K4=runs/v14/ev_K4_nreal > runs/v14/paired_rule4_nreal.txt
cat runs/v14/paired_rule4_nsim2.txt runs/v14/paired_rule4_nreal.txt
