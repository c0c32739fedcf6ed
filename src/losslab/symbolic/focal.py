r"""Symbolic form of :func:`losslab.sigmoid_focal_loss`, per element.

:math:`\ell = w\,m^\gamma c` with :math:`\sigma = \sigma(x)`, :math:`m = 1 - p_t = t(1 - \sigma)
+ (1 - t)\sigma`, the cross-entropy of the logit :math:`c = t\operatorname{softplus}(-x) + (1 -
t)\operatorname{softplus}(x)` and the class weight :math:`w = u\,(\alpha t + (1 - \alpha)(1 - t))
+ 1 - u`, where the flag :math:`u` is 1 for ``alpha >= 0`` and 0 for ``alpha < 0`` (no
weighting; the evaluation sets it from ``alpha``).

The form is analytic in :math:`x`, and SymPy's derived gradient is checked against the NumPy
gradient numerically (the three-way check of :mod:`losslab.gradcheck`). SymPy does not simplify
the difference of the derived gradient and the NumPy closed form
:math:`w\,m^\gamma[\gamma(1 - 2t)\,\sigma(1 - \sigma)\,c/m + \sigma - t]` to 0 (it cannot split
:math:`m^\gamma` without knowing :math:`m > 0`), so the proofs are those of the chain rule's two
pieces, :math:`m' = (1 - 2t)\,\sigma(1 - \sigma)` and :math:`c' = \sigma - t`, and of the
special case :math:`\gamma = 0`, :math:`u = 0`: the binary cross-entropy with logits.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import sympy as sp

from ._core import SymbolicLoss, elementwise, sampler

x, t = sp.symbols("x t", real=True)
alpha = sp.Symbol("alpha", nonnegative=True)
gamma = sp.Symbol("gamma", nonnegative=True)
u = sp.Symbol("u", nonnegative=True)

SIGMOID = 1 / (1 + sp.exp(-x))


def softplus(z: sp.Expr) -> sp.Expr:
    r""":math:`\log(1 + e^z)`."""
    return sp.log(1 + sp.exp(z))


CE = t * softplus(-x) + (1 - t) * softplus(x)
M = t * (1 - SIGMOID) + (1 - t) * SIGMOID
WEIGHT = u * (alpha * t + (1 - alpha) * (1 - t)) + 1 - u
FOCAL = WEIGHT * M**gamma * CE


def _s(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def _others(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> dict[str, Any]:
    tv = rng.uniform(0, 1, shape)
    if rng.integers(0, 2):
        tv = np.round(tv)  # hard labels
    return {
        "targets": tv.astype(dtype),
        "alpha": float(rng.choice([-1.0, 0.25, float(rng.uniform(0, 1))])),
        "gamma": float(rng.choice([0.0, 0.5, 2.0, float(rng.uniform(0, 3))])),
    }


def _flagged(a: dict[str, Any]) -> dict[str, Any]:
    """The arguments with ``alpha < 0`` stated as the flag ``weighted = 0``."""
    b = dict(a)
    weighted = float(a["alpha"]) >= 0
    b["alpha"] = float(a["alpha"]) if weighted else 0.0
    b["weighted"] = 1.0 if weighted else 0.0
    return b


_xi, _ti = _s("x_i"), _s("t_i")
_sig_i = SIGMOID.subs(x, _xi)
_BASE = elementwise(
    "sigmoid_focal_loss",
    wrt="inputs",
    variable=x,
    value=FOCAL,
    arrays={"inputs": x, "targets": t},
    scalars={"alpha": alpha, "gamma": gamma, "weighted": u},
    sample=sampler("inputs", -6, 6, others=_others),
    formulas={
        "value": -(alpha * _ti + (1 - alpha) * (1 - _ti))
        * (1 - _ti * _sig_i - (1 - _ti) * (1 - _sig_i)) ** gamma
        * (_ti * sp.log(_sig_i) + (1 - _ti) * sp.log(1 - _sig_i)),
        "gradient": _s("w_i")
        * _s("m_i") ** gamma
        * (gamma * (1 - 2 * _ti) * _sig_i * (1 - _sig_i) / _s("m_i") * _s("c_i") + _sig_i - _ti),
    },
    extra_proofs=(
        (
            "dm/dx = (1 - 2t) sigma (1 - sigma)",
            sp.diff(M, x),
            (1 - 2 * t) * SIGMOID * (1 - SIGMOID),
        ),
        ("dc/dx = sigma - t", sp.diff(CE, x), SIGMOID - t),
        (
            "c is the binary cross-entropy of sigma(x)",
            CE,
            -(t * sp.log(SIGMOID) + (1 - t) * sp.log(1 - SIGMOID)),
        ),
        ("gamma = 0 without alpha: the cross-entropy", FOCAL.subs({gamma: 0, u: 0}), CE),
    ),
    domains={
        "x": (-4.0, 4.0),
        "t": (0.0, 1.0),
        "alpha": (0.0, 1.0),
        "gamma": (0.0, 3.0),
        "w": (0.0, 1.0),
        "m": (0.05, 1.0),
        "c": (0.0, 3.0),
    },
)


def _evaluate(a: dict[str, Any]) -> tuple[Any, Any]:
    return _BASE.evaluate(_flagged(a))


def _magnitude(a: dict[str, Any]) -> Any:
    assert _BASE.magnitude is not None  # the element-wise form has one
    return _BASE.magnitude(_flagged(a))


SIGMOID_FOCAL_LOSS: SymbolicLoss = dataclasses.replace(
    _BASE, evaluate=_evaluate, magnitude=_magnitude
)

FORMS = {"sigmoid_focal_loss": SIGMOID_FOCAL_LOSS}
