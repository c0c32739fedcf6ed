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
