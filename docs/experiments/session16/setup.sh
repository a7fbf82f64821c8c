#!/usr/bin/env bash
# Install and restore the five corpora of lists/ (make corpora: the README's restore commands).
set -euo pipefail
cd "$(dirname "$0")/../.."
date
make install > runs/v16/install.log 2>&1
make corpora
date
echo SETUP_DONE
