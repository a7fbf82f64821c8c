#!/usr/bin/env bash
# Session 19: ship E+F+N (RULE10.md admitted it) as checkpoints/default.pt and default.onnx.
set -euo pipefail
cd "$(dirname "$0")/../../.."
P=.venv/bin/python
dst=checkpoints/default_members/N_nodrop
mkdir -p $dst
cp runs/v19/N_nodrop/model.pt runs/v19/N_nodrop/config.yaml runs/v19/N_nodrop/metrics.csv $dst/
{ echo "# docs/experiments/session19/launch.sh (RULE9.md); progress-bar lines removed"
  tr '\r' '\n' < runs/v19/N_nodrop.log | grep -v 'it/s\|s/it\|^\s*$' ; } > $dst/train_filtered.log
M=checkpoints/default_members
$P -m quality.ensemble --members $M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt $M/N_nodrop/model.pt \
    --valid lists/valid.list --output runs/v19/ship_raw.pt
$P -m quality.calibrate --checkpoint runs/v19/ship_raw.pt --list lists/valid_tc.list --output checkpoints/default.pt
$P -m quality.export --checkpoint checkpoints/default.pt --output checkpoints/default.onnx
$P -m quality.evaluate --checkpoint checkpoints/default.pt --list lists/test.list --out runs/v19/test_eval_shipped19 --bootstrap 1000
$P benchmarks/dev_sets.py --dev ../shared/data/dev --checkpoint checkpoints/default.pt --out runs/v19/dev_sets_v19.csv
