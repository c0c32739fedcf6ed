import warnings

import mpmath
import numpy as np
import oracle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab

mm = losslab.multi_margin_loss
finite = st.floats(-50.0, 50.0)
SCORES = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])


# --- the regularization article's examples ------------------------------------------------------


def test_catalog_hinge_multiclass():
    # multiclass SVM hinge (CS231n): multi_margin_loss divides by C, so multiply back
    svm = mm(SCORES, [0, 1, 2], reduction="none") * 3
    np.testing.assert_allclose(svm, [2.8999999999999995, 0.0, 12.9], rtol=0, atol=1e-12)
    assert mm(SCORES, [0, 1, 2]) * 3 == pytest.approx(5.266666666666667, abs=1e-12)
    assert mm(SCORES, [0, 1, 2], weight=[3, 3, 3]) == pytest.approx(5.266666666666667, abs=1e-12)


def test_catalog_hinge_binary():
    # binary hinge max(0, 1 - y f)
    y, f = [1, 1, -1, 1], [2.0, 0.3, 0.3, -1.0]
    np.testing.assert_allclose(
        losslab.hinge_loss(f, y, reduction="none"), [0.0, 0.7, 1.3, 2.0], rtol=0, atol=1e-12
    )


def test_binary_hinge_is_two_class_multi_margin():
    rng = np.random.default_rng(0)
    f, y = rng.normal(size=20) * 2, rng.choice([-1, 1], size=20)
    scores = np.stack([-f / 2, f / 2], axis=1)
    np.testing.assert_allclose(
        2 * mm(scores, (y + 1) // 2, reduction="none"),
        losslab.hinge_loss(f, y, reduction="none"),
        rtol=1e-14,
        atol=1e-15,
    )


# --- multi_margin_loss --------------------------------------------------------------------------


def _mm_reference(x, y, p, margin, w):
    """Row-by-row definition (a test oracle, loops are fine here)."""
    n, c = x.shape
    out = np.zeros(n)
    for i in range(n):
        terms = [max(0.0, margin - x[i, y[i]] + x[i, j]) ** p for j in range(c) if j != y[i]]
        out[i] = sum(terms) * (1.0 if w is None else w[y[i]]) / c
    return out


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("margin", [1.0, 0.3, -0.5])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_definition(p, margin, weighted):
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    w = rng.uniform(0, 2, size=4) if weighted else None
    ref = _mm_reference(x, y, p, margin, w)
    out = mm(x, y, p=p, margin=margin, weight=w, reduction="none")
    np.testing.assert_allclose(out, ref, rtol=1e-14, atol=1e-15)
    assert mm(x, y, p=p, margin=margin, weight=w) == pytest.approx(ref.mean(), rel=1e-14)


def test_multi_margin_single_sample_and_kink():
    x = np.array([1.0, 0.0, 0.0, 0.0])  # every competitor exactly at the margin
    value, g = losslab.value_and_grad(mm)(x, 0)
    assert value.shape == () and value == 0.0
    np.testing.assert_array_equal(g, np.zeros(4))  # strict z > 0, as PyTorch
    value, g = losslab.value_and_grad(mm)(np.array([0.1, 0.2, 0.4, 0.8]), 3, p=2, reduction="none")
    assert value == pytest.approx(((0.3**2) + (0.4**2) + (0.6**2)) / 4, rel=1e-14)
    np.testing.assert_allclose(g, [0.15, 0.2, 0.3, -0.65], rtol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_gradient_central_difference(reduction, p):
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)
    w = rng.uniform(0.1, 2, size=4)
    g = losslab.grad(mm)(x, y, p=p, weight=w, reduction=reduction)
    h = 1e-6
    num = np.zeros_like(x)
    for j in range(x.shape[1]):  # one column at a time; rows are independent
        e = np.zeros_like(x)
        e[:, j] = h
        lp = mm(x + e, y, p=p, weight=w, reduction="none")
        lm = mm(x - e, y, p=p, weight=w, reduction="none")
        num[:, j] = (lp - lm) / (2 * h)
    if reduction == "mean":
        num /= x.shape[0]
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    ("scores", "weight"),
    [
        ([[-5e307, 5e307, 0.0]], [1e-300, 1.0, 1.0]),  # 2 h overflows, 2 h w_y / C ~ 6.7e7
        ([[-1e200, 1e200, 0.0], [0.0, 1e-5, 2e-5]], [1e-300, 1.0, 1.0]),  # h^2 overflows
        ([[1.0, 1e-170, 2e-170], [1e150, 0.0, 1e150]], [1e200, 1e-10, 1e5]),  # h^2 underflows
    ],
)
def test_multi_margin_squared_hinge_near_the_range_limits(scores, weight, reduction):
    # p=2: the loss w_y/C sum h^2 and its gradient 2 w_y h / C, against mpmath, with no warning
    x, w = np.array(scores), np.array(weight)
    y = np.zeros(x.shape[0], dtype=int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value, g = losslab.value_and_grad(mm)(x, y, p=2, weight=w, reduction=reduction)
    ref_value, ref_g = oracle.multi_margin_loss(x, y, 2, 1.0, w, reduction)
    ref_value = oracle.to_float(ref_value)
    with np.errstate(over="ignore"):  # an exact loss beyond the range rounds to inf
        np.testing.assert_allclose(value, ref_value, rtol=4e-16, atol=0)
    np.testing.assert_allclose(g, oracle.to_float(ref_g), rtol=4e-16, atol=0)
    assert np.all(np.isfinite(g))


# --- element-wise ±1 losses ---------------------------------------------------------------------

SIGNED = [losslab.hinge_embedding_loss, losslab.soft_margin_loss, losslab.hinge_loss]


def test_hinge_embedding_values_and_kink():
    d, y = np.array([0.2, 0.2, 1.5, 1.0, 1.0]), np.array([1, -1, -1, -1, 1])
    value, g = losslab.value_and_grad(losslab.hinge_embedding_loss)(d, y, reduction="none")
    np.testing.assert_allclose(value, [0.2, 0.8, 0.0, 0.0, 1.0], rtol=1e-15)
    np.testing.assert_array_equal(g, [1.0, -1.0, 0.0, -1.0, 1.0])  # -1 at the kink, as torch
    assert not np.signbit(g[g == 0]).any()  # no -0.0


def test_hinge_kink_gradient_is_zero():
    g = losslab.grad(losslab.hinge_loss)([1.0, -1.0, 0.5], [1, -1, 1], reduction="none")
    np.testing.assert_array_equal(g, [0.0, 0.0, -1.0])
    assert not np.signbit(g[:2]).any()


@pytest.mark.parametrize("x", [-1e4, -30.0, -1.0, 0.0, 1.0, 30.0, 1e4])
def test_soft_margin_against_mpmath(x):
    with mpmath.workdps(50):
        ref = mpmath.log1p(mpmath.exp(-mpmath.mpf(x)))
        ref_g = -1 / (1 + mpmath.exp(mpmath.mpf(x)))
    value, g = losslab.value_and_grad(losslab.soft_margin_loss)([x], [1], reduction="sum")
    eps = np.finfo(np.float64).eps
    assert abs(value - float(ref)) <= 4 * eps * float(ref)
    assert abs(g[0] - float(ref_g)) <= 4 * eps * abs(float(ref_g))


@pytest.mark.parametrize("fn", SIGNED)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_signed_gradients_central_difference(fn, reduction):
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(3, 5)) * 2, rng.choice([-1, 1], size=(3, 5))
    kw = {} if fn is losslab.soft_margin_loss else {"margin": 0.8}
    g = losslab.grad(fn)(x, y, reduction=reduction, **kw)
    h = 1e-6  # random draws keep y x away from the margin
    num = (fn(x + h, y, reduction="none", **kw) - fn(x - h, y, reduction="none", **kw)) / (2 * h)
    if reduction == "mean":
        num /= x.size
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-10)


