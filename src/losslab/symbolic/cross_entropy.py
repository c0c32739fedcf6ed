r"""Symbolic forms of :func:`losslab.cross_entropy` (logits) and :func:`losslab.nll_loss`
(log-probabilities), per sample over :math:`k` classes.

**cross_entropy.**  With class weights :math:`w`, label smoothing :math:`\varepsilon` and a target
distribution :math:`t` (one-hot for class labels), PyTorch's loss is

.. math::

    \ell = -\sum_j a_j \log\operatorname{softmax}(x)_j, \qquad
    a_j = w_j\Bigl((1 - \varepsilon)\,t_j + \frac{\varepsilon}{k}\Bigr).

For labels, :math:`w_j t_j = w_{y}[j = y]`, so this one expression covers both target kinds; they
differ only in the 'mean' denominator (labels: :math:`\sum_n w_{y_n}` over the counted rows;
probabilities: the number of rows).  SymPy derives the gradient and proves it equal to the closed
form the NumPy code uses, :math:`A\operatorname{softmax}(x)_j - a_j` with :math:`A = \sum_j a_j`,
and, for :math:`w = 1`, :math:`\varepsilon = 0` and a one-hot :math:`t`, to
:math:`\operatorname{softmax}(x) - t`.  ``ignore_index`` rows contribute nothing.

**nll_loss.**  :math:`\ell = -\sum_j w_j t_j x_j = -w_y x_y`, linear in :math:`x`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from ._core import SymbolicLoss, derive, lambdify

K = 3  # classes of the displayed and proved form
eps = sp.Symbol("varepsilon", nonnegative=True)


@cache
def _row(k: int, kind: str) -> tuple[Any, Any, Any, Any, list[Any]]:
    """Per-sample value and gradients over k classes: ``kind`` is "ce" or "nll"."""
    xs = sp.symbols(f"x_1:{k + 1}", real=True)
    ts = sp.symbols(f"t_1:{k + 1}", nonnegative=True)
    ws = sp.symbols(f"w_1:{k + 1}", nonnegative=True)
    if kind == "ce":
        z = sum(sp.exp(v) for v in xs)
        a = [w * ((1 - eps) * t + eps / k) for w, t in zip(ws, ts, strict=True)]
        value = -sum(c * (v - sp.log(z)) for c, v in zip(a, xs, strict=True))
    else:
        value = -sum(w * t * v for w, t, v in zip(ws, ts, xs, strict=True))
    return xs, ts, ws, value, [derive(value, v) for v in xs]


def _rows(a: np.ndarray) -> np.ndarray:
    if a.ndim == 1:
        return a[None, :]
    return np.moveaxis(a, 1, -1).reshape(-1, a.shape[1])


def _from_rows(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if len(shape) <= 2:
        return g.reshape(shape)
    return np.moveaxis(g.reshape((shape[0], *shape[2:], shape[1])), -1, 1)


@cache
def _element(
    kind: str,
) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    """The generic element of a sample over any number of classes, lambdified once.

    With coefficients :math:`a_j` (:math:`w_j((1-\\varepsilon)t_j + \\varepsilon/k)` or
    :math:`w_j t_j`) and :math:`A = \\sum_j a_j`, the value is :math:`-\\sum_j a_j x_j + A\\,
    \\mathrm{LSE}(x)` (cross-entropy) or :math:`-\\sum_j a_j x_j` (NLL).  SymPy differentiates
    the part that depends on one entry :math:`x_i`, with :math:`\\mathrm{LSE}(x) = m + \\log(e^{x_i
    - m} + R)` (:math:`R` the other classes' terms, :math:`m` the largest logit, so nothing
    overflows), and writes the result with :math:`S = e^{x_i - m} + R`.  The per-class forms of
    ``_row`` (displayed and proved for K classes) are the same expression expanded.
    """
    xi, ai = sp.Symbol("x_i", real=True), sp.Symbol("a_i", real=True)
    total, m = sp.Symbol("A", real=True), sp.Symbol("m", real=True)
    rest, s_sym = sp.Symbol("R", positive=True), sp.Symbol("S", positive=True)
    if kind == "ce":
        depends = -ai * xi + total * (m + sp.log(sp.exp(xi - m) + rest))
    else:
        depends = -ai * xi
    # diff without simplify: simplify multiplies through by exp(m - x_i), which overflows
    gradient = sp.diff(depends, xi).subs(rest, s_sym - sp.exp(xi - m))
    element = lambdify((xi, ai), -ai * xi)
    lse = lambdify((total, m, s_sym), total * (m + sp.log(s_sym)) if kind == "ce" else 0 * m)
    return element, lse, lambdify((xi, ai, total, m, s_sym), gradient)


def _evaluate(kind: str) -> Callable[[dict[str, Any]], tuple[Any, Any]]:
    def evaluate(a: dict[str, Any]) -> tuple[Any, Any]:
        x = np.asarray(a["input"])
        x = x if np.iscomplexobj(x) else x.astype(np.float64)
        x2 = _rows(x)
        m, k = x2.shape
        w = np.ones(k) if a["weight"] is None else np.asarray(a["weight"], dtype=np.float64)
        target = np.asarray(a["target"])
        if target.dtype.kind == "f":  # probabilities (cross_entropy only)
            t = _rows(target.astype(np.float64))
            keep = np.ones(m)
            denominator = float(m)
        else:
            labels = target.reshape(-1)
            kept = labels != a["ignore_index"]
            t = np.zeros((m, k))
            t[np.flatnonzero(kept), labels[kept]] = 1.0
            keep = kept.astype(float)
            weighted: np.ndarray = w[np.where(kept, labels, 0)] * keep
            denominator = float(np.sum(weighted))
        smoothing = float(a.get("label_smoothing", 0.0))
        coef = w * ((1 - smoothing) * t + smoothing / k) if kind == "ce" else w * t
        total = coef.sum(axis=1, keepdims=True)
        shift = np.max(np.real(x2), axis=1, keepdims=True)
        with np.errstate(under="ignore"):
            s = np.exp(x2 - shift).sum(axis=1, keepdims=True)
        element, lse, gradient = _element(kind)
        values = (element(x2, coef).sum(axis=1) + lse(total, shift, s)[:, 0]) * keep
        grads = gradient(x2, coef, total, shift, s) * keep[:, None]
        red = a["reduction"]
        if red == "mean":
            values, grads = values.sum() / denominator, grads / denominator
        elif red == "sum":
            values = values.sum()
        else:
            values = values.reshape(x.shape[:1] + x.shape[2:] if x.ndim > 1 else ())
        return values, _from_rows(grads, x.shape)

    return evaluate


def _sample(kind: str) -> Callable[[np.random.Generator, Any], dict[str, Any]]:
    def sample(rng: np.random.Generator, dtype: Any) -> dict[str, Any]:
        n, k = int(rng.integers(1, 5)), int(rng.integers(2, 5))
        shape: tuple[int, ...] = (n, k) if rng.integers(0, 4) else (n, k, int(rng.integers(1, 3)))
        if rng.integers(0, 5) == 0:
            shape = (k,)
        x = rng.uniform(-4, 4, shape)
        if kind == "nll":
            x = x - np.log(np.exp(x).sum(axis=0 if len(shape) == 1 else 1, keepdims=True))
        a: dict[str, Any] = {
            "input": x.astype(dtype),
            "weight": None if rng.integers(0, 2) else rng.uniform(0.1, 2, k).astype(dtype),
            "reduction": str(rng.choice(["mean", "sum", "none"])),
        }
        label_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
        if kind == "ce" and rng.integers(0, 3) == 0:
            t = rng.uniform(0.05, 1, shape)
            t /= t.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
            a["target"] = t.astype(dtype)
        else:
            labels = rng.integers(0, k, label_shape)
            if labels.size > 1 and rng.integers(0, 2):
                labels.flat[0] = -100  # an ignored position; others still count for 'mean'
            a["target"] = labels
        if kind == "ce":
            a["label_smoothing"] = 0.0 if rng.integers(0, 2) else float(rng.uniform(0, 1))
        return a

    return sample


def _plain(expr: sp.Expr) -> sp.Expr:
    return expr.subs({s: sp.Symbol(s.name) for s in expr.free_symbols if s != eps})


_xs, _ts, _ws, _value, _grads = _row(K, "ce")
_softmax = [sp.exp(v) / sum(sp.exp(u) for u in _xs) for v in _xs]
_a = [w * ((1 - eps) * t + eps / K) for w, t in zip(_ws, _ts, strict=True)]
_plain_case = {**{w: 1 for w in _ws}, eps: 0}
_one_hot = {_ts[-1]: 1 - sum(_ts[:-1])}

j, c = sp.Symbol("j", integer=True), sp.Symbol("c", integer=True)
k_ = sp.Symbol("k", integer=True, positive=True)
X, T = sp.IndexedBase("x"), sp.IndexedBase("t")
_LOG_SOFTMAX = X[j] - sp.log(sp.Sum(sp.exp(X[c]), (c, 1, k_)))

# The docstring's per-sample coefficients a_{n,c} (sample n, class c of C), for label targets
# y_n (an Iverson bracket) and probability targets t_n; page epsilon is the smoothing.
_n, _c_size = sp.Symbol("n", integer=True), sp.Symbol("C", integer=True, positive=True)
_e = sp.Symbol("epsilon")
_W, _A, _Pr, _Y = (sp.IndexedBase(b) for b in ("w", "a", "p", "y"))
_y_n = sp.Symbol("y_n")
_Loss, _N = sp.IndexedBase("l"), sp.Symbol("N", integer=True, positive=True)
# 'mean' reductions: labels divide by the weights of the rows that are not ignore_index
# (ignore is a label value, drawn among the labels), probabilities by the N' positions.
_MEANS = {
    "mean_labels": sp.Sum(_Loss[_n], (_n, 1, _N))
    / sp.Sum(_W[_Y[_n]] * (1 - sp.KroneckerDelta(_Y[_n], sp.Symbol("ignore"))), (_n, 1, _N)),
    "mean_probs": sp.Sum(_Loss[_n], (_n, 1, _N)) / sp.Symbol("N_prime"),
}
_COEFFICIENTS = {
    "coefficients": -sp.Sum(_A[_n, c] * sp.log(_Pr[_n, c]), (c, 1, _c_size)),
    "coef_label": (1 - _e) * _W[_y_n] * sp.KroneckerDelta(c, _y_n) + _e / _c_size * _W[c],
    "coef_prob": _W[c] * ((1 - _e) * T[_n, c] + _e / _c_size),
}


def _label_coefficients_proofs() -> tuple[tuple[str, sp.Expr, sp.Expr], ...]:
    """For each label y of K classes, the label coefficients equal a_j with one-hot t."""
    out: list[tuple[str, Any, Any]] = []
    for y in range(1, K + 1):
        hot = {t: int(i + 1 == y) for i, t in enumerate(_ts)}
        label = [(1 - eps) * _ws[y - 1] * int(i + 1 == y) + eps / K * w for i, w in enumerate(_ws)]
        # sum_c z_c (lhs_c - rhs_c) = 0 for free z_c: every class c at once.
        z = sp.symbols(f"z_1:{K + 1}")
        text = f"label {y}: (1-e) w_y [c = y] + e w_c / C = w_c((1-e) t_c + e/C), one-hot t"
        out.append(
            (
                text,
                sum(zc * v for zc, v in zip(z, label, strict=True)),
                sum(zc * v.subs(hot) for zc, v in zip(z, _a, strict=True)),
            )
        )
    return tuple(out)


CROSS_ENTROPY = SymbolicLoss(
    name="cross_entropy",
    wrt="input",
    form=(
        f"per sample over k = {K} classes, target distribution t (one-hot for labels), "
        "class weights w, label smoothing (gradient: first entry)"
    ),
    variable=_xs[0],
    value=_value,
    gradient=_grads[0],
    evaluate=_evaluate("ce"),
    sample=_sample("ce"),
    closed_form=sum(_a) * _softmax[0] - _a[0],
    formulas={
        "value": _plain(_value.subs(_plain_case)),
        "smoothed": _plain(_value),
        "sum": -sp.Sum(T[j] * _LOG_SOFTMAX, (j, 1, k_)),
        # Label c, no weights or smoothing: -x_c + log sum_j e^{x_j}, and the gradient entry k
        # softmax(x)_k - t_k (one-hot t), as the pages state them.
        "label": -sp.Symbol("x_c") + sp.log(sp.Sum(sp.exp(X[j]), (j, 1, k_))),
        "gradient": sp.exp(sp.Symbol("x_k")) / sp.Sum(sp.exp(X[j]), (j, 1, k_)) - sp.Symbol("t_k"),
        **_COEFFICIENTS,
        **_MEANS,
    },
    # labels y_n and classes c (one-based, C = 3 or 4 in the numeric check); ignore_index is
    # one of the label values, so that some rows are ignored and others are not
    domains={
        "c": [1, 2, 3],
        "y": [1, 2, 3],
        "ignore": [3],
        "epsilon": (0.0, 1.0),
        "p": (0.05, 1.0),
        "N_prime": (1.0, 12.0),
    },
    extra_proofs=(
        (
            "w = 1, no smoothing, one-hot t: gradient softmax - t",
            _grads[0].subs(_plain_case).subs(_one_hot),
            (_softmax[0] - _ts[0]).subs(_one_hot),
        ),
        (
            "w = 1, one-hot t: loss -log softmax(x)_y for y = 1",
            _value.subs(_plain_case).subs({_ts[0]: 1, _ts[1]: 0, _ts[2]: 0}),
            -sp.log(_softmax[0]),
        ),
        *_label_coefficients_proofs(),
    ),
)

_nxs, _nts, _nws, _nvalue, _ngrads = _row(K, "nll")
NLL_LOSS = SymbolicLoss(
    name="nll_loss",
    wrt="input",
    form=f"per sample over k = {K} classes, one-hot t, class weights w (gradient: first entry)",
    variable=_nxs[0],
    value=_nvalue,
    gradient=_ngrads[0],
    evaluate=_evaluate("nll"),
    sample=_sample("nll"),
    closed_form=-_nws[0] * _nts[0],
    formulas={
        "value": _plain(_nvalue),
        "sum": -sp.Sum(T[j] * X[j], (j, 1, k_)),
        # sample n with label y_n: -w_{y_n} x_{n, y_n}
        "label": -_W[_y_n] * X[_n, _y_n],
        "mean_labels": _MEANS["mean_labels"],
    },
    domains={"y": [1, 2, 3], "ignore": [3]},
    extra_proofs=(
        (
            "nll_loss(log_softmax(x)) = cross_entropy(x) (no smoothing)",
            _nvalue.subs(
                {
                    v: u - sp.log(sum(sp.exp(e) for e in _xs))
                    for v, u in zip(_nxs, _xs, strict=True)
                },
                simultaneous=True,
            ),
            _value.subs(eps, 0),
        ),
    ),
)

FORMS = {"cross_entropy": CROSS_ENTROPY, "nll_loss": NLL_LOSS}
