r"""SymPy form of :func:`losslab.linear_cross_entropy` on a small case.

:math:`\ell = \operatorname{lse}(W x + b) - (W x + b)_y`; ``proof()`` derives the gradient
with respect to ``x`` and proves it equal to :math:`W^\top(\mathrm{softmax}(z) - e_y)`, the
form the chunked backward pass accumulates.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ._core import prove_equal


def proof(d: int = 2, v: int = 3, label: int = 1) -> bool:
    x = sp.symbols(f"x0:{d}", real=True)

    def weight(i: int, j: int) -> Any:
        return sp.Symbol(f"w_{i}_{j}", real=True)

    W = sp.Matrix(v, d, weight)
    b = sp.symbols(f"b0:{v}", real=True)
    z = [sum(W[i, j] * x[j] for j in range(d)) + b[i] for i in range(v)]
    loss = sp.log(sum(sp.exp(zi) for zi in z)) - z[label]
    soft = [sp.exp(zi) / sum(sp.exp(zj) for zj in z) for zi in z]
    return all(
        prove_equal(
            sp.diff(loss, x[j]),
            sum(W[i, j] * (soft[i] - (1 if i == label else 0)) for i in range(v)),
        )
        for j in range(d)
    )
