import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import losslab

KL_EX = 0.35667494393873245  # S003-KL-ex: -ln 0.7
P = [[0.0, 0.0, 0.0, 1.0]]
LOGQ = np.log([[0.1, 0.1, 0.1, 0.7]])
vg = losslab.value_and_grad(losslab.kl_div)


def test_catalog_example_and_reductions():
    assert losslab.kl_div(LOGQ, P, reduction="batchmean") == pytest.approx(KL_EX, rel=1e-15)
    assert losslab.kl_div(LOGQ, P, reduction="sum") == pytest.approx(KL_EX, rel=1e-15)
    assert losslab.kl_div(LOGQ, P) == pytest.approx(KL_EX / 4, rel=1e-15)
    none = losslab.kl_div(LOGQ, P, reduction="none")
    assert none.shape == (1, 4) and np.all(none[0, :3] == 0)  # 0 log 0 = 0, no nan
    log_p = np.log([[0.5, 0.5]])
    assert losslab.kl_div(np.log([[0.25, 0.75]]), log_p, log_target=True) == pytest.approx(
        losslab.kl_div(np.log([[0.25, 0.75]]), [[0.5, 0.5]])
    )


def test_batchmean_on_1d_divides_by_length_like_torch():
    x, t = np.log([0.5, 0.5]), np.array([0.25, 0.75])
    assert losslab.kl_div(x, t, reduction="batchmean") == pytest.approx(
        losslab.kl_div(x, t, reduction="sum") / 2
    )


@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_gradient_matches_central_difference(reduction, log_target):
    rng = np.random.default_rng(0)
    x = losslab.log_softmax(rng.normal(size=(3, 4)), axis=1)
    t = rng.dirichlet(np.ones(4), size=3)
    t[0, 1] = 0.0
    if log_target:
        t = np.log(t + 0.1)
    kw = {"reduction": reduction, "log_target": log_target}
    value, g = vg(x, t, **kw)
    np.testing.assert_array_equal(value, losslab.kl_div(x, t, **kw))
    num = losslab.numerical_gradient(lambda a: np.sum(losslab.kl_div(a, t, **kw)), x)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-9)


def test_float32_preserved_and_inputs_not_modified():
    x = np.log(np.array([[0.2, 0.8]], dtype=np.float32))
    t = np.array([[0.5, 0.5]], dtype=np.float32)
    xc, tc = x.copy(), t.copy()
    value, g = vg(x, t)
    assert value.dtype == np.float32 and g.dtype == np.float32
    assert losslab.kl_div(x, t.astype(np.float64)).dtype == np.float64
    np.testing.assert_array_equal(x, xc)
    np.testing.assert_array_equal(t, tc)


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        ((LOGQ, [[0.5, 0.5]]), {}, ValueError, r"`target` has shape \(1, 2\)"),
        ((LOGQ, [[1.5, 0, 0, 0]]), {}, ValueError, "`target` has values in"),
        ((LOGQ, [[0.5, 0.1, 0, 0]]), {"log_target": True}, ValueError, "`target` has a value"),
        ((LOGQ, P), {"log_target": 1}, TypeError, "`log_target`"),
        ((LOGQ, P), {"reduction": "avg"}, ValueError, "`reduction` is 'avg'"),
        (([[np.nan, 0.0, 0.0, 0.0]], P), {}, ValueError, "`input` contains NaN"),
        (([[-np.inf, 0.0, 0.0, 0.0]], P), {}, ValueError, "`input` contains inf"),
        (([[True, False]], [[0.5, 0.5]]), {}, TypeError, "`input` has dtype bool"),
        (([], []), {}, ValueError, "`input` is empty"),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        losslab.kl_div(*args, **kwargs)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 5), st.integers(2, 6), st.integers(0, 2**32 - 1))
def test_nonnegative_on_distributions_and_zero_at_target(n, c, seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(c), size=n)
    q = rng.dirichlet(np.ones(c), size=n)
    assert losslab.kl_div(np.log(q), p, reduction="batchmean") >= -1e-15
    assert losslab.kl_div(np.log(p), p, reduction="sum") == pytest.approx(0, abs=1e-14)
    assert losslab.kl_div(np.log(q), p) == pytest.approx(
        losslab.kl_div(np.log(q), p, reduction="sum") / p.size, rel=1e-12, abs=1e-300
    )
