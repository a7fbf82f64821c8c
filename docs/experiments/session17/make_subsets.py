"""Session 17: nested speaker subsets of lists/train.list (seed 17), each balanced like
lists/train_balanced.list (15 bins of 0.25 PESQ from 1.0, 1600 rows per bin, small bins repeated,
seed 0), so every run sees the same number of rows and steps; only the number of speakers varies."""
import subprocess
import sys
from pathlib import Path

import numpy as np

from quality.lists import read_list, write_list

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
table = read_list("lists/train.list")
speakers = sorted(table["speaker"].unique())
order = list(np.random.default_rng(17).permutation(speakers))
for n in (28, 56, 112, 225):
    subset = table[table["speaker"].isin(order[:n])]
    raw = out / f"train_spk{n}.list"
    write_list(subset, raw)
    balanced = out / f"train_spk{n}_balanced.list"
    subprocess.run([sys.executable, "-m", "quality.lists", "balance", str(raw), str(balanced), "--target", "pesq",
                    "--bin-width", "0.25", "--low", "1.0", "--per-bin", "1600", "--repeat", "--seed", "0"], check=True)
    distinct = read_list(balanced)["path"].nunique()
    print(f"speakers {n}: {len(subset)} files, balanced rows {len(read_list(balanced))}, distinct {distinct}")
