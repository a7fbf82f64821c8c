#!/usr/bin/env bash
# Session 14 (runs/v14/RULE4.md): the two candidates, each calibrated on lists/valid_tc.list.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
R=runs/v11
$P -m quality.ensemble --average-weights --members $R/E_ftC_nodrop/model.pt $R/G_ftC_whole/model.pt --output runs/v14/soup_EG.pt
$P -m quality.ensemble --average-weights --members $R/F_ftS_nodrop/model.pt $R/H_ftS_whole/model.pt --output runs/v14/soup_FH.pt
$P -m quality.ensemble --members runs/v14/soup_EG.pt runs/v14/soup_FH.pt --valid lists/valid.list --output runs/v14/SOUP_raw.pt
$P -m quality.ensemble --members $R/E_ftC_nodrop/model.pt $R/F_ftS_nodrop/model.pt $R/G_ftC_whole/model.pt \
    $R/H_ftS_whole/model.pt --valid lists/valid.list --output runs/v14/K4_raw.pt
for N in SOUP K4; do
    $P -m quality.calibrate --checkpoint runs/v14/${N}_raw.pt --list lists/valid_tc.list --output runs/v14/$N.pt
done
