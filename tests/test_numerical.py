"""numerical_diff and numerical_gradient: accuracy per dtype, no mutation, the NaN pitfall."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import losslab
from losslab import book

CASES = [
    (np.sin, np.cos),
    (np.exp, np.exp),
    (lambda x: x**3 - 2 * x, lambda x: 3 * x**2 - 2),
    (np.log1p, lambda x: 1 / (1 + x)),
]


@given(st.floats(0.1, 50), st.sampled_from(range(len(CASES))))
def test_diff_float64_accuracy(x, k):
    f, fp = CASES[k]
    assert losslab.numerical_diff(f, x) == pytest.approx(fp(x), rel=1e-7, abs=1e-7)


def test_diff_float32_stays_float32_and_beats_book_step():
    x = np.float32(1.3)
    f = lambda t: np.sin(t)  # noqa: E731
    d = losslab.numerical_diff(f, x)
    assert d.dtype == np.float32
    assert abs(d - np.cos(1.3)) < 1e-4
    # the book's h = 1e-4 in float32 is dominated by rounding
    assert abs(book.numerical_diff(f, x) - np.cos(1.3)) > abs(d - np.cos(1.3))


def test_diff_default_step_scales_with_x():
    # at x = 1e8 a fixed small step would vanish; the relative step keeps 6+ digits
    assert losslab.numerical_diff(lambda t: t**2, 1e8) == pytest.approx(2e8, rel=1e-6)


def test_gradient_matches_registered_gradients():
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    for reduction in ("mean", "sum"):
        num = losslab.numerical_gradient(
            lambda z, r=reduction: losslab.mse_loss(z, t, reduction=r), x
        )
        exact = losslab.grad(losslab.mse_loss)(x, t, reduction=reduction)
        np.testing.assert_allclose(num, exact, rtol=1e-8, atol=1e-10)


def test_gradient_any_shape_int_input_and_no_mutation():
    x = np.arange(6).reshape(1, 2, 3)
    before = x.copy()
    seen = []

    def f(z):
        seen.append(z)
        return np.sum(z**2)

    g = losslab.numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)
    assert g.dtype == np.float64 and g.shape == x.shape
    np.testing.assert_allclose(g, 2 * x, rtol=1e-9, atol=1e-9)
    assert len({id(z) for z in seen}) == len(seen)  # a fresh copy for every evaluation
    g32 = losslab.numerical_gradient(f, x.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, 2 * x, rtol=1e-3, atol=1e-3)


def test_book_step_gives_nan_at_zero_probability():
    # catalog pitfall: log(-1e-4 + 1e-7) is NaN, and 0 * NaN is NaN
    t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    y2 = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    loss = lambda y: book.cross_entropy_error(y, t)  # noqa: E731
    with pytest.warns(RuntimeWarning, match="invalid value"):
        g = book.numerical_gradient(loss, y2)
    np.testing.assert_array_equal(np.isnan(g), y2 == 0)
    g = losslab.numerical_gradient(loss, y2, h=1e-8)
    assert not np.isnan(g).any()
    assert g[2] == pytest.approx(-1 / (0.6 + 1e-7), rel=1e-6)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: losslab.numerical_diff(np.sin, [1.0, 2.0]), ValueError, "`x` has shape"),
        (lambda: losslab.numerical_diff(np.sin, 1.0, h=1e-30), ValueError, "`h`.*too small"),
        (lambda: losslab.numerical_diff(lambda x: [x, x], 1.0), ValueError, "`f` returned"),
        (lambda: losslab.numerical_diff(lambda x: "a", 1.0), TypeError, "`f` returned"),
        (lambda: losslab.numerical_gradient(lambda z: np.r_[z, z], [1.0]), ValueError, "`f`"),
        (lambda: losslab.numerical_gradient(np.sum, [1e20], h=1.0), ValueError, "too small"),
        (lambda: losslab.numerical_gradient(np.sum, [1.0], h=0), ValueError, "`h`"),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_registers_nothing():
    names = losslab.differentiable_functions()
    assert "numerical_diff" not in names and "numerical_gradient" not in names


def test_a_size_one_array_return_is_refused():
    import numpy as np
    import pytest

    from losslab.numerical import numerical_diff, numerical_gradient

    with pytest.raises(ValueError, match="`f` returned an array of shape"):
        numerical_diff(lambda x: np.array([x * x]), 1.0)
    with pytest.raises(ValueError, match="`f` returned an array of shape"):
        numerical_gradient(lambda x: np.array([x @ x]), np.array([1.0, 2.0]))
