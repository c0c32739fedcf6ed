"""Accuracy of poisson_nll_loss, gaussian_nll_loss and the multi-label losses against 50-digit
mpmath references (the method of tests/test_accuracy_oracle.py).

Errors are in ulps of a stated *scale*: ``|v - r| / (eps * scale)``. Each of these losses is a
sum or difference of a few terms that may cancel (``e^x - t x`` is smallest where the two are
equal), and no algorithm in the input precision does better than a few roundings of the
terms' size; so the scale of an element is the sum of the absolute values of its terms (from
the oracle), and the scale of a reduced value is the reduction of those. Gradients are bounded
the same way, at the sizes of their terms (``e^x - t`` cancels near the minimum).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import oracle
import pytest

import losslab

DTYPES = [np.float64, np.float32]
REDUCTIONS = ["mean", "sum", "none"]
mpf = mpmath.mpf


def _reduce(loss, reduction):
    if reduction == "none":
        return loss, mpf(1)
    total = mpmath.fsum(loss.ravel().tolist())
    if reduction == "sum":
        return total, mpf(1)
    return total / loss.size, mpf(1) / loss.size


def _ulps(got, ref, scale, dtype) -> float:
    eps = mpf(float(np.finfo(dtype).eps))
    tiny = mpf(float(np.finfo(dtype).tiny))
    got_a = np.asarray(got, dtype=np.float64).ravel().tolist()
    ref_a = np.broadcast_to(np.asarray(ref, dtype=object), np.shape(got)).ravel().tolist()
    sc_a = np.broadcast_to(np.asarray(scale, dtype=object), np.shape(got)).ravel().tolist()
    worst = 0.0
    for g, r, s in zip(got_a, ref_a, sc_a, strict=True):
        if math.isnan(g):
            return math.inf
        worst = max(worst, float(abs(mpf(g) - r) / (eps * max(abs(s), tiny))))
    return worst


def check(fn, kwargs, reference, *, wrt="input", value_ulps, grad_ulps):
    """losslab's value and gradient of ``fn`` against ``reference(**kwargs)``, which returns
    (value, gradient, value scale, gradient scale)."""
    dtype = np.asarray(kwargs[wrt]).dtype
    value, g = losslab.value_and_grad(fn, wrt=wrt)(**kwargs)
    with mpmath.workdps(oracle.DPS):
        ref_v, ref_g, scale, gscale = reference(**kwargs)
        assert np.asarray(value).dtype == dtype and g.dtype == dtype
        err_v = _ulps(value, ref_v, scale, dtype)
        err_g = _ulps(g, ref_g, gscale, dtype)
    assert err_v <= value_ulps, f"value: {err_v:.3g} ulps > {value_ulps}"
    assert err_g <= grad_ulps, f"gradient: {err_g:.3g} ulps > {grad_ulps}"
    return err_v, err_g


# --- poisson_nll_loss ----------------------------------------------------------------------------
# An element is e^x - t x (or x - t log(x + eps)), plus the Stirling term of t: exp/log are
# within an ulp or two, each product and sum adds one rounding, so an element is within a few
# ulps of the sum of its terms' sizes; the pairwise sum of 60 elements adds O(log2 60) roundings
# of the summed sizes: value <= 16 ulps. The gradient e^x - t (or 1 - t/(x + eps)) is one
# rounding of each term, one subtraction and the mean's scaling: <= 8 ulps of e^x + t.


def poisson_reference(input, target, log_input=True, full=False, eps=1e-8, reduction="mean"):
    x, t = oracle.to_mp(input), oracle.to_mp(target)
    e = mpf(float(np.asarray(eps, dtype=np.asarray(input).dtype)))
    loss = np.empty(x.shape, dtype=object)
    size = np.empty(x.shape, dtype=object)
    g = np.empty(x.shape, dtype=object)
    gsize = np.empty(x.shape, dtype=object)
    for i in np.ndindex(x.shape):
        if log_input:
            a, b = mpmath.exp(x[i]), t[i] * x[i]
            g[i], gsize[i] = a - t[i], a + t[i]
        else:
            a, b = x[i], (0 if t[i] == 0 else t[i] * mpmath.log(x[i] + e))
            g[i], gsize[i] = 1 - t[i] / (x[i] + e), 1 + t[i] / (x[i] + e)
        loss[i], size[i] = a - b, abs(a) + abs(b)
        if full and t[i] > 1:
            s = t[i] * mpmath.log(t[i]) - t[i] + mpmath.log(2 * mpmath.pi * t[i]) / 2
            loss[i] += s
            size[i] += abs(t[i] * mpmath.log(t[i])) + t[i] + abs(s)
    value, scale = _reduce(loss, reduction)
    return value, g * scale, _reduce(size, reduction)[0], gsize * scale


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("kind", ["moderate", "large-counts", "near-minimum"])
def test_poisson_nll_loss(kind, log_input, reduction, dtype):
    r = np.random.default_rng(11)
    t = r.integers(0, 10, 60).astype(float)
    if kind == "large-counts":
        t = r.uniform(0, 1e6, 60).round()
    rate = r.uniform(0.1, 5, 60) if kind != "near-minimum" else t + r.normal(size=60) * 1e-3
    rate = np.maximum(rate, 0.01)
    x = (np.log(rate) if log_input else rate).astype(dtype)
    kw = {"input": x, "target": t.astype(dtype), "log_input": log_input, "reduction": reduction}
    check(losslab.poisson_nll_loss, kw, poisson_reference, value_ulps=16, grad_ulps=8)
    check(
        losslab.poisson_nll_loss, {**kw, "full": True}, poisson_reference, value_ulps=16,
        grad_ulps=8,
    )  # fmt: skip


# --- gaussian_nll_loss ---------------------------------------------------------------------------
# An element is (log v + d^2 / v) / 2 with d = x - y one rounding: the terms log v and d^2/v
# are each within 2-3 ulps, their sum within a few ulps of |log v| + d^2/v; the pairwise sum of
# 48 elements adds a few more: value <= 16 ulps of the terms' size. The input gradient d / v is
# two roundings of a product of non-cancelling factors (4 ulps); the var gradient
# (1/v - d^2/v^2)/2 cancels where d^2 = v, so it is bounded at the size 1/v + d^2/v^2 of its
# terms, summed over the elements a shared variance covers: 16 ulps.


def _gaussian_reference(wrt):
    def reference(input, target, var, full=False, eps=1e-6, reduction="mean"):
        x, t = oracle.to_mp(input), oracle.to_mp(target)
        va = np.asarray(var, dtype=np.asarray(input).dtype)
        vb = va[..., None] if va.ndim and va.shape == x.shape[:-1] else va
        e = mpf(float(np.asarray(eps, dtype=va.dtype)))
        vm = np.frompyfunc(lambda a: max(a, e), 1, 1)(oracle.to_mp(np.broadcast_to(vb, x.shape)))
        d = x - t
        log_v = np.frompyfunc(mpmath.log, 1, 1)(vm)
        half = mpmath.log(2 * mpmath.pi) / 2 if full else 0
        loss = (log_v + d * d / vm) / 2 + half
        size = (np.frompyfunc(abs, 1, 1)(log_v) + d * d / vm) / 2 + half
        value, s = _reduce(loss, reduction)
        if wrt == "input":
            return value, d / vm * s, _reduce(size, reduction)[0], np.abs(d / vm) * s
        g = (1 / vm - d * d / (vm * vm)) / 2 * s
        gs = (1 / vm + d * d / (vm * vm)) / 2 * s
        axes = tuple(i for i in range(x.ndim) if vb.ndim and vb.shape[i] == 1 < x.shape[i])
        if not va.ndim:
            return value, g.sum(), _reduce(size, reduction)[0], gs.sum()
        g, gs = (a.sum(axis=axes, keepdims=True).reshape(va.shape) for a in (g, gs))
        return value, g, _reduce(size, reduction)[0], gs

    return reference


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(6, 8), (6,), (1, 8), ()], ids=str)
@pytest.mark.parametrize("wrt", ["input", "var"])
def test_gaussian_nll_loss(wrt, var_shape, reduction, dtype):
    r = np.random.default_rng(12)
    x = (r.normal(size=(6, 8)) * 3).astype(dtype)
    t = (x + r.normal(size=(6, 8)) * r.choice([1e-3, 1.0, 30.0], (6, 8))).astype(dtype)
    var = r.uniform(1e-7, 10, var_shape).astype(dtype)  # some below eps: clamped
    kw = {"input": x, "target": t, "var": var, "reduction": reduction}
    ref = _gaussian_reference(wrt)
    check(losslab.gaussian_nll_loss, kw, ref, wrt=wrt, value_ulps=16, grad_ulps=16)
    check(
        losslab.gaussian_nll_loss, {**kw, "full": True}, ref, wrt=wrt, value_ulps=16, grad_ulps=16
    )


# --- multi-label losses --------------------------------------------------------------------------
# multilabel_margin_loss: each hinge term 1 - x_j + x_d is two roundings and cancels where it is
# near 0, so the scale is 1 + |x_j| + |x_d| per active term; a row sums at most C^2 terms: value
# <= 16 ulps of the summed scales. Its gradient counts active pairs and divides by C and N: exact
# counts, two roundings (<= 2 ulps). multilabel_soft_margin_loss: softplus(x) - t x cancels for
# t = 1 and large x (it is softplus(-x) then), bounded at |softplus(x)| + |t x| per element;
# the gradient sigmoid(x) - t likewise at sigmoid(x) + t.


def multilabel_margin_reference(input, target, reduction="mean"):
    x = np.atleast_2d(oracle.to_mp(input))
    t = np.atleast_2d(np.asarray(target))
    n, c = x.shape
    loss, size = np.empty(n, dtype=object), np.empty(n, dtype=object)
    g = np.full(x.shape, mpf(0), dtype=object)
    for i in range(n):
        listed = []
        for j in t[i]:
            if j < 0:
                break
            listed.append(int(j))
        loss[i], size[i] = mpf(0), mpf(0)
        for j in listed:
            for d in range(c):
                z = 1 - x[i, j] + x[i, d]
                if d not in listed and z > 0:
                    loss[i] += z / c
                    size[i] += (1 + abs(x[i, j]) + abs(x[i, d])) / c
                    g[i, d] += mpf(1) / c
                    g[i, j] -= mpf(1) / c
    value, s = _reduce(loss, reduction)
    if np.ndim(input) == 1:
        value = value[0] if reduction == "none" else value
        g = g[0]
    scale = _reduce(size, reduction)[0]
    if np.ndim(input) == 1 and reduction == "none":
        scale = scale[0]
    return value, g * s, scale, np.frompyfunc(abs, 1, 1)(g * s) + mpf(1) / c * s


def multilabel_soft_reference(input, target, weight=None, reduction="mean"):
    x, t = oracle.to_mp(input), oracle.to_mp(target)
    w = np.broadcast_to(mpf(1) if weight is None else oracle.to_mp(weight), x.shape)
    c = x.shape[-1]
    sp_ = np.frompyfunc(lambda z: mpmath.log1p(mpmath.exp(z)), 1, 1)(x)
    sig = np.frompyfunc(lambda z: 1 / (1 + mpmath.exp(-z)), 1, 1)(x)
    ab = np.frompyfunc(abs, 1, 1)
    loss = (w * (sp_ - t * x)).sum(axis=-1) / c
    size = (w * (sp_ + ab(t * x))).sum(axis=-1) / c
    value, s = _reduce(np.atleast_1d(loss), reduction)
    gs = w * (sig + t) / c * s
    return value, w * (sig - t) / c * s, _reduce(np.atleast_1d(size), reduction)[0], gs


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("scale", [1.0, 1e3])
def test_multilabel_margin_loss(scale, reduction, dtype):
    r = np.random.default_rng(13)
    x = (r.normal(size=(8, 6)) * scale).astype(dtype)
    t = np.full((8, 6), -1)
    for i in range(8):
        k = int(r.integers(0, 7))
        t[i, :k] = r.choice(6, k, replace=False)
    kw = {"input": x, "target": t, "reduction": reduction}
    check(losslab.multilabel_margin_loss, kw, multilabel_margin_reference, value_ulps=16,
          grad_ulps=2)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("scale", [1.0, 30.0])
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_loss(weighted, scale, reduction, dtype):
    r = np.random.default_rng(14)
    x = (r.normal(size=(8, 6)) * scale).astype(dtype)
    t = r.integers(0, 2, (8, 6)).astype(dtype)
    w = r.uniform(0.1, 2, 6).astype(dtype) if weighted else None
    kw = {"input": x, "target": t, "weight": w, "reduction": reduction}
    check(losslab.multilabel_soft_margin_loss, kw, multilabel_soft_reference, value_ulps=16,
          grad_ulps=8)  # fmt: skip
