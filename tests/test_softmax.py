import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import losslab

CAT = [3.2, 5.1, -1.7]
# softmax of the cat/dog/frog scores [3.2, 5.1, -1.7] of the regularization article,
# computed in float64 from the exponentials
CAT_SOFTMAX = [0.12998253901717313, 0.8690495352082657, 0.0009679257745610439]
# stable softmax of [1010, 1000, 990] (the regularization article)
BIG_SOFTMAX = [0.999954600070331, 4.539786860886666e-05, 2.061060046209062e-09]
ACTIVATIONS = [losslab.softmax, losslab.log_softmax, losslab.sigmoid, losslab.log_sigmoid]


def test_catalog_softmax_values():
    np.testing.assert_allclose(losslab.softmax(CAT), CAT_SOFTMAX, rtol=1e-15)
    np.testing.assert_allclose(losslab.softmax([1010.0, 1000.0, 990.0]), BIG_SOFTMAX, rtol=1e-15)
    assert -losslab.log_softmax(CAT)[0] == pytest.approx(2.04035515280017, rel=1e-15)


def test_softmax_against_mpmath_for_extreme_scores():
    x = [1e4, -1e4, 9990.0, 0.0]
    got = losslab.softmax(x)
    with mpmath.workdps(50):
        e = [mpmath.exp(mpmath.mpf(a)) for a in x]
        want = [float(a / sum(e)) for a in e]
        want_log = [float(mpmath.log(a / sum(e))) for a in e]
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)
    np.testing.assert_allclose(losslab.log_softmax(x), want_log, rtol=1e-15)


@pytest.mark.parametrize("x", [-1e4, -745.0, -30.0, -1.0, 0.0, 1.0, 30.0, 40.0, 1e4])
def test_sigmoid_and_log_sigmoid_against_mpmath(x):
    with mpmath.workdps(60):
        s = 1 / (1 + mpmath.exp(-mpmath.mpf(x)))
        want_s, want_log, want_ds = float(s), float(mpmath.log(s)), float(s * (1 - s))
        want_1ms = float(1 - s)
    assert losslab.sigmoid(x) == pytest.approx(want_s, rel=1e-15, abs=0)
    assert losslab.log_sigmoid(x) == pytest.approx(want_log, rel=1e-15, abs=0)
    assert losslab.grad(losslab.sigmoid)(x) == pytest.approx(want_ds, rel=1e-14, abs=0)
    assert losslab.grad(losslab.log_sigmoid)(x) == pytest.approx(want_1ms, rel=1e-14, abs=1e-300)


def test_axis_is_numpy_style():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(losslab.softmax(x, axis=0).sum(axis=0), 1.0)
    np.testing.assert_allclose(losslab.softmax(x, axis=0), losslab.softmax(x.T).T, rtol=1e-15)
    np.testing.assert_allclose(
        losslab.log_softmax(x, axis=-2), losslab.log_softmax(x.T, axis=1).T, rtol=1e-15
    )


@pytest.mark.parametrize("fn", ACTIVATIONS)
def test_float32_preserved_and_input_not_modified(fn):
    x = np.array([[1.0, -2.0, 3.0]], dtype=np.float32)
    xc = x.copy()
    value, g = losslab.value_and_grad(fn)(x)
    assert value.dtype == np.float32 and g.dtype == np.float32
    assert fn(x).dtype == np.float32
    assert fn(x.astype(np.float64)).dtype == np.float64
    np.testing.assert_array_equal(x, xc)


def _central_difference(f, x):
    return losslab.numerical_gradient(lambda a: np.sum(f(a)), x)


@pytest.mark.parametrize("fn", ACTIVATIONS)
def test_gradient_of_sum_matches_central_difference(fn):
    x = np.random.default_rng(0).normal(size=(3, 4)) * 3
    value, g = losslab.value_and_grad(fn)(x)
    np.testing.assert_array_equal(value, fn(x))
    np.testing.assert_allclose(g, _central_difference(fn, x), rtol=1e-6, atol=1e-8)


def test_log_softmax_gradient_along_other_axis():
    x = np.random.default_rng(1).normal(size=(3, 4))
    g = losslab.grad(losslab.log_softmax)(x, axis=0)
    num = _central_difference(lambda a: losslab.log_softmax(a, axis=0), x)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    ("fn", "args", "exc", "match"),
    [
        (losslab.softmax, ([1.0, np.nan],), ValueError, "`x` contains NaN"),
        (losslab.softmax, ([1.0, np.inf],), ValueError, "`x` contains inf"),
        (losslab.softmax, ([],), ValueError, "`x` is empty"),
        (losslab.softmax, (1.0,), ValueError, "`x` has 0 dimension"),
        (losslab.softmax, ([1.0, 2.0], 1), ValueError, "`axis` is 1"),
        (losslab.log_softmax, ([1.0, 2.0], 0.5), TypeError, "`axis`"),
        (losslab.softmax, ([True, False],), TypeError, "`x` has dtype bool"),
        (losslab.sigmoid, ([1j],), TypeError, "`x` has dtype complex"),
        (losslab.log_sigmoid, ("abc",), TypeError, "`x` is a str"),
        (losslab.sigmoid, ([[1.0], [1.0, 2.0]],), ValueError, "`x` is ragged"),
    ],
)
def test_bad_input(fn, args, exc, match):
    with pytest.raises(exc, match=match):
        fn(*args)


finite = st.floats(-1e4, 1e4, allow_nan=False)


@given(arrays(np.float64, array_shapes(min_dims=1, max_dims=3, max_side=5), elements=finite))
def test_softmax_sums_to_one_in_unit_interval(x):
    s = losslab.softmax(x)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all(losslab.log_softmax(x) <= 0)


@given(
    arrays(np.float64, st.integers(1, 8), elements=st.floats(-100, 100)),
    st.floats(-1e3, 1e3),
)
def test_softmax_shift_invariance(x, c):
    np.testing.assert_allclose(losslab.softmax(x + c), losslab.softmax(x), rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(
        losslab.log_softmax(x + c), losslab.log_softmax(x), rtol=1e-9, atol=1e-9
    )


@given(arrays(np.float64, st.integers(1, 8), elements=finite))
def test_sigmoid_symmetry_and_log_relation(x):
    np.testing.assert_allclose(losslab.sigmoid(x) + losslab.sigmoid(-x), 1.0, rtol=1e-15)
    np.testing.assert_allclose(
        np.exp(losslab.log_sigmoid(x)), losslab.sigmoid(x), rtol=1e-13, atol=1e-300
    )
