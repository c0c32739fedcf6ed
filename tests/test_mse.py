import math

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab

Y2 = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
T = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]


def test_catalog_mean_convention():
    # D000-MSE-mean-convention: the 1/d convention on the article's y2
    assert losslab.mse_loss(Y2, T) == pytest.approx(0.0195, rel=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradient_matches_central_difference(reduction):
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    g = losslab.grad(losslab.mse_loss)(x, t, reduction=reduction)
    h = 1e-6
    num = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        fp = np.sum(losslab.mse_loss(x + e, t, reduction=reduction))
        fm = np.sum(losslab.mse_loss(x - e, t, reduction=reduction))
        num[i] = (fp - fm) / (2 * h)
    np.testing.assert_allclose(g, num, rtol=1e-7, atol=1e-9)


def test_float32_preserved_and_int_target():
    x = np.array([1.0, 2.0], dtype=np.float32)
    assert losslab.mse_loss(x, [0, 1]).dtype == np.float32
    assert losslab.grad(losslab.mse_loss)(x, [0, 1]).dtype == np.float32
    assert losslab.mse_loss(x, np.array([0.0, 1.0])).dtype == np.float64


def test_does_not_modify_inputs():
    x, t = np.array([1.0, 2.0]), np.array([0.0, 0.5])
    xc, tc = x.copy(), t.copy()
    losslab.value_and_grad(losslab.mse_loss)(x, t)
    np.testing.assert_array_equal(x, xc)
    np.testing.assert_array_equal(t, tc)


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        (([1.0, 2.0], [1.0]), {}, ValueError, "`target` has shape"),
        (([1.0, np.nan], [1.0, 2.0]), {}, ValueError, "`input` contains NaN"),
        (([], []), {}, ValueError, "`input` is empty"),
        (([1.0], [1.0]), {"reduction": "avg"}, ValueError, "`reduction`"),
        (([True], [1.0]), {}, TypeError, "`input` has dtype bool"),
        (([1j], [1.0]), {}, TypeError, "`input` has dtype complex"),
        (([[1.0], [1.0, 2.0]], [1.0]), {}, ValueError, "`input` is ragged"),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        losslab.mse_loss(*args, **kwargs)


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e6, 1e6)))
def test_zero_at_target_and_nonnegative(x):
    assert losslab.mse_loss(x, x) == 0.0
    assert losslab.mse_loss(x, np.zeros_like(x)) >= 0.0
    assert np.isclose(
        losslab.mse_loss(x, 0 * x), losslab.mse_loss(x, 0 * x, reduction="sum") / x.size
    )


# --- 0-d (scalar) input for every element-wise loss -------------------------------------------

# (function, input, target, extra keyword arguments): 0-d values a torch user would pass
ELEMENTWISE_0D = [
    (losslab.mse_loss, 0.5, 1.0, {}),
    (losslab.l1_loss, 0.5, 1.0, {}),
    (losslab.l1_loss, 0.5, 1.0, {"weight": 2.0}),
    (losslab.huber_loss, 3.0, 1.0, {}),
    (losslab.huber_loss, 0.5, 1.0, {"delta": 2.0, "weight": 3.0}),
    (losslab.smooth_l1_loss, 0.5, 1.0, {"beta": 2.0}),
    (losslab.smooth_l1_loss, 0.5, 1.0, {"beta": 0.0}),
    (losslab.binary_cross_entropy, 0.5, 1.0, {}),
    (losslab.binary_cross_entropy, 0.25, 0.0, {"weight": 2.0}),
    (losslab.binary_cross_entropy_with_logits, 0.5, 1.0, {}),
    (losslab.binary_cross_entropy_with_logits, -2.0, 1.0, {"weight": 2.0, "pos_weight": 3.0}),
    (losslab.hinge_embedding_loss, 0.5, -1.0, {}),
    (losslab.soft_margin_loss, 0.5, -1.0, {}),
    (losslab.hinge_loss, 0.5, 1.0, {}),
    (losslab.kl_div, -0.5, 0.25, {}),
    (losslab.kl_div, -0.5, -1.5, {"log_target": True}),
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    ("fn", "x", "t", "kwargs"), ELEMENTWISE_0D, ids=lambda a: getattr(a, "__name__", None)
)
def test_0d_input_like_a_one_element_array(fn, x, t, kwargs, reduction):
    value, g = losslab.value_and_grad(fn)(x, t, reduction=reduction, **kwargs)
    arr_kwargs = {
        k: np.array([w]) if k in ("weight", "pos_weight") else w for k, w in kwargs.items()
    }
    ref_value, ref_g = losslab.value_and_grad(fn)(
        np.array([x]), np.array([t]), reduction=reduction, **arr_kwargs
    )
    assert fn(x, t, reduction=reduction, **kwargs) == value
    if reduction == "none":
        assert isinstance(value, np.ndarray) and value.shape == ()  # torch: a 0-d tensor
        assert value[()] == ref_value[0]
    else:
        assert isinstance(value, np.float64) and value == ref_value
    assert isinstance(g, np.ndarray) and g.shape == () and g.dtype == np.float64
    assert g[()] == ref_g[0]


def test_0d_float32_input_stays_float32():
    x = np.float32(0.5)
    value, g = losslab.value_and_grad(losslab.binary_cross_entropy)(x, np.float32(1.0))
    assert isinstance(value, np.float32) and g.dtype == np.float32 and g.shape == ()


