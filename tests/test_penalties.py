"""l1_penalty, l2_penalty and their proximal operators."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab

finite = st.floats(-100, 100)
vectors = arrays(np.float64, st.integers(1, 8), elements=finite)


@given(vectors, st.floats(0, 10))
def test_values_and_gradients(w, lam):
    assert losslab.l1_penalty(w, lam) == pytest.approx(lam * np.abs(w).sum(), rel=1e-12)
    assert losslab.l2_penalty(w, lam) == pytest.approx(lam / 2 * (w**2).sum(), rel=1e-12)
    value, g = losslab.value_and_grad(losslab.l1_penalty)(w, lam)
    assert value == losslab.l1_penalty(w, lam)
    np.testing.assert_array_equal(g, lam * np.sign(w))
    value, g = losslab.value_and_grad(losslab.l2_penalty)(w, lam)
    assert value == losslab.l2_penalty(w, lam)
    np.testing.assert_allclose(g, lam * w, rtol=1e-15)


def test_gradients_match_numerical_away_from_kink():
    w = np.array([[0.5, -1.5], [2.0, -0.25]])
    for f in (losslab.l1_penalty, losslab.l2_penalty):
        num = losslab.numerical_gradient(lambda x, f=f: f(x, lam=0.3), w)
        np.testing.assert_allclose(losslab.grad(f)(w, lam=0.3), num, rtol=1e-8)


def test_l1_gradient_at_zero_is_zero_like_pytorch():
    assert losslab.grad(losslab.l1_penalty)([0.0, -0.0], lam=2.0).tolist() == [0.0, 0.0]


def test_catalog_w1_w2_only_l2_separates():
    # the regularization article: w1 and w2 give the same w @ x, only L2 prefers w2
    x = np.ones(4)
    w1, w2 = np.array([1.0, 0, 0, 0]), np.full(4, 0.25)
    assert w1 @ x == w2 @ x == 1.0
    assert (losslab.l2_penalty(w1, lam=2), losslab.l2_penalty(w2, lam=2)) == (1.0, 0.25)
    assert (losslab.l2_penalty(w1), losslab.l2_penalty(w2)) == (0.5, 0.125)
    assert losslab.l1_penalty(w1) == losslab.l1_penalty(w2) == 1.0


def test_catalog_prox_sparsity():
    # the regularization article: the L1 step sets small weights to exactly 0
    a = [0.3, -0.05, 1.2]
    l1 = losslab.prox_l1(a, 0.1)
    assert l1.tolist() == [0.19999999999999998, -0.0, 1.0999999999999999]
    assert l1[1] == 0
    l2 = losslab.prox_l2(a, 0.1)
    np.testing.assert_allclose(l2, [3 / 11, -1 / 22, 12 / 11], rtol=1e-15)
    assert np.all(l2 != 0)


@given(vectors, st.floats(0, 5), st.floats(-1, 1))
def test_prox_minimises_its_objective(a, lam, shift):
    for prox, pen in ((losslab.prox_l1, losslab.l1_penalty), (losslab.prox_l2, losslab.l2_penalty)):
        w = prox(a, lam)
        obj = lambda z, pen=pen: 0.5 * np.sum((z - a) ** 2) + pen(z, lam)  # noqa: E731
        best = obj(w)
        for other in (w + shift, w * (1 + shift), np.zeros_like(w), a):
            assert best <= obj(other) + 1e-9 * (1 + abs(best))


def test_lam_zero_and_dtypes():
    w32 = np.array([1.0, -2.0], dtype=np.float32)
    np.testing.assert_array_equal(losslab.prox_l1(w32, 0.0), w32)
    assert losslab.l1_penalty(w32, 0.5).dtype == np.float32
    assert losslab.l2_penalty(w32, 0.5).dtype == np.float32
    assert losslab.grad(losslab.l2_penalty)(w32, 0.5).dtype == np.float32
    assert losslab.prox_l1(w32, 0.5).dtype == np.float32
    assert losslab.prox_l2(w32, 0.5).dtype == np.float32
    assert losslab.l2_penalty([1, 2]).dtype == np.float64


def test_inputs_not_modified_and_registration():
    w = np.array([0.5, -1.0])
    wc = w.copy()
    for f in (losslab.l1_penalty, losslab.l2_penalty):
        losslab.value_and_grad(f)(w, 2.0)
        assert losslab.grad(f).wrt == "w"
    losslab.prox_l1(w, 0.1)
    losslab.prox_l2(w, 0.1)
    np.testing.assert_array_equal(w, wc)


@pytest.mark.parametrize("f", [losslab.l1_penalty, losslab.l2_penalty, losslab.prox_l1])
def test_bad_input(f):
    with pytest.raises(ValueError, match="`lam`"):
        f([1.0], -0.1)
    with pytest.raises(TypeError, match="`lam`"):
        f([1.0], "0.1")
    with pytest.raises(ValueError, match="contains inf"):
        f([np.inf], 0.1)


def test_l2_penalty_finite_when_w_squared_or_half_lam_leave_the_range():
    import mpmath
    import numpy as np

    import losslab

    for w, lam in (([1e155], 5e-324), ([1e160], 1e-300), ([3e200, -1e199], 1e-250)):
        exact = mpmath.mpf(lam) / 2 * sum(mpmath.mpf(x) ** 2 for x in w)
        got = losslab.l2_penalty(w, lam=lam)
        assert np.isfinite(got)
        assert abs(got - float(exact)) <= 4e-16 * float(exact)


def test_penalties_with_a_large_lam_overflow_to_inf_without_a_warning():
    import numpy as np

    import losslab

    w = [1e300, -1e300]
    for fn in (losslab.l1_penalty, losslab.l2_penalty):
        value, g = losslab.value_and_grad(fn)(w, lam=1e300)
        assert value == np.inf
        assert np.all(np.isfinite(g)) or fn is losslab.l2_penalty
        assert fn(w, lam=1e300) == np.inf


@pytest.mark.parametrize("lam", [1e39, 1e300])
def test_float32_lam_beyond_float32_range(lam):
    # the results are lam times float32 numbers, computed as in float64 and rounded once to
    # float32 (inf where beyond its range), with no warning
    w = np.array([1e-10, -2e-10, 0.0], np.float32)
    a = np.array([3e38, -1e30, 0.5], np.float32)
    w64, a64 = w.astype(np.float64), a.astype(np.float64)
    for fn in (losslab.l1_penalty, losslab.l2_penalty):
        value, g = losslab.value_and_grad(fn)(w, lam=lam)
        ref, ref_g = losslab.value_and_grad(fn)(w64, lam=lam)
        assert value.dtype == g.dtype == np.float32
        with np.errstate(over="ignore"):  # the reference rounds to inf beyond float32
            assert value == np.float32(ref)
            np.testing.assert_array_equal(g, ref_g.astype(np.float32))
    for fn in (losslab.prox_l1, losslab.prox_l2):
        out = fn(a, lam=lam)
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, fn(a64, lam=lam).astype(np.float32))
