"""gradient_descent: the regularization article's iterates, stopping rules, path, callback,
validation."""

import numpy as np
import pytest

import losslab


def fprime(x):
    return 4 * x**3 - 6 * x + 1


def test_catalog_quadratic_path():
    # gradient 2(w - 3) from w = 0 with lr 0.1: w_k = 3(1 - 0.8^k)
    r = losslab.gradient_descent(lambda w: 2 * (w - 3), 0.0, lr=0.1, max_iter=5)
    assert r.path.tolist() == [0.0, 0.6000000000000001, 1.08, 1.464, 1.7711999999999999, 2.01696]
    np.testing.assert_allclose(r.path, 3 * (1 - 0.8 ** np.arange(6)), rtol=1e-14)
    assert (r.n_iter, r.reason, r.converged) == (5, "max_iter", False)
    assert r.x == r.path[-1] and isinstance(r.x, np.float64)


@pytest.mark.parametrize(
    ("x0", "x", "n"), [(-2.0, -1.3008395666045112, 130), (2.0, 1.1309011236225572, 200)]
)
def test_catalog_local_minima(x0, x, n):
    # f'(x) = 4x^3 - 6x + 1 from x = -2 and x = 2: two local minima
    r = losslab.gradient_descent(fprime, x0, lr=0.01, tol=1e-8, max_iter=10000)
    assert (r.x, r.n_iter, r.reason, r.converged) == (x, n, "tol", True)
    assert abs(fprime(r.x)) < 1e-8 <= abs(fprime(r.path[-2]))
    assert r.path.shape == (n + 1,)


def test_catalog_iteration_limit():
    r = losslab.gradient_descent(fprime, 2.0, lr=0.01, tol=1e-8, max_iter=3)
    assert (r.x, r.n_iter, r.reason, r.converged) == (1.5651588069976374, 3, "max_iter", False)


def test_start_at_stationary_point_and_converged_on_last_step():
    r = losslab.gradient_descent(lambda w: 2 * (w - 3), 3.0, tol=0.0 + 1e-12)
    assert (r.n_iter, r.reason, r.path.shape) == (0, "tol", (1,))
    # lr = 0.5 on (w-3)^2 lands exactly on 3 after one step: the final check sees it
    r = losslab.gradient_descent(lambda w: 2 * (w - 3), 0.0, lr=0.5, max_iter=1, tol=1e-12)
    assert (r.x, r.n_iter, r.reason) == (3.0, 1, "tol")


def test_arrays_callback_and_no_mutation():
    x0 = np.array([[1.0, -2.0], [0.5, 4.0]])
    before = x0.copy()
    calls = []
    r = losslab.gradient_descent(
        lambda x: x, x0, lr=0.5, max_iter=4, callback=lambda k, x: calls.append((k, x))
    )
    np.testing.assert_array_equal(x0, before)
    np.testing.assert_allclose(r.x, x0 / 16)
    assert r.path.shape == (5, 2, 2)
    assert [k for k, _ in calls] == [1, 2, 3, 4]
    np.testing.assert_array_equal(calls[-1][1], r.x)
    calls[-1][1][0, 0] = 99.0  # the callback's copy does not alias the result
    assert r.x[0, 0] != 99.0


def test_tol_uses_max_norm():
    grads = iter([np.array([1e-3, 1e-3]), np.array([5e-9, -5e-9])])
    r = losslab.gradient_descent(lambda x: next(grads), np.zeros(2), lr=1.0, tol=1e-8)
    assert (r.n_iter, r.reason) == (1, "tol")


def test_float32_preserved():
    r = losslab.gradient_descent(lambda w: 2 * (w - 3), np.float32(0.0), lr=0.1, max_iter=3)
    assert r.path.dtype == np.float32 and r.x.dtype == np.float32


def test_divergence_raises_clear_error():
    with (
        np.errstate(over="ignore", invalid="ignore"),
        pytest.raises(ValueError, match="`grad` returned a non-finite value"),
    ):
        losslab.gradient_descent(fprime, 2.0, lr=1.0, max_iter=1000)


def test_result_is_frozen():
    r = losslab.gradient_descent(lambda w: w, 1.0, max_iter=1)
    with pytest.raises(AttributeError):
        r.x = 2.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"lr": 0.0}, ValueError, "`lr`"),
        ({"lr": float("inf")}, ValueError, "`lr`"),
        ({"max_iter": 0}, ValueError, "`max_iter`"),
        ({"max_iter": 2.0}, TypeError, "`max_iter`"),
        ({"tol": -1.0}, ValueError, "`tol`"),
        ({"callback": 3}, TypeError, "`callback`"),
    ],
)
def test_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        losslab.gradient_descent(lambda w: w, 1.0, **kwargs)


def test_bad_grad():
    with pytest.raises(TypeError, match="`grad`"):
        losslab.gradient_descent(None, 1.0)
    with pytest.raises(ValueError, match="`grad` returned shape"):
        losslab.gradient_descent(lambda w: np.ones(2), 1.0)
    with pytest.raises(ValueError, match="`x0` contains NaN"):
        losslab.gradient_descent(lambda w: w, np.nan)


def test_divergence_raises_naming_lr_without_warning():
    with pytest.raises(ValueError, match=r"`lr` is 10.0 and the iteration diverged"):
        losslab.gradient_descent(lambda w: 2 * (w - 3), 0.0, lr=10.0, max_iter=2000)
