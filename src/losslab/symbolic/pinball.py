r"""Symbolic form of :func:`losslab.pinball_loss`, per element.

The form is :math:`(\alpha - \tfrac12)(y - x) + \tfrac12|x - y|`, which SymPy differentiates with
:math:`\operatorname{sign}(0) = 0`: the gradient at the kink :math:`x = y` is the mean of the two
slopes, :math:`\tfrac12 - \alpha`, as the NumPy code returns. The proofs show it equal to
:math:`\max(\alpha(y - x), (\alpha - 1)(y - x))` (the NumPy value and scikit-learn's piecewise
form) on both sides of the kink.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ._core import elementwise, sampler

x, y = sp.symbols("x y", real=True)
alpha = sp.Symbol("alpha", nonnegative=True)
_s = sp.Symbol("s", positive=True)
half = sp.Rational(1, 2)

PINBALL = (alpha - half) * (y - x) + sp.Abs(x - y) / 2
MAX_FORM = sp.Max(alpha * (y - x), (alpha - 1) * (y - x))


def _kink(a: dict[str, Any]) -> np.ndarray:
    d: np.ndarray = np.abs(
        np.asarray(a["input"], dtype=float) - np.asarray(a["target"], dtype=float)
    )
    return d


def _others(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> dict[str, Any]:
    return {
        "target": rng.uniform(-3, 3, shape).astype(dtype),
        "alpha": float(rng.choice([0.0, 0.5, 1.0, float(rng.uniform(0, 1))])),
    }


def _m(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


PINBALL_LOSS = elementwise(
    "pinball_loss",
    wrt="input",
    variable=x,
    value=PINBALL,
    arrays={"input": x, "target": y},
    scalars={"alpha": alpha},
    sample=sampler("input", others=_others, away_from=_kink),
    closed_form=(half - alpha) - sp.sign(y - x) / 2,
    kink_distance=_kink,
    subgradient="1/2 - alpha at x = y: the mean of the slopes -alpha and 1 - alpha",
    formulas={"value": MAX_FORM.subs({x: _m("x_i"), y: _m("y_i")})},
    extra_proofs=(
        (
            "equals max(alpha (y - x), (alpha - 1)(y - x)) below and above the target",
            PINBALL,
            MAX_FORM,
            ({x: y - _s, alpha: alpha}, {x: y + _s}, {x: y}),
        ),
        ("alpha = 1/2: half the absolute error", PINBALL.subs(alpha, half), sp.Abs(x - y) / 2),
    ),
    domains={"alpha": (0.0, 1.0)},
)

FORMS = {"pinball_loss": PINBALL_LOSS}
