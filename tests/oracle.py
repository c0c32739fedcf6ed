"""mpmath reference implementations (50 significant digits) of every losslab loss and gradient.

A plain module the accuracy tests import. Every function takes NumPy arrays, reads each float as
the exact binary number it stores (``mpmath.mpf(float)`` is exact), computes in 50-digit
arithmetic and returns ``(value, gradient)``:

* ``value`` is an ``mpf`` for ``reduction='mean'``/``'sum'`` and an object array of ``mpf`` for
  ``'none'``;
* ``gradient`` is an object array of ``mpf`` shaped like the prediction argument: the derivative of
  the reduced value, or of the *sum* of the unreduced values for ``'none'`` (PyTorch's
  ``loss.sum().backward()``), as in DEVELOPERS.md.

The formulas follow ``torch.nn.functional`` (the contract of the main API); they are written
independently of losslab, straight from the definitions, with no attempt at numerical care (50
digits make that unnecessary for the inputs the tests use). ``to_float`` rounds a reference to a
NumPy dtype once, so a test compares losslab with the correctly rounded answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np

DPS = 50
mpf = mpmath.mpf
ZERO, ONE = mpf(0), mpf(1)


def _ufunc(f: Callable[..., Any], nin: int = 1) -> np.ufunc:
    return np.frompyfunc(f, nin, 1)


_mp = _ufunc(lambda v: mpf(float(v)))
_log = _ufunc(mpmath.log)
_exp = _ufunc(mpmath.exp)
_abs = _ufunc(abs)


def to_mp(x: Any) -> np.ndarray:
    """Exact conversion of a float (or int) array to an object array of ``mpf``."""
    arr = np.asarray(x)
    out = np.empty(arr.shape, dtype=object)
    out[...] = _mp(arr) if arr.ndim else mpf(float(arr))
    return out


def to_float(x: Any, dtype: Any = np.float64) -> Any:
    """Round an mpf (or object array of mpf) to ``dtype``, correctly rounded.

    float64 is correctly rounded by ``float(mpf)``. float32 goes through a 50-digit decimal string,
    which NumPy parses with correct rounding, avoiding a double rounding via float64.
    """
    dtype = np.dtype(dtype)
    if dtype == np.float64:
        conv = float
    else:

        def conv(v: Any) -> Any:
            return dtype.type(mpmath.nstr(v, DPS, strip_zeros=False))

    if isinstance(x, np.ndarray):
        flat = [conv(v) for v in x.ravel()]
        return np.array(flat, dtype=dtype).reshape(x.shape)
    return dtype.type(conv(x))


def _reduce(loss: np.ndarray, reduction: str, denom: Any = None) -> tuple[Any, Any]:
    """(reduced value, d reduced / d each element loss)."""
    if reduction == "none":
        return loss, ONE
    total = mpmath.fsum(loss.ravel().tolist())
    if reduction == "sum":
        return total, ONE
    n = mpf(loss.size) if denom is None else denom
    return total / n, ONE / n


def _sign(d: Any) -> Any:
    return mpf(int(d > 0) - int(d < 0))


def _sigmoid(z: Any) -> Any:
    return ONE / (ONE + mpmath.exp(-z))


def _softplus(z: Any) -> Any:
    return mpmath.log1p(mpmath.exp(z))


_sigmoid_u = _ufunc(_sigmoid)
_softplus_u = _ufunc(_softplus)
_sign_u = _ufunc(_sign)


# --- regression --------------------------------------------------------------------------------


def _weighted(loss: np.ndarray, reduction: str, weight: Any, by_weight: bool) -> tuple[Any, Any]:
    """(reduced value, d reduced / d each element loss) of ``weight * loss``; the weighted mean
    divides by the sum of the weights (``by_weight``, PyTorch's mse_loss and l1_loss) or by the
    number of elements (its huber_loss)."""
    if weight is None:
        return _reduce(loss, reduction)
    w = to_mp(weight)
    denom = mpmath.fsum(w.ravel().tolist()) if by_weight else None
    value, s = _reduce(w * loss, reduction, denom=denom)
    return value, w * s


def mse_loss(input, target, reduction="mean", weight=None):
    d = to_mp(input) - to_mp(target)
    value, s = _weighted(d * d, reduction, weight, by_weight=True)
    return value, 2 * d * s


def l1_loss(input, target, reduction="mean", weight=None):
    d = to_mp(input) - to_mp(target)
    value, s = _weighted(_abs(d), reduction, weight, by_weight=True)
    return value, _sign_u(d) * s  # sign(0) = 0, PyTorch's subgradient


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    d = to_mp(input) - to_mp(target)
    dl = mpf(delta)
    loss = np.frompyfunc(lambda e: e * e / 2 if abs(e) < dl else dl * (abs(e) - dl / 2), 1, 1)(d)
    value, s = _weighted(loss, reduction, weight, by_weight=False)
    g = np.frompyfunc(lambda e: e if abs(e) <= dl else dl * _sign(e), 1, 1)(d)
    return value, g * s


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    d = to_mp(input) - to_mp(target)
    b = mpf(beta)
    if b == 0:
        return l1_loss(input, target, reduction)
    loss = np.frompyfunc(lambda e: e * e / (2 * b) if abs(e) < b else abs(e) - b / 2, 1, 1)(d)
    value, s = _reduce(loss, reduction)
    g = np.frompyfunc(lambda e: e / b if abs(e) <= b else _sign(e), 1, 1)(d)
    return value, g * s


# --- activations -------------------------------------------------------------------------------


def _moveaxis_rows(x: np.ndarray, axis: int) -> np.ndarray:
    return np.moveaxis(x, axis, -1)


def softmax(x, axis=-1):
    z = to_mp(x)
    zm = _moveaxis_rows(z, axis)
    e = _exp(zm)
    s = np.empty((*zm.shape[:-1], 1), dtype=object)
    for idx in np.ndindex(zm.shape[:-1]):
        s[(*idx, 0)] = mpmath.fsum(e[idx].tolist())
    return np.moveaxis(e / s, -1, axis)


def log_softmax(x, axis=-1):
    z = to_mp(x)
    zm = _moveaxis_rows(z, axis)
    out = np.empty(zm.shape, dtype=object)
    for idx in np.ndindex(zm.shape[:-1]):
        row = zm[idx].tolist()
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in row))
        out[idx] = [v - lse for v in row]
    return np.moveaxis(out, -1, axis)


def sigmoid(x):
    """Value and elementwise derivative sigma(1 - sigma)."""
    s = _sigmoid_u(to_mp(x))
    return s, s * (1 - s)


def log_sigmoid(x):
    """Value -softplus(-x) and elementwise derivative sigma(-x)."""
    z = to_mp(x)
    return -_softplus_u(-z), _sigmoid_u(-z)


# --- classification ------------------------------------------------------------------------------


def _class_weights(weight, c: int) -> list:
    return [ONE] * c if weight is None else [mpf(float(w)) for w in np.asarray(weight)]


def _over_class_rows(rows_fn: Callable[..., Any]) -> Callable[..., Any]:
    """A loss of (N, C) rows, extended to PyTorch's other layouts: a single (C,) sample, and
    (N, C, d1, ...) with the class axis 1 (labels (N, d1, ...), probabilities like the input)."""

    @functools.wraps(rows_fn)
    def fn(input, target, *args, **kwargs):
        x, t = np.asarray(input), np.asarray(target)
        if x.ndim == 2:
            return rows_fn(x, t, *args, **kwargs)
        c, probs = x.shape[1 if x.ndim > 1 else 0], t.dtype.kind == "f"
        xm = np.moveaxis(x, 1, -1) if x.ndim > 1 else x
        lead = xm.shape[:-1]
        tr = (np.moveaxis(t, 1, -1) if x.ndim > 1 else t) if probs else t
        value, g = rows_fn(xm.reshape(-1, c), tr.reshape(-1, c) if probs else tr.reshape(-1),
                           *args, **kwargs)  # fmt: skip
        if isinstance(value, np.ndarray):  # reduction='none'
            value = value.reshape(lead)
        g = g.reshape(xm.shape)
        return value, (np.moveaxis(g, -1, 1) if x.ndim > 1 else g)

    return fn


@_over_class_rows
def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """``input`` (N, C) log-probabilities, ``target`` (N,) labels; other layouts by
    :func:`_over_class_rows`."""
    x = to_mp(input)
    t = np.asarray(target)
    n, c = x.shape
    w = _class_weights(weight, c)
    loss = np.empty(n, dtype=object)
    wn = np.empty(n, dtype=object)
    for i in range(n):
        wn[i] = ZERO if t[i] == ignore_index else w[t[i]]
        loss[i] = ZERO if t[i] == ignore_index else -wn[i] * x[i, t[i]]
    value, s = _reduce(loss, reduction, denom=mpmath.fsum(wn.tolist()))
    g = np.full(x.shape, ZERO, dtype=object)
    for i in range(n):
        if t[i] != ignore_index:
            g[i, t[i]] = -wn[i] * s
    return value, g


@_over_class_rows
def cross_entropy(
    input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0
):
    """Softmax cross-entropy from logits ``input`` (N, C).

    ``target`` is either (N,) integer labels or (N, C) probabilities. ``label_smoothing`` is
    supported without class weights (PyTorch's weighted smoothing has its own normalization).
    """
    x = to_mp(input)
    n, c = x.shape
    t = np.asarray(target)
    logp = log_softmax(input, axis=1)
    p = _exp(logp)
    eps = mpf(label_smoothing)
    if t.dtype.kind in "iu":
        if eps == 0:
            value, g_logp = nll_loss(logp, t, weight, ignore_index, reduction)
            # d/dx of sum_j g_logp[i, j] * logp[i, j] = g_logp - p * rowsum(g_logp)
            rows = np.array([mpmath.fsum(r) for r in g_logp.tolist()], dtype=object)
            return value, g_logp - p * rows[:, None]
        if weight is not None:
            raise NotImplementedError("label smoothing with class weights")
        tp = np.full((n, c), eps / c, dtype=object)
        keep = np.ones(n, dtype=bool)
        for i in range(n):
            if t[i] == ignore_index:
                tp[i, :] = ZERO
                keep[i] = False
            else:
                tp[i, t[i]] += 1 - eps
        denom = mpf(int(keep.sum()))
    else:
        if weight is not None:
            raise NotImplementedError("probability targets with class weights")
        tp = to_mp(t) * (1 - eps) + eps / c
        denom = mpf(n)
    pairs = zip(tp.tolist(), logp.tolist(), strict=True)
    loss = np.array([-mpmath.fsum(a * b for a, b in zip(tr, lr, strict=True)) for tr, lr in pairs])
    loss = loss.astype(object)
    value, s = _reduce(loss, reduction, denom=denom)
    rows = np.array([mpmath.fsum(r) for r in tp.tolist()], dtype=object)
    return value, (p * rows[:, None] - tp) * s


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """PyTorch clamps each log at -100, so p = 0 or 1 gives a finite loss."""
    p, t = to_mp(input), to_mp(target)
    w = np.full(p.shape, ONE, dtype=object) if weight is None else to_mp(weight) * ONE
    w = np.broadcast_to(w, p.shape)
    clamp = np.frompyfunc(lambda v: max(mpmath.log(v), mpf(-100)) if v > 0 else mpf(-100), 1, 1)
    loss = -w * (t * clamp(p) + (1 - t) * clamp(1 - p))
    value, s = _reduce(loss, reduction)
    g = np.frompyfunc(lambda pi, ti, wi: wi * (pi - ti) / max((1 - pi) * pi, mpf("1e-12")), 3, 1)(
        p, t, w
    )
    return value, g * s


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    x, t = to_mp(input), to_mp(target)
    w = np.broadcast_to(ONE if weight is None else to_mp(weight), x.shape)
    pw = np.broadcast_to(ONE if pos_weight is None else to_mp(pos_weight), x.shape)
    # -[pw t log s(x) + (1 - t) log s(-x)] = pw t softplus(-x) + (1 - t) softplus(x)
    loss = w * (pw * t * _softplus_u(-x) + (1 - t) * _softplus_u(x))
    value, s = _reduce(loss, reduction)
    g = w * ((pw * t + 1 - t) * _sigmoid_u(x) - pw * t)
    return value, g * s


def soft_margin_loss(input, target, reduction="mean"):
    x, y = to_mp(input), to_mp(target)
    loss = _softplus_u(-y * x)
    value, s = _reduce(loss, reduction)
    return value, -y * _sigmoid_u(-y * x) * s


def hinge_embedding_loss(input, target, margin=1.0, reduction="mean"):
    x, y = to_mp(input), np.asarray(target)
    m = mpf(margin)
    loss = np.empty(x.shape, dtype=object)
    g = np.empty(x.shape, dtype=object)
    for i in np.ndindex(x.shape):
        if y[i] == 1:
            loss[i], g[i] = x[i], ONE
        else:
            loss[i] = max(ZERO, m - x[i])
            g[i] = -ONE if m - x[i] > 0 else ZERO
    value, s = _reduce(loss, reduction)
    return value, g * s


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, reduction="mean"):
    x = to_mp(input)
    t = np.asarray(target)
    n, c = x.shape
    m = mpf(margin)
    w = _class_weights(weight, c)
    loss = np.empty(n, dtype=object)
    g = np.full(x.shape, ZERO, dtype=object)
    for i in range(n):
        y = int(t[i])
        total = ZERO
        for j in range(c):
            if j == y:
                continue
            h = m - x[i, y] + x[i, j]
            if h > 0:
                total += w[y] * h**p / c
                d = w[y] * p * h ** (p - 1) / c
                g[i, j] += d
                g[i, y] -= d
        loss[i] = total
    value, s = _reduce(loss, reduction)
    return value, g * s


# --- divergences -------------------------------------------------------------------------------


def _xlogy(a: Any, b: Any) -> Any:
    return ZERO if a == 0 else a * mpmath.log(b)


_xlogy_u = np.frompyfunc(_xlogy, 2, 1)


def kl_div(input, target, reduction="mean", log_target=False):
    """PyTorch's KLDivLoss: ``input`` log q, ``target`` p (or log p); gradient w.r.t. ``input``."""
    x, t = to_mp(input), to_mp(target)
    if log_target:
        pt = _exp(t)
        loss = pt * (t - x)
    else:
        pt = t
        loss = _xlogy_u(t, t) - t * x
    if reduction == "batchmean":
        total = mpmath.fsum(loss.ravel().tolist())
        n = mpf(x.shape[0]) if x.ndim else ONE
        return total / n, -pt / n
    value, s = _reduce(loss, reduction)
    return value, -pt * s


def entropy(p, base=None):
    """H(p) along the last axis; derivative -(log p + 1) / ln(base)."""
    pp = to_mp(p)
    ln_b = ONE if base is None else mpmath.log(mpf(base))
    terms = -_xlogy_u(pp, pp) / ln_b
    h = np.array([mpmath.fsum(r) for r in terms.reshape(-1, pp.shape[-1]).tolist()], dtype=object)
    value = h.reshape(pp.shape[:-1]) if pp.ndim > 1 else h[0]
    g = -(_log(pp) + 1) / ln_b
    return value, g


def kl_divergence(p, q, base=None):
    pp, qq = to_mp(p), to_mp(q)
    ln_b = ONE if base is None else mpmath.log(mpf(base))
    terms = (_xlogy_u(pp, pp) - _xlogy_u(pp, qq)) / ln_b
    v = np.array([mpmath.fsum(r) for r in terms.reshape(-1, pp.shape[-1]).tolist()], dtype=object)
    value = v.reshape(pp.shape[:-1]) if pp.ndim > 1 else v[0]
    return value, -pp / qq / ln_b


def cross_entropy_pq(p, q, base=None):
    pp, qq = to_mp(p), to_mp(q)
    ln_b = ONE if base is None else mpmath.log(mpf(base))
    terms = -_xlogy_u(pp, qq) / ln_b
    v = np.array([mpmath.fsum(r) for r in terms.reshape(-1, pp.shape[-1]).tolist()], dtype=object)
    value = v.reshape(pp.shape[:-1]) if pp.ndim > 1 else v[0]
    return value, -pp / qq / ln_b


# --- the articles' textbook formulas (delta = 1e-7 kept on purpose) -----------------------------

BOOK_DELTA = 1e-7


def book_cross_entropy_error(y, t):
    """-(1/N) sum t log(y + 1e-7) with the articles' reshape of a single sample; the float
    ``y + 1e-7`` is rounded to float64 first, exactly as the article's NumPy code does."""
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    t = np.asarray(t)
    yd = y + BOOK_DELTA  # the article's own float64 addition
    n = y.shape[0]
    if t.size == y.size:
        terms = to_mp(t.reshape(y.shape).astype(np.float64)) * _log(to_mp(yd))
        return -mpmath.fsum(terms.ravel().tolist()) / n
    t = np.atleast_1d(t)
    return -mpmath.fsum(mpmath.log(mpf(float(yd[i, t[i]]))) for i in range(n)) / n


def _with_precision(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``fn`` at DPS digits whatever precision another test left mpmath in."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with mpmath.workdps(DPS):
            return fn(*args, **kwargs)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


for _name in [n for n, f in list(globals().items()) if callable(f) and not n.startswith("_")]:
    if _name not in {"to_mp", "to_float", "Callable", "Any", "mpf"}:
        globals()[_name] = _with_precision(globals()[_name])
