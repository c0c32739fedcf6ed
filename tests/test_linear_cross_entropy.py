"""linear_cross_entropy: equal to the naive logits-then-cross_entropy, in chunks."""

from __future__ import annotations

import numpy as np
import pytest

import losslab
from losslab import linear_cross_entropy as lce_module  # noqa: F401

MOD = __import__("sys").modules["losslab.linear_cross_entropy"]


def _naive(x, w, y, b=None, **kw):
    z = x @ w.T + (0 if b is None else b)
    return losslab.value_and_grad(losslab.cross_entropy)(z, y, **kw)


@pytest.mark.parametrize("chunk", [1, 3, 7, 64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_equals_naive(monkeypatch, chunk, reduction, smoothing):
    monkeypatch.setattr(MOD, "CHUNK", chunk)
    rng = np.random.default_rng(chunk)
    n, d, vocab = 5, 3, 11
    x, w, b = rng.normal(size=(n, d)), rng.normal(size=(vocab, d)), rng.normal(size=vocab)
    cw = rng.uniform(0.5, 2.0, vocab)
    y = rng.integers(0, vocab, n)
    kw = {"reduction": reduction, "label_smoothing": smoothing}
    value, gx = losslab.value_and_grad(losslab.linear_cross_entropy)(
        x, w, y, linear_bias=b, weight=cw, **kw
    )
    want, gz = _naive(x, w, y, b, weight=cw, **kw)
    np.testing.assert_allclose(value, want, rtol=1e-12)
    np.testing.assert_allclose(gx, gz @ w, rtol=1e-10, atol=1e-13)
    gw = losslab.grad(losslab.linear_cross_entropy, wrt="linear_weight")(
        x, w, y, linear_bias=b, weight=cw, **kw
    )
    np.testing.assert_allclose(gw, gz.T @ x, rtol=1e-10, atol=1e-13)


def test_float32_stays_float32():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=(6, 3)).astype(np.float32)
    value, g = losslab.value_and_grad(losslab.linear_cross_entropy)(x, w, [0, 1, 2, 5])
    assert value.dtype == np.float32 and g.dtype == np.float32


@pytest.mark.parametrize(
    ("change", "exc", "name"),
    [
        ({"input": np.zeros(3)}, ValueError, "input"),
        ({"linear_weight": np.zeros((6, 2))}, ValueError, "linear_weight"),
        ({"target": [0, 1, 2, 6]}, ValueError, "target"),
        ({"target": [0.0, 1.0, 2.0, 3.0]}, TypeError, "target"),
        ({"linear_bias": np.zeros(5)}, ValueError, "linear_bias"),
        ({"weight": -np.ones(6)}, ValueError, "weight"),
        ({"label_smoothing": 1.5}, ValueError, "label_smoothing"),
        ({"reduction": "avg"}, ValueError, "reduction"),
        ({"ignore_index": 1.0}, TypeError, "ignore_index"),
    ],
)
def test_bad_input(change, exc, name):
    kwargs = {"input": np.ones((4, 3)), "linear_weight": np.ones((6, 3)), "target": [0, 1, 2, 5]}
    kwargs.update(change)
    with pytest.raises(exc) as info:
        losslab.linear_cross_entropy(**kwargs)
    assert str(info.value).startswith(f"`{name}`")


@pytest.mark.parametrize(
    ("target", "kwargs"),
    [
        ([1, 1, 1, 1], {"ignore_index": 1}),
        ([0, 1, 2, 5], {"weight": np.array([0.0, 0.0, 0.0, 1.0, 1.0, 0.0])}),
        ([0, 1, 2, 5], {"weight": np.zeros(6), "label_smoothing": 0.1}),
    ],
    ids=["all-ignored", "zero-weights", "zero-weights-smoothing"],
)
@pytest.mark.parametrize("grad", [False, True])
def test_mean_over_nothing_is_refused_like_cross_entropy(target, kwargs, grad):
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(4, 3)), rng.normal(size=(6, 3))
    with pytest.raises(ValueError) as expected:
        losslab.cross_entropy(x @ w.T, np.array(target), **kwargs)
    fn = losslab.linear_cross_entropy
    if grad:
        fn = losslab.value_and_grad(fn)
    with pytest.raises(ValueError) as info:
        fn(x, w, np.array(target), **kwargs)
    assert str(info.value) == str(expected.value)
    assert str(info.value).startswith("`target`")


def test_sympy_gradient_is_the_chunked_form():
    pytest.importorskip("sympy")
    from losslab.symbolic import linear_cross_entropy as sym

    assert sym.proof()
