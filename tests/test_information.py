"""entropy, kl_divergence, cross_entropy_pq: values, 0 log 0, inf, bases, axes, gradients."""

import math

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab

FUNCS2 = [losslab.kl_divergence, losslab.cross_entropy_pq]


def _distribution(raw):
    p = np.abs(raw) + 1e-3
    return p / p.sum(axis=-1, keepdims=True)


dists = arrays(
    np.float64, st.tuples(st.integers(1, 3), st.integers(2, 6)), elements=st.floats(0, 10)
)


@settings(max_examples=50, deadline=None)  # shared CI machines: timing varies
@given(dists, st.sampled_from([None, 2.0, 10.0, 3.0]))
def test_matches_scipy(raw, base):
    p = _distribution(raw)
    q = _distribution(raw[..., ::-1] + 0.5)
    np.testing.assert_allclose(
        losslab.entropy(p, base=base), scipy.stats.entropy(p, base=base, axis=-1), rtol=1e-12
    )
    np.testing.assert_allclose(
        losslab.kl_divergence(p, q, base=base),
        scipy.stats.entropy(p, q, base=base, axis=-1),
        rtol=1e-10,
        atol=1e-15,
    )
    ce = -np.sum(p * np.log(q), axis=-1) / (1.0 if base is None else math.log(base))
    np.testing.assert_allclose(losslab.cross_entropy_pq(p, q, base=base), ce, rtol=1e-12)
    # decomposition H(p, q) = H(p) + KL(p || q) and KL >= 0
    np.testing.assert_allclose(
        losslab.entropy(p, base=base) + losslab.kl_divergence(p, q, base=base),
        losslab.cross_entropy_pq(p, q, base=base),
        rtol=1e-12,
    )
    assert np.all(losslab.kl_divergence(p, q) >= -1e-15)
    assert np.all(losslab.kl_divergence(p, p) == 0.0)


def test_zero_times_log_zero_is_zero_without_warning():
    # warnings are errors in this test suite, so any RuntimeWarning fails here
    assert losslab.entropy([0, 0, 0, 1]) == 0.0
    assert losslab.entropy([0.0, 0.5, 0.5], base=2) == 1.0
    assert losslab.kl_divergence([0, 0, 0, 1], [0.1, 0.1, 0.1, 0.7]) == pytest.approx(
        -math.log(0.7), rel=1e-15
    )
    assert losslab.kl_divergence([0, 1], [0, 1]) == 0.0
    assert losslab.cross_entropy_pq([0, 1], [0, 1]) == 0.0


def test_zero_in_q_where_p_positive_is_inf_like_scipy():
    p, q = [0.5, 0.5], [1.0, 0.0]
    assert losslab.kl_divergence(p, q) == np.inf == scipy.stats.entropy(p, q)
    assert losslab.cross_entropy_pq(p, q) == np.inf
    out = losslab.kl_divergence([[0.5, 0.5], [0.5, 0.5]], [[1.0, 0.0], [0.5, 0.5]])
    assert out.tolist() == [np.inf, 0.0]


def test_uniform_is_maximum_and_bases_convert():
    for n in (2, 4, 7):
        u = np.full(n, 1 / n)
        assert losslab.entropy(u, base=2) == pytest.approx(math.log2(n), rel=1e-14)
        assert losslab.entropy(u) == pytest.approx(math.log(n), rel=1e-14)
    p = [0.1, 0.2, 0.3, 0.4]
    assert losslab.entropy(p, base=math.e) == losslab.entropy(p)
    assert losslab.entropy(p, base=2) == pytest.approx(losslab.entropy(p) / math.log(2), rel=1e-15)


def test_axis_and_shapes():
    rng = np.random.default_rng(1)
    p = _distribution(rng.random((3, 4, 5)))
    q = _distribution(rng.random((3, 4, 5)))
    pt, qt = np.moveaxis(p, -1, 1), np.moveaxis(q, -1, 1)
    for f, args, argst in [
        (losslab.entropy, (p,), (pt,)),
        (losslab.kl_divergence, (p, q), (pt, qt)),
        (losslab.cross_entropy_pq, (p, q), (pt, qt)),
    ]:
        out = f(*args)
        assert out.shape == (3, 4)
        np.testing.assert_allclose(f(*argst, axis=1), out, rtol=1e-14)
    assert isinstance(losslab.entropy(p[0, 0]), np.float64)


def test_float32_preserved():
    p = np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32)
    q = np.array([0.4, 0.3, 0.2, 0.1], dtype=np.float32)
    assert losslab.entropy(p, base=2).dtype == np.float32
    for f in FUNCS2:
        assert f(p, q).dtype == np.float32
        assert losslab.grad(f)(p, q).dtype == np.float32
        assert f(p, [0.4, 0.3, 0.2, 0.1]).dtype == np.float64
    assert losslab.grad(losslab.entropy)(p).dtype == np.float32
    assert losslab.entropy(p) == pytest.approx(losslab.entropy([0.1, 0.2, 0.3, 0.4]), rel=1e-6)


def test_float32_distribution_cast_to_float64_is_accepted():
    p32 = np.array([0.1, 0.2, 0.3, 0.4], dtype=np.float32)
    assert losslab.entropy(p32.astype(np.float64)) == pytest.approx(losslab.entropy(p32), rel=1e-6)


def _fd(f, x, h=1e-10):
    # p +- h e_i still sums to 1 within the validation tolerance (1e-6)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        g[i] = (np.sum(f(x + e)) - np.sum(f(x - e))) / (2 * h)
    return g


