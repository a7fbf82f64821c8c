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
