r"""LaTeX for the site, produced from the SymPy forms, and a checker for hand-written formulas.

Two mechanisms keep every formula on the site tied to the expressions the tests check:

* **Generated.**  A page prints the LaTeX of a form at build time with a markdown-exec fence::

      ```python exec="on"
      from losslab.symbolic.latex import markdown
      print(markdown("mse_loss"))
      ```

* **Checked.**  A formula written by hand is marked, and :func:`check_paths` parses it back with
  ``sympy.parsing.latex.parse_latex`` (Lark backend) and compares it with the named formula of
  the form (:attr:`SymbolicLoss.formulas`): first ``simplify(a - b) == 0``, else numerically at
  random points (sums over :math:`n` or :math:`C` terms are expanded with a few concrete sizes).

  In a Markdown page, an HTML comment right before the ``$$`` block::

      <!-- formula: mse_loss mean -->
      $$
      \mathrm{MSE} = \frac{1}{n}\sum_{i=1}^{n} (x_i - y_i)^2
      $$

  In a docstring, a ``:formula:`` option line in the ``.. math::`` directive (the site's RST-math
  converter drops option lines, so readers do not see it)::

      .. math::
          :formula: mse_loss value mean

          \ell_i = (x_i - y_i)^2, \qquad \mathrm{MSE} = \frac1n \sum_{i=1}^{n} (x_i - y_i)^2

  A block may hold several equations separated by ``\qquad`` or ``\\``; the marker names one
  formula per equation, in order.  Only the right-hand side of the last top-level ``=`` is
  compared.  Symbols are matched by name: ``x_i`` in the page is the form's ``x_i``, and
  ``x_i`` under :math:`\sum_{i=1}^{n}` is the :math:`i`-th entry of ``x``.
"""

from __future__ import annotations

import sympy as sp

from . import get
from ._compare import equivalent
from ._parse import equations, parse, sides

# The marker syntax, for tools (tests/test_formula_coverage.py):
from ._scan import MARK_MD as _MARK_MD  # noqa: F401  # pyright: ignore[reportUnusedImport]
from ._scan import MARK_RST as _MARK_RST  # noqa: F401  # pyright: ignore[reportUnusedImport]
from ._scan import Finding, check_paths, check_text

__all__ = [
    "Finding",
    "check_paths",
    "check_text",
    "equations",
    "equivalent",
    "latex",
    "markdown",
    "parse",
    "sides",
]


def latex(name: str) -> dict[str, str]:
    """LaTeX of the formula, derived gradient and closed form of ``name`` (see ``SymbolicLoss``)."""
    return get(name).latex()


def markdown(name: str, variable: str | None = None) -> str:
    r"""Markdown for a page: the formula and its SymPy-derived gradient as ``$$`` blocks.

    Examples
    --------
    >>> from losslab.symbolic.latex import markdown
    >>> print(markdown("mse_loss"))
    Per element, $\ell = \left(x - y\right)^{2}$, and SymPy derives
    <BLANKLINE>
    $$
    \frac{\partial \ell}{\partial x} = 2 x - 2 y
    $$
    """
    form = get(name)
    tex = form.latex()
    var = variable or sp.latex(form.variable)
    text = (
        f"{form.form.capitalize()}, $\\ell = {tex['value']}$, and SymPy derives\n\n"
        f"$$\n\\frac{{\\partial \\ell}}{{\\partial {var}}} = {tex['gradient']}\n$$"
    )
    if "closed_form" in tex and tex["closed_form"] != tex["gradient"]:
        text += (
            f"\n\nwhich it proves equal to the closed form the NumPy code uses,\n\n"
            f"$$\n{tex['closed_form']}\n$$"
        )
    return text
