import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab

bce = losslab.binary_cross_entropy
bcel = losslab.binary_cross_entropy_with_logits
unit = st.floats(0.0, 1.0)
logit = st.floats(-50.0, 50.0)


# --- catalog ------------------------------------------------------------------------------------


def test_catalog_d001_acc_vs_loss():
    # D001-ACC-vs-loss: mean BCE of sigmoid(x + b) and its derivative in b at b = -0.7
    x = np.array([-2.0, -1.0, 0.5, 1.5, 3.0])
    labels = [0, 0, 1, 1, 1]
    value, g = losslab.value_and_grad(bcel)(x + -0.7, labels)
    assert value == pytest.approx(0.29952291821803779474, rel=1e-15, abs=0)
    assert g.sum() == pytest.approx(-0.14670877121183808148, rel=1e-14, abs=0)
    # the same loss through probabilities
    p = 1 / (1 + np.exp(-(x - 0.7)))
    assert bce(p, labels) == pytest.approx(value, rel=1e-14)


# --- probabilities: the -100 clamp and PyTorch's gradient ----------------------------------------


def test_log_clamp_at_minus_100():
    out = bce([0.0, 1.0, 0.0, 1.0, 1e-50], [1.0, 0.0, 0.0, 1.0, 1.0], reduction="none")
    np.testing.assert_array_equal(out, [100.0, 100.0, 0.0, 0.0, 100.0])
    assert np.all(np.signbit(out) == 0)  # no -0.0


def test_gradient_is_torch_formula_at_0_and_1():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 1e-50])
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0])
    g = losslab.grad(bce)(x, t, reduction="none")
    big = 1 / float(np.float32(1e-12))  # PyTorch's floor is 1e-12 as a C float
    np.testing.assert_array_equal(g, [-big, big, 0.0, 0.0, -2.0, -big])
    assert big == pytest.approx(1e12, rel=1e-8)


def test_soft_targets_and_weight_broadcast():
    x = np.array([[0.2, 0.7], [0.9, 0.4]])
    t = np.array([[0.0, 0.5], [1.0, 0.25]])
    w = np.array([2.0, 0.5])  # broadcasts along the rows
    expected = -w * (t * np.log(x) + (1 - t) * np.log1p(-x))
    np.testing.assert_allclose(bce(x, t, weight=w, reduction="none"), expected, rtol=1e-15)
    assert bce(x, t, weight=w) == pytest.approx(
        expected.mean(), rel=1e-15
    )  # weights not normalised
    g = losslab.grad(bce)(x, t, weight=w)
    np.testing.assert_allclose(g, w * (x - t) / (x * (1 - x)) / 4, rtol=1e-14)


# --- logits: stability ------------------------------------------------------------------------


@pytest.mark.parametrize("x", [-1e4, -30.0, -1.0, 0.0, 1.0, 30.0, 1e4])
@pytest.mark.parametrize("y", [0.0, 1.0])
def test_logits_against_mpmath(x, y):
    with mpmath.workdps(50):
        mx = mpmath.mpf(x)
        # y = 1: -log sigmoid(x) = log(1 + e^-x); y = 0: -log(1 - sigmoid(x)) = log(1 + e^x)
        ref = mpmath.log1p(mpmath.exp(-mx if y else mx))
        sig = 1 / (1 + mpmath.exp(-mx))
        ref_g = sig - y
    value, g = losslab.value_and_grad(bcel)([x], [y], reduction="sum")
    assert np.isfinite(value) and np.isfinite(g).all()
    eps = np.finfo(np.float64).eps
    assert abs(value - float(ref)) <= 4 * eps * float(ref)
    assert abs(g[0] - float(ref_g)) <= 4 * eps * abs(float(ref_g))


@pytest.mark.parametrize("x", [-1e4, -30.0, 30.0, 1e4])
def test_logits_soft_target_and_pos_weight_against_mpmath(x):
    y, p = 0.3, 2.5
    with mpmath.workdps(50):
        mx = mpmath.mpf(x)
        ref = p * y * mpmath.log1p(mpmath.exp(-mx)) + (1 - mpmath.mpf(y)) * mpmath.log1p(
            mpmath.exp(mx)
        )
        sig = 1 / (1 + mpmath.exp(-mx))
        ref_g = (p * y + 1 - mpmath.mpf(y)) * sig - p * y
    value, g = losslab.value_and_grad(bcel)([x], [y], reduction="sum", pos_weight=[p])
    assert value == pytest.approx(float(ref), rel=1e-15)
    assert g[0] == pytest.approx(float(ref_g), rel=1e-14)


def test_logits_equal_probabilities_version():
    rng = np.random.default_rng(3)
    x, t = rng.normal(size=(5, 3)) * 3, rng.uniform(size=(5, 3))
    w, pw = rng.uniform(0.5, 2.0, size=3), rng.uniform(0.5, 2.0, size=3)
    p = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(
        bcel(x, t, weight=w, reduction="none"), bce(p, t, weight=w, reduction="none"), rtol=1e-12
    )
    # pos_weight scales the positive term only
    expected = -w * (pw * t * np.log(p) + (1 - t) * np.log1p(-p))
    np.testing.assert_allclose(
        bcel(x, t, weight=w, reduction="none", pos_weight=pw), expected, rtol=1e-12
    )
    g = losslab.grad(bcel)(x, t, weight=w, reduction="sum", pos_weight=pw)
    np.testing.assert_allclose(g, w * ((pw * t + 1 - t) * p - pw * t), rtol=1e-12, atol=1e-15)


