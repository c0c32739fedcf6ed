"""pinball_loss: scikit-learn's mean_pinball_loss with the prediction first, gradient, kink."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab

pinball = losslab.pinball_loss
metrics = pytest.importorskip("sklearn.metrics")


@settings(deadline=None)
@given(
    arrays(
        np.float64, st.tuples(st.integers(1, 6), st.integers(1, 4)), elements=st.floats(-1e3, 1e3)
    ),
    st.floats(0, 1),
)
def test_equals_sklearn_mean_pinball_loss_target_first(x, alpha):
    y = np.linspace(-500, 500, x.size).reshape(x.shape)
    ours = pinball(x, y, alpha=alpha)
    theirs = metrics.mean_pinball_loss(y, x, alpha=alpha)  # y_true first
    assert ours == pytest.approx(theirs, rel=1e-13, abs=1e-300)


def test_argument_order_matters_and_alpha_one_minus_alpha_swap():
    x, y = np.array([1.0, 2.0, 5.0]), np.array([2.0, 0.0, 5.5])
    assert pinball(x, y, alpha=0.9) != pinball(y, x, alpha=0.9)
    # swapping prediction and target is the 1 - alpha loss
    assert pinball(y, x, alpha=0.9) == pytest.approx(pinball(x, y, alpha=0.1), rel=1e-15)


def test_half_is_half_the_l1_loss_with_its_subgradient():
    x, y = np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 1.0, 4.0])
    assert pinball(x, y) == losslab.l1_loss(x, y) / 2
    np.testing.assert_array_equal(
        losslab.grad(pinball)(x, y), losslab.grad(losslab.l1_loss)(x, y) / 2
    )


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_gradient_slopes_and_kink(alpha):
    x, y = np.array([0.0, 1.0, 3.0]), np.array([1.0, 1.0, 1.0])
    g = losslab.grad(pinball)(x, y, alpha=alpha, reduction="sum")
    np.testing.assert_allclose(g, [-alpha, 0.5 - alpha, 1 - alpha], rtol=0, atol=1e-16)
    h = 1e-7
    num = (
        pinball(x + h, y, alpha=alpha, reduction="none")
        - pinball(x - h, y, alpha=alpha, reduction="none")
    ) / (2 * h)
    np.testing.assert_allclose(num, [-alpha, 0.5 - alpha, 1 - alpha], atol=1e-8)


def test_minimiser_is_the_quantile():
    y = np.arange(1.0, 11.0)
    grid = np.linspace(0, 11, 1101)
    for alpha, quantile in ((0.1, 1.0), (0.5, 5.0), (0.85, 9.0)):
        values = [pinball(np.full(10, c), y, alpha=alpha) for c in grid]
        best = grid[int(np.argmin(values))]
        assert abs(best - quantile) <= 1.0 + 1e-9


@pytest.mark.parametrize(
    ("alpha", "exc"),
    [(-0.1, ValueError), (1.5, ValueError), (float("nan"), ValueError), ("0.5", TypeError)],
)
def test_bad_alpha(alpha, exc):
    with pytest.raises(exc, match=r"^`alpha`"):
        pinball([1.0], [2.0], alpha=alpha)


@pytest.mark.parametrize("alpha", [0.5, 0.3])
def test_difference_beyond_the_range_is_not_inf(alpha):
    # y - x is 2e308 (beyond the range) but each loss, and their mean, is within it.
    x, y = np.array([1e308, -1e308]), np.array([-1e308, 1e308])
    with np.errstate(over="raise", invalid="raise"):
        losses = pinball(x, y, alpha=alpha, reduction="none")
        mean = pinball(x, y, alpha=alpha)
    np.testing.assert_allclose(losses, [1e308 * (2 * (1 - alpha)), 1e308 * (2 * alpha)], rtol=1e-15)
    np.testing.assert_allclose(mean, 1e308, rtol=1e-15)
    assert pinball(x, y, alpha=alpha, reduction="sum") == np.inf
    zero = pinball(np.array([1e308]), np.array([-1e308]), alpha=1.0, reduction="none")
    assert str(zero) == "[0.]"
    assert pinball(np.array([-1e308]), np.array([1e308]), alpha=1.0) == np.inf
