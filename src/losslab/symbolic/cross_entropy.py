r"""Symbolic form of :func:`losslab.cross_entropy` (logits, class-index targets):
per sample over :math:`k` classes, :math:`\ell = -\sum_j t_j \log \operatorname{softmax}(x)_j`
with a one-hot :math:`t`, whose derived gradient SymPy proves equal to
:math:`\operatorname{softmax}(x) - t` (the closed form the NumPy code uses).

Covered: ``weight=None``, ``label_smoothing=0``; ``ignore_index`` is honoured.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from ._core import SymbolicLoss, derive, lambdify

K = 3  # classes of the displayed and proved form


@cache
def _row(k: int):
    xs = sp.symbols(f"x_1:{k + 1}", real=True)
    ts = sp.symbols(f"t_1:{k + 1}", real=True)
    z = sum(sp.exp(v) for v in xs)
    value = -sum(t * (v - sp.log(z)) for t, v in zip(ts, xs, strict=True))
    grads = [derive(value, v) for v in xs]
    return (
        xs,
        ts,
        value,
        grads,
        lambdify((*xs, *ts), value),
        [lambdify((*xs, *ts), g) for g in grads],
    )


def _evaluate(a: dict[str, Any]) -> tuple[Any, Any]:
    if a.get("weight") is not None or a.get("label_smoothing", 0.0):
        raise NotImplementedError("the symbolic cross_entropy covers weight=None, no smoothing")
    x = np.asarray(a["input"])
    x = x if np.iscomplexobj(x) else x.astype(np.float64)
    single = x.ndim == 1
    x2 = x[None, :] if single else np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])
    labels = np.asarray(a["target"]).reshape(-1)
    k = x2.shape[1]
    keep = labels != a["ignore_index"]
    onehot = np.zeros(x2.shape)
    onehot[np.flatnonzero(keep), labels[keep]] = 1.0
    _, _, _, _, f, dfs = _row(k)
    cols = [x2[:, j] for j in range(k)] + [onehot[:, j] for j in range(k)]
    values = np.where(keep, f(*cols), 0.0)
    grads = np.stack([df(*cols) for df in dfs], axis=-1) * keep[:, None]
    red = a["reduction"]
    if red == "mean":
        values, grads = values.sum() / keep.sum(), grads / keep.sum()
    elif red == "sum":
        values = values.sum()
    else:
        values = values[0] if single else values.reshape(np.asarray(a["target"]).shape)
    if single:
        return values, grads[0]
    shape = (x.shape[0], *x.shape[2:], k)
    return values, np.moveaxis(grads.reshape(shape), -1, 1)


def _sample(rng: np.random.Generator, dtype: Any) -> dict[str, Any]:
    n, k = int(rng.integers(1, 5)), int(rng.integers(2, 5))
    return {
        "input": rng.uniform(-4, 4, (n, k)).astype(dtype),
        "target": rng.integers(0, k, n),
        "reduction": str(rng.choice(["mean", "sum", "none"])),
    }


_xs, _ts, _value, _grads, _, _ = _row(K)
_softmax = [sp.exp(v) / sum(sp.exp(u) for u in _xs) for v in _xs]
CROSS_ENTROPY = SymbolicLoss(
    name="cross_entropy",
    wrt="input",
    form=f"per sample over k = {K} classes, one-hot target t (gradient: first entry)",
    variable=_xs[0],
    value=_value,
    gradient=_grads[0],
    evaluate=_evaluate,
    sample=_sample,
    # softmax_1 * (t_1 + ... + t_k) - t_1 with t one-hot (sum 1): softmax_1 - t_1.
    closed_form=_softmax[0] - _ts[0],
    closed_form_assumptions={_ts[-1]: 1 - sum(_ts[:-1])},
    formulas={"value": _value.subs({s: sp.Symbol(s.name) for s in (*_xs, *_ts)})},
)

FORMS = {"cross_entropy": CROSS_ENTROPY}
