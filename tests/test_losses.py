"""Loss terms: hand-computed values, masking, parsing, errors and gradients."""
from __future__ import annotations

import math

import pytest
import torch

from quality.losses import EMD_EPS, LOSSES, CombinedLoss, build_loss, parse_loss_spec
from quality.models.base import QualityOutput
from quality.scores import ScoreBins, ScoreRange

MOS = ScoreRange(1.0, 5.0)
BINS4 = ScoreBins(MOS, 1.0)  # 4 bins: [1,2) [2,3) [3,4) [4,5], centres 1.5 .. 4.5
NAN = float("nan")


def out(frames=None, mask=None, score=None, logits=None, frame_logits=None) -> QualityOutput:
    """A QualityOutput from plain lists; missing pieces filled with zeros/all-valid masks."""
    if frames is None:
        frames = [[0.0]] * (len(score) if score is not None else len(logits))
    frames = torch.tensor(frames, dtype=torch.float32)
    mask = torch.ones_like(frames, dtype=torch.bool) if mask is None else torch.tensor(mask)
    score = torch.zeros(frames.shape[0]) if score is None else torch.tensor(score, dtype=torch.float32)
    to_t = lambda x: None if x is None else torch.tensor(x, dtype=torch.float32)  # noqa: E731
    return QualityOutput(frames, mask, score, to_t(logits), to_t(frame_logits))


def loss(name: str, score_range: ScoreRange = MOS, bins: ScoreBins | None = None, **opts):
    return LOSSES[name](score_range, bins, **opts)


# ------------------------------------------------------------------------------ utterance MSE
def test_mse_on_normalised_scale():
    o = out(score=[3.0, 5.0])
    y = torch.tensor([1.0, 4.0])
    # normalised: pred (0.5, 1.0), target (0.0, 0.75) -> errors 0.25, 0.0625
    assert loss("mse")(o, y).item() == pytest.approx((0.25 + 0.0625) / 2)


def test_target_shape_is_checked():
    with pytest.raises(ValueError, match="target must have shape"):
        loss("mse")(out(score=[3.0, 5.0]), torch.tensor([1.0, 2.0, 3.0]))


# ------------------------------------------------------------------------------- frame MSE terms
# utt 0: 3 valid frames (2, 4, 3) vs target 3 -> normalised errors 0.0625, 0.0625, 0
# utt 1: 2 valid frames (5, 3) vs target 5 -> normalised errors 0, 0.25; padded frame = garbage
FRAMES = [[2.0, 4.0, 3.0], [5.0, 3.0, NAN]]
MASK = [[True, True, True], [True, True, False]]
Y = torch.tensor([3.0, 5.0])


def test_frame_mse_ignores_padded_garbage():
    for garbage in (NAN, 1e6, float("inf")):
        frames = [row[:] for row in FRAMES]
        frames[1][2] = garbage
        value = loss("frame_mse")(out(frames, MASK, [3.0, 4.0]), Y)
        # all valid frames of the batch: (0.0625 + 0.0625 + 0 + 0 + 0.25) / 5
        assert value.item() == pytest.approx(0.375 / 5)


def test_frame_mse_norm_hand_value_and_difference():
    o = out(FRAMES, MASK, [3.0, 4.0])
    pooled = loss("frame_mse")(o, Y).item()
    per_utt = loss("frame_mse_norm")(o, Y).item()
    # per utterance first: utt0 0.125/3, utt1 0.25/2, then the mean of the two
    assert per_utt == pytest.approx((0.125 / 3 + 0.25 / 2) / 2)
    # the short utterance (larger per-frame error) weighs more once lengths are equalised
    assert per_utt > pooled
    assert per_utt == pytest.approx(0.083333333, abs=1e-6)
    assert pooled == pytest.approx(0.075)


def test_frame_mse_variants_agree_on_equal_lengths():
    o = out([[2.0, 4.0], [5.0, 3.0]])
    assert loss("frame_mse")(o, Y).item() == pytest.approx(loss("frame_mse_norm")(o, Y).item())


