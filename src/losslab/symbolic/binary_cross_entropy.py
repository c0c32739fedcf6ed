r"""Symbolic forms of :func:`losslab.binary_cross_entropy` (probabilities) and
:func:`losslab.binary_cross_entropy_with_logits`, per element.

**Probabilities.**  The form is :math:`\ell = -[y\log x + (1 - y)\log(1 - x)]` on the domain where
PyTorch's clamp of each logarithm at :math:`-100` is inactive, :math:`e^{-100} < x < 1 - e^{-100}`,
and the derived gradient is proved equal to :math:`(x - y)/(x(1 - x))`.  Two documented rules
apply at the domain edges, and the symbolic evaluation states them explicitly rather than
reaching them through the formula:

* the value: each :math:`-\log` term is clamped at 100 (:data:`LOG_CLAMP`), so :math:`x = 0`
  with :math:`y = 1` costs 100 and :math:`0 \cdot \log 0` terms vanish;
* the gradient: PyTorch divides by :math:`\max(x(1 - x), \varepsilon)` with
  :math:`\varepsilon = 10^{-12}` rounded to float32 (:data:`GRAD_FLOOR`); where
  :math:`x(1 - x) < \varepsilon` the gradient is :math:`(x - y)/\varepsilon`, *not* the derivative
  of the function.

:attr:`kink_distance` is :math:`\min(x, 1 - x)`, so entries near the edges are not differenced.

**Logits.**
:math:`\ell = w\,[\,p\,y\,\operatorname{softplus}(-x) + (1 - y)\operatorname{softplus}(x)]`
with ``weight`` :math:`w` and ``pos_weight`` :math:`p` (1 when omitted); analytic everywhere, and
its derived gradient is proved equal to :math:`w[(p y + 1 - y)\sigma(x) - p y]`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ._core import elementwise, sampler

x = sp.Symbol("x", real=True)
y = sp.Symbol("y", real=True)
pw = sp.Symbol("p", nonnegative=True)

#: PyTorch clamps log(x) and log(1 - x) below at -100.
LOG_CLAMP = 100.0
#: PyTorch's floor of x (1 - x) in the gradient: 1e-12 stored as a C float.
GRAD_FLOOR = float(np.float32(1e-12))

_sp = sp.Symbol("s", positive=True)


def _clamped(nlog: sp.Expr) -> sp.Expr:
    """PyTorch's clamp of a ``-log`` term at 100, logs expanded so SymPy can compare."""
    return sp.expand_log(sp.Min(nlog, LOG_CLAMP), force=True)


BCE = -(y * sp.log(x) + (1 - y) * sp.log(1 - x))
SIGMOID = 1 / (1 + sp.exp(-x))


def softplus(z: sp.Expr) -> sp.Expr:
    r""":math:`\log(1 + e^z)`."""
    return sp.log(1 + sp.exp(z))


BCE_LOGITS = pw * y * softplus(-x) + (1 - y) * softplus(x)


def _bce_edge(vals: list[np.ndarray], out: np.ndarray, g: np.ndarray) -> tuple[Any, Any]:
    """PyTorch's rules where the clamp or the gradient floor is active (see module notes)."""
    xv, yv = np.real(vals[0]), vals[1]  # complex step: the edges are those of the real part
    with np.errstate(divide="ignore", invalid="ignore"):
        nlog_x = np.minimum(-np.log(xv), LOG_CLAMP)
        nlog_1mx = np.minimum(-np.log1p(-xv), LOG_CLAMP)
        clamped = yv * nlog_x + (1 - yv) * nlog_1mx
    active = (nlog_x >= LOG_CLAMP) | (nlog_1mx >= LOG_CLAMP)
    floor = xv * (1 - xv) < GRAD_FLOOR
    return np.where(active, clamped, out), np.where(floor, (xv - yv) / GRAD_FLOOR, g)


def _bce_edge_distance(a: dict[str, Any]) -> np.ndarray:
    xv = np.asarray(a["input"], dtype=float)
    out: np.ndarray = np.minimum(xv, 1 - xv)
    return out