def test_soft_margin_is_bce_with_logits():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=30) * 5, rng.choice([-1, 1], size=30)
    np.testing.assert_allclose(
        losslab.soft_margin_loss(x, y, reduction="none"),
        losslab.binary_cross_entropy_with_logits(x, (y + 1) / 2, reduction="none"),
        rtol=1e-14,
    )


# --- dtypes, mutation, bad input ----------------------------------------------------------------


@pytest.mark.parametrize("fn", SIGNED)
def test_signed_float32_and_not_mutated(fn):
    x, y = np.array([0.5, -2.0, 1e4], dtype=np.float32), np.array([1, 1, -1])
    xc, yc = x.copy(), y.copy()
    value, g = losslab.value_and_grad(fn)(x, y)
    assert value.dtype == np.float32 and g.dtype == np.float32
    assert np.isfinite(value) and np.isfinite(g).all()
    assert fn(x, y, reduction="none").dtype == np.float32
    assert value == fn(x, y)
    np.testing.assert_array_equal(x, xc)
    np.testing.assert_array_equal(y, yc)


def test_multi_margin_float32_and_not_mutated():
    x, y, w = np.float32(SCORES), np.array([0, 1, 2]), np.array([1.0, 2.0, 3.0], np.float32)
    copies = [a.copy() for a in (x, y, w)]
    value, g = losslab.value_and_grad(mm)(x, y, weight=w)
    assert value.dtype == np.float32 and g.dtype == np.float32
    assert value == mm(x, y, weight=w)
    assert mm(x, y, weight=np.array([1.0, 2.0, 3.0])).dtype == np.float64
    for a, c in zip((x, y, w), copies, strict=True):
        np.testing.assert_array_equal(a, c)


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        ((SCORES, [0, 1, 3]), {}, ValueError, "`target` contains label 3"),
        ((SCORES, [0, 1]), {}, ValueError, "`target` has shape"),
        ((SCORES, [0.0, 1.0, 2.0]), {}, TypeError, "`target` has dtype float"),
        ((SCORES, [0, 1, 2]), {"p": 3}, ValueError, "`p` is 3"),
        ((SCORES, [0, 1, 2]), {"p": 1.0}, TypeError, "`p`"),
        ((SCORES, [0, 1, 2]), {"margin": np.inf}, ValueError, "`margin`"),
        ((SCORES, [0, 1, 2]), {"margin": "1"}, TypeError, "`margin`"),
        ((SCORES, [0, 1, 2]), {"weight": [1.0, 2.0]}, ValueError, "`weight` has shape"),
        ((SCORES, [0, 1, 2]), {"weight": [1.0, -2.0, 1.0]}, ValueError, "`weight` contains"),
        ((SCORES, [0, 1, 2]), {"reduction": "avg"}, ValueError, "`reduction`"),
        ((SCORES[None], [0, 1, 2]), {}, ValueError, "`input` has 3 dimension"),
        ((np.full((2, 3), np.nan), [0, 1]), {}, ValueError, "`input` contains NaN"),
    ],
)
def test_multi_margin_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        mm(*args, **kwargs)


