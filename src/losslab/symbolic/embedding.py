r"""SymPy forms of the pair and triplet losses of :mod:`losslab.embedding`.

Each form is the loss of one sample on the side of the hinge where it is active; ``proofs()``
derives the gradients with ``sympy.diff`` and proves them equal to the closed forms that
:mod:`losslab.embedding` evaluates. (These forms are not yet in the three-way check of
:mod:`losslab.symbolic`'s registry.)
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ._core import prove_equal

x1, x2, y, margin = sp.symbols("x_1 x_2 y margin", real=True)
D = 3
A = sp.symbols(f"a0:{D}", real=True)
B = sp.symbols(f"b0:{D}", real=True)
P = sp.symbols(f"p0:{D}", real=True)
N = sp.symbols(f"n0:{D}", real=True)
eps = sp.Symbol("epsilon", positive=True)

#: margin_ranking_loss where -y (x1 - x2) + margin > 0
RANKING = -y * (x1 - x2) + margin

_dot = sum(a * b for a, b in zip(A, B, strict=True))
_m1 = sum(a * a for a in A) + eps
_m2 = sum(b * b for b in B) + eps
#: the cosine of cosine_embedding_loss, with PyTorch's epsilon
COSINE = _dot / sp.sqrt(_m1 * _m2)


def _dist(u: Any, v: Any) -> Any:
    return sp.sqrt(sum((ui - vi + eps) ** 2 for ui, vi in zip(u, v, strict=True)))


#: triplet_margin_loss (p = 2) where it is positive
TRIPLET = _dist(A, P) - _dist(A, N) + margin


def proofs() -> dict[str, bool]:
    """Derived gradient == the closed form the NumPy code uses, for each form."""
    cos = COSINE
    den = sp.sqrt(_m1 * _m2)
    out = {
        "margin_ranking_loss input1": prove_equal(sp.diff(RANKING, x1), -y),
        "margin_ranking_loss input2": prove_equal(sp.diff(RANKING, x2), y),
        "cosine_embedding_loss input1": all(
            prove_equal(sp.diff(cos, A[k]), B[k] / den - cos / _m1 * A[k]) for k in range(D)
        ),
    }
    d_ap, d_an = _dist(A, P), _dist(A, N)
    out["triplet_margin_loss anchor"] = all(
        prove_equal(sp.diff(TRIPLET, A[k]), (A[k] - P[k] + eps) / d_ap - (A[k] - N[k] + eps) / d_an)
        for k in range(D)
    )
    return out
