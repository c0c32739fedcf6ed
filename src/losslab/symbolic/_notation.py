r"""SymPy functions for the notation of the site's formulas that SymPy lacks.

:math:`\max_j` and :math:`\operatorname{arg\,max}_j` over :math:`j = 1..n`, kept unexpanded
until :math:`n` is a number.  The forms (``softmax``, ``classification``) state formulas with
them, and the LaTeX reader (:mod:`._parse`) produces them.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

__all__ = ["ArgMax", "ArgMaxOver", "MaxOver"]


class MaxOver(sp.Function):
    r""":math:`\max_{j=1}^{n} f(j)`: ``MaxOver(body, j, n)``, expanded once ``n`` is a number."""

    def expand_over(self) -> sp.Expr:
        body, var, size = self.args
        return sp.Max(*(body.xreplace({var: sp.Integer(i)}) for i in range(1, int(size) + 1)))


class ArgMax(sp.Function):
    """The (1-based, first) index of the largest argument, once every argument is a number."""

    @classmethod
    def eval(cls, *entries: Any) -> Any:
        if entries and all(e.is_number for e in entries):
            values = [float(e) for e in entries]
            return sp.Integer(values.index(max(values)) + 1)
        return None


class ArgMaxOver(sp.Function):
    r""":math:`\operatorname{arg\,max}_j f(j)` over :math:`j = 1..n`: ``ArgMaxOver(body, j, n)``."""

    def expand_over(self) -> sp.Expr:
        body, var, size = self.args
        return ArgMax(*(body.xreplace({var: sp.Integer(i)}) for i in range(1, int(size) + 1)))
