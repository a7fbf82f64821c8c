"""The shipped checkpoint: safe loading, plain-data config and metadata, and it scores the examples."""
from pathlib import Path

import torch

from quality import load_predictor
from quality.predict import default_checkpoint

REPO = Path(__file__).resolve().parents[1]


def test_default_checkpoint_is_the_shipped_file():
    assert default_checkpoint() == REPO / "checkpoints" / "default.pt"
    assert default_checkpoint().is_file()


def test_shipped_checkpoint_loads_with_weights_only():
    payload = torch.load(default_checkpoint(), map_location="cpu", weights_only=True)
    assert payload["format"] == "quality-model"
    assert payload["config"]["name"] and payload["config"]["features"]["normalize"] == "utterance"
    meta = payload["metadata"]
    assert meta["target"] == "pesq"
    assert {"mse", "lcc", "srcc"} <= set(meta["valid_metrics"])


def test_shipped_model_scores_the_examples_within_its_range():
    predictor = load_predictor()
    examples = sorted((REPO / "examples").glob("*.flac"))
    assert len(examples) == 5
    results = dict(predictor.predict_many(examples))
    for path, preds in results.items():
        assert not isinstance(preds, Exception), path
        assert 1.0 <= preds[0].mos <= 4.64
        assert set(preds[0].heads) == {"mos", "stoi", "sisdr"}


def test_shipped_onnx_export_is_verified_and_used_by_default():
    """checkpoints/default.onnx must be a verified export of exactly checkpoints/default.pt (re-export
    it with ``python -m quality.export`` whenever default.pt changes); the default predictor then
    runs on onnxruntime, without torch, with the torch backend's scores."""
    from quality.onnx_backend import OnnxBackend
    from quality.predict import find_cached_onnx

    assert find_cached_onnx(default_checkpoint()) is not None
    default = load_predictor()
    assert isinstance(default.backend, OnnxBackend)
    torch_predictor = load_predictor(backend="torch")
    for path in sorted((REPO / "examples").glob("*.flac"))[:2]:
        a, b = default.predict(path), torch_predictor.predict(path)
        for head in ("mos", "stoi", "sisdr"):
            assert abs(a.heads[head] - b.heads[head]) < 1e-3  # the export's verified limit
