r"""Formulas of :func:`losslab.zero_one_loss` and :func:`losslab.accuracy`, values only.

They are not differentiable (so they have no :class:`~losslab.symbolic.SymbolicLoss` and are not
in :func:`losslab.symbolic.available`), but the documentation checker proves the formulas the
pages state for them: Iverson brackets are Kronecker deltas, :math:`\operatorname{arg\,max}` is
the first index of the largest entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ._notation import ArgMaxOver


@dataclass(frozen=True)
class Formulas:
    """Named formulas and the domains of their variables (as ``SymbolicLoss`` has them)."""

    name: str
    formulas: dict[str, sp.Expr]
    domains: dict[str, Any] = field(default_factory=dict[str, Any])


_n, _c = sp.Symbol("n", integer=True), sp.Symbol("c", integer=True)
_N, _size = sp.Symbol("N", integer=True), sp.Symbol("n", integer=True)
_X, _Yhat, _Y = sp.IndexedBase("x"), sp.IndexedBase("yhat"), sp.IndexedBase("y")
_T = sp.IndexedBase("t")
_LABELS = {"y": [1, 2, 3], "yhat": [1, 2, 3]}

VALUES = {
    "zero_one_loss": Formulas(
        "zero_one_loss",
        {
            # sample n: 1 when the predicted label differs from the label
            "value": 1 - sp.KroneckerDelta(sp.Symbol("yhat_n"), sp.Symbol("y_n")),
            # the predicted label of sample n: first class of largest score (classes 1..n)
            "argmax": ArgMaxOver(_X[_n, _c], _c, _size),
            # one sample with scores x_c and label y
            "single": 1 - sp.KroneckerDelta(ArgMaxOver(_X[_c], _c, _size), sp.Symbol("y")),
        },
        _LABELS,
    ),
    "accuracy": Formulas(
        "accuracy",
        {
            "mean": sp.Sum(sp.KroneckerDelta(_Yhat[_n], _Y[_n]), (_n, 1, _N)) / _N,
            # binary labels t_n predicted by the sign of x_n + b (a shared bias b)
            "bias": sp.Sum(
                sp.KroneckerDelta(
                    sp.Piecewise((1, _X[_n] + sp.Symbol("b") > 0), (0, True)), _T[_n]
                ),
                (_n, 1, _N),
            )
            / _N,
        },
        {**_LABELS, "t": [0, 1]},
    ),
}
