#!/usr/bin/env bash
# Continue finished `train-quality` runs to a longer wall-clock budget, side by side on one torch thread each, in
# copies of their run folders (the originals stay as they were; a copy is made only once, so running this again
# resumes; the budget counts across resumes). Logs: DST/NAME.log. Used by the sessions' launch_next.sh.
#   docs/experiments/continue_runs.sh MINUTES SRC_DIR:SRC_NAME:DST_DIR:DST_NAME...
#   e.g. docs/experiments/continue_runs.sh 180 runs/v28:K3e_tcn:runs/v29:K3x_tcn runs/v28:K4e_tcn:runs/v29:K4x_tcn
# Run from anywhere; prints LAUNCH_DONE at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
MINUTES=$1; shift
for spec in "$@"; do
    IFS=: read -r src_dir src_name dst_dir dst_name <<< "$spec"
    src=$src_dir/$src_name run=$dst_dir/$dst_name
    mkdir -p $dst_dir
    [ -d $run ] || { cp -r $src $run; rm -f $run/model.pt $run/metrics.csv; }
    # the blank line keeps the header off the end of the last progress-bar line of an earlier part
    { echo; echo "# $(date -u +%FT%TZ) train-quality --resume $run --max-minutes $MINUTES"
      .venv/bin/train-quality --resume $run --max-minutes $MINUTES; } >> $run.log 2>&1 &
done
wait
echo LAUNCH_DONE
