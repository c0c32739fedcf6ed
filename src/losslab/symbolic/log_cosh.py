r"""Symbolic form of :func:`losslab.log_cosh_loss`: :math:`\ell = \log\cosh(x - y)` per element.

The form is stated as :math:`\operatorname{log1p}(2\sinh^2(r/2))`, :math:`r = x - y`, so that its
lambdified value keeps its relative accuracy for tiny residuals (``log(cosh(r))`` rounds
:math:`\cosh r` to 1 there); SymPy derives :math:`\tanh(x - y)`, the NumPy gradient. The proofs
state that it is :math:`\log\cosh r` and the stable form
:math:`|r| + \log(1 + e^{-2|r|}) - \log 2` the NumPy value uses for :math:`|r| \ge 1`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import log1p

from ._core import elementwise, sampler

x, y = sp.symbols("x y", real=True)
_a = sp.Symbol("a", positive=True)
r = x - y
LOG_COSH = log1p(2 * sp.sinh(r / 2) ** 2)


def _others(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> dict[str, Any]:
    return {"target": rng.uniform(-3, 3, shape).astype(dtype)}


def _s(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


LOG_COSH_LOSS = elementwise(
    "log_cosh_loss",
    wrt="input",
    variable=x,
    value=LOG_COSH,
    arrays={"input": x, "target": y},
    sample=sampler("input", -4, 4, others=_others),
    closed_form=sp.tanh(r),
    formulas={
        "value": sp.log(sp.cosh(_s("x_i") - _s("y_i"))),
        "gradient": sp.tanh(_s("x_i") - _s("y_i")),
        "stable": sp.Abs(_s("r")) + sp.log(1 + sp.exp(-2 * sp.Abs(_s("r")))) - sp.log(2),
    },
    extra_proofs=(
        (
            "cosh a = e^(a + log(1 + e^(-2a)) - log 2): the stable form, at a = |r|",
            sp.cosh(_a),
            sp.exp(_a + sp.log(1 + sp.exp(-2 * _a)) - sp.log(2)),
        ),
        (
            "cosh r = 1 + 2 sinh^2(r/2): the form is log cosh r",
            sp.cosh(r),
            1 + 2 * sp.sinh(r / 2) ** 2,
        ),
    ),
    domains={"x": (-4.0, 4.0), "y": (-4.0, 4.0), "r": (-30.0, 30.0)},
)

FORMS = {"log_cosh_loss": LOG_COSH_LOSS}