# --- gradients vs central differences ----------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_gradients_match_central_differences(reduction, weighted):
    rng = np.random.default_rng(4)
    x, t = rng.normal(size=(4, 3)), rng.uniform(size=(4, 3))
    w = rng.uniform(0.1, 2.0, size=3) if weighted else None
    pw = rng.uniform(0.1, 3.0, size=3) if weighted else None
    p = rng.uniform(0.05, 0.95, size=(4, 3))
    h = 1e-6
    cases = [
        (bce, p, {"weight": w}),
        (bcel, x, {"weight": w, "pos_weight": pw}),
    ]
    for fn, z, kw in cases:
        g = losslab.grad(fn)(z, t, reduction=reduction, **kw)
        num = (fn(z + h, t, reduction="none", **kw) - fn(z - h, t, reduction="none", **kw)) / (
            2 * h
        )
        if reduction == "mean":
            num /= z.size
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-10)


# --- dtypes, mutation, bad input ----------------------------------------------------------------


@pytest.mark.parametrize(("fn", "x"), [(bce, [0.25, 0.5]), (bcel, [-2.0, 3.0])])
def test_float32_preserved_and_inputs_not_modified(fn, x):
    x = np.array(x, dtype=np.float32)
    t, w = np.array([0, 1]), np.array([1.0, 2.0], dtype=np.float32)
    copies = [a.copy() for a in (x, t, w)]
    value, g = losslab.value_and_grad(fn)(x, t, weight=w)
    assert value.dtype == np.float32 and g.dtype == np.float32
    assert fn(x, t, reduction="none").dtype == np.float32
    assert fn(x, t, weight=np.array([1.0, 2.0])).dtype == np.float64
    for a, c in zip((x, t, w), copies, strict=True):
        np.testing.assert_array_equal(a, c)


def test_float32_logits_no_overflow():
    x = np.array([-1e4, -90.0, 90.0, 1e4], dtype=np.float32)
    value, g = losslab.value_and_grad(bcel)(x, np.array([1, 1, 0, 0]), reduction="none")
    np.testing.assert_array_equal(value, np.abs(x))
    np.testing.assert_array_equal(g, [-1.0, -1.0, 1.0, 1.0])


@pytest.mark.parametrize(
    ("fn", "args", "kwargs", "exc", "match"),
    [
        (bce, ([0.5, 1.5], [0.0, 1.0]), {}, ValueError, "`input` has values in"),
        (bce, ([-0.1, 0.5], [0.0, 1.0]), {}, ValueError, "`input` has values in"),
        (bce, ([0.5, 0.5], [0.0, 2.0]), {}, ValueError, "`target` has values in"),
        (bcel, ([3.0, -3.0], [0.0, -1.0]), {}, ValueError, "`target` has values in"),
        (bce, ([0.5, 0.5], [0.0]), {}, ValueError, "`target` has shape"),
        (bcel, ([np.nan, 0.5], [0.0, 1.0]), {}, ValueError, "`input` contains NaN"),
        (bce, ([0.5, 0.5], [0.0, 1.0]), {"weight": [1.0, -1.0]}, ValueError, "`weight` contains"),
        (bce, ([0.5, 0.5], [0.0, 1.0]), {"weight": [1.0, 1.0, 1.0]}, ValueError, "`weight` has"),
        (bcel, ([0.5, 0.5], [0.0, 1.0]), {"weight": [[1.0], [1.0]]}, ValueError, "`weight` has"),
        (bcel, ([0.5, 0.5], [0.0, 1.0]), {"pos_weight": [-1.0]}, ValueError, "`pos_weight` con"),
        (bcel, ([0.5, 0.5], [0.0, 1.0]), {"pos_weight": [1.0, 2, 3]}, ValueError, "`pos_weight` h"),
        (bcel, ([0.5, 0.5], [0.0, 1.0]), {"reduction": "batchmean"}, ValueError, "`reduction`"),
        (bce, ([True, False], [0.0, 1.0]), {}, TypeError, "`input` has dtype bool"),
        (bcel, ([0.5, 0.5], [0.0, 1.0]), {"weight": [np.inf, 1.0]}, ValueError, "`weight` cont"),
    ],
)
def test_bad_input(fn, args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fn(*args, **kwargs)


# --- properties ----------------------------------------------------------------------------------


@settings(deadline=None)  # shared CI machines: timing varies
@given(arrays(np.float64, st.integers(1, 30), elements=unit), st.data())
def test_probability_properties(p, data):
    t = data.draw(arrays(np.float64, p.shape, elements=unit))
    assert np.all(bce(p, t, reduction="none") >= 0.0)
    np.testing.assert_allclose(bce(p, t), bce(p, t, reduction="sum") / p.size, rtol=1e-12)
    hard = np.round(t)
    assert bce(hard, hard) == 0.0  # perfect hard prediction
    assert np.all(np.isfinite(losslab.grad(bce)(p, t)))


@settings(deadline=None)  # shared CI machines: timing varies
@given(arrays(np.float64, st.integers(1, 30), elements=logit), st.data())
def test_logit_properties(x, data):
    t = data.draw(arrays(np.float64, x.shape, elements=unit))
    loss = bcel(x, t, reduction="none")
    assert np.all(loss >= 0.0)
    np.testing.assert_allclose(bcel(x, t), bcel(x, t, reduction="sum") / x.size, rtol=1e-12)
    # the loss is minimised at t = sigmoid(x): gradient sigma(x) - t, and it is in [-1, 1]
    g = losslab.grad(bcel)(x, t, reduction="sum")
    assert np.all(np.abs(g) <= 1.0)
    np.testing.assert_allclose(g, 1 / (1 + np.exp(-x)) - t, atol=1e-15)
