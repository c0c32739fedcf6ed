r"""Symbolic form of :func:`losslab.poisson_nll_loss`, per element.

The form states the default log-rate loss :math:`e^{x} - t x`; the rate form
:math:`\lambda - t\log(\lambda + \epsilon)` (``log_input=False``) and PyTorch's ``full=True``
Stirling term are evaluated beside it, and :meth:`~losslab.symbolic.SymbolicLoss.verify` proves
the rate form's derivative and the agreement of the two forms at :math:`\epsilon = 0`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ._core import SymbolicLoss, derive, lambdify, reduce_elementwise

x, t = sp.symbols("x t", real=True)
lam = sp.Symbol("lambda", positive=True)
eps = sp.Symbol("epsilon", nonnegative=True)
tp = sp.Symbol("t", positive=True)

#: log_input=True: input is log lambda
VALUE = sp.exp(x) - t * x
GRADIENT = derive(VALUE, x)
#: log_input=False: input is lambda
RATE = x - t * sp.log(x + eps)
RATE_GRADIENT = derive(RATE, x)
#: full=True adds Stirling's approximation of log t! where t > 1
STIRLING = tp * sp.log(tp) - tp + sp.log(2 * sp.pi * tp) / 2

_f, _df = lambdify((x, t), VALUE), lambdify((x, t), GRADIENT)
_fr, _dfr = lambdify((x, t, eps), RATE), lambdify((x, t, eps), RATE_GRADIENT)
_stirling = lambdify((tp,), STIRLING)


def _evaluate(a: dict[str, Any]) -> tuple[Any, Any]:
    xv = np.asarray(a["input"])
    xv = xv if np.iscomplexobj(xv) else xv.astype(np.float64)
    tv = np.asarray(a["target"], dtype=np.float64)
    if a["log_input"]:
        out, g = _f(xv, tv), _df(xv, tv)
    else:
        e = float(a["eps"])
        pos = tv > 0  # 0 log 0 = 0 where the count is 0
        out = np.where(pos, _fr(xv, tv, e), xv)
        g = np.where(pos, _dfr(xv, tv, e), 1.0)
    if a["full"]:
        out = out + np.where(tv > 1, _stirling(np.where(tv > 1, tv, 2.0)), 0.0)
    return reduce_elementwise(out, g + 0 * out, a["reduction"])


def _sample(rng: np.random.Generator, dtype: Any) -> dict[str, Any]:
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 5)))
    log_input = bool(rng.integers(0, 2))
    low, high = (-2.0, 2.0) if log_input else (0.2, 3.0)
    return {
        "input": rng.uniform(low, high, shape).astype(dtype),
        "target": rng.integers(0, 6, shape).astype(dtype),
        "log_input": log_input,
        "full": bool(rng.integers(0, 2)),
        "eps": float(rng.choice([1e-8, 0.0, 0.5])),
        "reduction": str(rng.choice(["mean", "sum", "none"])),
    }


def _s(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


_INDEXED = {x: _s("x_i"), t: _s("t_i")}

POISSON_NLL_LOSS = SymbolicLoss(
    name="poisson_nll_loss",
    wrt="input",
    form="per element, with x the log of the rate",
    variable=x,
    value=VALUE,
    gradient=GRADIENT,
    closed_form=sp.exp(x) - t,
    evaluate=_evaluate,
    sample=_sample,
    formulas={
        "value": VALUE.subs(_INDEXED),
        "rate": RATE.subs(_INDEXED),
        "stirling": STIRLING.subs(tp, _s("t_i")),
        "gradient": GRADIENT.subs(_INDEXED),
        "rate_gradient": RATE_GRADIENT.subs(_INDEXED),
    },
    domains={"t": (0.0, 5.0), "x": (0.1, 3.0), "epsilon": (0.0, 0.1)},
    extra_proofs=(
        ("rate form: derivative 1 - t/(x + eps)", RATE_GRADIENT, 1 - t / (x + eps)),
        (
            "rate form at eps = 0 with lambda = e^x equals the log-rate form",
            RATE.subs(eps, 0).subs(x, lam).subs(lam, sp.exp(x)),
            VALUE,
        ),
        ("Stirling term does not depend on the input", sp.diff(STIRLING, x), sp.Integer(0)),
    ),
)

FORMS = {"poisson_nll_loss": POISSON_NLL_LOSS}
