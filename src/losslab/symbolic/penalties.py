r"""Symbolic forms of :func:`losslab.l1_penalty` (:math:`\lambda\sum|w|`) and
:func:`losslab.l2_penalty` (:math:`\frac{\lambda}{2}\sum w^2`)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ._core import elementwise, sampler

w = sp.Symbol("w", real=True)
lam = sp.Symbol("lambda", positive=True)
i, n = sp.Symbol("i", integer=True), sp.Symbol("n", integer=True, positive=True)
W = sp.IndexedBase("w")


def _kink(a):
    return np.abs(np.asarray(a["w"], dtype=float))


def _lam(rng, shape, dtype):
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
    formulas={"value": lam * sp.Sum(sp.Abs(W[i]), (i, 1, n))},
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
    formulas={"value": lam / 2 * sp.Sum(W[i] ** 2, (i, 1, n))},
)

FORMS = {"l1_penalty": L1_PENALTY, "l2_penalty": L2_PENALTY}
