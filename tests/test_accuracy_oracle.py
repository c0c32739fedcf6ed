"""Accuracy of every loss and gradient against a 50-digit mpmath reference (tests/oracle.py).

How errors are measured. The inputs are exact binary floats; the oracle computes the exact
answer (to 50 digits) from them. For a value ``v`` with reference ``r`` the error in *ulps* is

    |v - r| / (eps * |r|)            eps = np.finfo(dtype).eps (2.2e-16 float64, 1.2e-7 float32)

and each test states its bound ``ulps``. Where the problem itself is ill conditioned (a rounding
of the inputs at relative size eps moves the answer by much more than eps), the bound is scaled by
the condition number with respect to the prediction argument,

    kappa = sum_i |x_i * d value / d x_i| / |value|,

computed from the oracle's own gradient; the stated bound is then ``ulps * max(1, kappa)``.
Gradients with an entry computed by cancellation (``softmax - onehot`` at the target class,
where p is near 1) are bounded *normwise*: ``max |g - g_ref| <= ulps * eps * max |g_ref|``.
The justification for each bound is next to its test.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import oracle
import pytest

import losslab

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


def _rng():
    return np.random.default_rng(RNG_SEED)


REDUCTIONS = ["mean", "sum", "none"]


# --- regression losses ---------------------------------------------------------------------------
# d = x - t is one correctly rounded subtraction (relative error <= eps/2 whatever the size of x and
# t), the square or |.| adds at most one rounding, and NumPy's pairwise summation of n nonnegative
# terms adds O(log2 n) roundings in the worst case (far fewer in practice); the mean divides once.
# Nonnegative terms make the sum perfectly conditioned, so for n = 60: value <= 8 ulps.
# Gradients are one product of d by a rounded constant (2/n, 1/n, 1/beta): <= 4 ulps per element.

REGRESSION_INPUTS = {
    "random": lambda r: (r.normal(size=(6, 10)), r.normal(size=(6, 10))),
    "tiny-residuals": lambda r: (r.normal(size=60) * 1e-15, np.zeros(60)),
    "huge-residuals": lambda r: (r.normal(size=60) * 1e15, np.zeros(60)),
    "close-pairs": lambda r: ((t := r.normal(size=60)) + r.normal(size=60) * 1e-9, t),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", list(REGRESSION_INPUTS))
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
def test_regression_losses(name, kind, reduction, dtype):
    x, t = (a.astype(dtype) for a in REGRESSION_INPUTS[kind](_rng()))
    check(name, {"input": x, "target": t, "reduction": reduction}, value_ulps=8, grad_ulps=4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("width", [0.5, 1.0, 3.0])
def test_huber_and_smooth_l1(width, reduction, dtype):
    # Residuals straddle the threshold; both branches are polynomial in d with positive terms
    # (delta*(|d| - delta/2) >= delta^2/2 > 0), so the bounds of the regression losses apply;
    # the linear branch subtracts delta/2 from |d| >= delta, losing at most one more ulp.
    r = _rng()
    x = (r.normal(size=(5, 12)) * 2 * width).astype(dtype)
    t = np.zeros_like(x)
    check(
        "huber_loss",
        {"input": x, "target": t, "reduction": reduction, "delta": width},
        value_ulps=8,
        grad_ulps=4,
    )
    check(
        "smooth_l1_loss",
        {"input": x, "target": t, "reduction": reduction, "beta": width},
        value_ulps=8,
        grad_ulps=4,
    )


# --- activations ---------------------------------------------------------------------------------
# sigmoid / log_sigmoid are elementwise: sigma(x) = 1/(1+e^-x) has condition number
# |x| sigma(-x) <= 1.3 for x > 0 but |x| for large negative x; the stable forms
# (exp(-|x|), log1p) keep the error to a few ulps times that condition number. Inputs
# up to |x| = 30 (plus +-1e4 for the saturated ends) keep kappa <= 30: bound 4*max(1, |x|) ulps
# is generous, so we use a flat 64 ulps on the value and gradient of both, and 4 ulps at |x|<=1.


def _activation_inputs(dtype):
    r = _rng()
    return {
        "moderate": r.uniform(-1, 1, size=40).astype(dtype),
        "wide": r.uniform(-30, 30, size=40).astype(dtype),
        "saturated": np.array([-1e4, -50.0, 50.0, 1e4], dtype=dtype),
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["moderate", "wide", "saturated"])
@pytest.mark.parametrize("name", ["sigmoid", "log_sigmoid"])
def test_sigmoid_family(name, kind, dtype):
    x = _activation_inputs(dtype)[kind]
    ulps = 4 if kind == "moderate" else 64
    check(name, {"x": x}, wrt="x", value_ulps=ulps, grad_ulps=ulps)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
def test_softmax_and_log_softmax(scale, dtype):
    # softmax_j = exp(z_j), z_j = x_j - lse(x). exp has condition number |z_j|: the unavoidable
    # absolute error of eps * |z_j| in the exponent becomes a relative error |z_j| eps, so each
    # entry is bounded by 8 ulps * max(1, |z_j|) (z from the oracle). Entries below the
    # smallest normal number may underflow (see _ulps).
    # log_softmax_j = x_j - lse(x) cancels when x_j ~ lse: with an absolute error of a few eps
    # times max(|x_j|, |lse|), bounded normwise by 8 ulps of max|x| (plus 8 ulps of 1, for the
    # log of the row sum when x is small). Its gradient (of the sum) 1 - C softmax_j is bounded
    # normwise by 8 ulps of C.
    x = (_rng().normal(size=(8, 10)) * scale).astype(dtype)
    got = _fn("softmax")(x, axis=1)
    assert got.dtype == dtype
    ref_log = oracle.log_softmax(x, axis=1)
    ref = oracle.softmax(x, axis=1)
    for g, r, z in zip(got.ravel(), ref.ravel(), ref_log.ravel(), strict=True):
        assert _ulps(g, r, dtype) <= 8 * max(1.0, abs(float(z)))
    got = _fn("log_softmax")(x, axis=1)
    assert got.dtype == dtype
    assert _ulps(got, ref_log, dtype, floor=1.0 + float(np.abs(x).max())) <= 8
    g = losslab.grad(losslab.log_softmax)(x, axis=1)
    ref_g = 1 - x.shape[1] * ref
    assert _ulps(g, ref_g, dtype, floor=float(x.shape[1])) <= 8


# --- cross-entropy -------------------------------------------------------------------------------
# loss_n = lse(x_n) - x_{n,y}: its condition number kappa = sum_j |x_j (p_j - [j=y])| / loss can be
# large (logits of size 1e4 with a loss of order 1), and no algorithm working in the input
# precision beats it, so value bound = 8 ulps * max(1, kappa) (kappa computed from the oracle).
# The gradient p - onehot is computed with an absolute error of a few eps at the target entry
# (1 - p_y cancels when p_y ~ 1): bound 8 ulps normwise.


def _logits(kind, dtype, n=12, c=10):
    r = _rng()
    if kind == "random":
        x = r.normal(size=(n, c)) * 3
    elif kind == "extreme":  # +-1e4: exp overflows without the max shift
        x = r.choice([-1e4, 0.0, 1e4], size=(n, c)) + r.normal(size=(n, c))
    else:  # "confident": the target logit far above the rest, loss ~ e^-20
        x = r.normal(size=(n, c))
    return x.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", ["random", "extreme", "confident"])
def test_cross_entropy_labels(kind, reduction, dtype):
    x = _logits(kind, dtype)
    labels = _rng().integers(0, x.shape[1], size=x.shape[0])
    if kind == "confident":
        x[np.arange(x.shape[0]), labels] += dtype(25.0)
    kw = {"input": x, "target": labels, "reduction": reduction}
    check("cross_entropy", kw, value_ulps=8, grad_ulps=8, normwise_grad=True, conditioned=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_weights_ignore_smoothing_probabilities(dtype):
    x = _logits("random", dtype)
    r = _rng()
    labels = r.integers(0, 10, size=x.shape[0])
    labels[3] = -100
    w = r.uniform(0.5, 2.0, size=10).astype(dtype)
    kw = {"input": x, "target": labels, "weight": w}
    check("cross_entropy", kw, value_ulps=8, grad_ulps=8, normwise_grad=True, conditioned=True)
    labels[3] = 1
    kw = {"input": x, "target": labels, "label_smoothing": 0.1}
    check("cross_entropy", kw, value_ulps=8, grad_ulps=8, normwise_grad=True, conditioned=True)
    probs = r.dirichlet(np.ones(10), size=x.shape[0]).astype(dtype)
    kw = {"input": x, "target": probs}
    check("cross_entropy", kw, value_ulps=8, grad_ulps=8, normwise_grad=True, conditioned=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction, dtype):
    # A selection, a sign and a (weighted) sum of nonnegative terms: 8 ulps; gradient -w/denom: 4.
    x = np.log(_rng().dirichlet(np.ones(10), size=12)).astype(dtype)
    labels = _rng().integers(0, 10, size=12)
    w = _rng().uniform(0.5, 2.0, size=10).astype(dtype)
    kw = {"input": x, "target": labels, "weight": w, "reduction": reduction}
    check("nll_loss", kw, value_ulps=8, grad_ulps=4)


# --- binary cross-entropy -------------------------------------------------------------------------
# BCE(p, t) = -(t log p + (1-t) log(1-p)): log(1-p) is ill conditioned near p = 1 (1-p is exact
# for p >= 1/2 by Sterbenz, so no error is added there); with t in [0, 1] the two terms are
# nonnegative: value <= 8 ulps. The gradient (p - t) / (p (1 - p)) subtracts p - t, which
# cancels when p ~ t: normwise 8 ulps. p in {0, 1} is PyTorch's clamp of the log at -100.


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction, dtype):
    r = _rng()
    p = r.uniform(0.01, 0.99, size=(6, 8)).astype(dtype)
    t = r.uniform(0, 1, size=(6, 8)).astype(dtype)
    kw = {"input": p, "target": t, "reduction": reduction}
    check("binary_cross_entropy", kw, value_ulps=8, grad_ulps=8, normwise_grad=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_at_0_and_1(dtype):
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=dtype)
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0], dtype=dtype)
    fn = _fn("binary_cross_entropy")
    got = fn(p, t, reduction="none")
    ref, _ = oracle.binary_cross_entropy(p, t, reduction="none")
    assert _ulps(got, ref, dtype, floor=1.0) <= 4


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", ["random", "extreme"])
def test_binary_cross_entropy_with_logits(kind, reduction, dtype):
    # softplus(x) = max(x, 0) + log1p(e^-|x|) is accurate to a few ulps for every x; the loss
    # t softplus(-x) + (1-t) softplus(x) has nonnegative terms: value 8 ulps. The gradient
    # sigma(x) - t cancels when sigma(x) ~ t: normwise 8 ulps.
    r = _rng()
    x = r.normal(size=(6, 8)) * 3
    if kind == "extreme":
        x = r.choice([-1e4, 1e4], size=(6, 8)) + x
    x = x.astype(dtype)
    t = r.uniform(0, 1, size=(6, 8)).astype(dtype)
    kw = {"input": x, "target": t, "reduction": reduction}
    check("binary_cross_entropy_with_logits", kw, value_ulps=8, grad_ulps=8, normwise_grad=True)
    pw = r.uniform(0.5, 3, size=8).astype(dtype)
    kw = {"input": x, "target": t, "reduction": reduction, "pos_weight": pw}
    check("binary_cross_entropy_with_logits", kw, value_ulps=8, grad_ulps=8, normwise_grad=True)


# --- margin losses -------------------------------------------------------------------------------
# Piecewise linear (or quadratic for p = 2) in differences of inputs; each hinge term is a
# nonnegative rounding of margin - x_y + x_j (two roundings): value 8 ulps; gradient entries are
# sums of at most C constants: 8 ulps. soft margin is softplus(-y x): as BCE with logits.


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_losses(reduction, dtype):
    r = _rng()
    x = r.normal(size=(6, 5)).astype(dtype)
    labels = r.integers(0, 5, size=6)
    for p in (1, 2):
        kw = {"input": x, "target": labels, "p": p, "reduction": reduction}
        check("multi_margin_loss", kw, value_ulps=8, grad_ulps=8, conditioned=True)
    y = r.choice([-1.0, 1.0], size=(6, 5)).astype(dtype)
    kw = {"input": x, "target": y, "reduction": reduction}
    check("soft_margin_loss", kw, value_ulps=8, grad_ulps=8, normwise_grad=True)
    check("hinge_embedding_loss", kw, value_ulps=8, grad_ulps=4, conditioned=True)


# --- divergences ---------------------------------------------------------------------------------
# KL(p||q) = sum p log(p/q) has terms of both signs; its condition number with respect to q is
# sum p / KL, unbounded as q -> p, so the value bound is 8 ulps * max(1, kappa). Entropy and
# cross-entropy have nonnegative terms: 8 ulps. Gradients -p/q and -(log p + 1): 8 ulps
# (normwise for the entropy gradient, which cancels at p = 1/e).


def _dists(dtype, zeros=False):
    r = _rng()
    p = r.dirichlet(np.ones(6), size=5)
    q = r.dirichlet(np.ones(6), size=5)
    if zeros:
        p[:, :2] = 0.0
        p /= p.sum(axis=1, keepdims=True)
    return p.astype(dtype), q.astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("base", [None, 2.0])
@pytest.mark.parametrize("zeros", [False, True])
def test_information(zeros, base, dtype):
    p, q = _dists(dtype, zeros)
    check(
        "cross_entropy_pq",
        {"p": p, "q": q, "base": base},
        wrt="q",
        value_ulps=8,
        grad_ulps=8,
    )
    check(
        "kl_divergence",
        {"p": p, "q": q, "base": base},
        wrt="q",
        value_ulps=8,
        grad_ulps=8,
        conditioned=True,
    )
    if not zeros:  # d/dp of -p log p is -inf at p = 0: no finite reference
        check("entropy", {"p": p, "base": base}, wrt="p", value_ulps=8, grad_ulps=8,
              normwise_grad=True)  # fmt: skip


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
def test_kl_div(reduction, dtype):
    # p (log p - input): terms of both signs, conditioned as KL above; gradient -p is exact.
    p, q = _dists(dtype, zeros=True)
    kw = {"input": np.log(q), "target": p, "reduction": reduction}
    check("kl_div", kw, value_ulps=8, grad_ulps=4, conditioned=True)


# --- float32 at scale: no BLAS shortcut that costs accuracy ---------------------------------------
# A float32 sum of 1e5 positive terms by pairwise summation has a worst-case relative error of
# about log2(1e5) * eps ~ 17 eps and typically a few eps; a plain dot product (BLAS) or a naive
# running sum drifts by sqrt(N) eps ~ 300 eps or more. The reference here is float64 with
# math.fsum (error < 1e-15 relative, i.e. < 1e-8 float32 ulps, negligible).


@pytest.mark.parametrize("name", ["mse_loss", "cross_entropy", "binary_cross_entropy_with_logits"])
def test_float32_large_n_is_as_accurate_as_float32_allows(name):
    fn = _fn(name)
    r = _rng()
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
    book = pytest.importorskip("losslab.book")
    fn = getattr(book, "cross_entropy_error", None)
    if fn is None:
        pytest.skip("losslab.book.cross_entropy_error is not written yet")
    got = fn(np.array(Y2), np.array(T))
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
