#!/usr/bin/env bash
# Restore the add-on corpora behind lists/train_tc_balanced.list and lists/valid_tc.list (session 12).
set -uo pipefail
cd "$(dirname "$0")/../.."
for c in v3src v3voc v3gate v3tc; do
    .venv/bin/python -m quality.corpus restore lists/train_tc_balanced.list lists/valid_tc.list \
        --build lists/corpus_${c}_build.json --out corpus/$c --workers 1 --quiet
done
