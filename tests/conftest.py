import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))

from synthetic import make_snr_corpus  # noqa: E402


@pytest.fixture(scope="session")
def snr_lists(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny train/valid pair of list files whose score is the SNR of generated audio."""
    root = tmp_path_factory.mktemp("snr")
    lines = make_snr_corpus(root / "audio", 56, seed=1)
    train, valid = root / "train.list", root / "valid.list"
    train.write_text("# columns: path score speaker\n" + "\n".join(f"audio/{l}" for l in lines[:40]) + "\n")
    valid.write_text("# columns: path score speaker\n" + "\n".join(f"audio/{l}" for l in lines[40:]) + "\n")
    return train, valid
