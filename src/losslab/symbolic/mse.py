r"""Symbolic form of :func:`losslab.mse_loss`: :math:`\ell = (x - y)^2` per element."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ._core import SymbolicLoss, derive, lambdify, reduce_elementwise

x, y = sp.symbols("x y", real=True)
n = sp.Symbol("n", integer=True, positive=True)
i = sp.Symbol("i", integer=True)
X, Y = sp.IndexedBase("x"), sp.IndexedBase("y")

VALUE = (x - y) ** 2
GRADIENT = derive(VALUE, x)
_f = lambdify((x, y), VALUE)
_df = lambdify((x, y), GRADIENT)


def _evaluate(a: dict[str, Any]) -> tuple[Any, Any]:
    xv = np.asarray(a["input"])
    xv = xv if np.iscomplexobj(xv) else xv.astype(np.float64)
    yv = np.asarray(a["target"], dtype=np.float64)
    out, g = _f(xv, yv), _df(xv, yv)
    weight = a.get("weight")
    if weight is not None:
        w = np.asarray(weight, dtype=np.float64)
        out, g = out * w, g * w
    return reduce_elementwise(out, g, a["reduction"], weight)


def _sample(rng: np.random.Generator, dtype: Any) -> dict[str, Any]:
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 5)))
    return {
        "input": rng.uniform(-3, 3, shape).astype(dtype),
        "target": rng.uniform(-3, 3, shape).astype(dtype),
        "reduction": str(rng.choice(["mean", "sum", "none"])),
    }


MSE_LOSS = SymbolicLoss(
    name="mse_loss",
    wrt="input",
    form="per element",
    variable=x,
    value=VALUE,
    gradient=GRADIENT,
    closed_form=2 * (x - y),
    evaluate=_evaluate,
    sample=_sample,
    formulas={
        "value": (sp.Symbol("x_i", real=True) - sp.Symbol("y_i", real=True)) ** 2,
        "mean": sp.Sum((X[i] - Y[i]) ** 2, (i, 1, n)) / n,
        "sum": sp.Sum((X[i] - Y[i]) ** 2, (i, 1, n)),
        # The articles' E = 1/2 sum (y - t)^2 (losslab.book.mean_squared_error) and its gradient.
        "book": sp.Sum((X[i] - Y[i]) ** 2, (i, 1, n)) / 2,
        "book_gradient": sp.Symbol("x_i", real=True) - sp.Symbol("y_i", real=True),
        # d mean / d x_i: the derived per-element gradient divided by n.
        "gradient": GRADIENT.subs({x: sp.Symbol("x_i", real=True), y: sp.Symbol("y_i", real=True)})
        / n,
    },
)

FORMS = {"mse_loss": MSE_LOSS}