def test_padded_frames_get_zero_gradient():
    frames = torch.tensor(FRAMES).requires_grad_(True)  # NaN in the padded frame
    for name in ("frame_mse", "frame_mse_norm", "qualitynet_frame"):
        frames.grad = None
        o = QualityOutput(frames, torch.tensor(MASK), torch.zeros(2))
        loss(name)(o, Y).backward()
        assert torch.isfinite(frames.grad).all(), name
        assert frames.grad[1, 2] == 0, name
        assert frames.grad[0, 0] != 0, name


def test_utterance_without_frames_is_skipped():
    o = out([[2.0, 4.0], [NAN, NAN]], [[True, True], [False, False]])
    assert loss("frame_mse_norm")(o, Y).item() == pytest.approx(0.0625)


# ------------------------------------------------------------------------------- Quality-Net term
def test_qualitynet_frame_weighting():
    pesq = ScoreRange(1.0, 4.5)  # span 3.5
    y = torch.tensor([4.5, 2.5])  # alpha = 10^0 = 1 and 10^-2 = 0.01
    # every frame is off by 0.7 on the raw scale -> (0.7 / 3.5)^2 = 0.04 normalised
    o = out([[3.8, 5.2, 0.0], [1.8, 3.2, 3.2]], [[True, True, False], [True, True, True]])
    value = loss("qualitynet_frame", pesq)(o, y).item()
    assert value == pytest.approx((1.0 * 0.04 + 0.01 * 0.04) / 2, rel=1e-5)
    # the same error on a high-quality utterance costs 100x more than on a low one
    hi = loss("qualitynet_frame", pesq)(out([[3.8, 3.8]]), torch.tensor([4.5])).item()
    lo = loss("qualitynet_frame", pesq)(out([[1.8, 1.8]]), torch.tensor([2.5])).item()
    assert hi / lo == pytest.approx(100.0, rel=1e-4)


# ----------------------------------------------------------------------------------- class losses
def test_ce_targets_from_scores():
    bins = ScoreBins(MOS, 0.25)  # 16 bins
    y = torch.tensor([3.1, 1.0, 5.0, 4.99])
    assert bins.index(y).tolist() == [8, 0, 15, 15]  # (3.1 - 1) / 0.25 = 8.4 -> bin 8
    hard = bins.targets(y)
    assert torch.equal(hard.argmax(-1), bins.index(y)) and torch.equal(hard.sum(-1), torch.ones(4))
    soft = bins.targets(y, sigma=0.3)
    assert torch.allclose(soft.sum(-1), torch.ones(4))
    assert soft.argmax(-1).tolist() == [8, 0, 15, 15]
    assert (soft[0] > 0).all() and soft[0, 8] < 1.0


def test_ce_hard_matches_cross_entropy_and_soft_definition():
    bins = ScoreBins(MOS, 0.25)
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(3, bins.num_bins, generator=g)
    y = torch.tensor([3.1, 1.4, 4.7])
    o = QualityOutput(torch.zeros(3, 1), torch.ones(3, 1, dtype=torch.bool), torch.zeros(3), logits)
    expected = torch.nn.functional.cross_entropy(logits, bins.index(y))
    assert loss("ce", bins=bins)(o, y).item() == pytest.approx(expected.item(), rel=1e-6)
    p = bins.targets(y, 0.5)
    soft = -(p * torch.log_softmax(logits, -1)).sum(-1).mean()
    assert loss("ce", bins=bins, sigma=0.5)(o, y).item() == pytest.approx(soft.item(), rel=1e-6)
    # uniform logits: CE = log K for any target
    flat = QualityOutput(o.frame_scores, o.frame_mask, o.utterance_score, torch.zeros_like(logits))
    assert loss("ce", bins=bins, sigma=0.5)(flat, y).item() == pytest.approx(math.log(16), rel=1e-6)


