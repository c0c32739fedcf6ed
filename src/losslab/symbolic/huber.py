r"""Symbolic forms of :func:`losslab.huber_loss` and :func:`losslab.smooth_l1_loss`, per element.

Both are stated as SymPy ``Piecewise`` expressions in :math:`r = x - y`.  SymPy differentiates
each piece; the NumPy code uses the clipped error instead, and the proof that the two agree goes
region by region (:func:`~losslab.symbolic._core.prove_by_cases`): :math:`r = \pm\delta/(1+s)`
and :math:`r = \pm\delta(1+s)` with :math:`s > 0`, and the points :math:`r \in \{0, \pm\delta\}`
cover the real line.

The losses are continuously differentiable: the switch :math:`|r| = \delta` is a kink of the
second derivative only, so the gradient there is the common value :math:`\pm\delta` of both
pieces (PyTorch's too).  Central differences across it are still unreliable (the truncation
error estimate assumes a third derivative), so :attr:`kink_distance` reports it.  With
``beta=0`` the smooth L1 loss is :math:`|r|`, whose kink at 0 has the subgradient
:math:`\operatorname{sign}(0) = 0`; the ``Piecewise`` form covers it (the first piece is empty).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ._core import elementwise, sampler

x, y = sp.symbols("x y", real=True)
delta = sp.Symbol("delta", positive=True)
beta = sp.Symbol("beta", nonnegative=True)
_s = sp.Symbol("s", positive=True)
r = x - y

HUBER = sp.Piecewise((r**2 / 2, sp.Abs(r) < delta), (delta * (sp.Abs(r) - delta / 2), True))
SMOOTH_L1 = sp.Piecewise((r**2 / (2 * beta), sp.Abs(r) < beta), (sp.Abs(r) - beta / 2, True))


def _clip(u: sp.Expr, c: sp.Expr) -> sp.Expr:
    """``np.clip(u, -c, c)``, the closed form of the NumPy gradients."""
    return sp.Min(c, sp.Max(-c, u))


def _cases(c: sp.Symbol) -> tuple[dict[sp.Symbol, sp.Expr], ...]:
    """Regions of :math:`r = x - y` relative to the switch :math:`\\pm c`, covering the line."""
    shifts = (c / (1 + _s), -c / (1 + _s), c * (1 + _s), -c * (1 + _s), c, -c, sp.Integer(0))
    return tuple({x: y + d} for d in shifts)


def _diff(a: dict[str, Any]) -> np.ndarray:
    out: np.ndarray = np.abs(
        np.asarray(a["input"], dtype=float) - np.asarray(a["target"], dtype=float)
    )
    return out


def _huber_kink(a: dict[str, Any]) -> np.ndarray:
    return np.abs(_diff(a) - float(a["delta"]))


def _smooth_kink(a: dict[str, Any]) -> np.ndarray:
    return np.abs(_diff(a) - float(a["beta"]))


def _huber_others(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "target": rng.uniform(-3, 3, shape).astype(dtype),
        "delta": float(rng.uniform(0.2, 2)),
    }
    out["weight"] = None if rng.integers(0, 2) else rng.uniform(0, 2, shape).astype(dtype)
    return out


def _smooth_others(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> dict[str, Any]:
    b = float(rng.choice([0.0, 0.5, 1.0, float(rng.uniform(0.2, 2))]))
    return {"target": rng.uniform(-3, 3, shape).astype(dtype), "beta": b}


def _m(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


HUBER_LOSS = elementwise(
    "huber_loss",
    wrt="input",
    variable=x,
    value=HUBER,
    arrays={"input": x, "target": y},
    scalars={"delta": delta},
    sample=sampler("input", others=_huber_others, away_from=_huber_kink),
    closed_form=_clip(r, delta),
    closed_form_cases=_cases(delta),
    kink_distance=_huber_kink,
    subgradient="none needed: both pieces have slope ±delta at |x - y| = delta",
    formulas={
        "value": HUBER.subs({x: _m("x_i"), y: _m("y_i")}),
        "residual": HUBER.subs(x, _m("r") + y),
        "gradient": _clip(_m("x_i") - _m("y_i"), delta),
        "weighted": _m("w_i") * HUBER.subs({x: _m("x_i"), y: _m("y_i")}),
    },
    domains={"delta": (0.2, 2.0), "w": (0.0, 2.0)},
)
SMOOTH_L1_LOSS = elementwise(
    "smooth_l1_loss",
    wrt="input",
    variable=x,
    value=SMOOTH_L1,
    arrays={"input": x, "target": y},
    scalars={"beta": beta},
    sample=sampler("input", others=_smooth_others, away_from=_smooth_kink),
    # clip(r / beta, -1, 1) for beta > 0; proved with beta positive (beta = 0 is |r|, below).
    closed_form=_clip(r / delta, 1).subs(delta, beta),
    closed_form_cases=tuple({beta: delta, **c} for c in _cases(delta)),
    kink_distance=_smooth_kink,
    subgradient="sign(0) = 0 at x = y when beta = 0 (PyTorch's l1_loss); C1 when beta > 0",
    formulas={
        "value": SMOOTH_L1.subs({x: _m("x_i"), y: _m("y_i")}),
        "over_huber": HUBER.subs(delta, beta).subs({x: _m("x_i"), y: _m("y_i")}) / beta,
    },
    extra_proofs=(
        (
            "beta = 0 gives |x - y| (the first piece is empty)",
            SMOOTH_L1.subs(beta, 0),
            sp.Abs(r),
        ),
        (
            "derivative at beta = 0 is sign(x - y)",
            sp.diff(SMOOTH_L1, x).subs(beta, 0),
            sp.sign(r),
        ),
        (
            "smooth_l1_beta = huber_beta / beta",
            sp.Piecewise((r**2 / (2 * delta), sp.Abs(r) < delta), (sp.Abs(r) - delta / 2, True)),
            sp.piecewise_fold(HUBER / delta),
        ),
    ),
    domains={"beta": (0.2, 2.0)},
)

FORMS = {"huber_loss": HUBER_LOSS, "smooth_l1_loss": SMOOTH_L1_LOSS}
