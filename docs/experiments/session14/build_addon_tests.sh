#!/usr/bin/env bash
# Session 14: the test splits of the add-on corpora (settings from lists/corpus_<c>_build.json), then
# their lists copied into lists/ with paths relative to it.
set -euo pipefail
cd "$(dirname "$0")/../.."
P=.venv/bin/python
D=../shared/data/corpus
B="$P -m quality.corpus build --speech $D/speech --noise $D/noise --rir $D/rir --num 3000 --split-seed 0 \
   --valid 0.1 --test 0.15 --max-seconds 8 --workers 2 --quiet --splits test"
$B --out corpus/v3voc --seed 2 --weight vocoder=12
$B --out corpus/v3gate --seed 4 --source-gate 1.0 --source-variation 0.5
$B --out corpus/v3tc --seed 6 --weight time_clip=12
for c in voc gate tc; do
    $P -m quality.lists convert corpus/v3$c/test.list lists/test_$c.list --relative
done
