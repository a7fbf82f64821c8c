#!/usr/bin/env bash
# RULE29.md: K5e and K6e (session 28/29) continued to 180 minutes in all, side by side on one torch thread each, in
# copies of their run folders (runs/v30/K5x_tcn, runs/v30/K6x_tcn), so the earlier runs stay as they were.
# Run again to continue after a session ends mid-run (the copies are made only once; the budget counts across
# resumes). Run from the repository root; prints LAUNCH_DONE at the end.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p runs/v30
for k in 5 6; do
    src=runs/v28/K${k}e_tcn run=runs/v30/K${k}x_tcn
    [ -d $run ] || { cp -r $src $run; rm -f $run/model.pt $run/metrics.csv; }
    { echo; echo "# $(date -u +%FT%TZ) train-quality --resume $run --max-minutes 180"
      .venv/bin/train-quality --resume $run --max-minutes 180; } >> $run.log 2>&1 &
done
wait
echo LAUNCH_DONE
