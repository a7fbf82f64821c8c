#!/usr/bin/env bash
# Session 25: ship E+F+NT+K (RULE18.md admitted it) as checkpoints/default.pt and default.onnx.
set -euo pipefail
cd "$(dirname "$0")/../../.."
P=.venv/bin/python
M=checkpoints/default_members
dst=$M/K_tcn
mkdir -p $dst
cp runs/v25/K_tcn/model.pt runs/v25/K_tcn/config.yaml runs/v25/K_tcn/metrics.csv $dst/
{ echo "# docs/experiments/session25/launch.sh (RULE17.md); progress-bar lines removed"
  tr '\r' '\n' < runs/v25/K_tcn.log | grep -v 'it/s\|s/it\|^\s*$' ; } > $dst/train_filtered.log
$P -m quality.ensemble --members $M/E_ftC_nodrop/model.pt $M/F_ftS_nodrop/model.pt $M/NT_ft/model.pt $M/K_tcn/model.pt \
    --valid lists/valid.list --output runs/v25/ship_raw.pt
$P -m quality.calibrate --checkpoint runs/v25/ship_raw.pt --list lists/valid_tc.list --output checkpoints/default.pt
$P -m quality.export --checkpoint checkpoints/default.pt --output checkpoints/default.onnx
$P -m quality.evaluate --checkpoint checkpoints/default.pt --list lists/test.list --out runs/v25/test_eval_shipped25 --bootstrap 1000
$P benchmarks/dev_sets.py --dev ../shared/data/dev --checkpoint checkpoints/default.pt --out runs/v25/dev_sets_v25.csv
echo SHIP_DONE
