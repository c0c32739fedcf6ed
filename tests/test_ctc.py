"""ctc_loss: the vectorised forward-backward against the readable one, conventions, validation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import losslab
from losslab import ctc


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


@st.composite
def batches(draw):
    """A random batch: log-probabilities, padded targets, lengths and a blank class."""
    n_frames = draw(st.integers(1, 6))
    n = draw(st.integers(1, 3))
    n_cls = draw(st.integers(2, 5))
    blank = draw(st.integers(0, n_cls - 1))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    lp = _log_softmax(rng.normal(scale=2.0, size=(n_frames, n, n_cls)))
    s_max = draw(st.integers(0, 4))
    others = [k for k in range(n_cls) if k != blank]
    # few classes make repeated labels (which need a blank between them) common
    targets = rng.choice(others, size=(n, max(s_max, 1)))
    tg_len = rng.integers(0, s_max + 1, size=n)
    in_len = rng.integers(1, n_frames + 1, size=n)
    return lp, targets, in_len, tg_len, blank


@settings(max_examples=60, deadline=None)
@given(batches())
def test_vectorised_equals_readable(batch):
    lp, targets, in_len, tg_len, blank = batch
    value, g = losslab.value_and_grad(losslab.ctc_loss)(
        lp, targets, in_len, tg_len, blank=blank, reduction="none"
    )
    for i in range(lp.shape[1]):
        labels = targets[i, : tg_len[i]]
        loss, gi = ctc.ctc_single(lp[: in_len[i], i], labels, blank=blank)
        np.testing.assert_allclose(value[i], loss, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(g[: in_len[i], i], gi, rtol=1e-9, atol=1e-12)
        assert not g[in_len[i] :, i].any()  # frames past the length get no gradient


@settings(max_examples=30, deadline=None)
@given(batches())
def test_alpha_beta_give_the_same_probability_at_every_frame(batch):
    lp, targets, in_len, tg_len, blank = batch
    lp1, labels = lp[: in_len[0], 0], targets[0, : tg_len[0]]
    alpha, beta = ctc.ctc_alpha(lp1, labels, blank), ctc.ctc_beta(lp1, labels, blank)
    ext = ctc.extend_labels(labels, blank)
    loss, _ = ctc.ctc_single(lp1, labels, blank)
    with np.errstate(divide="ignore"):
        emit = lp1[:, ext]
    per_frame = np.logaddexp.reduce(alpha + beta - emit, axis=1)
    np.testing.assert_allclose(per_frame, -loss, rtol=1e-10, atol=1e-12)


def _brute_force(lp: np.ndarray, labels: list[int], blank: int) -> float:
    """p(labels) by enumerating every alignment (tiny cases only)."""
    n_frames, n_cls = lp.shape
    total = 0.0
    for code in range(n_cls**n_frames):
        path = [(code // n_cls**t) % n_cls for t in range(n_frames)]
        merged = [k for t, k in enumerate(path) if t == 0 or k != path[t - 1]]
        if [k for k in merged if k != blank] == list(labels):
            total += math.exp(sum(lp[t, k] for t, k in enumerate(path)))
    return total


@pytest.mark.parametrize("labels", [[], [1], [1, 1], [1, 2], [2, 1, 2]])
def test_probability_is_the_sum_over_alignments(labels):
    rng = np.random.default_rng(len(labels))
    lp = _log_softmax(rng.normal(size=(5, 3)))
    loss, _ = ctc.ctc_single(lp, labels, blank=0)
    assert math.exp(-loss) == pytest.approx(_brute_force(lp, labels, 0), rel=1e-12)


def test_gradient_through_log_softmax_matches_differences():
    """PyTorch's gradient is the gradient w.r.t. the logits; check it by central differences."""
    rng = np.random.default_rng(3)
    z = rng.normal(size=(5, 2, 4))
    args = ([[1, 2, 2], [3, 1, 0]], [5, 4], [3, 2])

    def f(zz):
        return float(losslab.ctc_loss(_log_softmax(zz), *args, reduction="mean"))

    g = losslab.grad(losslab.ctc_loss)(_log_softmax(z), *args, reduction="mean")
    num = np.zeros_like(z)
    h = 1e-6
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        num[idx] = (f(zp) - f(zm)) / (2 * h)
    np.testing.assert_allclose(g, num, atol=1e-8)