# --- blocked evaluation: many blocks, float32 accuracy -----------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize(
    "fn",
    [
        losslab.mse_loss,
        losslab.l1_loss,
        losslab.huber_loss,
        losslab.binary_cross_entropy_with_logits,
        losslab.soft_margin_loss,
    ],
    ids=lambda f: f.__name__,
)
def test_float32_sum_over_many_blocks_is_accurate(fn, reduction):
    # 300_001 elements (several blocks and a ragged last one): the float32 result is within a few
    # float32 ulps of the exact sum of the float64 element losses of the same float32 inputs.
    rng = np.random.default_rng(3)
    n = 300_001
    x = rng.standard_normal(n).astype(np.float32)
    if fn is losslab.soft_margin_loss:
        t = np.where(rng.uniform(size=n) < 0.5, -1.0, 1.0).astype(np.float32)
    elif fn is losslab.binary_cross_entropy_with_logits:
        t = rng.uniform(size=n).astype(np.float32)
    else:
        t = rng.standard_normal(n).astype(np.float32)
    got = fn(x, t, reduction=reduction)
    assert got.dtype == np.float32
    per64 = fn(x.astype(np.float64), t.astype(np.float64), reduction="none")
    exact = math.fsum(per64.tolist()) / (n if reduction == "mean" else 1)
    assert abs(float(got) - exact) <= 4 * np.finfo(np.float32).eps * abs(exact)
    # the gradient matches the float64 one to float32 rounding of its terms (each at most 1 in
    # size before the 1/n of 'mean'; soft-label BCE subtracts two such terms)
    g32 = losslab.grad(fn)(x, t, reduction=reduction)
    g64 = losslab.grad(fn)(x.astype(np.float64), t.astype(np.float64), reduction=reduction)
    term = 1.0 / n if reduction == "mean" else 1.0
    bound = 8 * float(np.finfo(np.float32).eps) * (np.abs(g64) + term)
    assert np.all(np.abs(g32 - g64) <= bound)


def test_non_contiguous_input_matches_contiguous():
    rng = np.random.default_rng(4)
    x, t = rng.standard_normal((300, 400)), rng.standard_normal((300, 400))
    value, g = losslab.value_and_grad(losslab.mse_loss)(x.T, t.T, reduction="none")
    ref_value, ref_g = losslab.value_and_grad(losslab.mse_loss)(
        np.ascontiguousarray(x.T), np.ascontiguousarray(t.T), reduction="none"
    )
    np.testing.assert_array_equal(value, ref_value)
    np.testing.assert_array_equal(g, ref_g)


@pytest.mark.parametrize("size", ["huge", "tiny", "smallest"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=str)
@pytest.mark.parametrize("fn", [losslab.mse_loss, losslab.l1_loss])
def test_weighted_mean_with_weights_summing_beyond_the_range(fn, dtype, size):
    # 'mean' divides by the sum of the weights, which overflows (or whose reciprocal, the
    # gradient's scale, does): the weights are rescaled, so the mean of 1 and 3 (or 1 and 9)
    # and its gradient come out exact, with no warning
    info = np.finfo(dtype)
    big = {
        "huge": info.max * dtype(0.9),
        "tiny": info.tiny / 64,
        "smallest": info.smallest_subnormal,
    }
    x, t = np.array([1.0, 3.0], dtype), np.zeros(2, dtype)
    w = np.array([big[size]] * 2, dtype)
    value, g = losslab.value_and_grad(fn)(x, t, weight=w)
    ref, ref_g = losslab.value_and_grad(fn)(x, t, weight=np.ones(2, dtype))
    assert value.dtype == g.dtype == dtype
    assert value == ref
    np.testing.assert_array_equal(g, ref_g)


@pytest.mark.parametrize("kernels", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize(
    ("dtype", "x", "w"),
    [
        (np.float64, [1e200, 1.0, 1e308], [1e-300, 1.0, 0.5e-300]),
        (np.float32, [1e30, 2.0, 3e38], [1e-30, 1.0, 1e-40]),
    ],
    ids=["float64", "float32"],
)
def test_weighted_squared_error_where_the_square_overflows(kernels, dtype, x, w):
    # (x - t)^2 overflows, w (x - t)^2 does not: against mpmath, with no warning
    from losslab import _fast

    if kernels and not _fast.active():
        pytest.skip("the compiled kernels are not in use")
    x, w = np.array(x, dtype), np.array(w, dtype)
    t = np.zeros_like(x)
    t[-1] = -x[-1]  # x - t overflows too
    mp = [[mpmath.mpf(float(v)) for v in a] for a in (w, x, t)]
    exact = [a * (b - c) ** 2 for a, b, c in zip(*mp, strict=True)]
    previous = _fast.use_kernels(_fast.kernels if kernels else None)
    try:
        none = losslab.mse_loss(x, t, weight=w, reduction="none")
        total = losslab.mse_loss(x, t, weight=w, reduction="sum")
        mean = losslab.mse_loss(x, t, weight=w)
    finally:
        _fast.use_kernels(previous)
    eps = float(np.finfo(dtype).eps)
    assert none.dtype == total.dtype == mean.dtype == dtype
    np.testing.assert_allclose(none, [float(e) for e in exact], rtol=4 * eps)
    np.testing.assert_allclose(total, float(sum(exact)), rtol=4 * eps)
    np.testing.assert_allclose(mean, float(sum(exact) / sum(map(float, w))), rtol=4 * eps)
