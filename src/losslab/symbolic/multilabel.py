r"""Symbolic forms of :func:`losslab.multilabel_margin_loss` (per sample over :math:`K`
classes, listed-class indicators :math:`l`) and :func:`losslab.multilabel_soft_margin_loss`
(per element, averaged over the classes of a row).

``sympy.diff`` of :math:`\max(0, z)` is the step :math:`H(z)`; the margin form fixes
:math:`H(0) = 0`, PyTorch's strict :math:`z > 0`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from ._core import SymbolicLoss, at_kink, derive, lambdify

K = 3  # classes of the displayed and proved margin form

# ------------------------------------------------------------------ multilabel_margin_loss

_xs = sp.symbols(f"x_1:{K + 1}", real=True)
_ls = sp.symbols(f"l_1:{K + 1}", nonnegative=True)  # 1 for a listed class, 0 otherwise


def _margin_value() -> sp.Expr:
    """Pairs of different classes only: a class is listed or not (l (1 - l) = 0)."""
    pairs = [(j, d) for j in range(K) for d in range(K) if j != d]
    return sum(_ls[j] * (1 - _ls[d]) * sp.Max(0, 1 - _xs[j] + _xs[d]) for j, d in pairs) / K


MARGIN = _margin_value()
MARGIN_GRADIENT = at_kink(derive(MARGIN, _xs[0]), 0)
_H = [sp.Heaviside(1 - xj + _xs[0], 0) for xj in _xs]  # x_1 as the unlisted class
_G = [sp.Heaviside(1 - _xs[0] + xd, 0) for xd in _xs]  # x_1 as the listed class
#: d/dx_1: + (1/K) sum_j l_j H(1 - x_j + x_1) if class 1 is not listed,
#: - (1/K) sum_d (1 - l_d) H(1 - x_1 + x_d) if it is.
MARGIN_CLOSED = (
    (1 - _ls[0]) * sum(lj * h for lj, h in zip(_ls[1:], _H[1:], strict=True))
    - _ls[0] * sum((1 - ld) * g for ld, g in zip(_ls[1:], _G[1:], strict=True))
) / K


@cache
def _element() -> tuple[Any, Any]:
    """max(0, z) and its SymPy derivative (0 at the kink), lambdified for any class count."""
    z = sp.Symbol("z", real=True)
    term = sp.Max(0, z)
    return lambdify((z,), term), lambdify((z,), at_kink(derive(term, z), 0))


def _pairs(a: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores (N, C), the weight of each (listed j, class d) pair, and z = 1 - x_j + x_d."""
    xv = np.asarray(a["input"])
    xv = xv if np.iscomplexobj(xv) else xv.astype(np.float64)
    x2 = xv.reshape(1, -1) if xv.ndim == 1 else xv
    t = np.asarray(a["target"]).reshape(x2.shape)
    n, c = x2.shape
    count = np.zeros((n, c))
    for i in range(n):
        for j in t[i]:
            if j < 0:
                break
            count[i, j] += 1
    w = count[:, :, None] * (count == 0)[:, None, :]
    return x2, w, 1 - x2[:, :, None] + x2[:, None, :]


def _margin_evaluate(a: dict[str, Any]) -> tuple[Any, Any]:
    x2, w, z = _pairs(a)
    n, c = x2.shape
    term, dterm = _element()
    values = (w * term(z)).sum(axis=(1, 2)) / c
    dz = w * dterm(z) / c
    grads = dz.sum(axis=1) - dz.sum(axis=2)
    single = np.ndim(a["input"]) == 1
    red = a["reduction"]
    if red == "mean":
        values, grads = values.mean(), grads / n
    elif red == "sum":
        values = values.sum()
    elif single:
        values = values[0]
    return values, grads[0] if single else grads


def _margin_kink(a: dict[str, Any]) -> np.ndarray:
    """Per entry: the smallest |z| of the pairs it takes part in."""
    _, w, z = _pairs({**a, "input": np.asarray(a["input"], dtype=float)})
    dist = np.where(w > 0, np.abs(z), np.inf)
    out: np.ndarray = np.minimum(dist.min(axis=1), dist.min(axis=2))
    return out.reshape(np.shape(a["input"]))


