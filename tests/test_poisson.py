"""poisson_nll_loss: values against mpmath, gradients, options, edge cases and validation."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import losslab


def _mp_loss(x, t, log_input, full, eps):
    """One element's loss at 50 digits (mpmath), from the likelihood's definition."""
    with mpmath.workdps(50):
        x, t = mpmath.mpf(float(x)), mpmath.mpf(float(t))
        if log_input:
            out = mpmath.exp(x) - t * x
        else:
            out = x - (0 if t == 0 else t * mpmath.log(x + mpmath.mpf(eps)))
        if full and t > 1:
            out += t * mpmath.log(t) - t + mpmath.log(2 * mpmath.pi * t) / 2
        return float(out)


@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_values_match_mpmath(log_input, full):
    rng = np.random.default_rng(3)
    x = rng.uniform(-3, 3, 40) if log_input else rng.uniform(0, 5, 40)
    t = rng.integers(0, 8, 40).astype(float)
    t[:4] = [0.5, 1.0, 1.5, 2.0]  # around the Stirling term's threshold t > 1
    got = losslab.poisson_nll_loss(x, t, log_input=log_input, full=full, reduction="none")
    ref = [_mp_loss(a, b, log_input, full, 1e-8) for a, b in zip(x, t, strict=True)]
    np.testing.assert_allclose(got, ref, rtol=1e-14, atol=1e-14)


def test_stirling_term_only_where_target_above_1():
    t = np.array([0.0, 0.5, 1.0, 1.0000001, 2.0, 10.0])
    x = np.zeros_like(t)
    extra = losslab.poisson_nll_loss(x, t, full=True, reduction="none") - losslab.poisson_nll_loss(
        x, t, reduction="none"
    )
    assert np.all(extra[:3] == 0)
    # For an integer count the term approximates log t! (Stirling), from below by < 1/(12 t).
    for k in (2, 10):
        gap = math.lgamma(k + 1) - extra[t == k][0]
        assert 0 < gap < 1 / (12 * k)


def test_log_input_and_rate_agree():
    rate = np.array([0.2, 1.0, 4.0])
    counts = np.array([0.0, 3.0, 1.0])
    a = losslab.poisson_nll_loss(np.log(rate), counts, reduction="none")
    b = losslab.poisson_nll_loss(rate, counts, log_input=False, eps=0.0, reduction="none")
    np.testing.assert_allclose(a, b, rtol=1e-15)


@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradient_matches_central_differences(log_input, full, reduction):
    rng = np.random.default_rng(5)
    x = rng.uniform(-2, 2, (3, 4)) if log_input else rng.uniform(0.5, 3, (3, 4))
    t = rng.integers(0, 5, (3, 4)).astype(float)
    kw = {"log_input": log_input, "full": full, "reduction": reduction}
    g = losslab.grad(losslab.poisson_nll_loss)(x, t, **kw)
    num = losslab.numerical_gradient(
        lambda z: float(np.sum(losslab.poisson_nll_loss(z, t, **kw))), x
    )
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)


def test_eps_enters_only_the_rate_form():
    x, t = np.array([0.5, 2.0]), np.array([1.0, 3.0])
    assert losslab.poisson_nll_loss(x, t, eps=0.5) == losslab.poisson_nll_loss(x, t)
    v0 = losslab.poisson_nll_loss(x, t, log_input=False, eps=0.0, reduction="none")
    v1 = losslab.poisson_nll_loss(x, t, log_input=False, eps=0.5, reduction="none")
    np.testing.assert_allclose(v1, x - t * np.log(x + 0.5))
    assert np.all(v1 < v0)


@pytest.mark.filterwarnings("error")
def test_zero_rate_without_eps():
    x, t = np.array([0.0, 0.0]), np.array([0.0, 2.0])
    value, g = losslab.value_and_grad(losslab.poisson_nll_loss)(
        x, t, log_input=False, eps=0.0, reduction="none"
    )
    assert value[0] == 0.0 and value[1] == np.inf  # 0 log 0 = 0; a count at rate 0: inf
    assert g[0] == 1.0 and g[1] == -np.inf


@pytest.mark.filterwarnings("error")
def test_float32_exp_overflow_is_inf_without_warning():
    x = np.array([100.0, 0.0], dtype=np.float32)
    out = losslab.poisson_nll_loss(x, np.array([1.0, 1.0], dtype=np.float32), reduction="none")
    assert out.dtype == np.float32 and out[0] == np.inf and out[1] == 1.0


def test_float32_kept_and_inputs_untouched():
    x = np.array([0.5, 1.0, 2.0], dtype=np.float32)
    t = np.array([0, 1, 3])  # integer counts follow the input's dtype
    before = x.copy(), t.copy()
    for log_input in (True, False):
        v, g = losslab.value_and_grad(losslab.poisson_nll_loss)(
            x, t, log_input=log_input, full=True
        )
        assert v.dtype == np.float32 and g.dtype == np.float32
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(t, before[1])


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"target": [1.0, -1.0]}, ValueError, "`target`"),
        ({"input": [-0.5, 1.0], "log_input": False}, ValueError, "`input`"),
        ({"eps": -1e-8}, ValueError, "`eps`"),
        ({"eps": "1"}, TypeError, "`eps`"),
        ({"log_input": 1}, TypeError, "`log_input`"),
        ({"full": "yes"}, TypeError, "`full`"),
        ({"target": [1.0, 2.0, 3.0]}, ValueError, "`target`"),
    ],
)
def test_bad_input_names_the_argument(kwargs, exc, name):
    args = {"input": [0.5, 1.0], "target": [1.0, 2.0], **kwargs}
    with pytest.raises(exc, match=f"^{name}"):
        losslab.poisson_nll_loss(**args)


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        losslab.poisson_nll_loss([0.0], [1.0], False)  # type: ignore[misc]
