#!/usr/bin/env bash
cd /work/main
until grep -q SETUP_DONE runs/v16/setup.log; do sleep 10; done
bash runs/v16/prepare.sh > runs/v16/prepare.log 2>&1
grep -q PREPARE_DONE runs/v16/prepare.log || { echo PREPARE_FAILED; exit 1; }
date; echo LAUNCH
bash runs/v16/launch.sh
date; echo TRAIN_DONE
