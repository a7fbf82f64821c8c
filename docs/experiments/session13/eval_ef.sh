#!/usr/bin/env bash
# Session 13: read E and F (runs/v11/RULE.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
$P -m quality.ensemble --members runs/v11/E_ftC_nodrop/model.pt runs/v11/F_ftS_nodrop/model.pt \
    --output runs/v11/EF_raw.pt
$P -m quality.calibrate --checkpoint runs/v11/EF_raw.pt --list lists/valid_tc.list --output runs/v11/EF.pt
E="$P -m quality.evaluate --bootstrap 0"
for m in EF shipped; do
    ck=runs/v11/EF.pt; [ $m = shipped ] && ck=checkpoints/default.pt
    for l in valid_tc:lists/valid_tc.list fresh_valid:corpus/v3fresh/valid.list nreal:corpus/noizeus_real/all.list; do
        $E --checkpoint $ck --list ${l#*:} --out runs/v11/ev_${m}_${l%%:*} > runs/v11/ev_${m}_${l%%:*}.log 2>&1
    done
done
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
$PC --list lists/valid_tc.list --predictions shipped=runs/v11/ev_shipped_valid_tc EF=runs/v11/ev_EF_valid_tc > runs/v11/paired_valid_tc.txt
$PC --list corpus/v3fresh/valid.list --predictions shipped=runs/v11/ev_shipped_fresh_valid EF=runs/v11/ev_EF_fresh_valid > runs/v11/paired_fresh_valid.txt
$PC --list corpus/noizeus_real/all.list --predictions shipped=runs/v11/ev_shipped_nreal EF=runs/v11/ev_EF_nreal > runs/v11/paired_nreal.txt
cat runs/v11/paired_valid_tc.txt runs/v11/paired_fresh_valid.txt runs/v11/paired_nreal.txt
