#!/usr/bin/env bash
# Session 19 (RULE10.md): N_sim7 and N_real, then the candidate E+F+N against the shipped model; with
# "after", the test lists read afterwards. Run from the repository root after launch.sh.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1
P=.venv/bin/python
R=runs/v19
[ -f corpus/noizeus_sim7/train.list ] || docs/experiments/build_decision.sh 20 corpus/noizeus_sim7
# N_real was evaluated for the shipped model by eval.sh; eval_candidate.sh reuses runs/v19/ev_shipped_nreal
docs/experiments/eval_candidate.sh $R EFN nsim7 corpus/noizeus_sim7/train.list \
    checkpoints/default_members/E_ftC_nodrop/model.pt checkpoints/default_members/F_ftS_nodrop/model.pt \
    $R/N_nodrop/model.pt
echo RULE_READ
[ "${1:-}" = after ] || exit 0
for l in test test_voc test_gate test_tc; do
    o=$R/ev_EFN_$l
    [ -d $o ] || $P -m quality.evaluate --bootstrap 0 --checkpoint $R/EFN.pt --list lists/$l.list --out $o > $o.log 2>&1
    $P benchmarks/paired_comparison.py --list lists/$l.list --target pesq --resamples 1000 \
        --predictions shipped=$R/ev_shipped_$l EFN=$o > $R/paired_EFN_$l.txt
    cat $R/paired_EFN_$l.txt
done
echo EVAL10_DONE
