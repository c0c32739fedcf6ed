r"""Symbolic form of :func:`losslab.gaussian_nll_loss`, per element.

:math:`\ell = \tfrac12(\log v + (x - y)^2 / v)` with :math:`v = \max(\mathrm{var}, \epsilon)`;
the gradient with respect to ``input`` is derived, and :meth:`~losslab.symbolic.SymbolicLoss.verify`
proves the ``var`` gradient the NumPy code uses and that ``full=True`` is minus the normal log
density.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ._core import SymbolicLoss, derive, lambdify

x, y = sp.symbols("x y", real=True)
v = sp.Symbol("v", positive=True)

VALUE = (sp.log(v) + (x - y) ** 2 / v) / 2
GRADIENT = derive(VALUE, x)
VAR_GRADIENT = derive(VALUE, v)
_NORMAL_PDF = sp.exp(-((y - x) ** 2) / (2 * v)) / sp.sqrt(2 * sp.pi * v)

_f, _df = lambdify((x, y, v), VALUE), lambdify((x, y, v), GRADIENT)


def _broadcast_var(var: Any, shape: tuple[int, ...]) -> np.ndarray:
    """PyTorch's rule: a variance per row (``input.shape[:-1]``) gets a trailing axis; the
    other accepted shapes broadcast as they are."""
    a = np.asarray(var, dtype=np.float64)
    if a.ndim and a.shape != shape and a.shape == shape[:-1]:
        a = a[..., None]
    return np.broadcast_to(a, shape)


def _evaluate(a: dict[str, Any]) -> tuple[Any, Any]:
    xv = np.asarray(a["input"])
    xv = xv if np.iscomplexobj(xv) else xv.astype(np.float64)
    yv = np.asarray(a["target"], dtype=np.float64)
    eps = float(np.asarray(a["eps"], dtype=np.real(np.asarray(a["input"])).dtype))
    vv = np.maximum(_broadcast_var(a["var"], xv.shape), eps)
    out = _f(xv, yv, vv)
    g = _df(xv, yv, vv)
    if a["full"]:
        out = out + float(sp.log(2 * sp.pi) / 2)
    red = a["reduction"]
    if red == "mean":
        return out.mean(), g / out.size
    if red == "sum":
        return out.sum(), g
    return out, g


def _sample(rng: np.random.Generator, dtype: Any) -> dict[str, Any]:
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 5)))
    kind = int(rng.integers(0, 4))
    var_shape = [shape, shape[:-1], (shape[0], 1), ()][kind]
    var = rng.uniform(0.1, 3.0, var_shape)
    return {
        "input": rng.uniform(-3, 3, shape).astype(dtype),
        "target": rng.uniform(-3, 3, shape).astype(dtype),
        "var": np.asarray(var).astype(dtype) if var_shape else float(var),
        "full": bool(rng.integers(0, 2)),
        "eps": float(rng.choice([1e-6, 0.5])),  # 0.5 clamps some of the variances
        "reduction": str(rng.choice(["mean", "sum", "none"])),
    }


def _s(name: str, **assumptions: Any) -> sp.Symbol:
    return sp.Symbol(name, real=True, **assumptions)


_INDEXED = {x: _s("x_i"), y: _s("y_i"), v: _s("v_i", positive=True)}

GAUSSIAN_NLL_LOSS = SymbolicLoss(
    name="gaussian_nll_loss",
    wrt="input",
    form="per element, variance v = max(var, eps)",
    variable=x,
    value=VALUE,
    gradient=GRADIENT,
    closed_form=(x - y) / v,
    evaluate=_evaluate,
    sample=_sample,
    formulas={
        "value": VALUE.subs(_INDEXED),
        "full": (VALUE + sp.log(2 * sp.pi) / 2).subs(_INDEXED),
        "gradient": GRADIENT.subs(_INDEXED),
        "var_gradient": VAR_GRADIENT.subs(_INDEXED),
    },
    domains={"v": (0.1, 3.0)},
    extra_proofs=(
        (
            "var gradient 1/2 (1/v - (x - y)^2 / v^2)",
            VAR_GRADIENT,
            (1 / v - (x - y) ** 2 / v**2) / 2,
        ),
        ("target gradient is minus the input gradient", derive(VALUE, y), -GRADIENT),
        (
            "full=True is minus the log of the normal density",
            VALUE + sp.log(2 * sp.pi) / 2,
            -sp.log(_NORMAL_PDF),
        ),
    ),
)

FORMS = {"gaussian_nll_loss": GAUSSIAN_NLL_LOSS}