def test_reductions_and_layouts_agree():
    rng = np.random.default_rng(5)
    lp = _log_softmax(rng.normal(size=(7, 3, 5)))
    padded = np.array([[1, 2, 3, 0], [4, 4, 0, 0], [2, 0, 0, 0]])
    tg_len = np.array([3, 2, 1])
    in_len = np.array([7, 6, 3])
    none = losslab.ctc_loss(lp, padded, in_len, tg_len, reduction="none")
    flat = np.array([1, 2, 3, 4, 4, 2])
    np.testing.assert_array_equal(
        losslab.ctc_loss(lp, flat, in_len, tg_len, reduction="none"), none
    )
    assert losslab.ctc_loss(lp, padded, in_len, tg_len, reduction="sum") == pytest.approx(
        none.sum(), rel=1e-15
    )
    assert losslab.ctc_loss(lp, padded, in_len, tg_len) == pytest.approx(
        np.mean(none / tg_len), rel=1e-15
    )
    # one sequence without the batch axis
    one = losslab.ctc_loss(lp[:, 1], padded[1], in_len[1], tg_len[1], reduction="none")
    assert one.shape == () and one == pytest.approx(none[1], rel=1e-15)
    g1 = losslab.grad(losslab.ctc_loss)(lp[:, 1], padded[1], in_len[1], tg_len[1])
    g = losslab.grad(losslab.ctc_loss)(lp[:, 1:2], padded[1:2], in_len[1:2], tg_len[1:2])
    np.testing.assert_allclose(g1, g[:, 0], rtol=1e-15)


def test_impossible_alignment_is_inf_or_zero():
    lp = _log_softmax(np.zeros((2, 2, 3)))
    args = ([[1, 1], [1, 2]], [2, 2], [2, 2])  # "1 1" needs 3 frames, "1 2" fits in 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, g = losslab.value_and_grad(losslab.ctc_loss)(lp, *args, reduction="none")
        assert math.isinf(value[0]) and math.isfinite(value[1])
        assert np.isnan(g[:, 0]).all() and np.isfinite(g[:, 1]).all()
        value0, g0 = losslab.value_and_grad(losslab.ctc_loss)(
            lp, *args, reduction="none", zero_infinity=True
        )
    assert value0[0] == 0 and value0[1] == value[1]
    assert not g0[:, 0].any()
    np.testing.assert_array_equal(g0[:, 1], g[:, 1])


def test_float32_stays_float32():
    rng = np.random.default_rng(1)
    lp = _log_softmax(rng.normal(size=(4, 2, 3)))
    args = ([[1, 2], [2, 0]], [4, 3], [2, 1])
    v32, g32 = losslab.value_and_grad(losslab.ctc_loss)(lp.astype(np.float32), *args)
    v64, g64 = losslab.value_and_grad(losslab.ctc_loss)(lp.astype(np.float32).astype(float), *args)
    assert v32.dtype == np.float32 and g32.dtype == np.float32
    assert v32 == np.float32(v64)
    np.testing.assert_array_equal(g32, g64.astype(np.float32))


BAD = [
    ({"log_probs": np.zeros(3)}, ValueError, "log_probs"),
    ({"log_probs": np.zeros((2, 1, 3), dtype=bool)}, TypeError, "log_probs"),
    ({"log_probs": np.full((2, 1, 3), np.nan)}, ValueError, "log_probs"),
    ({"targets": [[1.0]]}, TypeError, "targets"),
    ({"targets": [[3]]}, ValueError, "targets"),
    ({"targets": [[0]]}, ValueError, "targets"),
    ({"targets": [[[1]]]}, ValueError, "targets"),
    ({"targets": [1, 2]}, ValueError, "targets"),
    (  # N = 2 sequences but one row of targets
        {
            "log_probs": _log_softmax(np.zeros((2, 2, 3))),
            "targets": [[1, 2, 1, 2]],
            "input_lengths": [2, 2],
            "target_lengths": [1, 1],
        },
        ValueError,
        "targets",
    ),
    ({"input_lengths": [3]}, ValueError, "input_lengths"),
    ({"input_lengths": [0]}, ValueError, "input_lengths"),
    ({"input_lengths": [2, 2]}, ValueError, "input_lengths"),
    ({"input_lengths": [2.0]}, TypeError, "input_lengths"),
    ({"target_lengths": [2]}, ValueError, "target_lengths"),
    ({"target_lengths": [-1]}, ValueError, "target_lengths"),
    ({"blank": 3}, ValueError, "blank"),
    ({"blank": 1.0}, TypeError, "blank"),
    ({"reduction": "avg"}, ValueError, "reduction"),
    ({"zero_infinity": 1}, TypeError, "zero_infinity"),
]


