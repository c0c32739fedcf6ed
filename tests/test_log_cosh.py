"""log_cosh_loss: the element formula, stability for large and tiny residuals, gradient."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab

log_cosh = losslab.log_cosh_loss


def test_equals_log_of_cosh_where_cosh_is_finite():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 7)) * 4, rng.normal(size=(5, 7))
    with np.errstate(all="raise"):
        ref = np.log(np.cosh(x - y))  # loses relative accuracy where cosh(r) is near 1
    np.testing.assert_allclose(log_cosh(x, y, reduction="none"), ref, rtol=1e-12)
    assert log_cosh(x, y) == pytest.approx(ref.mean(), rel=1e-14)
    assert log_cosh(x, y, reduction="sum") == pytest.approx(ref.sum(), rel=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_no_overflow_for_large_residuals(dtype):
    # cosh overflows at |r| ~ 710 (float64) and ~ 89 (float32); the loss is |r| - log 2 there.
    r = np.array([100.0, -800.0, 1e30, -3e38], dtype=dtype)
    out = log_cosh(r, np.zeros_like(r), reduction="none")
    assert out.dtype == dtype and np.all(np.isfinite(out))
    np.testing.assert_allclose(out, np.abs(r.astype(np.float64)) - np.log(2), rtol=1e-6)
    g = losslab.grad(log_cosh)(r, np.zeros_like(r), reduction="sum")
    np.testing.assert_array_equal(g, np.sign(r))


def test_tiny_residuals_keep_their_relative_accuracy():
    # log cosh r = r^2/2 - r^4/12 + ...: a form with |r| - log 2 would cancel to 0 here.
    r = np.array([1e-8, -3e-5, 1e-150])
    np.testing.assert_allclose(log_cosh(r, np.zeros(3), reduction="none"), r**2 / 2, rtol=1e-9)


@settings(deadline=None)
@given(arrays(np.float64, st.integers(1, 15), elements=st.floats(-1e5, 1e5)))
def test_between_the_quadratic_and_the_linear_bound(r):
    # r^2/2 - r^4/12 <= log cosh r <= min(r^2/2, |r|) and >= |r| - log 2
    out = log_cosh(r, np.zeros_like(r), reduction="none")
    assert np.all(out >= 0)
    assert np.all(out <= np.minimum(r * r / 2, np.abs(r)) * (1 + 1e-15))
    assert np.all(out >= (np.abs(r) - np.log(2)) * (1 - 1e-15))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradient_is_tanh_and_matches_central_difference(reduction):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(3, 5)) * 2, rng.normal(size=(3, 5))
    g = losslab.grad(log_cosh)(x, y, reduction=reduction)
    scale = 1 / x.size if reduction == "mean" else 1.0
    np.testing.assert_allclose(g, np.tanh(x - y) * scale, rtol=1e-15)
    h = 1e-6
    num = (log_cosh(x + h, y, reduction="none") - log_cosh(x - h, y, reduction="none")) / (2 * h)
    np.testing.assert_allclose(g, num * scale, rtol=1e-7, atol=1e-12)