def test_emd_hand_computed():
    # utt 0: p = (0.1, 0.2, 0.3, 0.4), target 3.7 -> bin 2, q = (0, 0, 1, 0)
    #   CDF_p = (0.1, 0.3, 0.6, 1.0), CDF_q = (0, 0, 1, 1)
    #   diff  = (0.1, 0.3, -0.4, 0) -> squares 0.01 + 0.09 + 0.16 + 0 = 0.26 -> mean 0.065
    #   EMD   = sqrt(0.065) = 0.2549509757
    # utt 1: p uniform, target 1.2 -> bin 0, q = (1, 0, 0, 0)
    #   CDF_p = (0.25, 0.5, 0.75, 1), CDF_q = (1, 1, 1, 1)
    #   diff  = (-0.75, -0.5, -0.25, 0) -> 0.5625 + 0.25 + 0.0625 = 0.875 -> mean 0.21875
    #   EMD   = sqrt(0.21875) = 0.4677071733
    logits = [[math.log(0.1), math.log(0.2), math.log(0.3), math.log(0.4)], [0.0, 0.0, 0.0, 0.0]]
    y = torch.tensor([3.7, 1.2])
    value = loss("emd", bins=BINS4)(out(score=[0.0, 0.0], logits=logits), y).item()
    assert value == pytest.approx((0.2549509757 + 0.4677071733) / 2, abs=1e-6)
    single = loss("emd", bins=BINS4)(out(score=[0.0], logits=logits[:1]), y[:1]).item()
    assert single == pytest.approx(math.sqrt(0.065), abs=1e-6)


def test_emd_smoothed_target_and_zero_distance():
    y = torch.tensor([2.6])
    q = BINS4.targets(y, sigma=0.5)
    o = out(score=[0.0], logits=q.log().tolist())  # p == q -> EMD ~ sqrt(EMD_EPS)
    assert loss("emd", bins=BINS4, sigma=0.5)(o, y).item() == pytest.approx(0.0, abs=1e-5)
    assert EMD_EPS <= 1e-12
    # against the hard target (2.6 -> bin 1) it is the EMD between q and one-hot(1)
    diff = torch.cumsum(q[0], 0) - torch.tensor([0.0, 1.0, 1.0, 1.0])
    expected = diff.pow(2).mean().sqrt().item()
    assert expected > 0.05
    assert loss("emd", bins=BINS4)(o, y).item() == pytest.approx(expected, abs=1e-6)


def test_frame_emd_masking():
    p = [math.log(0.1), math.log(0.2), math.log(0.3), math.log(0.4)]
    u = [0.0, 0.0, 0.0, 0.0]
    garbage = [NAN, 1e9, -float("inf"), NAN]
    # utt 0 (target bin 2): frames p -> 0.2549509757; uniform -> CDF diff (0.25, 0.5, -0.25, 0),
    #   mean of squares 0.375 / 4 = 0.09375 -> 0.3061862178; utterance mean of the two
    # utt 1 (target bin 0): one valid uniform frame -> 0.4677071733; two garbage frames
    frame_logits = [[p, u, garbage], [u, garbage, garbage]]
    mask = [[True, True, False], [True, False, False]]
    o = out([[0.0] * 3] * 2, mask, [0.0, 0.0], frame_logits=frame_logits)
    o.frame_logits.requires_grad_(True)
    value = loss("frame_emd", bins=BINS4)(o, torch.tensor([3.7, 1.2]))
    expected = ((0.2549509757 + 0.3061862178) / 2 + 0.4677071733) / 2
    assert value.item() == pytest.approx(expected, abs=1e-6)
    value.backward()  # garbage frames reach neither the value nor the gradient
    grad = o.frame_logits.grad
    assert torch.isfinite(grad).all()
    assert (grad[~torch.tensor(mask)] == 0).all() and grad[0, 0].abs().sum() > 0


# ------------------------------------------------------------------------------ errors & parsing
@pytest.mark.parametrize("name,field", [("ce", "logits"), ("emd", "logits"), ("frame_emd", "frame_logits")])
def test_missing_classifier_head(name, field):
    with pytest.raises(ValueError, match=rf"'{name}'.*{field}.*no classifier head"):
        loss(name, bins=BINS4)(out(score=[3.0]), torch.tensor([3.0]))


def test_wrong_number_of_classes():
    with pytest.raises(ValueError, match="5 classes but the bins have 4"):
        loss("ce", bins=BINS4)(out(score=[3.0], logits=[[0.0] * 5]), torch.tensor([3.0]))


def test_parse_loss_spec():
    assert parse_loss_spec("mse+frame_mse:0.5+ce") == {"mse": 1.0, "frame_mse": 0.5, "ce": 1.0}
    assert parse_loss_spec(" mse : 2 + emd:1e-1 ") == {"mse": 2.0, "emd": 0.1}
    for bad, msg in [("mse+", "empty term"), ("mse:abc", "bad weight"), ("mse+mse", "twice"), (":1", "missing")]:
        with pytest.raises(ValueError, match=msg):
            parse_loss_spec(bad)