@pytest.mark.parametrize("base", [None, 2.0])
def test_gradients_match_finite_differences(base):
    p = np.array([[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.4, 0.1]])
    q = np.array([[0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4]])
    value, g = losslab.value_and_grad(losslab.entropy)(p, base=base)
    np.testing.assert_allclose(value, losslab.entropy(p, base=base), rtol=0)
    np.testing.assert_allclose(g, _fd(lambda x: losslab.entropy(x, base=base), p), rtol=1e-4)
    for f in FUNCS2:
        value, g = losslab.value_and_grad(f)(p, q, base=base)
        np.testing.assert_allclose(value, f(p, q, base=base), rtol=0)
        np.testing.assert_allclose(g, _fd(lambda x, f=f: f(p, x, base=base), q), rtol=1e-4)


def test_gradients_at_zeros():
    g = losslab.grad(losslab.entropy)([0.0, 0.5, 0.5])
    assert g[0] == np.inf and np.all(np.isfinite(g[1:]))
    for f in FUNCS2:
        g = losslab.grad(f)([0.0, 0.5, 0.5], [0.5, 0.5, 0.0])
        assert g[0] == 0.0 and g[1] == -1.0 and g[2] == -np.inf


def test_registered_with_prediction_argument():
    assert losslab.grad(losslab.entropy).wrt == "p"
    assert losslab.grad(losslab.kl_divergence).wrt == "q"
    assert losslab.grad(losslab.cross_entropy_pq).wrt == "q"


def test_inputs_not_modified():
    p, q = np.array([0.0, 0.3, 0.7]), np.array([0.2, 0.3, 0.5])
    pc, qc = p.copy(), q.copy()
    for f in FUNCS2:
        losslab.value_and_grad(f)(p, q, base=2)
    losslab.value_and_grad(losslab.entropy)(p)
    np.testing.assert_array_equal(p, pc)
    np.testing.assert_array_equal(q, qc)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: losslab.entropy([0.5, 0.6]), ValueError, "`p` does not sum to 1"),
        (lambda: losslab.entropy([1.5, -0.5]), ValueError, "`p` has values"),
        (lambda: losslab.entropy([0.5, 0.5], base=1), ValueError, "`base` is 1"),
        (lambda: losslab.entropy([0.5, 0.5], base=-2), ValueError, "`base`"),
        (lambda: losslab.entropy([0.5, 0.5], axis=1), ValueError, "`axis` is 1"),
        (lambda: losslab.entropy([0.5, 0.5], axis=0.0), TypeError, "`axis`"),
        (lambda: losslab.entropy(1.0), ValueError, "`p` has 0 dimension"),
        (lambda: losslab.kl_divergence([0.5, 0.5], [1.0]), ValueError, "`q` has shape"),
        (lambda: losslab.kl_divergence([0.5, 0.5], [0.5, 0.6]), ValueError, "`q` does not sum"),
        (lambda: losslab.cross_entropy_pq([0.5, 0.4], [0.5, 0.5]), ValueError, "`p` does not"),
        (lambda: losslab.cross_entropy_pq([0.5, np.nan], [0.5, 0.5]), ValueError, "`p` contains"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_rejects_instead_of_normalising_like_scipy():
    # scipy silently renormalises [1, 1] to [0.5, 0.5]; losslab treats it as a mistake
    assert scipy.stats.entropy([1, 1]) == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match="does not sum to 1"):
        losslab.entropy([1, 1])
    # rel_entr is scipy's element-wise term of the same KL
    p, q = np.array([0.2, 0.8]), np.array([0.5, 0.5])
    assert losslab.kl_divergence(p, q) == pytest.approx(scipy.special.rel_entr(p, q).sum())


@pytest.mark.parametrize("fn", ["entropy", "kl_divergence", "cross_entropy_pq"])
@pytest.mark.parametrize("base", [0.5, 1.0])
def test_base_at_most_one_is_refused(fn, base):
    args = ([0.5, 0.5],) if fn == "entropy" else ([0.5, 0.5], [0.25, 0.75])
    with pytest.raises(ValueError, match=r"`base` is .*expected a finite logarithm base > 1"):
        getattr(losslab, fn)(*args, base=base)


@pytest.mark.parametrize("base", [None, 1.5, 2.0, 10.0, 1e10])
@pytest.mark.parametrize("name", ["kl_divergence", "cross_entropy_pq"])
def test_gradient_with_a_subnormal_q_and_any_base(name, base):
    import mpmath

    fn = getattr(losslab, name)
    for p0, q0 in ((5e-317, 5e-324), (1e-303, 1e-310), (1e-300, 3e-320)):
        p, q = np.array([p0, 1 - p0]), np.array([q0, 1 - q0])
        g = losslab.grad(fn)(p, q, base=base)
        ln_b = mpmath.mpf(1) if base is None else mpmath.log(base)
        exact = [
            float(-mpmath.mpf(pi) / (mpmath.mpf(qi) * ln_b)) for pi, qi in zip(p, q, strict=True)
        ]
        np.testing.assert_allclose(g, exact, rtol=1e-14)


@pytest.mark.parametrize("name", ["kl_divergence", "cross_entropy_pq"])
def test_gradient_beyond_the_range_is_inf_without_a_warning(name):
    fn = getattr(losslab, name)
    g = losslab.grad(fn)(np.array([0.5, 0.5]), np.array([1 - 5e-324, 5e-324]), base=None)
    assert g[1] == -np.inf
