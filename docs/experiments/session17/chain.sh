#!/usr/bin/env bash
cd "$(dirname "$0")/../.."
until grep -q RESTORE_DONE runs/v17/restore.log; do sleep 20; done
bash runs/v17/launch.sh
bash runs/v17/eval.sh 28 56 112
echo CHAIN_DONE
