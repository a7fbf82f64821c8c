#!/usr/bin/env bash
# Session 23, groundwork for a distillation rule (not a shipping rule): the shipped E+F+NT scores every distinct file
# of lists/train_tc_balanced.list, and `python -m quality.lists teacher` blends its scores into the labels
# (weight 0.5; and 1.0, the teacher alone). A student network trained on runs/v23/train_tc_teacher50.list has one
# network's scoring cost. Needs the five corpora (`make corpora`). Run from the repository root; prints TEACHER_DONE.
set -euo pipefail
cd "$(dirname "$0")/../../.."
P=.venv/bin/python
R=runs/v23
$P -c "from quality.lists import read_list, write_list
write_list(read_list('lists/train_tc_balanced.list').drop_duplicates('path'), '$R/train_tc_distinct.list')"
[ -f $R/ev_teacher_train/predictions.csv ] || $P -m quality.evaluate --bootstrap 0 --checkpoint checkpoints/default.pt \
    --list $R/train_tc_distinct.list --out $R/ev_teacher_train > $R/ev_teacher_train.log 2>&1
for w in 50:0.5 100:1.0; do
    $P -m quality.lists teacher lists/train_tc_balanced.list $R/train_tc_teacher${w%%:*}.list \
        --predictions $R/ev_teacher_train --target pesq --weight ${w#*:}
done
echo TEACHER_DONE
