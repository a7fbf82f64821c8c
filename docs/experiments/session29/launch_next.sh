#!/usr/bin/env bash
# RULE28.md: K3e and K4e (session 28) continued to 180 minutes in all, side by side on one torch thread each, in
# copies of their run folders (runs/v29/K3x_tcn, runs/v29/K4x_tcn), so session 28's runs stay as they were.
# Run again to continue after a session ends mid-run (the copies are made only once; the budget counts across
# resumes). Run from the repository root; prints LAUNCH_DONE at the end.
set -euo pipefail
cd "$(dirname "$0")/../../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p runs/v29
for k in 3 4; do
    src=runs/v28/K${k}e_tcn run=runs/v29/K${k}x_tcn
    [ -d $run ] || { cp -r $src $run; rm -f $run/model.pt $run/metrics.csv; }
    { echo "# $(date -u +%FT%TZ) train-quality --resume $run --max-minutes 180"
      .venv/bin/train-quality --resume $run --max-minutes 180; } >> $run.log 2>&1 &
done
wait
echo LAUNCH_DONE
