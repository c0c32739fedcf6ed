"""sigmoid_focal_loss: torchvision's formula and defaults, stability, gradient, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab

focal = losslab.sigmoid_focal_loss


def torchvision_formula(x, t, alpha=0.25, gamma=2.0):
    """torchvision.ops.sigmoid_focal_loss, line by line, in NumPy (reduction 'none')."""
    p = 1 / (1 + np.exp(-x))
    ce_loss = losslab.binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * t + (1 - alpha) * (1 - t)
        loss = alpha_t * loss
    return loss


@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2.0), (-1.0, 2.0), (0.5, 0.0), (0.9, 0.7)])
def test_matches_torchvision_formula_and_defaults(alpha, gamma):
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(4, 5)) * 3, rng.uniform(size=(4, 5))
    t[0] = np.round(t[0])
    ref = torchvision_formula(x, t, alpha, gamma)
    np.testing.assert_allclose(focal(x, t, alpha=alpha, gamma=gamma), ref, rtol=1e-13)
    assert focal(x, t, alpha=alpha, gamma=gamma, reduction="mean") == pytest.approx(ref.mean())
    if (alpha, gamma) == (0.25, 2.0):  # torchvision's defaults, reduction 'none' included
        np.testing.assert_array_equal(focal(x, t), focal(x, t, alpha=0.25, gamma=2.0))
        assert focal(x, t).shape == x.shape


def test_gamma_0_without_alpha_is_bce_with_logits():
    x, t = np.array([-3.0, 0.1, 4.0]), np.array([1.0, 0.3, 0.0])
    np.testing.assert_allclose(
        focal(x, t, alpha=-1, gamma=0.0),
        losslab.binary_cross_entropy_with_logits(x, t, reduction="none"),
        rtol=1e-15,
    )


@settings(deadline=None)
@given(
    arrays(np.float64, st.integers(1, 12), elements=st.floats(-1e6, 1e6)),
    st.floats(0, 3),
    st.sampled_from([-1.0, 0.0, 0.25, 1.0]),
)
def test_finite_for_any_logit(x, gamma, alpha):
    t = (np.arange(x.size) % 2).astype(float)
    for dtype in (np.float64, np.float32):
        v, g = losslab.value_and_grad(focal)(
            x.astype(dtype), t.astype(dtype), alpha=alpha, gamma=gamma
        )
        assert np.all(np.isfinite(v)) and np.all(v >= 0)
        assert np.all(np.isfinite(g))
        assert v.dtype == dtype and g.dtype == dtype


def test_large_logits_need_no_log_of_zero():
    # sigma(800) rounds to 1: BCE on probabilities would take log(1 - 1) = log 0.
    x, t = np.array([800.0, -800.0, 800.0]), np.array([1.0, 0.0, 0.0])
    out = focal(x, t, alpha=-1, gamma=2.0)
    np.testing.assert_array_equal(out, [0.0, 0.0, 800.0])
    g = losslab.grad(focal)(x, t, alpha=-1, gamma=0.5)
    np.testing.assert_array_equal(g, [0.0, 0.0, 1.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2.0), (-1.0, 0.5), (0.75, 1.5)])
def test_gradient_matches_central_difference(alpha, gamma, reduction):
    rng = np.random.default_rng(3)
    x, t = rng.normal(size=(3, 6)) * 2, rng.uniform(size=(3, 6))
    kw = {"alpha": alpha, "gamma": gamma}
    g = losslab.grad(focal)(x, t, reduction=reduction, **kw)
    h = 1e-6
    num = (focal(x + h, t, **kw) - focal(x - h, t, **kw)) / (2 * h)
    if reduction == "mean":
        num /= x.size
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize(
    ("kw", "exc", "name"),
    [
        ({"alpha": 1.5}, ValueError, "`alpha`"),
        ({"alpha": float("nan")}, ValueError, "`alpha`"),
        ({"alpha": "0.25"}, TypeError, "`alpha`"),
        ({"gamma": -0.5}, ValueError, "`gamma`"),
        ({"targets": [1.0, 2.0]}, ValueError, "`targets`"),
        ({"targets": [1.0, 0.0, 1.0]}, ValueError, "`targets`"),
        ({"inputs": [np.nan, 0.0]}, ValueError, "`inputs`"),
    ],
)
def test_bad_input_names_the_argument(kw, exc, name):
    args = {"inputs": [0.5, -1.0], "targets": [1.0, 0.0], **kw}
    with pytest.raises(exc, match=f"^{name}"):
        focal(**args)
