"""gaussian_nll_loss: values, the eps clamp, var shapes, gradients for every argument,
validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import losslab

SHAPE = (3, 4)
VAR_SHAPES = [(3, 4), (3,), (3, 1), (1, 4), ()]


def _point(var_shape, seed=0):
    rng = np.random.default_rng(seed)
    x, t = rng.normal(size=(2, *SHAPE))
    var = rng.uniform(0.2, 2.0, var_shape)
    return x, t, var


def test_full_is_minus_the_normal_log_density():
    x, t, var = _point(SHAPE)
    got = losslab.gaussian_nll_loss(x, t, var, full=True, reduction="none")
    np.testing.assert_allclose(got, -stats.norm.logpdf(t, x, np.sqrt(var)), rtol=1e-14)
    plain = losslab.gaussian_nll_loss(x, t, var, reduction="none")
    np.testing.assert_allclose(got - plain, 0.5 * math.log(2 * math.pi), rtol=1e-14)


@pytest.mark.parametrize("var_shape", VAR_SHAPES)
def test_shared_variances_equal_the_broadcast_array(var_shape):
    x, t, var = _point(var_shape)
    full = np.broadcast_to(var[..., None] if var_shape == (3,) else var, SHAPE)
    np.testing.assert_allclose(
        losslab.gaussian_nll_loss(x, t, var, reduction="none"),
        losslab.gaussian_nll_loss(x, t, full, reduction="none"),
        rtol=1e-15,
    )


def test_python_number_var():
    x, t, _ = _point(SHAPE)
    assert losslab.gaussian_nll_loss(x, t, 0.5) == losslab.gaussian_nll_loss(
        x, t, np.full(SHAPE, 0.5)
    )
    assert losslab.gaussian_nll_loss(x, t, 2) == losslab.gaussian_nll_loss(x, t, 2.0)


def test_eps_clamps_the_variance_rather_than_adding_to_it():
    x, t = np.array([0.0, 0.0, 0.0]), np.array([1.0, 1.0, 1.0])
    var = np.array([0.0, 1e-7, 1.0])
    got = losslab.gaussian_nll_loss(x, t, var, eps=1e-6, reduction="none")
    v = np.array([1e-6, 1e-6, 1.0])  # max(var, eps); var + eps would change the last one
    np.testing.assert_allclose(got, 0.5 * (np.log(v) + 1 / v), rtol=1e-15)
    assert got[2] == 0.5


@pytest.mark.parametrize("var_shape", VAR_SHAPES)
@pytest.mark.parametrize("wrt", ["input", "target", "var"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradients_match_central_differences(var_shape, wrt, reduction):
    x, t, var = _point(var_shape, seed=1)
    args = {"input": x, "target": t, "var": var}
    fn = losslab.gaussian_nll_loss
    g = losslab.grad(fn, wrt=wrt)(x, t, var, full=True, reduction=reduction)

    def f(z):
        return float(np.sum(fn(**{**args, wrt: z}, full=True, reduction=reduction)))

    np.testing.assert_allclose(g, losslab.numerical_gradient(f, args[wrt]), rtol=1e-6, atol=1e-8)
    assert np.shape(g) == np.shape(args[wrt])


def test_var_gradient_at_the_clamp_is_taken_at_eps():
    # PyTorch clamps outside autograd: the gradient is d/dv at v = eps, not 0.
    g = losslab.grad(losslab.gaussian_nll_loss, wrt="var")([0.0], [1e-2], [0.0], reduction="sum")
    np.testing.assert_allclose(g, [0.5 * (1 / 1e-6 - 1e-4 / 1e-12)], rtol=1e-12)


def test_float32_kept_and_inputs_untouched():
    x, t, var = (a.astype(np.float32) for a in _point((3,)))
    before = [a.copy() for a in (x, t, var)]
    for wrt in ("input", "target", "var"):
        value, g = losslab.value_and_grad(losslab.gaussian_nll_loss, wrt=wrt)(x, t, var)
        assert value.dtype == np.float32 and g.dtype == np.float32
    value, g = losslab.value_and_grad(losslab.gaussian_nll_loss, wrt="var")(x, t, 0.5)
    assert value.dtype == np.float32 and g.dtype == np.float32 and np.ndim(g) == 0
    for a, b in zip((x, t, var), before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"var": -0.5}, ValueError, "`var`"),
        ({"var": np.array([[1.0], [-1.0], [1.0]])}, ValueError, "`var`"),
        ({"var": np.ones(4)}, ValueError, "`var`"),  # not input.shape[:-1]
        ({"var": np.ones((3, 2))}, ValueError, "`var`"),
        ({"var": np.ones((1, 1))}, ValueError, "`var`"),  # two dimensions differ
        ({"var": True}, TypeError, "`var`"),
        ({"var": np.full((3, 4), np.nan)}, ValueError, "`var`"),
        ({"target": np.ones((3, 3))}, ValueError, "`target`"),
        ({"eps": 0.0}, ValueError, "`eps`"),
        ({"eps": "1"}, TypeError, "`eps`"),
        ({"full": 1}, TypeError, "`full`"),
        ({"reduction": "avg"}, ValueError, "`reduction`"),
    ],
)
def test_bad_input_names_the_argument(kwargs, exc, name):
    x, t, var = _point(SHAPE)
    args = {"input": x, "target": t, "var": var, **kwargs}
    with pytest.raises(exc, match=f"^{name}"):
        losslab.gaussian_nll_loss(**args)


def test_wrt_must_be_a_data_argument():
    with pytest.raises(ValueError, match="`wrt`"):
        losslab.grad(losslab.gaussian_nll_loss, wrt="eps")


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_extreme_finite_inputs_are_quiet(reduction):
    # input - target overflows; the loss 0.5 (log v + d^2 / v) is finite (about 1.18e308).
    big = 1e308
    fn = losslab.gaussian_nll_loss
    got = fn([big], [-big], [1.7e308], reduction=reduction)
    want = 0.5 * math.log(1.7e308) + 2.0 * (big * (big / 1.7e308))  # (2 big)^2 / 2 v
    assert float(np.ravel(got)[0]) == pytest.approx(want, rel=1e-15)
    g = losslab.grad(fn)([big], [-big], [1.7e308], reduction=reduction)
    assert float(np.ravel(g)[0]) == pytest.approx(2 * (big / 1.7e308), rel=1e-15)
    # Exactly beyond the range: inf, without a warning.
    assert np.isposinf(fn([big, -big], [-big, big], [1e-300, 1.0], reduction=reduction)).all()


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_float32_beyond_its_range_is_inf_quietly(reduction):
    x, t, var = (np.float32(a) for a in ([3e38, 1.0], [-3e38, 0.0], [1.0, 1.0]))
    got = losslab.gaussian_nll_loss(x, t, var, reduction=reduction)
    assert got.dtype == np.float32 and np.isposinf(got).any()
    # eps beyond float32's range clamps every variance to inf, as a float32 cast does.
    got = losslab.gaussian_nll_loss(x[1:], t[1:], var[1:], eps=1e39, reduction=reduction)
    assert got.dtype == np.float32 and np.isposinf(got).all()


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"target": [0.0, 0.0, 0.0]}, "target"),  # a shape before the NaN
        ({"var": [1.0, 1.0, 1.0]}, "var"),
        ({"reduction": "avg"}, "reduction"),  # an option before the NaN
        ({"var": [1.0, -1.0], "reduction": "avg"}, "reduction"),
        ({"var": [1.0, -1.0]}, "input"),  # values: input's NaN before var's sign
    ],
)
def test_types_shapes_and_options_are_checked_before_values(kwargs, name):
    call = {"input": [np.nan, 1.0], "target": [0.0, 0.0], "var": [1.0, 1.0], **kwargs}
    with pytest.raises(ValueError, match=rf"^`{name}`"):
        losslab.gaussian_nll_loss(**call)
