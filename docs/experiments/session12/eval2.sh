#!/usr/bin/env bash
# Session 12: read C and D (runs/v10/RULE2.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
E="$P -m quality.evaluate"
$E --checkpoint runs/v10/C_meannorm/model.pt --list lists/test.list --out runs/v10/eval_C_meannorm_test > runs/v10/eval_C_meannorm_test.log 2>&1
$E --checkpoint runs/v10/C_meannorm/model.pt --list lists/valid.list --out runs/v10/eval_C_meannorm_valid > runs/v10/eval_C_meannorm_valid.log 2>&1
$E --checkpoint runs/v10/D_ftC_meannorm/model.pt --list lists/test.list --out runs/v10/eval_D_test > runs/v10/eval_D_test.log 2>&1
$E --checkpoint runs/v10/D_ftC_meannorm/model.pt --list lists/valid_tc.list --out runs/v10/eval_D_valid_tc > runs/v10/eval_D_valid_tc.log 2>&1
$P benchmarks/paired_comparison.py --list lists/test.list --predictions A=runs/v10/eval_A_mean_test \
    C=runs/v10/eval_C_meannorm_test B=runs/v10/eval_B_disturbance_test shipped=runs/v10/eval_shipped_test \
    D=runs/v10/eval_D_test > runs/v10/paired2_test.txt 2>&1
$P benchmarks/paired_comparison.py --list lists/valid.list --predictions A=runs/v10/eval_A_mean_valid \
    C=runs/v10/eval_C_meannorm_valid > runs/v10/paired2_valid.txt 2>&1
$P benchmarks/paired_comparison.py --list lists/test.list --predictions shipped=runs/v10/eval_shipped_test \
    D=runs/v10/eval_D_test > runs/v10/paired_D_test.txt 2>&1
$P benchmarks/paired_comparison.py --list lists/valid_tc.list --predictions shipped=runs/v10/eval_shipped_valid_tc \
    D=runs/v10/eval_D_valid_tc > runs/v10/paired_D_valid_tc.txt 2>&1
