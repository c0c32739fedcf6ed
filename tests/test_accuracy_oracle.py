"""Accuracy of every loss and gradient against a 50-digit mpmath reference (tests/oracle.py).

How errors are measured. The inputs are exact binary floats; the oracle computes the exact
answer (to 50 digits) from them. For a value ``v`` with reference ``r`` the error in *ulps* is

    |v - r| / (eps * |r|)            eps = np.finfo(dtype).eps (2.2e-16 float64, 1.2e-7 float32)

and each function has its bound ``ulps``. Where the problem itself is ill conditioned (a rounding
of the inputs at relative size eps moves the answer by much more than eps), the bound is scaled by
the condition number with respect to the prediction argument,

    kappa = sum_i |x_i * d value / d x_i| / |value|,

computed from the oracle's own gradient; the stated bound is then ``ulps * max(1, kappa)``.
Gradients with an entry computed by cancellation (``softmax - onehot`` at the target class,
where p is near 1) are bounded *normwise*: ``max |g - g_ref| <= ulps * eps * max |g_ref|``.
The inputs are the regimes of each function's row in the case table (tests/cases.py), in both
dtypes and every reduction; the bounds are in ``BOUNDS``, each with its justification.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass

import cases
import mpmath
import numpy as np
import oracle
import pytest

import losslab
from losslab import _registry, book

DTYPES = [np.float64, np.float32]
RNG_SEED = 20240611


def _fn(name: str):
    return getattr(losslab, name)


def _ulps(got, ref, dtype, floor=None) -> float:
    """Largest error of ``got`` against the mpmath ``ref``, in units of eps * max(|ref|, floor).

    ``floor`` is at least the smallest normal number of ``dtype``: a result below it (exp(-1e4),
    say) may underflow to a subnormal or to 0, which costs an absolute error of that size.
    """
    eps = mpmath.mpf(float(np.finfo(dtype).eps))
    tiny = mpmath.mpf(float(np.finfo(dtype).tiny))
    floor = tiny if floor is None else max(mpmath.mpf(floor), tiny)
    got_a = np.asarray(got, dtype=np.float64)
    ref_a = np.asarray(ref, dtype=object)
    worst = mpmath.mpf(0)
    for g, r in zip(got_a.ravel().tolist(), ref_a.ravel().tolist(), strict=True):
        if math.isnan(g):
            return math.inf
        scale = max(abs(r), floor)
        err = abs(mpmath.mpf(g) - r)
        if err == 0:
            continue
        if scale == 0:
            return math.inf
        worst = max(worst, err / (eps * scale))
    return float(worst)


def _kappa(x, value, grad) -> float:
    """Condition number of a scalar value with respect to ``x`` (from the oracle)."""
    xs = oracle.to_mp(x).ravel().tolist()
    gs = np.asarray(grad, dtype=object).ravel().tolist()
    num = mpmath.fsum(abs(a * b) for a, b in zip(xs, gs, strict=True))
    return float(num / abs(value)) if value != 0 else math.inf


def check(
    name,
    kwargs,
    *,
    wrt="input",
    value_ulps,
    grad_ulps,
    normwise_grad=False,
    conditioned=False,
    ref=None,
):
    """Compare ``losslab.value_and_grad(name)(**kwargs)`` with the oracle of the same name."""
    fn = _fn(name)
    dtype = np.asarray(kwargs[wrt]).dtype
    value, g = losslab.value_and_grad(fn)(**kwargs)
    ref_v, ref_g = (ref or getattr(oracle, name))(**kwargs)
    assert np.asarray(value).dtype == dtype, f"{name}: value dtype {np.asarray(value).dtype}"
    assert np.asarray(g).dtype == dtype, f"{name}: gradient dtype {np.asarray(g).dtype}"
    assert np.shape(g) == np.shape(kwargs[wrt])
    bound = value_ulps
    if conditioned and not isinstance(ref_v, np.ndarray):
        bound = value_ulps * max(1.0, _kappa(kwargs[wrt], ref_v, ref_g))
    err_v = _ulps(value, ref_v, dtype)
    assert err_v <= bound, f"{name} value: {err_v:.3g} ulps > {bound:.3g}"
    floor = max(abs(v) for v in np.asarray(ref_g, dtype=object).ravel()) if normwise_grad else None
    err_g = _ulps(g, ref_g, dtype, floor=floor)
    assert err_g <= grad_ulps, f"{name} gradient: {err_g:.3g} ulps > {grad_ulps}"
    return err_v, err_g


REDUCTIONS = ["mean", "sum", "none"]


@dataclass(frozen=True)
class Bound:
    value_ulps: float
    grad_ulps: float
    normwise_grad: bool = False
    conditioned: bool = False


# Bounds per function (the inputs are the regimes of its row in tests/cases.py); the reasoning
# for each group is next to it. A regime missing from OVERRIDES takes its function's bound.
BOUNDS: dict[str, Bound] = {}
OVERRIDES: dict[tuple[str, str], Bound] = {}

# Regression losses. d = x - t is one correctly rounded subtraction (relative error <= eps/2
# whatever the size of x and t), the square or |.| adds at most one rounding, and NumPy's
# pairwise summation of n nonnegative terms adds O(log2 n) roundings in the worst case (far fewer
# in practice); the mean divides once. Nonnegative terms make the sum perfectly conditioned, so for
# n = 60: value <= 8 ulps. Gradients are one product of d by a rounded constant (2/n, 1/n,
# 1/beta): <= 4 ulps per element. Huber and smooth L1: both branches are polynomial in d with
# positive terms (delta*(|d| - delta/2) >= delta^2/2 > 0), so the same bounds apply; the linear
# branch subtracts delta/2 from |d| >= delta, losing at most one more ulp.
for _name in ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"):
    BOUNDS[_name] = Bound(8, 4)

# sigmoid / log_sigmoid are elementwise: sigma(x) = 1/(1+e^-x) has condition number
# |x| sigma(-x) <= 1.3 for x > 0 but |x| for large negative x; the stable forms (exp(-|x|),
# log1p) keep the error to a few ulps times that condition number. Inputs up to |x| = 30 (plus
# +-1e4 for the saturated ends) keep kappa <= 30: a flat 64 ulps on the value and gradient is
# generous, and 4 ulps at |x| <= 1 (the "moderate" regime).
for _name in ("sigmoid", "log_sigmoid"):
    BOUNDS[_name] = Bound(64, 64)
    OVERRIDES[_name, "moderate"] = Bound(4, 4)

# cross_entropy: loss_n = lse(x_n) - x_{n,y} has condition number
# kappa = sum_j |x_j (p_j - [j=y])| / loss, which can be large (logits of size 1e4 with a loss of
# order 1), and no algorithm working in the input precision beats it, so value bound =
# 8 ulps * max(1, kappa) (kappa computed from the oracle). The gradient p - onehot is computed
# with an absolute error of a few eps at the target entry (1 - p_y cancels when p_y ~ 1): bound
# 8 ulps normwise. nll_loss: a selection, a sign and a (weighted) sum of nonnegative terms:
# 8 ulps; gradient -w/denom: 4.
BOUNDS["cross_entropy"] = Bound(8, 8, normwise_grad=True, conditioned=True)
BOUNDS["nll_loss"] = Bound(8, 4)

# Binary cross-entropy: log(1-p) is ill conditioned near p = 1 (1-p is exact for p >= 1/2 by
# Sterbenz, so no error is added there); with t in [0, 1] the two terms are nonnegative: value
# <= 8 ulps. The gradient (p - t) / (p (1 - p)) subtracts p - t, which cancels when p ~ t:
# normwise 8 ulps. With logits, softplus(x) = max(x, 0) + log1p(e^-|x|) is accurate to a few
# ulps for every x; t softplus(-x) + (1-t) softplus(x) has nonnegative terms: value 8 ulps; the
# gradient sigma(x) - t cancels when sigma(x) ~ t: normwise 8 ulps.
BOUNDS["binary_cross_entropy"] = Bound(8, 8, normwise_grad=True)
BOUNDS["binary_cross_entropy_with_logits"] = Bound(8, 8, normwise_grad=True)

# Margin losses: piecewise linear (or quadratic for p = 2) in differences of inputs; each hinge
# term is a nonnegative rounding of margin - x_y + x_j (two roundings): value 8 ulps; gradient
# entries are sums of at most C constants: 8 ulps. soft margin is softplus(-y x): as BCE with
# logits.
BOUNDS["multi_margin_loss"] = Bound(8, 8, conditioned=True)
BOUNDS["soft_margin_loss"] = Bound(8, 8, normwise_grad=True)
BOUNDS["hinge_embedding_loss"] = Bound(8, 4, conditioned=True)

# Divergences: KL(p||q) = sum p log(p/q) has terms of both signs; its condition number with
# respect to q is sum p / KL, unbounded as q -> p, so the value bound is 8 ulps * max(1, kappa).
# Entropy and cross-entropy have nonnegative terms: 8 ulps. Gradients -p/q and -(log p + 1):
# 8 ulps (normwise for the entropy gradient, which cancels at p = 1/e). kl_div's
# p (log p - input) is conditioned as KL; its gradient -p is exact.
BOUNDS["cross_entropy_pq"] = Bound(8, 8)
BOUNDS["kl_divergence"] = Bound(8, 8, conditioned=True)
BOUNDS["entropy"] = Bound(8, 8, normwise_grad=True)
BOUNDS["kl_div"] = Bound(8, 4, conditioned=True)

# Functions with an oracle checked by a test of their own below (an entrywise bound).
OWN_TEST = {"softmax", "log_softmax"}

ENTRIES = {e.name: e for e in _registry.entries()}


def test_every_oracle_has_a_bound():
    """Every registered function with an mpmath reference in tests/oracle.py is checked here."""
    with_oracle = {name for name in ENTRIES if callable(getattr(oracle, name, None))}
    missing = with_oracle - set(BOUNDS) - OWN_TEST
    assert not missing, f"functions with an oracle but no bound: {sorted(missing)}"
    assert set(BOUNDS) <= with_oracle


def _params() -> list:
    out = []
    for name in BOUNDS:
        takes_reduction = "reduction" in inspect.signature(ENTRIES[name].function).parameters
        for regime in cases.regimes(name):
            fixed = "reduction" in cases.draw(name, regime) or not takes_reduction
            for reduction in [None] if fixed else REDUCTIONS:
                for dtype in DTYPES:
                    ids = f"{name}-{regime}-{reduction}-{np.dtype(dtype).name}"
                    out.append(pytest.param(name, regime, reduction, dtype, id=ids))
    return out


@pytest.mark.parametrize(("name", "regime", "reduction", "dtype"), _params())
def test_value_and_gradient_against_the_oracle(name, regime, reduction, dtype):
    kwargs = cases.draw(name, regime, dtype, seed=RNG_SEED)
    if reduction is not None:
        kwargs["reduction"] = reduction
    bound = OVERRIDES.get((name, regime), BOUNDS[name])
    check(
        name,
        kwargs,
        wrt=ENTRIES[name].wrt[0],
        value_ulps=bound.value_ulps,
        grad_ulps=bound.grad_ulps,
        normwise_grad=bound.normwise_grad,
        conditioned=bound.conditioned,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("regime", list(cases.regimes("softmax")))
def test_softmax_and_log_softmax(regime, dtype):
    # softmax_j = exp(z_j), z_j = x_j - lse(x). exp has condition number |z_j|: the unavoidable
    # absolute error of eps * |z_j| in the exponent becomes a relative error |z_j| eps, so each
    # entry is bounded by 8 ulps * max(1, |z_j|) (z from the oracle). Entries below the
    # smallest normal number may underflow (see _ulps).
    # log_softmax_j = x_j - lse(x) cancels when x_j ~ lse: with an absolute error of a few eps
    # times max(|x_j|, |lse|), bounded normwise by 8 ulps of max|x| (plus 8 ulps of 1, for the
    # log of the row sum when x is small). Its gradient (of the sum) 1 - C softmax_j is bounded
    # normwise by 8 ulps of C.
    kwargs = cases.draw("softmax", regime, dtype, seed=RNG_SEED)
    x, axis = kwargs["x"], kwargs["axis"]
    got = losslab.softmax(**kwargs)
    assert got.dtype == dtype
    ref_log = oracle.log_softmax(x, axis=axis)
    ref = oracle.softmax(x, axis=axis)
    for g, r, z in zip(got.ravel(), ref.ravel(), ref_log.ravel(), strict=True):
        assert _ulps(g, r, dtype) <= 8 * max(1.0, abs(float(z)))
    got = losslab.log_softmax(**kwargs)
    assert got.dtype == dtype
    assert _ulps(got, ref_log, dtype, floor=1.0 + float(np.abs(x).max())) <= 8
    g = losslab.grad(losslab.log_softmax)(**kwargs)
    ref_g = 1 - x.shape[axis] * ref
    assert _ulps(g, ref_g, dtype, floor=float(x.shape[axis])) <= 8


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_at_0_and_1(dtype):
    """p in {0, 1}: the log is clamped at -100, as in PyTorch (the oracle does the same)."""
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=dtype)
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0], dtype=dtype)
    got = losslab.binary_cross_entropy(p, t, reduction="none")
    ref, _ = oracle.binary_cross_entropy(p, t, reduction="none")
    assert _ulps(got, ref, dtype, floor=1.0) <= 4


# --- float32 at scale: no BLAS shortcut that costs accuracy ---------------------------------------
# A float32 sum of 1e5 positive terms by pairwise summation has a worst-case relative error of
# about log2(1e5) * eps ~ 17 eps and typically a few eps; a plain dot product (BLAS) or a naive
# running sum drifts by sqrt(N) eps ~ 300 eps or more. The reference here is float64 with
# math.fsum (error < 1e-15 relative, i.e. < 1e-8 float32 ulps, negligible).


@pytest.mark.parametrize("name", ["mse_loss", "cross_entropy", "binary_cross_entropy_with_logits"])
def test_float32_large_n_is_as_accurate_as_float32_allows(name):
    fn = _fn(name)
    r = np.random.default_rng(RNG_SEED)
    n = 100_000
    if name == "cross_entropy":
        x = r.normal(size=(n, 10)).astype(np.float32)
        labels = r.integers(0, 10, size=n)
        x64 = x.astype(np.float64)
        lse = np.log(np.exp(x64).sum(axis=1))
        per = lse - x64[np.arange(n), labels]
        args = (x, labels)
    elif name == "mse_loss":
        x = r.normal(size=n).astype(np.float32)
        t = r.normal(size=n).astype(np.float32)
        per = (x.astype(np.float64) - t) ** 2
        args = (x, t)
    else:
        x = r.normal(size=n).astype(np.float32) * 3
        t = r.uniform(0, 1, size=n).astype(np.float32)
        x64 = x.astype(np.float64)
        per = np.logaddexp(0, x64) - t * x64
        args = (x, t)
    ref = math.fsum(per.tolist()) / n
    got = fn(*args)
    assert got.dtype == np.float32
    err = abs(float(got) - ref) / (abs(ref) * float(np.finfo(np.float32).eps))
    assert err <= 16, f"{name} float32 mean over 1e5: {err:.1f} ulps"


# --- the articles' delta = 1e-7 -------------------------------------------------------------------
# The book functions reproduce the articles, delta included; the main API has no delta.

Y2 = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
T = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]


def test_book_keeps_delta_and_main_api_does_not():
    got = book.cross_entropy_error(np.array(Y2), np.array(T))
    ref = oracle.book_cross_entropy_error(Y2, T)  # -log(0.6 + 1e-7)
    assert _ulps(got, ref, np.float64) <= 2
    # the main API: -log(0.6) exactly rounded, no delta
    main = losslab.cross_entropy_pq(np.array(T, dtype=float), np.array(Y2))
    exact = -mpmath.log(mpmath.mpf(0.6))
    assert _ulps(main, exact, np.float64) <= 2
    # delta moves the answer by 1e-7/0.6 = 1.67e-7, some 1e9 ulps
    assert abs(float(got) - float(main)) == pytest.approx(1e-7 / 0.6, rel=1e-6)
    nll = losslab.nll_loss(np.log(np.array([[*Y2[2:3], 0.4]])), np.array([0]))
    assert _ulps(nll, exact, np.float64) <= 2
