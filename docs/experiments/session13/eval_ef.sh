#!/usr/bin/env bash
# Session 13: read a candidate pair (runs/v11/RULE.md): ./eval_ef.sh E_ftC_nodrop F_ftS_nodrop EF
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
A=${1:-E_ftC_nodrop}; B=${2:-F_ftS_nodrop}; N=${3:-EF}
$P -m quality.ensemble --members runs/v11/$A/model.pt runs/v11/$B/model.pt --output runs/v11/${N}_raw.pt
$P -m quality.calibrate --checkpoint runs/v11/${N}_raw.pt --list lists/valid_tc.list --output runs/v11/$N.pt
E="$P -m quality.evaluate --bootstrap 0"
for l in valid_tc:lists/valid_tc.list fresh_valid:corpus/v3fresh/valid.list nreal:corpus/noizeus_real/all.list; do
    $E --checkpoint runs/v11/$N.pt --list ${l#*:} --out runs/v11/ev_${N}_${l%%:*} > runs/v11/ev_${N}_${l%%:*}.log 2>&1
done
# the shipped model on the same lists (valid_tc: session 12's predictions; fresh valid: eval_fresh.sh)
[ -d runs/v11/ev_shipped_nreal ] || $E --checkpoint checkpoints/default.pt --list corpus/noizeus_real/all.list \
    --out runs/v11/ev_shipped_nreal > runs/v11/ev_shipped_nreal.log 2>&1
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
$PC --list lists/valid_tc.list --predictions shipped=runs/v10/eval_shipped_valid_tc $N=runs/v11/ev_${N}_valid_tc > runs/v11/paired_${N}_valid_tc.txt
$PC --list corpus/v3fresh/valid.list --predictions shipped=runs/v11/eval_fresh_valid $N=runs/v11/ev_${N}_fresh_valid > runs/v11/paired_${N}_fresh_valid.txt
$PC --list corpus/noizeus_real/all.list --predictions shipped=runs/v11/ev_shipped_nreal $N=runs/v11/ev_${N}_nreal > runs/v11/paired_${N}_nreal.txt
cat runs/v11/paired_${N}_valid_tc.txt runs/v11/paired_${N}_fresh_valid.txt runs/v11/paired_${N}_nreal.txt
