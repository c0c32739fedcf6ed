"""Accuracy of the losses beyond torch.nn.functional (focal, log-cosh, pinball, Dice, Tversky)
against 50-digit mpmath references written from their definitions.

Errors are measured as in tests/test_accuracy_oracle.py (``check``: ulps of the result dtype,
gradients normwise where an entry is a difference of nearly equal terms). The bounds:

* log-cosh: one subtraction, then ``log1p(2 sinh^2(r/2))`` or ``|r| + log1p(e^{-2|r|}) - log 2``
  (the last two terms are below 1 and |r| >= 1, so no cancellation beyond a factor 2), then a
  sum of nonnegative terms: value 8 ulps; the gradient is ``tanh(r)`` scaled: 4 ulps.
* pinball: one subtraction and one product per element, nonnegative terms: value 8 ulps; the
  gradient is a constant per element: 2 ulps.
* focal: sigma, 1 - sigma, the softplus cross-entropy and ``m ** gamma`` each add a few
  roundings (``pow`` amplifies the relative error of ``m`` by ``gamma``): value 32 ulps; the
  gradient's bracket subtracts nearly equal terms where sigma(x) ~ t: normwise 32 ulps.
* Dice/Tversky: the sums are nonnegative, the ratio N/D is taken once and 1 - N/D cancels when
  the masks nearly agree: value normwise (floor 1) 16 ulps; gradient normwise 16 ulps.
"""

from __future__ import annotations

import mpmath
import numpy as np
import oracle
import pytest
from test_accuracy_oracle import check

ONE = oracle.ONE
DTYPES = [np.float64, np.float32]
REDUCTIONS = ["mean", "sum", "none"]


def _rng():
    return np.random.default_rng(20261206)


def _each(f, *arrays):
    """``f`` applied entry by entry to object arrays of mpf, as an object array."""
    return np.frompyfunc(f, len(arrays), 1)(*arrays)


@oracle._with_precision
def log_cosh_ref(input, target, reduction="mean"):
    r = oracle.to_mp(input) - oracle.to_mp(target)
    value, s = oracle._reduce(_each(lambda v: mpmath.log(mpmath.cosh(v)), r), reduction)
    return value, _each(mpmath.tanh, r) * s


@oracle._with_precision
def pinball_ref(input, target, alpha=0.5, reduction="mean"):
    a = mpmath.mpf(float(alpha))
    r = oracle.to_mp(target) - oracle.to_mp(input)
    loss = _each(lambda v: max(a * v, (a - 1) * v), r)
    value, s = oracle._reduce(loss, reduction)
    return value, _each(lambda v: -a if v > 0 else 1 - a, r) * s


@oracle._with_precision
def focal_ref(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    x, t = oracle.to_mp(inputs), oracle.to_mp(targets)
    g = mpmath.mpf(float(gamma))

    def one(xv, tv):
        p = ONE / (1 + mpmath.exp(-xv))
        ce = tv * mpmath.log1p(mpmath.exp(-xv)) + (1 - tv) * mpmath.log1p(mpmath.exp(xv))
        m = tv * (1 - p) + (1 - tv) * p
        w = ONE if alpha < 0 else alpha * tv + (1 - mpmath.mpf(alpha)) * (1 - tv)
        dm = p * (1 - p) * (1 - 2 * tv)
        return w * m**g * ce, w * (g * m ** (g - 1) * dm * ce + m**g * (p - tv))

    pairs = _each(one, x, t)
    loss = _each(lambda q: q[0], pairs)
    value, s = oracle._reduce(loss, reduction)
    return value, _each(lambda q: q[1], pairs) * s


@oracle._with_precision
def overlap_ref(input, target, coef, a, b, smooth_nr, smooth_dr, per_sample, reduction):
    p, t = oracle.to_mp(input), oracle.to_mp(target)
    rows = [slice(k, k + 1) for k in range(p.shape[0])] if per_sample else [slice(None)]
    losses, grads = [], np.empty(p.shape, dtype=object)
    for sl in rows:
        ps, ts = p[sl], t[sl]
        inter = mpmath.fsum((ps * ts).ravel().tolist())
        fp = mpmath.fsum((ps * (1 - ts)).ravel().tolist())
        fn = mpmath.fsum(((1 - ps) * ts).ravel().tolist())
        num = coef * inter + mpmath.mpf(smooth_nr)
        den = coef * inter + a * fp + b * fn + mpmath.mpf(smooth_dr)
        losses.append(1 - num / den)
        grads[sl] = (num * (coef * ts + a * (1 - ts) - b * ts) - coef * ts * den) / den**2
    arr = np.empty(len(losses), dtype=object)
    arr[:] = losses
    if not per_sample:
        arr = arr.reshape(())
    value, s = oracle._reduce(arr, reduction)
    return value, grads * s


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("scale", [1e-6, 1.0, 300.0])
def test_log_cosh(scale, reduction, dtype):
    r = _rng()
    x, y = (r.normal(size=(4, 8)) * scale).astype(dtype), np.zeros((4, 8), dtype)
    kw = {"input": x, "target": y, "reduction": reduction}
    check("log_cosh_loss", kw, value_ulps=8, grad_ulps=4, ref=log_cosh_ref)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.9])
def test_pinball(alpha, reduction, dtype):
    r = _rng()
    x, y = r.normal(size=(4, 8)).astype(dtype), r.normal(size=(4, 8)).astype(dtype)
    kw = {"input": x, "target": y, "alpha": alpha, "reduction": reduction}
    check("pinball_loss", kw, value_ulps=8, grad_ulps=4, ref=pinball_ref)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2.0), (-1.0, 0.5), (0.6, 3.0)])
def test_focal(alpha, gamma, reduction, dtype):
    r = _rng()
    x = (r.normal(size=(4, 8)) * 4).astype(dtype)
    t = r.uniform(size=(4, 8))
    t[:2] = np.round(t[:2])
    kw = {"inputs": x, "targets": t.astype(dtype), "alpha": alpha, "gamma": gamma}
    kw["reduction"] = reduction
    check(
        "sigmoid_focal_loss",
        kw,
        wrt="inputs",
        value_ulps=32,
        grad_ulps=32,
        normwise_grad=True,
        ref=focal_ref,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("per_sample", [True, False])
@pytest.mark.parametrize("name", ["dice_loss", "tversky_loss"])
def test_dice_and_tversky(name, per_sample, reduction, dtype):
    r = _rng()
    p, t = r.uniform(size=(3, 10)).astype(dtype), np.round(r.uniform(size=(3, 10))).astype(dtype)
    kw = {"input": p, "target": t, "smooth_nr": 1e-5, "smooth_dr": 1e-5}
    kw.update(per_sample=per_sample, reduction=reduction)
    coef, a, b = (2, 1, 1) if name == "dice_loss" else (1, 0.3, 0.7)
    if name == "tversky_loss":
        kw.update(alpha=0.3, beta=0.7)

    def ref(**k):
        return overlap_ref(
            k["input"], k["target"], coef, a, b, 1e-5, 1e-5, per_sample, k["reduction"]
        )

    check(name, kw, value_ulps=16, grad_ulps=16, normwise_grad=True, ref=ref)
