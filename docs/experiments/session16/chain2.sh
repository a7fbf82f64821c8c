#!/usr/bin/env bash
cd /work/main
until grep -q TRAIN_DONE runs/v16/chain.log; do sleep 15; done
bash runs/v16/build_decision.sh > runs/v16/build_decision.log 2>&1
grep -q PREPARE_DONE runs/v16/build_decision.log || { echo DECISION_BUILD_FAILED; exit 1; }
bash runs/v16/eval_rule6.sh > runs/v16/eval_rule6.log 2>&1
echo RULE6_READ
