r"""Symbolic forms of :func:`losslab.l1_penalty` (:math:`\lambda\sum|w|`) and
:func:`losslab.l2_penalty` (:math:`\frac{\lambda}{2}\sum w^2`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ._core import elementwise, sampler

w = sp.Symbol("w", real=True)
lam = sp.Symbol("lambda", positive=True)
i, n = sp.Symbol("i", integer=True), sp.Symbol("n", integer=True, positive=True)
W = sp.IndexedBase("w")
a = sp.Symbol("a", real=True)
_s = sp.Symbol("s", positive=True)

# Proximal operators: argmin_w (w - a)^2 / 2 + penalty(w), per weight.
#: L2: the objective is smooth and strictly convex; its one stationary point is the minimiser.
PROX_L2 = sp.solve(sp.diff((w - a) ** 2 / 2 + lam / 2 * w**2, w), w)[0]
#: L1: the soft threshold.  Optimality: 0 is in (w - a) + lam * d|w|, checked region by region
#: (a = ±lam(1 + s): w = a -+ lam, a derivative 0; |a| <= lam: w = 0, |a| <= lam).
SOFT_THRESHOLD = sp.sign(a) * sp.Max(sp.Abs(a) - lam, 0)


def _l1_optimal(a_value: sp.Expr) -> sp.Expr:
    """(w* - a) + lam sign(w*) at a = a_value with w* the soft threshold: 0 when optimal."""
    w_star = SOFT_THRESHOLD.subs(a, a_value)
    return sp.simplify(w_star - a_value + lam * sp.sign(w_star))


def _kink(a: dict[str, Any]) -> np.ndarray:
    out: np.ndarray = np.abs(np.asarray(a["w"], dtype=float))
    return out


def _lam(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> dict[str, Any]:
    return {"lam": float(rng.uniform(0.1, 2.0))}


L1_PENALTY = elementwise(
    "l1_penalty",
    wrt="w",
    variable=w,
    value=lam * sp.Abs(w),
    arrays={"w": w},
    scalars={"lam": lam},
    scale="lam",
    sample=sampler("w", others=_lam, reduction=False, away_from=_kink),
    closed_form=lam * sp.sign(w),
    kink_distance=_kink,
    subgradient="sign(0) = 0 at w = 0",
    formulas={
        "value": lam * sp.Sum(sp.Abs(W[i]), (i, 1, n)),
        "prox": SOFT_THRESHOLD,
    },
    extra_proofs=(
        ("prox: a > lam gives a - lam, a stationary point", _l1_optimal(lam * (1 + _s)), 0),
        ("prox: a < -lam gives a + lam, a stationary point", _l1_optimal(-lam * (1 + _s)), 0),
        # |a| <= lam, a = lam u with u in [-1, 1]: w* = 0 and 0 in -a + lam [-1, 1].
        ("prox: |a| <= lam gives 0", SOFT_THRESHOLD.subs(a, lam / (1 + _s)), 0),
        ("prox: |a| <= lam gives 0 (negative a)", SOFT_THRESHOLD.subs(a, -lam / (1 + _s)), 0),
        ("prox: |a| <= lam gives 0 (a = lam)", SOFT_THRESHOLD.subs(a, lam), 0),
    ),
)
L2_PENALTY = elementwise(
    "l2_penalty",
    wrt="w",
    variable=w,
    value=lam / 2 * w**2,
    arrays={"w": w},
    scalars={"lam": lam},
    scale="lam",
    sample=sampler("w", others=_lam, reduction=False),
    closed_form=lam * w,
    formulas={"value": lam / 2 * sp.Sum(W[i] ** 2, (i, 1, n)), "prox": PROX_L2},
    extra_proofs=(("prox: the shrink a / (1 + lam)", PROX_L2, a / (1 + lam)),),
)

FORMS = {"l1_penalty": L1_PENALTY, "l2_penalty": L2_PENALTY}
