r"""Symbolic forms of :func:`losslab.dice_loss` and :func:`losslab.tversky_loss`, per sample.

Both are :math:`\ell = 1 - (cI + s_{nr})/(cI + a\,FP + b\,FN + s_{dr})` with
:math:`I = \sum_i p_i t_i`, :math:`FP = \sum_i p_i(1 - t_i)`, :math:`FN = \sum_i (1 - p_i)t_i`:
Dice is :math:`c, a, b = 2, 1, 1` (the denominator is then :math:`\sum p + \sum t`), Tversky
:math:`1, \alpha, \beta`. A sample's loss depends on one entry :math:`p_j` through its own terms
and on the others through the rest of each sum (:math:`R_I`, :math:`R_{FP}`, :math:`R_{FN}`), so
the form is stated in :math:`p_j`, :math:`t_j` and the three rests; SymPy derives
:math:`\partial\ell/\partial p_j` from it (and :math:`\partial\ell/\partial x_j` with
:math:`p_j = \sigma(x_j)` for ``from_logits``) and proves it equal to the NumPy closed form
:math:`(N D'_j - c\,t_j D)/D^2`, :math:`D'_j = c\,t_j + a(1 - t_j) - b\,t_j`.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np
import sympy as sp

from ._core import SymbolicLoss, derive, lambdify

p, t = sp.symbols("p t", real=True)
xl = sp.Symbol("x", real=True)
r_i, r_fp, r_fn = sp.symbols("R_I R_FP R_FN", nonnegative=True)
c, a, b = sp.symbols("c a b", positive=True)
s_nr, s_dr = sp.symbols("s_nr s_dr", nonnegative=True)
alpha, beta = sp.symbols("alpha beta", nonnegative=True)

I_ = p * t + r_i
NUM = c * I_ + s_nr
DEN = c * I_ + a * (p * (1 - t) + r_fp) + b * ((1 - p) * t + r_fn) + s_dr
LOSS = 1 - NUM / DEN
CLOSED = (NUM * (c * t + a * (1 - t) - b * t) - c * t * DEN) / DEN**2
SIGMOID = 1 / (1 + sp.exp(-xl))

_ARGS = (p, t, r_i, r_fp, r_fn, c, a, b, s_nr, s_dr)
_GRAD = derive(LOSS, p)
_value = lambdify(_ARGS, LOSS)
_grad_p = lambdify(_ARGS, _GRAD)
_LOGIT_ARGS = (xl, *_ARGS[1:])
_value_x = lambdify(_LOGIT_ARGS, LOSS.subs(p, SIGMOID))
_grad_x = lambdify(_LOGIT_ARGS, sp.diff(LOSS.subs(p, SIGMOID), xl))

_n = sp.Symbol("n", integer=True, positive=True)
_i = sp.Symbol("i", integer=True)
_P, _T = sp.IndexedBase("p"), sp.IndexedBase("t")


def _sum(expr: sp.Expr) -> sp.Expr:
    return sp.Sum(expr, (_i, 1, _n))


_S_NR, _S_DR = sp.Symbol("s_nr", real=True), sp.Symbol("s_dr", real=True)
_DICE_FORMULA = 1 - (2 * _sum(_P[_i] * _T[_i]) + _S_NR) / (_sum(_P[_i]) + _sum(_T[_i]) + _S_DR)
_TVERSKY_FORMULA = 1 - (_sum(_P[_i] * _T[_i]) + _S_NR) / (
    _sum(_P[_i] * _T[_i])
    + alpha * _sum(_P[_i] * (1 - _T[_i]))
    + beta * _sum((1 - _P[_i]) * _T[_i])
    + _S_DR
)


def _evaluate(kind: str, arg: dict[str, Any]) -> tuple[Any, Any]:
    x = np.asarray(arg["input"])
    x = x if np.iscomplexobj(x) else x.astype(np.float64)
    tv = np.asarray(arg["target"], dtype=np.float64)
    logits = bool(arg["from_logits"])
    pv = 1 / (1 + np.exp(-x)) if logits else x
    per = bool(arg["per_sample"])
    axes = tuple(range(1, x.ndim)) if per else None
    keep = per

    def total(e: np.ndarray) -> np.ndarray:
        # keepdims as a literal: NumPy 2.5's stubs have no overload for a bool variable
        out: np.ndarray = np.sum(e, axis=axes, keepdims=True) if keep else np.sum(e, axis=axes)
        return out

    ri = total(pv * tv) - pv * tv
    rfp = total(pv * (1 - tv)) - pv * (1 - tv)
    rfn = total((1 - pv) * tv) - (1 - pv) * tv
    if kind == "dice":
        cab = (2.0, 1.0, 1.0)
    else:
        cab = (1.0, float(arg["alpha"]), float(arg["beta"]))
    rest = (ri, rfp, rfn, *cab, float(arg["smooth_nr"]), float(arg["smooth_dr"]))
    value_fn, grad_fn = (_value_x, _grad_x) if logits else (_value, _grad_p)
    every = value_fn(x, tv, *rest)  # the sample's loss, at each of its entries
    losses = every.reshape(x.shape[0], -1)[:, 0] if per else every.reshape(-1)[0]
    g = np.asarray(grad_fn(x, tv, *rest))
    reduction = arg["reduction"]
    if reduction == "mean":
        n = np.size(losses)
        return np.sum(losses) / n, g / n
    if reduction == "sum":
        return np.sum(losses), g
    return losses, g


def _sample(kind: str, rng: np.random.Generator, dtype: Any) -> dict[str, Any]:
    shape = (int(rng.integers(1, 4)), int(rng.integers(2, 5)))
    logits = bool(rng.integers(0, 2))
    x = rng.uniform(-3, 3, shape) if logits else rng.uniform(0.05, 0.95, shape)
    tv = rng.uniform(0, 1, shape)
    if rng.integers(0, 2):
        tv = np.round(tv)
    out: dict[str, Any] = {
        "input": x.astype(dtype),
        "target": tv.astype(dtype),
        "smooth_nr": float(rng.choice([0.0, 1e-5, 1.0])),
        "smooth_dr": float(rng.choice([1e-5, 1.0, 1e-7])),
        "per_sample": bool(rng.integers(0, 2)),
        "from_logits": logits,
        "reduction": str(rng.choice(["mean", "sum", "none"])),
    }
    if kind == "tversky":
        out["alpha"] = float(rng.uniform(0, 1))
        out["beta"] = float(rng.uniform(0, 1))
    return out


def _form(kind: str, name: str) -> SymbolicLoss:
    value = (
        LOSS.subs({c: 2, a: 1, b: 1}) if kind == "dice" else LOSS.subs({c: 1, a: alpha, b: beta})
    )
    sub = {c: 2, a: 1, b: 1} if kind == "dice" else {c: 1, a: alpha, b: beta}
    gradient = _GRAD.subs(sub)
    closed = CLOSED.subs(sub)
    logit = LOSS.subs(sub).subs(p, SIGMOID)
    proofs: list[tuple[Any, ...]] = [
        (
            "from_logits: d/dx = d/dp * sigma (1 - sigma)",
            sp.diff(logit, xl),
            (closed * SIGMOID * (1 - SIGMOID)).subs(p, SIGMOID),
        ),
    ]
    if kind == "dice":
        proofs.append(
            (
                "the denominator 2I + FP + FN is sum p + sum t (one entry and the rests)",
                DEN.subs(sub),
                p + t + (2 * r_i + r_fp + r_fn) + s_dr,
            )
        )
    else:
        proofs.append(
            (
                "alpha = beta = 1/2 is the Dice loss with both smoothing terms doubled",
                value.subs({alpha: sp.Rational(1, 2), beta: sp.Rational(1, 2)}),
                LOSS.subs({c: 2, a: 1, b: 1}).subs({s_nr: 2 * s_nr, s_dr: 2 * s_dr}),
            )
        )
    return SymbolicLoss(
        name=name,
        wrt="input",
        form="per sample, in one entry p and the rest of each sum",
        variable=p,
        value=value,
        gradient=gradient,
        evaluate=partial(_evaluate, kind),
        sample=partial(_sample, kind),
        closed_form=closed,
        formulas={"value": _DICE_FORMULA if kind == "dice" else _TVERSKY_FORMULA},
        domains={
            "p": (0.05, 0.95),
            "t": (0.0, 1.0),
            "s_nr": (0.0, 1.0),
            "s_dr": (0.01, 1.0),
            "alpha": (0.0, 1.0),
            "beta": (0.0, 1.0),
        },
        extra_proofs=tuple(proofs),
    )


DICE_LOSS = _form("dice", "dice_loss")
TVERSKY_LOSS = _form("tversky", "tversky_loss")

FORMS = {"dice_loss": DICE_LOSS, "tversky_loss": TVERSKY_LOSS}
