r"""Symbolic form of :func:`losslab.kl_div` (PyTorch's ``KLDivLoss``), per element.

With ``input`` :math:`x = \log q` and ``target`` :math:`p`, :math:`\ell = p(\log p - x)`; with
``log_target=True`` the target is :math:`t = \log p` and :math:`\ell = e^{t}(t - x)`, which SymPy
proves to be the same function of :math:`p = e^t`.  Both are linear in :math:`x`: the derived
gradient is :math:`-p`.  The edge :math:`p = 0` is handled by the documented rule
:math:`0 \log 0 = 0` (the limit, which SymPy computes), not by evaluating :math:`0 \cdot (-\infty)`.
Reductions: ``'sum'``, ``'mean'`` (over all elements), ``'batchmean'`` (over the first axis) and
``'none'``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import sympy as sp

from ._core import elementwise, sampler

x = sp.Symbol("x", real=True)
p = sp.Symbol("p", positive=True)
t = sp.Symbol("t", real=True)

KL = p * (sp.log(p) - x)
KL_LOG = sp.exp(t) * (t - x)


def _zero_log_zero(vals: list[np.ndarray], out: np.ndarray, g: np.ndarray) -> tuple[Any, Any]:
    """0 log 0 = 0: where the target probability is 0 the element loss is 0."""
    return np.where(vals[1] == 0, 0.0, out), g


def _reduce(out: np.ndarray, g: np.ndarray, a: dict[str, Any]) -> tuple[Any, Any]:
    red = a["reduction"]
    if red == "none":
        return out, g
    if red == "mean":
        scale = 1.0 / out.size
    elif red == "batchmean" and out.ndim:
        scale = 1.0 / out.shape[0]
    else:
        scale = 1.0
    return out.sum() * scale, g * scale


def _others(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> dict[str, Any]:
    log_target = bool(rng.integers(0, 2))
    target = rng.uniform(-4, 0, shape) if log_target else rng.uniform(0, 1, shape)
    return {"target": target.astype(dtype), "log_target": log_target}


def _sample(rng: np.random.Generator, dtype: Any) -> dict[str, Any]:
    a = sampler("input", -4, 0, others=_others)(rng, dtype)
    a["reduction"] = str(rng.choice(["mean", "batchmean", "sum", "none"]))
    return a


_PROB = elementwise(
    "kl_div",
    wrt="input",
    variable=x,
    value=KL,
    arrays={"input": x, "target": p},
    sample=_sample,
    edge=_zero_log_zero,
    reduce=_reduce,
)
_LOG = elementwise(
    "kl_div",
    wrt="input",
    variable=x,
    value=KL_LOG,
    arrays={"input": x, "target": t},
    sample=_sample,
    reduce=_reduce,
)


def _evaluate(a: dict[str, Any]) -> tuple[Any, Any]:
    return (_LOG if a["log_target"] else _PROB).evaluate(a)


def _s(name: str, **kw: Any) -> sp.Symbol:
    return sp.Symbol(name, real=True, **kw)


_q = sp.Symbol("q", positive=True)
KL_DIV = elementwise(
    "kl_div",
    wrt="input",
    variable=x,
    value=KL,
    arrays={"input": x, "target": p},
    sample=_sample,
    closed_form=-p,
    subgradient="smooth in input; 0 log 0 = 0 where the target probability is 0",
    formulas={
        "value": KL.subs({x: _s("x_i"), p: _s("p_i", positive=True)}),
        "log_target": KL_LOG.subs({x: _s("x_i"), t: _s("t_i")}),
        "gradient": -_s("p_i"),
        "probabilities": _s("p_i") * (sp.log(_s("p_i")) - sp.log(_s("q_i"))),
    },
    extra_proofs=(
        ("log_target=True is the same loss of p = e^t", KL_LOG.subs(t, sp.log(p)), KL),
        ("log_target=True: derived gradient -e^t", sp.diff(KL_LOG, x), -sp.exp(t)),
        ("with x = log q: p log(p / q)", KL.subs(x, sp.log(_q)), p * sp.log(p / _q)),
        ("0 log 0 = 0 (limit p -> 0+)", sp.limit(KL, p, 0, "+"), sp.Integer(0)),
    ),
    domains={"p": (0.05, 1.0), "q": (0.05, 1.0), "t": (-4.0, 0.0), "x": (-4.0, 0.0)},
)


def _magnitude(a: dict[str, Any]) -> Any:
    form = _LOG if a["log_target"] else _PROB
    assert form.magnitude is not None  # both forms have one
    return form.magnitude(a)


# Dispatch on log_target (the element rule 0 log 0 = 0 lives in _PROB).
KL_DIV = dataclasses.replace(KL_DIV, evaluate=_evaluate, magnitude=_magnitude)  # pyright: ignore[reportConstantRedefinition]

FORMS = {"kl_div": KL_DIV}
