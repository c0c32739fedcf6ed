"""Invariants of the losses, checked with hypothesis on random inputs.

* losses are >= 0 where they are defined so, and 0 at a perfect prediction;
* KL(p||q) >= 0, and H(p, q) = H(p) + KL(p||q);
* softmax and cross-entropy from logits are invariant to adding a constant to a row;
* reductions agree: 'mean' = 'sum' / N and 'sum' = sum of 'none'.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab

FLOATS = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


def _fn(name):
    return getattr(losslab, name)


@st.composite
def matrices(draw, min_cols=2, max_cols=8, elements=FLOATS):
    n = draw(st.integers(1, 6))
    c = draw(st.integers(min_cols, max_cols))
    return draw(arrays(np.float64, (n, c), elements=elements))


@st.composite
def distributions(draw, shape, zeros=True):
    """Rows that sum to 1 (normalized positive weights, optionally with exact zeros)."""
    lo = 0.0 if zeros else 1e-3
    w = draw(arrays(np.float64, shape, elements=st.floats(lo, 1.0)))
    w[..., 0] += 1e-3  # at least one positive entry per row
    return w / w.sum(axis=-1, keepdims=True)


PAIR_LOSSES = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"]


@pytest.mark.parametrize("name", PAIR_LOSSES)
@settings(deadline=None)  # timing varies on a shared machine; the property is what is tested
@given(x=matrices(), y=matrices())
def test_regression_losses_nonnegative_zero_at_target_and_reductions(name, x, y):
    fn = _fn(name)
    y = np.resize(y, x.shape)
    assert fn(x, x) == 0.0
    none = fn(x, y, reduction="none")
    assert (none >= 0).all()
    total = fn(x, y, reduction="sum")
    assert total == pytest.approx(np.sum(none), rel=1e-12, abs=1e-300)
    assert fn(x, y) == pytest.approx(total / x.size, rel=1e-12, abs=1e-300)


@given(x=matrices(), data=st.data())
def test_cross_entropy_nonnegative_shift_invariant_and_reductions(x, data):
    fn = _fn("cross_entropy")
    labels = np.array(data.draw(st.lists(st.integers(0, x.shape[1] - 1), min_size=x.shape[0],
                                         max_size=x.shape[0])))  # fmt: skip
    shift = data.draw(st.floats(-1e3, 1e3))
    none = fn(x, labels, reduction="none")
    assert (none >= 0).all()
    shifted = fn(x + shift, labels, reduction="none")
    # shifting by s changes each logit by a rounding of size eps*|x + s|; that is the error scale
    scale = 1e-12 * (1 + np.abs(x).max() + abs(shift))
    np.testing.assert_allclose(shifted, none, rtol=0, atol=scale * 4)
    assert fn(x, labels) == pytest.approx(np.sum(none) / x.shape[0], rel=1e-12, abs=1e-300)
    assert fn(x, labels, reduction="sum") == pytest.approx(np.sum(none), rel=1e-12, abs=1e-300)


@given(x=matrices(elements=st.floats(-30, 30)))
def test_cross_entropy_zero_at_perfect_prediction(x):
    """A one-hot prediction (the target logit 1e4 above the others) has loss 0 to the last bit."""
    fn = _fn("cross_entropy")
    labels = np.arange(x.shape[0]) % x.shape[1]
    x = x.copy()
    x[np.arange(x.shape[0]), labels] = 1e4
    assert fn(x, labels) == 0.0


@given(x=matrices(), shift=st.floats(-1e3, 1e3))
def test_softmax_shift_invariance_and_rows_sum_to_one(x, shift):
    fn = _fn("softmax")
    p = fn(x, axis=1)
    assert ((p >= 0) & (p <= 1)).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    scale = 1e-13 * (1 + np.abs(x).max() + abs(shift))
    np.testing.assert_allclose(fn(x + shift, axis=1), p, rtol=0, atol=scale * 8)


@given(data=st.data(), n=st.integers(1, 4), c=st.integers(2, 8))
def test_kl_nonnegative_and_cross_entropy_decomposition(data, n, c):
    kl, ent, xent = _fn("kl_divergence"), _fn("entropy"), _fn("cross_entropy_pq")
    p = data.draw(distributions((n, c)))
    q = data.draw(distributions((n, c), zeros=False))
    d = kl(p, q)
    assert (np.asarray(d) >= -1e-15).all()  # >= 0 up to the rounding of the sum
    np.testing.assert_allclose(kl(p, p), 0.0, atol=1e-15)
    h, hq = ent(p), xent(p, q)
    # H(p, q) = H(p) + KL(p||q), to rounding of terms of size |p log q|
    np.testing.assert_allclose(hq, h + d, rtol=1e-12, atol=1e-12 * (1 + np.abs(hq).max()))
    for base in (2.0, 10.0):
        np.testing.assert_allclose(
            xent(p, q, base=base), ent(p, base=base) + kl(p, q, base=base), rtol=1e-12, atol=1e-12
        )


@given(x=matrices(elements=st.floats(-50, 50)), data=st.data())
def test_binary_cross_entropy_with_logits(x, data):
    fn = _fn("binary_cross_entropy_with_logits")
    t = data.draw(arrays(np.float64, x.shape, elements=st.floats(0, 1)))
    none = fn(x, t, reduction="none")
    assert (none >= 0).all()
    assert fn(x, t) == pytest.approx(np.sum(none) / x.size, rel=1e-12, abs=1e-300)
    # zero at a perfect prediction: hard targets with logits of the right sign, far out
    hard = (t > 0.5).astype(float)
    assert fn(np.where(hard == 1, 1e4, -1e4), hard) == 0.0


@given(data=st.data(), shape=st.tuples(st.integers(1, 5), st.integers(1, 5)))
def test_binary_cross_entropy_probabilities(data, shape):
    fn = _fn("binary_cross_entropy")
    p = data.draw(arrays(np.float64, shape, elements=st.floats(1e-6, 1 - 1e-6)))
    t = data.draw(arrays(np.float64, shape, elements=st.floats(0, 1)))
    assert (fn(p, t, reduction="none") >= 0).all()
    hard = (t > 0.5).astype(float)
    assert fn(hard, hard) == 0.0


@pytest.mark.parametrize("name", ["soft_margin_loss", "hinge_embedding_loss", "hinge_loss"])
@given(x=matrices(), data=st.data())
def test_margin_losses_reductions(name, x, data):
    fn = _fn(name)
    y = data.draw(arrays(np.float64, x.shape, elements=st.sampled_from([-1.0, 1.0])))
    none = fn(x, y, reduction="none")
    if name != "hinge_embedding_loss":  # its y = 1 branch is x itself, of any sign
        assert (none >= 0).all()
    assert fn(x, y, reduction="sum") == pytest.approx(np.sum(none), rel=1e-12, abs=1e-300)
    assert fn(x, y) == pytest.approx(np.sum(none) / x.size, rel=1e-12, abs=1e-300)


@settings(max_examples=50)
@given(x=matrices(), data=st.data())
def test_gradient_of_mean_is_gradient_of_sum_over_n(x, data):
    """'mean' = 'sum' / N carries over to gradients, for every registered loss with `reduction`."""
    y = np.resize(data.draw(matrices()), x.shape)
    for name in PAIR_LOSSES:
        fn = getattr(losslab, name, None)
        if fn is None:
            continue
        gm = losslab.grad(fn)(x, y, reduction="mean")
        gs = losslab.grad(fn)(x, y, reduction="sum")
        np.testing.assert_allclose(gm * x.size, gs, rtol=1e-12, atol=1e-300)