def _margin_sample(rng: np.random.Generator, dtype: Any) -> dict[str, Any]:
    for _ in range(100):
        n, c = int(rng.integers(1, 4)), int(rng.integers(2, 5))
        t = np.full((n, c), -1)
        for i in range(n):
            k = int(rng.integers(1, c + 1))
            for p in range(k):
                t[i, p] = int(rng.integers(0, c))
        a = {
            "input": rng.uniform(-2, 2, (n, c)).astype(dtype),
            "target": t,
            "reduction": str(rng.choice(["mean", "sum", "none"])),
        }
        if np.all(_margin_kink(a) > 0.05):
            return a
    raise RuntimeError("could not sample a point away from the kinks")


_plain = {x: sp.Symbol(x.name) for x in _xs}

MULTILABEL_MARGIN_LOSS = SymbolicLoss(
    name="multilabel_margin_loss",
    wrt="input",
    form=f"per sample over k = {K} classes, l_j = 1 for a listed class (gradient: first entry)",
    variable=_xs[0],
    value=MARGIN,
    gradient=MARGIN_GRADIENT,
    closed_form=MARGIN_CLOSED,
    evaluate=_margin_evaluate,
    sample=_margin_sample,
    kink_distance=_margin_kink,
    subgradient="0 where 1 - x_j + x_d = 0 (H(0) = 0, PyTorch's strict z > 0)",
    formulas={"listed_1": MARGIN.subs({_ls[0]: 1, _ls[1]: 0, _ls[2]: 0}).subs(_plain)},
    extra_proofs=(
        (
            "class 1 listed alone: (1/K) sum over d != 1 of max(0, 1 - x_1 + x_d)",
            MARGIN.subs({_ls[0]: 1, _ls[1]: 0, _ls[2]: 0}),
            sum(sp.Max(0, 1 - _xs[0] + xd) for xd in _xs[1:]) / K,
        ),
        ("nothing listed: 0", MARGIN.subs({lj: 0 for lj in _ls}), sp.Integer(0)),
    ),
)

# ------------------------------------------------------------- multilabel_soft_margin_loss

x, t = sp.symbols("x t", real=True)
C = sp.Symbol("C", positive=True)
SOFT = t * sp.log(1 + sp.exp(-x)) + (1 - t) * sp.log(1 + sp.exp(x))
SOFT_GRADIENT = derive(SOFT, x)
_f, _df = lambdify((x, t), SOFT), lambdify((x, t), SOFT_GRADIENT)


def _soft_evaluate(a: dict[str, Any]) -> tuple[Any, Any]:
    xv = np.asarray(a["input"])
    xv = xv if np.iscomplexobj(xv) else xv.astype(np.float64)
    tv = np.asarray(a["target"], dtype=np.float64)
    out, g = _f(xv, tv), _df(xv, tv)
    if a["weight"] is not None:
        w = np.asarray(a["weight"], dtype=np.float64)
        out, g = out * w, g * w
    c = xv.shape[-1]
    rows, g = out.sum(axis=-1) / c, g / c
    red = a["reduction"]
    if red == "mean":
        return rows.mean(), g / rows.size
    if red == "sum":
        return rows.sum(), g
    return rows, g


def _soft_sample(rng: np.random.Generator, dtype: Any) -> dict[str, Any]:
    n, c = int(rng.integers(1, 4)), int(rng.integers(1, 5))
    return {
        "input": rng.uniform(-6, 6, (n, c)).astype(dtype),
        "target": rng.integers(0, 2, (n, c)).astype(dtype),
        "weight": None if rng.integers(0, 2) else rng.uniform(0, 2, c).astype(dtype),
        "reduction": str(rng.choice(["mean", "sum", "none"])),
    }


MULTILABEL_SOFT_MARGIN_LOSS = SymbolicLoss(
    name="multilabel_soft_margin_loss",
    wrt="input",
    form="per element (a row's loss is the mean over its classes)",
    variable=x,
    value=SOFT,
    gradient=SOFT_GRADIENT,
    closed_form=1 / (1 + sp.exp(-x)) - t,
    evaluate=_soft_evaluate,
    sample=_soft_sample,
    formulas={"value": SOFT.subs({x: sp.Symbol("x_c", real=True), t: sp.Symbol("t_c", real=True)})},
    domains={"t": (0.0, 1.0)},
    extra_proofs=(("softplus form: log(1 + e^x) - t x", SOFT, sp.log(1 + sp.exp(x)) - t * x),),
)

FORMS = {
    "multilabel_margin_loss": MULTILABEL_MARGIN_LOSS,
    "multilabel_soft_margin_loss": MULTILABEL_SOFT_MARGIN_LOSS,
}