@pytest.mark.parametrize(("change", "exc", "name"), BAD, ids=[str(b[0])[:40] for b in BAD])
@pytest.mark.parametrize("via", ["call", "value_and_grad"])
def test_bad_input(change, exc, name, via):
    kwargs = {
        "log_probs": _log_softmax(np.zeros((2, 1, 3))),
        "targets": np.array([[1]]),
        "input_lengths": np.array([2]),
        "target_lengths": np.array([1]),
    }
    kwargs.update(change)
    before = {k: np.copy(a) for k, a in kwargs.items() if isinstance(a, np.ndarray)}
    fn = losslab.value_and_grad(losslab.ctc_loss) if via != "call" else losslab.ctc_loss
    with pytest.raises(exc) as info:
        fn(**kwargs)
    assert str(info.value).startswith(f"`{name}`"), str(info.value)
    for k, a in before.items():
        np.testing.assert_array_equal(kwargs[k], a)


def test_padding_beyond_the_length_is_ignored():
    lp = _log_softmax(np.random.default_rng(2).normal(size=(4, 1, 3)))
    a = losslab.ctc_loss(lp, [[1, 2]], [4], [1], reduction="sum")
    b = losslab.ctc_loss(lp, [[1, -7]], [4], [1], reduction="sum")
    assert a == b


def test_sympy_sum_over_alignments_gives_the_same_gradient():
    pytest.importorskip("sympy")
    from losslab.symbolic import ctc as sym

    assert sym.proof(n_frames=4, n_classes=3, labels=(1, 1)) < 1e-12
    assert sym.proof(n_frames=3, n_classes=3, labels=(2,), seed=1) < 1e-12


SINGLE_BAD = [
    ({"labels": [5]}, ValueError, "labels"),  # C = 3
    ({"labels": [0]}, ValueError, "labels"),  # the blank
    ({"labels": [-1]}, ValueError, "labels"),
    ({"labels": [1.7]}, TypeError, "labels"),
    ({"labels": [[1]]}, ValueError, "labels"),
    ({"blank": 3}, ValueError, "blank"),
    ({"blank": 1.0}, TypeError, "blank"),
    ({"log_probs": np.zeros(3)}, ValueError, "log_probs"),
    ({"log_probs": np.zeros((0, 3))}, ValueError, "log_probs"),
    ({"log_probs": np.full((2, 3), np.nan)}, ValueError, "log_probs"),
    ({"log_probs": np.zeros((2, 3), dtype=bool)}, TypeError, "log_probs"),
]


@pytest.mark.parametrize(("change", "exc", "name"), SINGLE_BAD, ids=[str(b[0]) for b in SINGLE_BAD])
@pytest.mark.parametrize("fn", ["ctc_alpha", "ctc_beta", "ctc_single"])
def test_readable_helpers_check_their_input(change, exc, name, fn):
    kwargs = {"log_probs": _log_softmax(np.zeros((2, 3))), "labels": [1], "blank": 0}
    kwargs.update(change)
    with pytest.raises(exc) as info:
        getattr(ctc, fn)(**kwargs)
    assert str(info.value).startswith(f"`{name}`"), str(info.value)


@pytest.mark.parametrize(
    ("labels", "blank", "exc", "name"),
    [
        ([1.7], 0, TypeError, "labels"),
        ([1, 0], 0, ValueError, "labels"),
        ([-2], 0, ValueError, "labels"),
        ([1], -1, ValueError, "blank"),
        ([1], True, TypeError, "blank"),
    ],
)
def test_extend_labels_checks_its_input(labels, blank, exc, name):
    with pytest.raises(exc) as info:
        ctc.extend_labels(labels, blank=blank)
    assert str(info.value).startswith(f"`{name}`"), str(info.value)


def test_extend_labels_of_no_labels_is_one_blank():
    assert ctc.extend_labels([], blank=2) == [2]
    assert ctc.extend_labels(np.array([], dtype=np.int64), blank=2) == [2]


def test_readable_helpers_keep_float32():
    lp = _log_softmax(np.random.default_rng(0).normal(size=(4, 3)))
    lp32 = lp.astype(np.float32)
    for fn in (ctc.ctc_alpha, ctc.ctc_beta):
        out = fn(lp32, [1, 2], blank=0)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, fn(lp32.astype(np.float64), [1, 2], blank=0), rtol=1e-6)
    _, g = ctc.ctc_single(lp32, [1, 2], blank=0)
    assert g.dtype == np.float32
    assert ctc.ctc_single(lp, [1, 2], blank=0)[1].dtype == np.float64
