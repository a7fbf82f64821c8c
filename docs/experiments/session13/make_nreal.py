"""N_real: the 960 NOIZEUS noisy recordings and the 30 clean sentences as (path, ref_path) pairs,
talker = NOIZEUS's blocks of five sentences (sp01-05 -> nz1, ...). Rebuilt in session 13 after
session 11's runs/v8/make_nreal.py was lost with runs/."""
import csv, sys
from pathlib import Path

root = Path(sys.argv[1]).resolve()
out = Path(sys.argv[2])
rows = []
clean = set()
with open(root / "manifest.csv") as f:
    for r in csv.DictReader(f):
        n = int(Path(r["ref_path"]).stem[2:])
        talker = f"nz{(n - 1) // 5 + 1}"
        rows.append((root / r["path"], root / r["ref_path"], talker, f"noise_{r['noise']}_{r['snr_db']}dB"))
        clean.add((root / r["ref_path"], talker))
rows += [(p, p, t, "clean") for p, t in sorted(clean)]
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["path", "ref_path", "speaker", "condition"])
    w.writerows(rows)
print(len(rows), "pairs")
