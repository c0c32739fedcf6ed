r"""Symbolic forms of the activations: :func:`losslab.sigmoid`, :func:`losslab.log_sigmoid`
(per element) and :func:`losslab.softmax`, :func:`losslab.log_softmax` (per sample over
:math:`k` classes).  The gradient is that of the *sum* of the outputs, as ``losslab.grad``."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from ._core import SymbolicLoss, derive, elementwise, lambdify, sampler

x = sp.Symbol("x", real=True)
SIGMOID = 1 / (1 + sp.exp(-x))


def _vector_sampler(rng: np.random.Generator, dtype: Any) -> dict[str, Any]:
    shape = (int(rng.integers(1, 4)), int(rng.integers(2, 5)))
    return {"x": rng.uniform(-4, 4, shape).astype(dtype), "axis": int(rng.choice([-1, 0]))}


SIGMOID_FORM = elementwise(
    "sigmoid",
    wrt="x",
    variable=x,
    value=SIGMOID,
    arrays={"x": x},
    sample=sampler("x", -6, 6, reduction=False),
    closed_form=SIGMOID * (1 - SIGMOID),
    formulas={"value": SIGMOID, "gradient": derive(SIGMOID, x)},
)
LOG_SIGMOID_FORM = elementwise(
    "log_sigmoid",
    wrt="x",
    variable=x,
    value=-sp.log(1 + sp.exp(-x)),
    arrays={"x": x},
    sample=sampler("x", -6, 6, reduction=False),
    closed_form=1 - SIGMOID,
    formulas={"value": -sp.log(1 + sp.exp(-x))},
)


@cache
def _row(k: int, log: bool) -> tuple[Any, list[Any], list[Any]]:
    """Per-sample forms over k classes: outputs, and the gradient of their sum."""
    xs = sp.symbols(f"x_1:{k + 1}", real=True)
    z = sum(sp.exp(v) for v in xs)
    outs = [v - sp.log(z) if log else sp.exp(v) / z for v in xs]
    total = sum(outs)
    return xs, outs, [derive(total, v) for v in xs]


@cache
def _element(log: bool) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    """Entry :math:`i` over any number :math:`k` of classes, lambdified once: the output with
    :math:`S = \\sum_j e^{x_j - m}` (:math:`m` the largest entry, so nothing overflows), and
    SymPy's derivative in :math:`x_i` of the sum of the outputs, with the other classes
    collected in :math:`R` (:math:`S = e^{x_i - m} + R`).  ``_row`` expands the same for a
    fixed k (displayed and proved)."""
    xi, m, k = sp.Symbol("x_i", real=True), sp.Symbol("m", real=True), sp.Symbol("k")
    rest, others, s_sym = sp.Symbol("R", positive=True), sp.Symbol("Q"), sp.Symbol("S")
    s_expr = sp.exp(xi - m) + rest
    if log:  # sum_j (x_j - m - log S) = x_i + Q - k (m + log S)
        out = xi - m - sp.log(s_sym)
        total = xi + others - k * (m + sp.log(s_expr))
    else:  # sum_j e^{x_j - m} / S = (e^{x_i - m} + R) / S = 1
        out = sp.exp(xi - m) / s_sym
        total = s_expr / s_expr
    gradient = sp.diff(total, xi).subs(rest, s_sym - sp.exp(xi - m))
    return lambdify((xi, m, s_sym), out), lambdify((xi, m, s_sym, k), gradient)


def _vector_evaluate(log: bool) -> Callable[[dict[str, Any]], tuple[Any, Any]]:
    def evaluate(a: dict[str, Any]) -> tuple[Any, Any]:
        xv = np.moveaxis(np.asarray(a["x"]), a["axis"], -1)
        xv = xv if np.iscomplexobj(xv) else xv.astype(np.float64)
        k = xv.shape[-1]
        shift = np.max(np.real(xv), axis=-1, keepdims=True)
        with np.errstate(under="ignore"):
            s = np.exp(xv - shift).sum(axis=-1, keepdims=True)
        f, df = _element(log)
        out, g = f(xv, shift, s), df(xv, shift, s, k)
        return np.moveaxis(out, -1, a["axis"]), np.moveaxis(g, -1, a["axis"])

    return evaluate


_M = sp.Symbol("m", real=True)


def _vector_form(name: str, log: bool, closed: Callable[[list[Any]], Any]) -> SymbolicLoss:
    xs, outs, grads = _row(3, log)
    z = sum(sp.exp(v) for v in xs)
    soft = [sp.exp(v) / z for v in xs]
    return SymbolicLoss(
        name=name,
        wrt="x",
        form="per sample over k = 3 classes (first output shown)",
        variable=xs[0],
        value=outs[0],
        gradient=grads[0],
        evaluate=_vector_evaluate(log),
        sample=_vector_sampler,
        closed_form=closed(soft),
        formulas={
            "value": outs[0].subs({v: sp.Symbol(f"x_{j + 1}") for j, v in enumerate(xs)}),
            **_general(log),
        },
        extra_proofs=(
            (
                "LSE shifted by any m: m + log sum_j e^(x_j - m) = log sum_j e^(x_j) (k = 3)",
                sp.Symbol("m", real=True)
                + sp.log(sum(sp.exp(v - sp.Symbol("m", real=True)) for v in xs)),
                sp.log(z),
            ),
        ),
    )


def _general(log: bool) -> dict[str, sp.Expr]:
    """Entry k over n classes, and the same shifted by any m (the max in the NumPy code)."""
    xk, m = sp.Symbol("x_k"), sp.Symbol("m")
    j, n, xj = sp.Symbol("j", integer=True), sp.Symbol("n", integer=True), sp.IndexedBase("x")
    if log:
        from ._notation import MaxOver

        return {
            "general": xk - sp.log(sp.Sum(sp.exp(xj[j]), (j, 1, n))),
            # LSE(x) = m + log sum_j e^{x_j - m} for any m (proved below), m = max_j x_j
            "lse_shifted": m + sp.log(sp.Sum(sp.exp(xj[j] - m), (j, 1, n))),
            "max": MaxOver(xj[j], j, n),
        }
    return {
        "general": sp.exp(xk) / sp.Sum(sp.exp(xj[j]), (j, 1, n)),
        "shifted": sp.exp(xk - m) / sp.Sum(sp.exp(xj[j] - m), (j, 1, n)),
    }


SOFTMAX_FORM = _vector_form("softmax", False, lambda s: sp.Integer(0))
# d/dx_1 sum_j (x_j - log Z) = 1 - k softmax_1
LOG_SOFTMAX_FORM = _vector_form("log_softmax", True, lambda s: 1 - 3 * s[0])

FORMS = {
    "sigmoid": SIGMOID_FORM,
    "log_sigmoid": LOG_SIGMOID_FORM,
    "softmax": SOFTMAX_FORM,
    "log_softmax": LOG_SOFTMAX_FORM,
}
