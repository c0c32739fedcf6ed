import numpy as np
import oracle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab
from losslab import _fast

finite = st.floats(-1e3, 1e3, allow_nan=False)
positive = st.floats(1e-3, 1e3)


def test_pieces_and_boundary():
    # quadratic inside |d| < delta, linear outside, equal (delta^2 / 2) at |d| = delta
    x = np.array([0.5, -0.5, 2.0, -3.0, 1.0])
    out = losslab.huber_loss(x, np.zeros(5), reduction="none")
    np.testing.assert_array_equal(out, [0.125, 0.125, 1.5, 2.5, 0.5])
    g = losslab.grad(losslab.huber_loss)(x, np.zeros(5), reduction="sum")
    np.testing.assert_array_equal(g, [0.5, -0.5, 1.0, -1.0, 1.0])


@settings(deadline=None)  # shared CI machines: timing varies
@given(arrays(np.float64, st.integers(1, 20), elements=finite), positive)
def test_smooth_l1_is_huber_over_delta(d, delta):
    t = np.zeros_like(d)
    np.testing.assert_allclose(
        losslab.smooth_l1_loss(d, t, reduction="none", beta=delta),
        losslab.huber_loss(d, t, reduction="none", delta=delta) / delta,
        rtol=1e-14,
        atol=1e-300,
    )
    np.testing.assert_allclose(
        losslab.grad(losslab.smooth_l1_loss)(d, t, beta=delta),
        losslab.grad(losslab.huber_loss)(d, t, delta=delta) / delta,
        rtol=1e-14,
        atol=1e-300,  # subnormal errors lose relative precision in either form
    )


def test_delta_one_coincide_and_beta_zero_is_l1():
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=50) * 3, rng.normal(size=50)
    assert losslab.smooth_l1_loss(x, t) == losslab.huber_loss(x, t)
    assert losslab.smooth_l1_loss(x, t, beta=0.0) == losslab.l1_loss(x, t)
    x[0] = t[0]
    np.testing.assert_array_equal(
        losslab.grad(losslab.smooth_l1_loss)(x, t, beta=0),
        losslab.grad(losslab.l1_loss)(x, t),
    )


def test_huber_weight_mean_divides_by_n():
    x, w = np.array([0.5, 2.0, -3.0]), np.array([2.0, 1.0, 0.0])
    assert losslab.huber_loss(x, np.zeros(3), weight=w) == pytest.approx((0.25 + 1.5) / 3)
    g = losslab.grad(losslab.huber_loss)(x, np.zeros(3), weight=w)
    np.testing.assert_allclose(g, [1.0 / 3, 1.0 / 3, 0.0], rtol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("huber_loss", {"delta": 0.7}),
        ("huber_loss", {"delta": 1.5, "weight": "w"}),
        ("smooth_l1_loss", {"beta": 0.7}),
        ("smooth_l1_loss", {"beta": 0.0}),
    ],
)
def test_gradient_matches_central_difference(name, kw, reduction):
    fn = getattr(losslab, name)
    rng = np.random.default_rng(2)
    x, t = rng.normal(size=(3, 7)) * 2, rng.normal(size=(3, 7))
    kw = dict(kw)
    if kw.get("weight") == "w":
        kw["weight"] = rng.uniform(0.0, 2.0, size=x.shape)
    g = losslab.grad(fn)(x, t, reduction=reduction, **kw)
    h = 1e-6  # random draws keep |x - t| away from 0 and from the threshold
    num = (fn(x + h, t, reduction="none", **kw) - fn(x - h, t, reduction="none", **kw)) / (2 * h)
    if reduction == "mean":
        num /= x.size
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("name", ["huber_loss", "smooth_l1_loss"])
def test_float32_preserved_and_inputs_not_modified(name):
    fn = getattr(losslab, name)
    x, t = np.array([0.5, 2.0], dtype=np.float32), np.array([0, 1])
    xc, tc = x.copy(), t.copy()
    value, g = losslab.value_and_grad(fn)(x, t)
    assert value.dtype == np.float32 and g.dtype == np.float32
    assert fn(x, t, reduction="none").dtype == np.float32
    assert value == fn(x, t)
    np.testing.assert_array_equal(x, xc)
    np.testing.assert_array_equal(t, tc)


@pytest.mark.parametrize(
    ("name", "kwargs", "exc", "match"),
    [
        ("huber_loss", {"delta": 0.0}, ValueError, "`delta`"),
        ("huber_loss", {"delta": -1.0}, ValueError, "`delta`"),
        ("huber_loss", {"delta": float("nan")}, ValueError, "`delta`"),
        ("huber_loss", {"delta": "1"}, TypeError, "`delta`"),
        ("huber_loss", {"weight": [1.0, -2.0]}, ValueError, "`weight` contains"),
        ("huber_loss", {"weight": [[1.0, 2.0]]}, ValueError, "`weight` has shape"),
        ("huber_loss", {"reduction": "avg"}, ValueError, "`reduction`"),
        ("smooth_l1_loss", {"beta": -0.1}, ValueError, "`beta`"),
        ("smooth_l1_loss", {"beta": None}, TypeError, "`beta`"),
        ("smooth_l1_loss", {"reduction": None}, ValueError, "`reduction`"),
    ],
)
def test_bad_arguments(name, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        getattr(losslab, name)([1.0, 2.0], [0.0, 0.0], **kwargs)


@pytest.mark.parametrize("name", ["huber_loss", "smooth_l1_loss"])
@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [
        (([1.0, 2.0], [1.0]), ValueError, "`target` has shape"),
        (([1.0, np.nan], [1.0, 2.0]), ValueError, "`input` contains NaN"),
        (([], []), ValueError, "`input` is empty"),
        (([1j], [1.0]), TypeError, "`input` has dtype complex"),
    ],
)
def test_bad_arrays(name, args, exc, match):
    with pytest.raises(exc, match=match):
        getattr(losslab, name)(*args)