def test_build_loss_string_and_dict():
    crit = build_loss("mse+frame_mse:0.5+ce", MOS, BINS4)
    assert isinstance(crit, CombinedLoss)
    assert crit.weights == {"mse": 1.0, "frame_mse": 0.5, "ce": 1.0}
    crit2 = build_loss({"mse": 2, "ce": {"weight": 0.25, "sigma": 0.4}, "emd": None}, MOS, BINS4)
    assert crit2.weights == {"mse": 2.0, "ce": 0.25, "emd": 1.0}
    assert crit2.terms["ce"].sigma == 0.4 and crit2.terms["emd"].sigma == 0.0

    o = out([[2.0, 4.0], [5.0, 3.0]], score=[3.5, 4.0], logits=[[0.1, 0.2, 0.3, 0.4], [1.0, 0.0, -1.0, 2.0]])
    total, parts = crit(o, Y)
    assert set(parts) == {"mse", "frame_mse", "ce"}
    assert not any(v.requires_grad for v in parts.values())
    assert total.item() == pytest.approx(parts["mse"] + 0.5 * parts["frame_mse"] + parts["ce"])
    assert parts["mse"].item() == pytest.approx(LOSSES["mse"](MOS)(o, Y).item())


def test_build_loss_errors():
    with pytest.raises(ValueError, match=r"unknown loss 'l1'.*available: ce, condition_bce, difference_mse, emd, frame_emd"):
        build_loss("mse+l1", MOS)
    with pytest.raises(ValueError, match="'ce' needs score bins"):
        build_loss({"ce": 1.0}, MOS)
    with pytest.raises(ValueError, match="weight must be >= 0"):
        build_loss({"mse": -1.0}, MOS)
    with pytest.raises(ValueError, match="bad options"):
        build_loss({"mse": {"weight": 1.0, "sigma": 0.3}}, MOS)
    with pytest.raises(ValueError, match="non-empty"):
        build_loss({}, MOS)


# ------------------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("name", sorted(n for n in LOSSES if not LOSSES[n].uses_heads))
def test_gradients_flow(name):
    g = torch.Generator().manual_seed(1)
    b, t, k = 3, 5, BINS4.num_bins
    raw = torch.randn(b, t, generator=g).requires_grad_(True)
    frame_logits = torch.randn(b, t, k, generator=g).requires_grad_(True)
    mask = torch.arange(t) < torch.tensor([5, 3, 1]).unsqueeze(1)
    frames = torch.where(mask, MOS.denormalize(torch.sigmoid(raw)), torch.zeros(()))
    score = (frames * mask).sum(1) / mask.sum(1)
    logits = (frame_logits * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True)
    o = QualityOutput(frames, mask, score, logits, frame_logits)
    y = torch.tensor([4.2, 1.0, 2.75])
    value = loss(name, bins=BINS4 if LOSSES[name].needs_bins else None)(o, y)
    assert value.dim() == 0 and torch.isfinite(value)
    value.backward()
    grads = [p.grad for p in (raw, frame_logits) if p.grad is not None]
    assert grads and all(torch.isfinite(gr).all() for gr in grads)
    assert sum(gr.abs().sum() for gr in grads) > 0


def test_emd_gradient_finite_at_zero_distance():
    q = BINS4.targets(torch.tensor([3.0]), sigma=0.0)
    logits = torch.tensor([[-1e4, -1e4, 0.0, -1e4]], requires_grad=True)  # softmax == one-hot
    o = QualityOutput(torch.zeros(1, 1), torch.ones(1, 1, dtype=torch.bool), torch.zeros(1), logits)
    value = loss("emd", bins=BINS4)(o, torch.tensor([3.0]))
    assert torch.equal(q.argmax(-1), torch.tensor([2]))
    value.backward()
    assert torch.isfinite(logits.grad).all()
    assert value.item() == pytest.approx(math.sqrt(EMD_EPS), abs=1e-9)


