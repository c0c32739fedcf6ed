"""zero_one_loss and accuracy: argmax and label inputs, class axis, reductions, no gradient."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab

Y2 = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
Y3 = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.0, 0.6, 0.0]


def test_catalog_zero_one_on_article_vectors():
    assert losslab.zero_one_loss(Y2, 2) == 0.0
    assert losslab.zero_one_loss(Y3, 2) == 1.0
    assert losslab.zero_one_loss([Y2, Y3], [2, 2], reduction="sum") == 1.0
    assert losslab.accuracy([Y2, Y3], [2, 8]) == 1.0


@given(
    arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(2, 5)), elements=st.floats(-5, 5)),
    st.data(),
)
def test_scores_and_labels_agree_and_complement(scores, data):
    n, c = scores.shape
    target = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    pred = scores.argmax(axis=1)
    acc = losslab.accuracy(scores, target)
    assert acc == losslab.accuracy(pred, target) == np.mean(pred == target)
    assert acc + losslab.zero_one_loss(scores, target) == pytest.approx(1.0, abs=1e-15)
    per = losslab.zero_one_loss(scores, target, reduction="none")
    assert per.shape == (n,) and set(per.tolist()) <= {0.0, 1.0}
    assert losslab.zero_one_loss(scores, target, reduction="sum") == per.sum()
    # accuracy is a multiple of 1/n
    assert acc * n == pytest.approx(round(acc * n), abs=1e-12)


def test_class_axis_is_one_for_spatial_inputs_like_cross_entropy():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(2, 3, 4))  # (N, C, d1)
    target = rng.integers(0, 3, size=(2, 4))
    expected = np.mean(scores.argmax(axis=1) == target)
    assert losslab.accuracy(scores, target) == expected
    assert losslab.zero_one_loss(scores, target, reduction="none").shape == (2, 4)


def test_ties_go_to_first_class():
    assert losslab.accuracy([0.5, 0.5], 0) == 1.0
    assert losslab.accuracy([0.5, 0.5], 1) == 0.0


def test_accuracy_is_piecewise_constant():
    # D001-ACC-vs-loss: derivative 0 at b = -0.7 and almost everywhere on a grid
    x = np.array([-2.0, -1.0, 0.5, 1.5, 3.0])
    labels = np.array([0, 0, 1, 1, 1])

    def acc(b):
        return losslab.accuracy((x + b > 0).astype(int), labels)

    assert acc(-0.7) == 0.8
    assert losslab.numerical_diff(acc, -0.7, h=1e-4) == 0.0
    grid = np.linspace(-4, 4, 8001)
    d = np.array([losslab.numerical_diff(acc, b, h=1e-4) for b in grid])
    assert np.mean(d == 0.0) > 0.99
    assert set(np.unique([acc(b) for b in grid]).tolist()) <= {k / 5 for k in range(6)}


def test_not_differentiable():
    assert "accuracy" not in losslab.differentiable_functions()
    assert "zero_one_loss" not in losslab.differentiable_functions()
    with pytest.raises(TypeError, match="cannot differentiate"):
        losslab.grad(losslab.zero_one_loss)


def test_dtypes():
    s32 = np.array([[0.1, 0.9], [0.8, 0.2]], dtype=np.float32)
    assert losslab.accuracy(s32, [1, 1]).dtype == np.float32
    assert losslab.accuracy(s32.astype(np.float64), [1, 1]).dtype == np.float64
    assert losslab.accuracy([1, 1], [1, 1]).dtype == np.float64


def test_inputs_not_modified():
    s, t = np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1])
    sc, tc = s.copy(), t.copy()
    losslab.zero_one_loss(s, t, reduction="none")
    losslab.accuracy(s, t)
    np.testing.assert_array_equal(s, sc)
    np.testing.assert_array_equal(t, tc)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: losslab.accuracy([0.2, 0.8], [0.0, 1.0]), TypeError, "`input` has dtype float"),
        (lambda: losslab.accuracy([[0.2, 0.8]], [0, 1]), ValueError, "`target` has shape"),
        (lambda: losslab.accuracy([[0.2, 0.8]], [2]), ValueError, "`target` contains label 2"),
        (lambda: losslab.accuracy([[0.2, 0.8]], [0.0]), TypeError, "`target` has dtype float"),
        (lambda: losslab.accuracy([1, 2, 3], [[1]]), ValueError, "`input` has shape"),
        (lambda: losslab.accuracy([[np.nan, 1.0]], [0]), ValueError, "`input` contains NaN"),
        (lambda: losslab.zero_one_loss([1], [1], reduction="avg"), ValueError, "`reduction`"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_negative_predicted_labels_are_refused():
    import pytest

    import losslab

    for fn in (losslab.accuracy, losslab.zero_one_loss):
        with pytest.raises(ValueError, match="`input`"):
            fn([-1, 0], [0, 0])
