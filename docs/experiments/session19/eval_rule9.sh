#!/usr/bin/env bash
# Session 19 (RULE9.md): N and W (best epoch by validation LCC) on the test split, on N_sim6 and on
# 1500 distinct files of their own training list (the fit), then W against N, paired over speakers.
# Run from the repository root after launch.sh (and prepare.sh, for N_sim6).
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1
P=.venv/bin/python
R=runs/v19
[ -f $R/fit.list ] || $P - <<'PY'
from quality.lists import read_list, write_list
table = read_list("lists/train_balanced.list").drop_duplicates("path").sample(n=1500, random_state=19)
write_list(table, "runs/v19/fit.list")
PY
for run in N_nodrop W_wide; do
    for l in test:lists/test.list nsim6:corpus/noizeus_sim6/train.list fit:$R/fit.list; do
        o=$R/ev_${run}_${l%%:*}
        [ -d $o ] || $P -m quality.evaluate --bootstrap 0 --checkpoint $R/$run/model.pt --list ${l#*:} --out $o > $o.log 2>&1
        echo "$run ${l%%:*}: $(tail -1 $o.log)"
    done
done
PC="$P benchmarks/paired_comparison.py --target pesq --resamples 1000"
$PC --list lists/test.list --predictions N=$R/ev_N_nodrop_test W=$R/ev_W_wide_test shipped=$R/ev_shipped_test > $R/paired_rule9_test.txt
$PC --list corpus/noizeus_sim6/train.list --predictions N=$R/ev_N_nodrop_nsim6 W=$R/ev_W_wide_nsim6 \
    shipped=$R/ev_shipped_nsim6 > $R/paired_rule9_nsim6.txt
cat $R/paired_rule9_test.txt $R/paired_rule9_nsim6.txt
echo EVAL9_DONE