def test_with_a_class_model():
    from quality.models import build_model

    torch.manual_seed(0)
    model = build_model("hasanet_class", lstm_hidden=8, linear_size=16, attention_heads=2, dropout=0.0)
    feats = torch.randn(2, 6, model.n_bins)
    mask = torch.arange(6) < torch.tensor([6, 4]).unsqueeze(1)
    o = model.forward_features(feats, mask)
    crit = build_loss("mse+frame_mse+frame_mse_norm+qualitynet_frame+ce+emd+frame_emd", model.score_range, model.bins)
    total, parts = crit(o, torch.tensor([4.0, 2.0]))
    total.backward()
    assert len(parts) == 7 and torch.isfinite(total)
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


# ---------------------------------------------------------------------------------- extra heads
def test_heads_mse_by_hand_with_clamping_and_masking():
    stoi = ScoreRange(0.0, 1.0)
    sisdr = ScoreRange(-20.0, 40.0)
    mask = torch.tensor([[True, True], [True, False]])
    o = QualityOutput(
        torch.zeros(2, 2), mask, torch.zeros(2),
        heads={"stoi": torch.tensor([0.5, 1.0]), "sisdr": torch.tensor([10.0, -20.0])},
        head_frames={"stoi": torch.tensor([[0.5, 0.5], [1.0, NAN]]),
                     "sisdr": torch.tensor([[10.0, 10.0], [-20.0, NAN]])},
    )
    targets = {"stoi": torch.tensor([1.0, 1.0]), "sisdr": torch.tensor([40.0, -60.0])}  # -60 clamps to -20
    term = LOSSES["heads_mse"](MOS, head_ranges={"stoi": stoi, "sisdr": sisdr})
    # stoi: utt errors 0.25, 0 -> 0.125; frames 0.25, 0.25, 0 over 3 valid -> 1/6
    # sisdr: normalised preds 0.5, 0 vs targets 1, 0: utt 0.125; frames (0.25, 0.25, 0) -> 1/6
    expected = ((0.125 + 1 / 6) + (0.125 + 1 / 6)) / 2
    assert term(o, torch.zeros(2), targets).item() == pytest.approx(expected)
    with pytest.raises(ValueError, match="no targets for head"):
        term(o, torch.zeros(2), {"stoi": targets["stoi"]})


def test_heads_mse_needs_heads_and_combines():
    with pytest.raises(ValueError, match="needs a model with extra heads"):
        build_loss("mse+heads_mse", MOS)
    combined = build_loss("mse+heads_mse:0.5", MOS, head_ranges={"stoi": ScoreRange(0.0, 1.0)})
    o = QualityOutput(torch.full((1, 1), 3.0), torch.ones(1, 1, dtype=torch.bool), torch.tensor([3.0]),
                      heads={"stoi": torch.tensor([0.5])}, head_frames={"stoi": torch.tensor([[0.5]])})
    total, parts = combined(o, torch.tensor([3.0]), {"stoi": torch.tensor([1.0])})
    assert parts["mse"].item() == 0.0
    assert total.item() == pytest.approx(0.5 * (0.25 + 0.25))


def test_condition_bce_by_hand_and_errors():
    from quality.models.base import CONDITIONS_KEY

    o = QualityOutput(torch.full((2, 1), 3.0), torch.ones(2, 1, dtype=torch.bool), torch.tensor([3.0, 3.0]),
                      condition_logits=torch.tensor([[0.0, 2.0], [-1.0, 0.0]]))
    y = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    expected = (math.log(2) + math.log1p(math.exp(2.0)) + math.log1p(math.exp(-1.0)) + math.log(2)) / 4
    combined = build_loss("mse+condition_bce:0.5", MOS)
    total, parts = combined(o, torch.tensor([3.0, 3.0]), {CONDITIONS_KEY: y})
    assert parts["condition_bce"].item() == pytest.approx(expected, rel=1e-6)
    assert total.item() == pytest.approx(0.5 * expected, rel=1e-6)
    with pytest.raises(ValueError, match="no degradation targets"):
        combined(o, torch.tensor([3.0, 3.0]), {})
    with pytest.raises(ValueError, match="shape"):
        combined(o, torch.tensor([3.0, 3.0]), {CONDITIONS_KEY: y[:, :1]})
    with pytest.raises(ValueError, match="model.conditions"):
        combined(out(score=[3.0, 3.0]), torch.tensor([3.0, 3.0]), {CONDITIONS_KEY: y})
