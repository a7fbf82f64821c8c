#!/usr/bin/env bash
# Session 20: ship E+F+NT (RULE11.md admitted it) as checkpoints/default.pt and default.onnx.
set -euo pipefail
cd "$(dirname "$0")/../../.."
P=.venv/bin/python
dst=checkpoints/default_members/NT_ft
mkdir -p $dst
cp runs/v20/NT_ft/model.pt runs/v20/NT_ft/config.yaml runs/v20/NT_ft/metrics.csv $dst/
{ echo "# docs/experiments/session20/launch.sh (RULE11.md); progress-bar lines removed"
  tr '\r' '\n' < runs/v20/NT_ft.log | grep -v 'it/s\|s/it\|^\s*$' ; } > $dst/train_filtered.log
M=checkpoints/default_members
$P -m quality.ensemble --members $M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt $M/NT_ft/model.pt \
    --valid lists/valid.list --output runs/v20/ship_raw.pt
$P -m quality.calibrate --checkpoint runs/v20/ship_raw.pt --list lists/valid_tc.list --output checkpoints/default.pt
$P -m quality.export --checkpoint checkpoints/default.pt --output checkpoints/default.onnx
$P -m quality.evaluate --checkpoint checkpoints/default.pt --list lists/test.list --out runs/v20/test_eval_shipped20 --bootstrap 1000
$P benchmarks/dev_sets.py --dev ../shared/data/dev --checkpoint checkpoints/default.pt --out runs/v20/dev_sets_v20.csv