@settings(deadline=None)  # shared CI machines: timing varies
@given(arrays(np.float64, st.integers(1, 30), elements=finite), positive, st.data())
def test_properties(x, delta, data):
    t = data.draw(arrays(np.float64, x.shape, elements=finite))
    for fn, kw in (
        (losslab.huber_loss, {"delta": delta}),
        (losslab.smooth_l1_loss, {"beta": delta}),
    ):
        assert fn(x, x, **kw) == 0.0
        assert np.all(fn(x, t, reduction="none", **kw) >= 0.0)
        np.testing.assert_allclose(
            fn(x, t, **kw), fn(x, t, reduction="sum", **kw) / x.size, rtol=1e-12
        )
    # Huber lies between the L1 and L2 shapes: huber <= delta |d| and huber <= d^2 / 2
    d = np.abs(x - t)
    hub = losslab.huber_loss(x, t, reduction="none", delta=delta)
    assert np.all(hub <= delta * d * (1 + 1e-12))
    assert np.all(hub <= 0.5 * d * d * (1 + 1e-12))
    g = losslab.grad(losslab.huber_loss)(x, t, reduction="sum", delta=delta)
    assert np.all(np.abs(g) <= delta)


@pytest.fixture(params=["compiled", "numpy"])
def path(request):
    """Run the test on the compiled kernels, then on the NumPy path."""
    if request.param == "compiled" and not _fast.active():
        pytest.skip("the compiled kernels are not in use")
    previous = _fast.use_kernels(_fast.kernels if request.param == "compiled" else None)
    yield request.param
    _fast.use_kernels(previous)


@pytest.mark.parametrize(
    ("dtype", "a", "beta"),
    [(np.float64, 1e-100, 1e-300), (np.float64, 1e-20, 1e-300), (np.float32, 1e-30, 1e-37)],
)
def test_smooth_l1_tiny_beta_keeps_the_linear_branch(path, dtype, a, beta):
    # |d| beta underflows, but the loss |d| - beta/2 is |d| to the last bit
    x = np.array([a, -a], dtype=dtype)
    t = np.zeros(2, dtype=dtype)
    out = losslab.smooth_l1_loss(x, t, reduction="none", beta=beta)
    assert out.dtype == dtype
    expected = x - dtype(beta) / 2 * np.sign(x)
    np.testing.assert_array_equal(out, np.abs(expected))
    assert losslab.smooth_l1_loss(x, t, reduction="sum", beta=beta) == 2 * np.abs(expected[0])
    g = losslab.grad(losslab.smooth_l1_loss)(x, t, reduction="sum", beta=beta)
    np.testing.assert_array_equal(g, np.array([1.0, -1.0], dtype=dtype))


def _ulps(got, exact, dtype):
    """|got - exact| in units of the last place of the correctly rounded reference."""
    ref = oracle.to_float(exact, dtype).astype(dtype)
    return np.abs(got.astype(np.float64) - ref.astype(np.float64)) / np.spacing(ref)


@pytest.mark.parametrize(
    ("dtype", "low", "high"),
    [(np.float64, -180, -150), (np.float64, -3, 3), (np.float32, -24, -19), (np.float32, -2, 2)],
)
def test_smooth_l1_quadratic_branch_against_mpmath(path, dtype, low, high):
    # tiny residuals: a^2 underflows where a^2 / (2 beta) does not (beta up to 1000 a)
    rng = np.random.default_rng(abs(low))
    a = (10.0 ** rng.uniform(low, high, 400)).astype(dtype)
    beta = float(np.max(a) * 1.5)
    x = a * rng.choice(np.array([-1, 1], dtype=dtype), a.size)
    beta_each = (a * (10.0 ** rng.uniform(0.05, 3, a.size))).astype(dtype)
    for b in (beta, *beta_each[:20]):
        keep = np.abs(x) < dtype(b)
        out = losslab.smooth_l1_loss(x[keep], np.zeros_like(x[keep]), reduction="none", beta=b)
        exact, _ = oracle.smooth_l1_loss(
            x[keep], np.zeros(keep.sum()), "none", beta=float(dtype(b))
        )
        assert out.dtype == dtype
        assert np.max(_ulps(out, exact, dtype)) <= 2, f"beta={b}"


def test_float32_threshold_beyond_float32_range(path):
    # huber: every |d| is below delta, so the loss is d^2/2; smooth L1: d^2 / (2 beta) and its
    # derivative d / beta, computed with beta in float64 and rounded once, with no warning
    x = np.array([0.5, -2.0, 3e38, -1e30], np.float32)
    t = np.zeros_like(x)
    d = x.astype(np.float64)
    for big in (1e39, 1e300):
        value, g = losslab.value_and_grad(losslab.huber_loss)(x[:2], t[:2], delta=big)
        assert value.dtype == g.dtype == np.float32
        assert value == np.float32(np.mean(d[:2] ** 2 / 2))
        np.testing.assert_array_equal(g, x[:2] / 2)
        out = losslab.smooth_l1_loss(x, t, beta=big, reduction="none")
        g = losslab.grad(losslab.smooth_l1_loss)(x, t, beta=big, reduction="sum")
        assert out.dtype == g.dtype == np.float32
        np.testing.assert_array_equal(out, (0.5 * d * (d / big)).astype(np.float32))
        np.testing.assert_array_equal(g, (d / big).astype(np.float32))