def _bce_others(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> dict[str, Any]:
    t = rng.uniform(0, 1, shape)
    if rng.integers(0, 2):
        t = np.round(t)  # hard labels
    w = None if rng.integers(0, 2) else rng.uniform(0, 2, shape[-1:]).astype(dtype)
    return {"target": t.astype(dtype), "weight": w}


def _logit_others(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> dict[str, Any]:
    out = _bce_others(rng, shape, dtype)
    out["pos_weight"] = None if rng.integers(0, 2) else rng.uniform(0, 3, shape[-1:]).astype(dtype)
    return out


def _s(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


BINARY_CROSS_ENTROPY = elementwise(
    "binary_cross_entropy",
    wrt="input",
    variable=x,
    value=BCE,
    arrays={"input": x, "target": y},
    sample=sampler("input", 0.02, 0.98, others=_bce_others),
    edge=_bce_edge,
    closed_form=(x - y) / (x * (1 - x)),
    kink_distance=_bce_edge_distance,
    subgradient=(
        "domain edges: each -log term clamped at 100; gradient (x - y) / max(x (1 - x), 1e-12) "
        "(PyTorch), the derivative of the unclamped loss with a floored denominator"
    ),
    formulas={
        "value": BCE.subs({x: _s("x_i"), y: _s("y_i")}),
        "probability": BCE.subs({x: _s("p"), y: _s("t")}),
        "gradient": ((x - y) / (x * (1 - x))).subs({x: _s("x_i"), y: _s("y_i")}),
        # The docstring's statements: the clamp and PyTorch's floored gradient, with weights.
        "clamped": -_s("w_i")
        * (
            _s("y_i") * sp.Max(sp.log(_s("x_i")), -100)
            + (1 - _s("y_i")) * sp.Max(sp.log(1 - _s("x_i")), -100)
        ),
        "gradient_floor": _s("w_i")
        * (_s("x_i") - _s("y_i"))
        / sp.Max(_s("x_i") * (1 - _s("x_i")), _s("epsilon")),
    },
    extra_proofs=(
        (
            "clamp inactive for x > e^-100: min(-log x, 100) = -log x",
            _clamped(-sp.log(x)).subs(x, sp.exp(-100) * (1 + _sp)),
            (-sp.log(x)).subs(x, sp.exp(-100) * (1 + _sp)),
        ),
        (
            "clamp inactive for x < 1 - e^-100: min(-log(1 - x), 100) = -log(1 - x)",
            _clamped(-sp.log(1 - x)).subs(x, 1 - sp.exp(-100) * (1 + _sp)),
            (-sp.log(1 - x)).subs(x, 1 - sp.exp(-100) * (1 + _sp)),
        ),
    ),
    domains={
        "x": (0.05, 0.95),
        "p": (0.05, 0.95),
        "y": (0.0, 1.0),
        "t": (0.0, 1.0),
        "w": (0.0, 2.0),
        "epsilon": (1e-13, 1e-12),
    },
)

_n, _N = sp.Symbol("n", integer=True), sp.Symbol("N", integer=True, positive=True)
_X, _T = sp.IndexedBase("x"), sp.IndexedBase("t")

BINARY_CROSS_ENTROPY_WITH_LOGITS = elementwise(
    "binary_cross_entropy_with_logits",
    wrt="input",
    variable=x,
    value=BCE_LOGITS,
    arrays={"input": x, "target": y, "pos_weight": pw},
    defaults={"pos_weight": 1.0},
    sample=sampler("input", -6, 6, others=_logit_others),
    closed_form=(pw * y + 1 - y) * SIGMOID - pw * y,
    formulas={
        "value": BCE_LOGITS.subs({pw: 1, x: _s("x_i"), y: _s("y_i")}),
        "pos_weight": BCE_LOGITS.subs({x: _s("x_i"), y: _s("y_i")}),
        "sigmoid": (-(y * sp.log(SIGMOID) + (1 - y) * sp.log(1 - SIGMOID))).subs(
            {x: _s("x_i"), y: _s("y_i")}
        ),
        "stable": (sp.Max(x, 0) - y * x + sp.log(1 + sp.exp(-sp.Abs(x)))).subs(
            {x: _s("x"), y: _s("t")}
        ),
        "gradient": (SIGMOID - y).subs({x: _s("x_i"), y: _s("y_i")}),
        "weighted": _s("w_i") * BCE_LOGITS.subs({x: _s("x_i"), y: _s("y_i"), pw: _s("p")}),
        # the mean over N samples as a function of a bias b shared by every logit x_n + b
        "bias_mean": sp.Sum(BCE_LOGITS.subs({pw: 1, x: _X[_n] + _s("b"), y: _T[_n]}), (_n, 1, _N))
        / _N,
        "weighted_gradient": _s("w_i")
        * ((pw * y + 1 - y) * SIGMOID - pw * y).subs({x: _s("x_i"), y: _s("y_i"), pw: _s("p")}),
    },
    extra_proofs=(
        (
            "with p = 1: the BCE of sigmoid(x)",
            BCE_LOGITS.subs(pw, 1),
            BCE.subs(x, SIGMOID),
        ),
        (
            "with p = 1: gradient sigmoid(x) - y",
            sp.diff(BCE_LOGITS.subs(pw, 1), x),
            SIGMOID - y,
        ),
    ),
    domains={"x": (-4.0, 4.0), "y": (0.0, 1.0), "t": (0.0, 1.0), "w": (0.0, 2.0), "p": (0.0, 3.0)},
)

FORMS = {
    "binary_cross_entropy": BINARY_CROSS_ENTROPY,
    "binary_cross_entropy_with_logits": BINARY_CROSS_ENTROPY_WITH_LOGITS,
}
