"""Every registered model: shapes, gradients, and scores independent of padding and batch."""
import pytest
import torch

from quality import available_models, build_model
from quality.checkpoint import load_model, save_model

ALL_MODELS = ["can2d_class", "cnn_class", "cnn_mattn", "crn", "hasanet", "hasanet_class", "lstm_can_class", "tcn"]
LENGTHS = [16000, 7000, 23000]  # three lengths in one padded batch


def test_registry_has_every_model():
    assert available_models() == ALL_MODELS


def test_unknown_model_and_bad_option_are_clear_errors():
    with pytest.raises(ValueError, match="unknown model"):
        build_model("nope")
    with pytest.raises(ValueError, match="bad configuration"):
        build_model("hasanet", not_an_option=3)


def padded_batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    wav = torch.zeros(len(LENGTHS), max(LENGTHS))
    for row, n in enumerate(LENGTHS):
        wav[row, :n] = 0.1 * torch.randn(n, generator=gen)
    return wav, torch.tensor(LENGTHS)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_forward_backward_shapes(name):
    torch.manual_seed(0)
    model = build_model(name).train()
    wav, lengths = padded_batch()
    wav.requires_grad_(True)
    out = model(wav, lengths)
    frames = max(LENGTHS) // 256 + 1
    assert out.frame_scores.shape == (3, frames)
    assert out.frame_mask.shape == (3, frames)
    assert out.frame_mask.sum(1).tolist() == [n // 256 + 1 for n in LENGTHS]
    assert out.utterance_score.shape == (3,)
    if name.endswith("_class"):
        assert out.logits is not None and out.logits.shape[0] == 3 and out.logits.shape[1] == model.bins.num_bins
    else:
        assert out.logits is None
    assert torch.all(out.frame_scores[~out.frame_mask] == 0)
    lo, hi = model.score_range.low, model.score_range.high
    assert torch.all((out.utterance_score >= lo) & (out.utterance_score <= hi))
    loss = out.utterance_score.sum() + out.frame_scores.sum()
    if out.logits is not None:
        loss = loss + out.logits.logsumexp(-1).sum()
    loss.backward()
    assert wav.grad is not None and torch.isfinite(wav.grad).all() and wav.grad.abs().sum() > 0
    missing = [n for n, p in model.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing, f"parameters without finite gradients: {missing}"


@pytest.mark.parametrize("name", ALL_MODELS)
def test_scores_same_alone_and_in_padded_batch(name):
    torch.manual_seed(0)
    model = build_model(name).eval()
    wav, lengths = padded_batch(seed=1)
    with torch.no_grad():
        batch = model(wav, lengths)
        for row, n in enumerate(LENGTHS):
            alone = model(wav[row : row + 1, :n])
            t = alone.frame_scores.shape[1]
            assert torch.allclose(alone.utterance_score, batch.utterance_score[row : row + 1], atol=1e-5, rtol=0)
            assert torch.allclose(alone.frame_scores[0], batch.frame_scores[row, :t], atol=1e-5, rtol=0)
            if alone.logits is not None:
                assert torch.allclose(alone.logits[0], batch.logits[row], atol=1e-5, rtol=0)
        # Batch composition and order do not matter either.
        flipped = model(wav.flip(0), lengths.flip(0))
        assert torch.allclose(flipped.utterance_score.flip(0), batch.utterance_score, atol=1e-5, rtol=0)


@pytest.mark.parametrize("name", ["hasanet", "crn"])
def test_raw_output_and_local_attention_options(name):
    options = {"normalized_output": False}
    if name == "hasanet":
        options.update(attention_window=5, conv_channels=32)
    model = build_model(name, **options).eval()
    wav, lengths = padded_batch()
    with torch.no_grad():
        out = model(wav, lengths)
    assert out.utterance_score.shape == (3,)


@pytest.mark.parametrize("prediction", ["avg", "cls", "avg+cls"])
def test_class_prediction_modes(prediction):
    torch.manual_seed(0)
    model = build_model("hasanet_class", prediction=prediction, bin_width=0.5).eval()
    assert model.bins.num_bins == 8
    wav, lengths = padded_batch()
    with torch.no_grad():
        out = model(wav, lengths)
    avg = (out.frame_scores * out.frame_mask).sum(1) / out.frame_mask.sum(1)
    cls = model.bins.expectation(out.logits)
    expected = {"avg": avg, "cls": cls, "avg+cls": (avg + cls) / 2}[prediction]
    assert torch.allclose(out.utterance_score, expected, atol=1e-5)


def test_model_file_round_trip_with_weights_only(tmp_path):
    torch.manual_seed(0)
    model = build_model("cnn_mattn", score_range=[1.0, 4.64]).eval()
    path = save_model(tmp_path / "model.pt", model, {"target": "pesq"})
    payload = torch.load(path, weights_only=True)
    assert payload["config"]["name"] == "cnn_mattn"
    loaded, meta = load_model(path)
    assert meta == {"target": "pesq"}
    wav, lengths = padded_batch()
    with torch.no_grad():
        assert torch.equal(model(wav, lengths).utterance_score, loaded(wav, lengths).utterance_score)


def test_load_model_rejects_non_model_file(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="bad.pt"):
        load_model(bad)
    with pytest.raises(ValueError, match="no such checkpoint"):
        load_model(tmp_path / "missing.pt")


def test_masked_quantiles_ignore_padding():
    from quality.models.layers import masked_quantiles

    gen = torch.Generator().manual_seed(5)
    x = torch.randn(2, 11, 3, generator=gen)
    mask = torch.tensor([[True] * 11, [True] * 6 + [False] * 5])
    x[1, 6:] = -100.0  # padding content must not matter
    q = masked_quantiles(x, mask, [0.0, 0.5, 1.0])
    assert q.shape == (2, 3, 3)
    assert torch.equal(q[1, 0], x[1, :6].min(0).values) and torch.equal(q[1, 2], x[1, :6].max(0).values)
    assert torch.equal(q[0, 1], x[0].sort(0).values[5])  # nearest rank round(0.5 * 10) = 5
    assert torch.equal(q[1, 1], x[1, :6].sort(0).values[2])  # round(0.5 * 5) = 2 (half to even)


def test_tcn_frequency_stem_and_quantiles_keep_padding_invariance():
    torch.manual_seed(0)
    model = build_model("tcn", stem_channels=4, stem_layers=2, channels=16, dilations=(1, 2, 8),
                        quantiles=(0.05, 0.5, 0.95)).eval()
    assert model.trunk.stem.output_size == 4 * 65  # 257 bins halved twice
    wav, lengths = padded_batch(seed=3)
    with torch.no_grad():
        batch = model(wav, lengths)
        for row, n in enumerate(LENGTHS):
            alone = model(wav[row : row + 1, :n])
            assert torch.allclose(alone.utterance_score, batch.utterance_score[row : row + 1], atol=1e-5, rtol=0)


def test_tcn_frames_see_the_whole_recording():
    """The utterance statistics reach every frame: changing the end changes the first frame's score."""
    torch.manual_seed(0)
    model = build_model("tcn", channels=16, dilations=(1,)).eval()  # receptive field 3 frames without context
    wav = 0.1 * torch.randn(1, 32000, generator=torch.Generator().manual_seed(4))
    louder_end = wav.clone()
    louder_end[0, 24000:] *= 5.0
    with torch.no_grad():
        first = model(wav).frame_scores[0, 0]
        changed = model(louder_end).frame_scores[0, 0]
    assert abs(float(first - changed)) > 1e-4


@pytest.mark.parametrize("name", ["crn", "cnn_class"])
def test_extra_heads_shapes_ranges_and_invariance(name):
    torch.manual_seed(0)
    heads = {"stoi": [0.0, 1.0], "sisdr": [-20.0, 40.0]}
    model = build_model(name, heads=heads).eval()
    wav, lengths = padded_batch(seed=2)
    with torch.no_grad():
        out = model(wav, lengths)
        assert set(out.heads) == set(heads) == set(out.head_frames)
        for head, (lo, hi) in heads.items():
            assert out.heads[head].shape == (3,)
            assert torch.all((out.heads[head] >= lo) & (out.heads[head] <= hi))
            assert torch.all(out.head_frames[head][~out.frame_mask] == 0)
        alone = model(wav[1:2, : LENGTHS[1]])
        assert torch.allclose(alone.heads["sisdr"], out.heads["sisdr"][1:2], atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="'mos' names the main head"):
        build_model(name, heads={"mos": [1, 5]})


def test_output_margin_reaches_range_ends_and_clamps_in_eval():
    torch.manual_seed(0)
    model = build_model("hasanet", score_range=[1.0, 4.64], output_margin=0.1, heads={"stoi": [0.0, 1.0]})
    assert model.config["output_margin"] == 0.1
    with torch.no_grad():
        model.frame_head.bias.fill_(50.0)  # saturate: unclamped frames sit at the widened top, 5.004
        model.extra_heads["head_stoi"].bias.fill_(-50.0)
        wav, lengths = padded_batch()
        model.train()
        train_out = model(wav, lengths)
        assert torch.allclose(train_out.utterance_score, torch.full((3,), 4.64 + 0.364), atol=1e-4)
        assert torch.allclose(train_out.heads["stoi"], torch.full((3,), -0.1), atol=1e-4)
        model.eval()
        out = model(wav, lengths)
    assert torch.allclose(out.utterance_score, torch.full((3,), 4.64))
    assert torch.allclose(out.heads["stoi"], torch.zeros(3))
    assert out.frame_scores[out.frame_mask].eq(4.64).all()
    assert out.frame_scores[~out.frame_mask].eq(0).all()
    assert out.head_frames["stoi"][~out.frame_mask].eq(0).all()
    # With the sigmoid's midpoint at the range's midpoint, a zero logit still means mid-range.
    assert model.score_range.widened(0.1).denormalize(torch.tensor(0.5)).item() == pytest.approx(2.82)


@pytest.mark.parametrize("options", [{"output_margin": -0.1}, {"output_margin": 0.1, "normalized_output": False}])
def test_output_margin_rejects_bad_settings(options):
    with pytest.raises(ValueError, match="output_margin"):
        build_model("hasanet", **options)


@pytest.mark.parametrize("name", ["hasanet", "cnn_class"])
def test_condition_classifier_logits_are_padding_invariant(name):
    torch.manual_seed(0)
    model = build_model(name, conditions=["noise", "reverb", "opus"]).eval()
    assert model.config["conditions"] == ["noise", "reverb", "opus"]
    wav, lengths = padded_batch(seed=3)
    with torch.no_grad():
        out = model(wav, lengths)
        alone = model(wav[1:2, : LENGTHS[1]])
    assert out.condition_logits.shape == (3, 3)
    assert torch.allclose(alone.condition_logits, out.condition_logits[1:2], atol=1e-5, rtol=0)
    assert build_model(name).eval()(wav, lengths).condition_logits is None
    with pytest.raises(ValueError, match="distinct"):
        build_model(name, conditions=["noise", "noise"])
    with pytest.raises(ValueError, match="'conditions' names the degradation classifier"):
        build_model(name, heads={"conditions": [0, 1]})


def test_calibration_line_applies_in_eval_clamps_and_round_trips(tmp_path):
    torch.manual_seed(0)
    model = build_model("hasanet", score_range=[1.0, 4.64], heads={"stoi": [0.0, 1.0]}).eval()
    wav, lengths = padded_batch(seed=5)
    with torch.no_grad():
        raw = model(wav, lengths)
        model.set_calibration([1.5, -0.5])
        out = model(wav, lengths)
        assert model.config["calibration"] == [1.5, -0.5]
        expected = (raw.utterance_score * 1.5 - 0.5).clamp(1.0, 4.64)
        torch.testing.assert_close(out.utterance_score, expected)
        frames = (raw.frame_scores * 1.5 - 0.5).clamp(1.0, 4.64)
        torch.testing.assert_close(out.frame_scores[out.frame_mask], frames[raw.frame_mask])
        assert out.frame_scores[~out.frame_mask].eq(0).all()
        torch.testing.assert_close(out.heads["stoi"], raw.heads["stoi"])  # extra heads are not calibrated
        model.set_calibration([1.0, 10.0])
        assert model(wav, lengths).utterance_score.eq(4.64).all()  # clamped to the range
        model.train()
        torch.manual_seed(1)
        trained_view = model(wav, lengths).utterance_score
        assert trained_view.max() < 4.64  # training sees the raw scores
        model.eval()
    path = save_model(tmp_path / "cal.pt", model)
    loaded, _ = load_model(path)
    assert loaded.calibration == (1.0, 10.0)
    loaded.set_calibration(None)
    assert "calibration" not in loaded.config and loaded.calibration is None


def test_cubic_calibration_reads_clamped_raw_scores_and_round_trips(tmp_path):
    from quality.models.base import calibrated

    torch.manual_seed(0)
    # slope -0.3x(x - 5): rises over 1..4.64 (lowest slope 0.50 at the top) but falls beyond 5
    cubic = [-0.1, 0.75, 0.0, 0.5]
    model = build_model("hasanet", score_range=[1.0, 4.64], normalized_output=False).eval()
    wav, lengths = padded_batch(seed=5)
    with torch.no_grad():
        raw = model(wav, lengths)
        model.set_calibration(cubic)
        out = model(wav, lengths)
        assert model.config["calibration"] == cubic
        x = raw.utterance_score.clamp(1.0, 4.64)
        torch.testing.assert_close(out.utterance_score, (((-0.1 * x + 0.75) * x) * x + 0.5).clamp(1.0, 4.64))
        frames = raw.frame_scores[raw.frame_mask].clamp(1.0, 4.64)
        expected = (((-0.1 * frames + 0.75) * frames) * frames + 0.5).clamp(1.0, 4.64)
        torch.testing.assert_close(out.frame_scores[out.frame_mask], expected)
        assert out.frame_scores[~out.frame_mask].eq(0).all()
    loaded, _ = load_model(save_model(tmp_path / "cubic.pt", model))
    assert loaded.calibration == tuple(cubic)
    with pytest.raises(ValueError, match="does not rise"):
        build_model("hasanet", score_range=[1.0, 5.5], calibration=cubic)  # the same cubic falls above 5
    # the input is clamped first: a raw score beyond the range gets the top's value, not the falling tail
    assert calibrated(torch.tensor([9.0]), loaded.calibration, loaded.score_range).item() == pytest.approx(
        calibrated(torch.tensor([4.64]), loaded.calibration, loaded.score_range).item())


def test_lowest_slope_finds_the_dip_inside_the_range():
    from quality.models.base import lowest_slope
    from quality.scores import ScoreRange

    # slope 3x² - 12x + 13 = 3(x - 2)² + 1: lowest (1.0) at x = 2, inside 1..4, not at either end
    assert lowest_slope((1.0, -6.0, 13.0, 0.0), ScoreRange(1.0, 4.0)) == pytest.approx(1.0)
    assert lowest_slope((1.0, -6.0, 13.0, 0.0), ScoreRange(3.0, 4.0)) == pytest.approx(4.0)


@pytest.mark.parametrize("calibration", [[1.0], [0.0, 1.0], [-1.0, 0.0], [float("nan"), 0.0], "ab",
                                         [1.0, 2.0, 3.0], [0.0, 0.0, 0.0, 1.0], [1.0, -6.0, 11.0, 0.0]])
def test_calibration_rejects_maps_that_do_not_keep_the_order(calibration):
    # the last cubic's slope 3(x - 2)² - 1 dips below 0 near x = 2, inside the default range 1..5
    with pytest.raises(ValueError, match="calibration"):
        build_model("hasanet", calibration=calibration)


ENSEMBLE_MEMBERS = [
    {"name": "hasanet", "lstm_hidden": 16, "linear_size": 16, "attention_heads": 2, "heads": {"stoi": [0, 1]}},
    {"name": "cnn_mattn", "channels": 16, "prepare_layers": 2, "blocks": 1, "attention_heads": 2,
     "heads": {"stoi": [0, 1]}, "output_margin": 0.1},
]


def test_ensemble_averages_its_members_and_keeps_padding_invariance(tmp_path):
    torch.manual_seed(0)
    model = build_model("ensemble", members=ENSEMBLE_MEMBERS, weights=[3, 1]).eval()
    assert "ensemble" not in available_models()  # loadable, but not a family to train from a config
    assert model.weights == [0.75, 0.25]
    wav, lengths = padded_batch(seed=2)
    with torch.no_grad():
        out = model(wav, lengths)
        feats, mask = model.frontend(wav, lengths)
        parts = [m.forward_features(feats, mask) for m in model.members]
        expected = (0.75 * parts[0].utterance_score + 0.25 * parts[1].utterance_score).clamp(1, 5)
        torch.testing.assert_close(out.utterance_score, expected)
        torch.testing.assert_close(out.heads["stoi"], 0.75 * parts[0].heads["stoi"] + 0.25 * parts[1].heads["stoi"])
        assert out.frame_scores[~out.frame_mask].eq(0).all()
        alone = model(wav[1:2, : LENGTHS[1]])
        torch.testing.assert_close(alone.utterance_score, out.utterance_score[1:2], atol=1e-5, rtol=0)
    loaded, _ = load_model(save_model(tmp_path / "ens.pt", model))
    assert loaded.config["members"][0]["features"] == model.frontend.settings()  # resolved settings saved
    with torch.no_grad():
        torch.testing.assert_close(loaded(wav, lengths).utterance_score, out.utterance_score)


@pytest.mark.parametrize("members, message", [
    ([ENSEMBLE_MEMBERS[0]], "at least two"),
    ([ENSEMBLE_MEMBERS[0], {**ENSEMBLE_MEMBERS[1], "heads": {}}], "other heads"),
    ([ENSEMBLE_MEMBERS[0], {**ENSEMBLE_MEMBERS[1], "features": {"mel_bands": 32}}], "other features"),
    ([ENSEMBLE_MEMBERS[0], {**ENSEMBLE_MEMBERS[1], "calibration": [1, 0]}], "calibrate the ensemble"),
    ([ENSEMBLE_MEMBERS[0], {"lstm_hidden": 4}], "'name'"),
])
def test_ensemble_rejects_members_that_do_not_fit(members, message):
    with pytest.raises(ValueError, match=message):
        build_model("ensemble", members=members)


def test_disturbance_pooling_reaches_the_top_follows_bad_frames_and_ignores_padding():
    torch.manual_seed(0)
    model = build_model("hasanet", score_range=[1.0, 4.64], pooling="disturbance", heads={"stoi": [0.0, 1.0]})
    assert model.config["pooling"] == "disturbance"
    wav, lengths = padded_batch()
    with torch.no_grad():
        model.frame_head.bias.fill_(-30.0)  # no disturbance anywhere: the top of the range
        model.frame_head.weight.zero_()
        top = model.eval()(wav, lengths)
        assert torch.allclose(top.utterance_score, torch.full((3,), 4.64), atol=1e-4)
        assert top.frame_scores[~top.frame_mask].eq(0).all()
        # a power mean of disturbances: one bad frame in ten weighs more than in a plain mean
        raw = torch.full((1, 10), -30.0)
        raw[0, 0] = 4.0
        frames, utterance = model.pool(raw, torch.ones(1, 10, dtype=torch.bool))
        assert utterance.item() < frames[0].mean().item() - 0.5
    # padding, batch composition and order do not change a score
    model.frame_head.reset_parameters()
    with torch.no_grad():
        batch = model(wav, lengths)
        for row, n in enumerate(LENGTHS):
            alone = model(wav[row : row + 1, :n])
            assert torch.allclose(alone.utterance_score, batch.utterance_score[row : row + 1], atol=1e-5, rtol=0)
    # gradients reach the input through the pooling, also from an undisturbed recording
    model.train()
    wav.requires_grad_(True)
    model(wav, lengths).utterance_score.sum().backward()
    assert torch.isfinite(wav.grad).all() and wav.grad.abs().sum() > 0


@pytest.mark.parametrize("options, message", [
    ({"pooling": "max"}, "pooling must be one of"),
    ({"pooling": "disturbance", "normalized_output": False}, "needs normalized_output"),
    ({"pooling": "disturbance", "disturbance_power": 0.5}, "disturbance_power"),
])
def test_pooling_rejects_bad_settings(options, message):
    with pytest.raises(ValueError, match=message):
        build_model("hasanet", **options)