@pytest.mark.parametrize("fn", SIGNED)
@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        (([0.5, 1.0], [1, 0]), {}, ValueError, "`target` contains 0.0, expected labels -1 or 1"),
        (([0.5, 1.0], [1, 2]), {}, ValueError, "`target` contains 2.0"),
        (([0.5, 1.0], [1]), {}, ValueError, "`target` has shape"),
        (([0.5, np.nan], [1, 1]), {}, ValueError, "`input` contains NaN"),
        (([0.5, 1.0], [1, -1]), {"reduction": "max"}, ValueError, "`reduction`"),
        (([True, False], [1, -1]), {}, TypeError, "`input` has dtype bool"),
    ],
)
def test_signed_bad_input(fn, args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        fn(*args, **kwargs)


@pytest.mark.parametrize("fn", [losslab.hinge_embedding_loss, losslab.hinge_loss])
@pytest.mark.parametrize(("margin", "exc"), [(np.nan, ValueError), (None, TypeError)])
def test_bad_margin(fn, margin, exc):
    with pytest.raises(exc, match="`margin`"):
        fn([0.5, 1.0], [1, -1], margin=margin)


# --- properties ----------------------------------------------------------------------------------


@settings(deadline=None)  # shared CI machines: timing varies
@given(arrays(np.float64, st.integers(1, 30), elements=finite), st.data())
def test_signed_properties(x, data):
    y = data.draw(arrays(np.int64, x.shape, elements=st.sampled_from([-1, 1])))
    for fn in (losslab.soft_margin_loss, losslab.hinge_loss):
        assert np.all(fn(x, y, reduction="none") >= 0.0)
    for fn in SIGNED:
        np.testing.assert_allclose(fn(x, y), fn(x, y, reduction="sum") / x.size, rtol=1e-12)
    # a correct prediction beyond the margin costs nothing in the hinge
    assert losslab.hinge_loss(2 * y + np.sign(y) * np.abs(x), y) == 0.0
    # hinge_embedding: >= 0 when the distances are >= 0, zero for similar pairs at distance 0
    d = np.abs(x)
    assert np.all(losslab.hinge_embedding_loss(d, y, reduction="none") >= 0.0)
    assert losslab.hinge_embedding_loss(np.zeros_like(x), np.ones_like(y)) == 0.0
    # the soft margin loss bounds the 0-1 loss / log 2 and is below the hinge + log 2
    soft = losslab.soft_margin_loss(x, y, reduction="none")
    assert np.all(soft <= losslab.hinge_loss(x, y, reduction="none") + np.log(2) + 1e-12)


@settings(deadline=None)  # shared CI machines: timing varies
@given(
    arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)), elements=finite),
    st.data(),
)
def test_multi_margin_properties(x, data):
    n, c = x.shape
    y = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    for p in (1, 2):
        assert np.all(mm(x, y, p=p, reduction="none") >= 0.0)
        np.testing.assert_allclose(mm(x, y, p=p), mm(x, y, p=p, reduction="sum") / n, rtol=1e-12)
        # gradient rows sum to 0 (the loss depends on score differences only)
        np.testing.assert_allclose(losslab.grad(mm)(x, y, p=p).sum(axis=1), 0.0, atol=1e-9)
    # the correct class ahead of every other by more than the margin: zero loss
    z = x.copy()
    z[np.arange(n), y] = np.abs(x).max() * 2 + 2
    assert mm(z, y) == 0.0


def test_multi_margin_one_hot_target_gets_a_hint():
    with pytest.raises(ValueError, match=r"one-hot target\? pass `target.argmax\(axis=1\)`"):
        losslab.multi_margin_loss(np.zeros((2, 3)), np.array([[0, 1, 0], [1, 0, 0]]))
