#!/usr/bin/env bash
# Session 13: ship a candidate pair as checkpoints/default.pt (runs/v11/RULE3.md admitted it):
#   runs/v11/ship.sh E_ftC_nodrop F_ftS_nodrop
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
A=$1; B=$2
# the members' run folders, without the optimizer checkpoints (model.pt holds the best epoch)
for run in $A $B; do
    dst=checkpoints/default_members/$run
    mkdir -p $dst
    cp runs/v11/$run/model.pt runs/v11/$run/config.yaml runs/v11/$run/metrics.csv $dst/
    { echo "# runs/v11/launch_ef.sh (docs/experiments/session13/launch_ef.sh); progress-bar lines removed"
      tr '\r' '\n' < runs/v11/$run.log | grep -v 'it/s\|s/it\|^\s*$' ; } > $dst/train_filtered.log
done
$P -m quality.ensemble --members checkpoints/default_members/$A/model.pt checkpoints/default_members/$B/model.pt \
    --valid lists/valid.list --output runs/v11/ship_raw.pt
$P -m quality.calibrate --checkpoint runs/v11/ship_raw.pt --list lists/valid_tc.list --output checkpoints/default.pt
$P -m quality.export --checkpoint checkpoints/default.pt --output checkpoints/default.onnx
[ -d runs/bench/test_eval_s11 ] || mv runs/bench/test_eval runs/bench/test_eval_s11
$P -m quality.evaluate --checkpoint checkpoints/default.pt --list lists/test.list --out runs/bench/test_eval
$P benchmarks/dev_sets.py --dev ../shared/data/dev --checkpoint checkpoints/default.pt --out runs/bench/dev_sets_v13.csv
