import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).parent))

from synthetic import make_snr_corpus  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def isolated_onnx_cache(tmp_path_factory):
    """Exports cached by one test run never leak into another (or come from the user's cache):
    ``load_predictor`` picks a cached verified export of a model.pt by default."""
    previous = os.environ.get("QUALITY_CACHE_DIR")
    os.environ["QUALITY_CACHE_DIR"] = str(tmp_path_factory.mktemp("quality_cache"))
    yield
    if previous is None:
        os.environ.pop("QUALITY_CACHE_DIR", None)
    else:
        os.environ["QUALITY_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def snr_lists(tmp_path_factory) -> tuple[Path, Path]:
    """A tiny train/valid pair of list files whose score is the SNR of generated audio."""
    root = tmp_path_factory.mktemp("snr")
    lines = make_snr_corpus(root / "audio", 56, seed=1)
    train, valid = root / "train.list", root / "valid.list"
    train.write_text("# columns: path score speaker\n" + "\n".join(f"audio/{l}" for l in lines[:40]) + "\n")
    valid.write_text("# columns: path score speaker\n" + "\n".join(f"audio/{l}" for l in lines[40:]) + "\n")
    return train, valid
