from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab

T = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
Y2 = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
Y3 = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.0, 0.6, 0.0]

finite = st.floats(-1e3, 1e3, allow_nan=False)


def test_catalog_mae():
    # the article's MAE example, to 1e-12; float64 digits as printed there
    assert losslab.l1_loss(Y2, T) == 0.08
    # The catalog prints a plain float64 sum, 0.18000000000000002; losslab's compiled kernels
    # add with compensation and get the correctly rounded 0.18 (the NumPy path: the former).
    exact = sum(abs(Fraction(y) - t) for y, t in zip(Y3, T, strict=True)) / len(T)
    assert abs(Fraction(float(losslab.l1_loss(Y3, T))) - exact) <= Fraction(2**-55)
    assert losslab.l1_loss(Y2, T, reduction="sum") == pytest.approx(0.8, abs=1e-12)
    assert losslab.l1_loss(Y3, T, reduction="sum") == pytest.approx(1.8000000000000003, abs=1e-12)


def test_subgradient_at_zero_is_zero():
    g = losslab.grad(losslab.l1_loss)([1.0, 2.0, 3.0], [2.0, 2.0, 2.0], reduction="none")
    np.testing.assert_array_equal(g, [-1.0, 0.0, 1.0])


def test_weighted_mean_divides_by_total_weight():
    x, t, w = np.array([1.0, 3.0, -2.0]), np.zeros(3), np.array([1.0, 0.5, 2.0])
    expected = (1.0 + 1.5 + 4.0) / 3.5
    assert losslab.l1_loss(x, t, weight=w) == pytest.approx(expected, rel=1e-15)
    assert losslab.l1_loss(x, t, reduction="sum", weight=w) == pytest.approx(6.5, rel=1e-15)
    np.testing.assert_allclose(
        losslab.l1_loss(x, t, reduction="none", weight=w), [1.0, 1.5, 4.0], rtol=1e-15
    )
    g = losslab.grad(losslab.l1_loss)(x, t, weight=w)
    np.testing.assert_allclose(g, np.sign(x) * w / 3.5, rtol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradient_matches_central_difference(reduction, weighted):
    rng = np.random.default_rng(1)
    x, t = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    w = rng.uniform(0.1, 2.0, size=x.shape) if weighted else None
    g = losslab.grad(losslab.l1_loss)(x, t, reduction=reduction, weight=w)
    h = 1e-6  # |x - t| is far from 0 for these draws: elementwise central differences
    lp = losslab.l1_loss(x + h, t, reduction="none", weight=w)
    lm = losslab.l1_loss(x - h, t, reduction="none", weight=w)
    num = (lp - lm) / (2 * h)
    if reduction == "mean":
        num /= w.sum() if weighted else x.size
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-10)


def test_value_and_grad_value_equals_function():
    x, t = [0.5, -1.0, 2.0], [0.0, 0.0, 0.0]
    for kw in ({}, {"reduction": "sum"}, {"weight": [1.0, 2.0, 3.0]}):
        value, _ = losslab.value_and_grad(losslab.l1_loss)(x, t, **kw)
        assert value == losslab.l1_loss(x, t, **kw)


def test_float32_preserved_and_int_target():
    x = np.array([1.0, 2.5], dtype=np.float32)
    assert losslab.l1_loss(x, [0, 1]).dtype == np.float32
    assert losslab.l1_loss(x, [0, 1], reduction="none").dtype == np.float32
    assert losslab.grad(losslab.l1_loss)(x, [0, 1]).dtype == np.float32
    w32 = np.array([1.0, 2.0], dtype=np.float32)
    assert losslab.grad(losslab.l1_loss)(x, [0, 1], weight=w32).dtype == np.float32
    assert losslab.l1_loss(x, np.array([0.0, 1.0])).dtype == np.float64


def test_does_not_modify_inputs():
    x, t, w = np.array([1.0, 2.0]), np.array([0.0, 0.5]), np.array([1.0, 2.0])
    copies = [a.copy() for a in (x, t, w)]
    losslab.value_and_grad(losslab.l1_loss)(x, t, weight=w)
    losslab.l1_loss(x, t, reduction="none", weight=w)
    for a, c in zip((x, t, w), copies, strict=True):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        (([1.0, 2.0], [1.0]), {}, ValueError, "`target` has shape"),
        (([1.0, np.nan], [1.0, 2.0]), {}, ValueError, "`input` contains NaN"),
        (([1.0, 2.0], [1.0, np.inf]), {}, ValueError, "`target` contains inf"),
        (([1.0], [1.0]), {"reduction": "avg"}, ValueError, "`reduction`"),
        (([1.0, 2.0], [1.0, 2.0]), {"weight": [1.0]}, ValueError, "`weight` has shape"),
        (([1.0, 2.0], [1.0, 2.0]), {"weight": [1.0, -1.0]}, ValueError, "`weight` contains"),
        (([1.0, 2.0], [1.0, 2.0]), {"weight": [0.0, 0.0]}, ValueError, "`weight` sums to 0"),
        (([True], [1.0]), {}, TypeError, "`input` has dtype bool"),
        (([1.0], ["a"]), {}, TypeError, "`target` has dtype"),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        losslab.l1_loss(*args, **kwargs)


def test_zero_total_weight_allowed_for_sum():
    assert losslab.l1_loss([1.0, 2.0], [0.0, 0.0], reduction="sum", weight=[0, 0]) == 0.0


@settings(deadline=None)  # shared CI machines: timing varies
@given(arrays(np.float64, st.integers(1, 30), elements=finite), st.data())
def test_properties(x, data):
    t = data.draw(arrays(np.float64, x.shape, elements=finite))
    assert losslab.l1_loss(x, x) == 0.0
    assert losslab.l1_loss(x, t) >= 0.0
    assert np.all(losslab.l1_loss(x, t, reduction="none") >= 0.0)
    np.testing.assert_allclose(
        losslab.l1_loss(x, t), losslab.l1_loss(x, t, reduction="sum") / x.size, rtol=1e-12
    )
    # L1 with unit weights is the unweighted mean
    np.testing.assert_allclose(
        losslab.l1_loss(x, t, weight=np.ones_like(x)), losslab.l1_loss(x, t), rtol=1e-12
    )
    assert np.all(np.abs(losslab.grad(losslab.l1_loss)(x, t, reduction="sum")) <= 1.0)
