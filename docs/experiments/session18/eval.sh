#!/usr/bin/env bash
# Session 18 (RULE7.md): the rule's reading (candidate E+F+G+H vs the shipped model on N_sim5 and
# N_real), then the lists read afterwards (test split, validation) for the candidate and G, H alone.
set -euo pipefail
cd "$(dirname "$0")/../../.."
P=.venv/bin/python
R=runs/v18
E=checkpoints/default_members/E_ftC_nodrop/model.pt
F=checkpoints/default_members/F_ftS_nodrop/model.pt
CALIBRATION_LIST=lists/valid.list docs/experiments/eval_candidate.sh $R EFGH nsim5 corpus/noizeus_sim5/train.list \
    $E $F $R/G_mean_seed1/model.pt $R/H_disturbance/model.pt
echo RULE_READ
for m in EFGH:$R/EFGH.pt G:$R/G_mean_seed1/model.pt H:$R/H_disturbance/model.pt; do
    o=$R/test_${m%%:*}
    [ -d $o ] || $P -m quality.evaluate --bootstrap 0 --checkpoint ${m#*:} --list lists/test.list --out $o > $o.log 2>&1
done
$P benchmarks/paired_comparison.py --list lists/test.list --target pesq --resamples 1000 \
    --predictions shipped=$R/test_default EFGH=$R/test_EFGH G=$R/test_G H=$R/test_H > $R/paired_test.txt
cat $R/paired_test.txt
echo EVAL_DONE
