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

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp

from . import get

__all__ = ["Finding", "check_paths", "check_text", "equivalent", "latex", "markdown", "parse"]

#: Symbols read as the size of a sum; they get small concrete values in the numeric check.
SIZES = ("n", "N", "C", "k", "K", "m")
_MARK_MD = re.compile(r"<!--\s*formula:\s*(?P<spec>[^>]*?)\s*-->")
_MARK_RST = re.compile(r"^\s*:formula:\s*(?P<spec>.+?)\s*$")
_SUB = re.compile(r"^(?P<base>[A-Za-z]+)_\{?(?P<sub>[A-Za-z0-9]+)\}?$")


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


# --------------------------------------------------------------------------- parsing


def _top_level_split(text: str, separators: Iterable[str]) -> list[str]:
    """Split ``text`` at separators that are not inside braces, brackets or parentheses."""
    seps = sorted(separators, key=len, reverse=True)
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        c = text[i]
        if c in "{([":
            depth += 1
        elif c in "})]":
            depth -= 1
        elif depth == 0:
            for s in seps:
                if text.startswith(s, i) and not (
                    s[-1].isalpha() and text[i + len(s) : i + len(s) + 1].isalpha()
                ):
                    parts.append(text[start:i])
                    start = i + len(s)
                    i = start - 1
                    break
        i += 1
    parts.append(text[start:])
    return parts


_SIZE = re.compile(r"\\(?:[bB]igg?[lr]?|left|right)\b\s*")
_SUM_NO_LIMITS = re.compile(r"\\sum_(?:\{\s*([A-Za-z])\s*\}|([A-Za-z])\b)")
_SUM_EXCEPT = re.compile(r"\\sum_\{\s*([A-Za-z])\s*\\(?:ne|neq)\s*([^{}]*?|[^{}]*\{[^{}]*\})\s*\}")
_SIGN = re.compile(r"\\(?:operatorname|mathrm)\{sign\}\s*\(([^()]*)\)")


def _clean(tex: str) -> str:
    tex = tex.strip().rstrip(".,;").strip()
    tex = re.sub(r"\\[,;:! ]|\\q?quad\b|~", " ", tex)
    tex = _conditional_sums(tex)
    tex = re.sub(
        r"\\ell(?![A-Za-z])\s*", "l", tex
    )  # the grammar lacks \ell: l_n is the loss of sample n
    tex = re.sub(r"(?<![A-Za-z\\])([A-Za-z])'(?!')", r"\1_{prime}", tex)  # N' is N_prime
    tex = re.sub(r"\\text\{[^{}]*\}", " ", tex)  # annotations such as \text{(L1)}
    tex = re.sub(r"\\(?:mathrm|operatorname|text)\{(log|ln|exp|max|min)\}", r"\\\1", tex)
    tex = re.sub(r"\\(?:displaystyle|limits)\b", "", tex)
    tex = tex.replace(r"\tfrac", r"\frac").replace(r"\dfrac", r"\frac")
    tex = _SIZE.sub("", tex)
    # Iverson brackets [a = b] are kept apart (read by _placeholders); others are parentheses.
    tex = _IVERSON.sub(lambda m: f"\u27e6{m['a']} {m['op']} {m['b']}\u27e7", tex)
    tex = tex.replace("[", "(").replace("]", ")")
    # sign(u) = u/|u| (the two differ only at u = 0, where the numeric check never lands)
    tex = _SIGN.sub(r"\\frac{(\1)}{|\1|}", tex)
    tex = _macros(tex)
    # Other upright words are variables: \mathrm{margin} is the symbol ``margin``.
    tex = re.sub(r"\\(?:mathrm|operatorname)\{([A-Za-z]{2,})\}", r"\\mathit{\1}", tex)
    return tex


class MaxOver(sp.Function):
    r""":math:`\max_{j=1}^{n} f(j)`: ``MaxOver(body, j, n)``, expanded once ``n`` is a number."""

    def expand_over(self) -> sp.Expr:
        body, var, size = self.args
        return sp.Max(*(body.xreplace({var: sp.Integer(i)}) for i in range(1, int(size) + 1)))


class ArgMax(sp.Function):
    """The (1-based, first) index of the largest argument, once every argument is a number."""

    @classmethod
    def eval(cls, *entries):
        if entries and all(e.is_number for e in entries):
            values = [float(e) for e in entries]
            return sp.Integer(values.index(max(values)) + 1)
        return None


class ArgMaxOver(sp.Function):
    r""":math:`\operatorname{arg\,max}_j f(j)` over :math:`j = 1..n`: ``ArgMaxOver(body, j, n)``."""

    def expand_over(self) -> sp.Expr:
        body, var, size = self.args
        return ArgMax(*(body.xreplace({var: sp.Integer(i)}) for i in range(1, int(size) + 1)))


#: Placeholder symbol name -> the SymPy expression it stands for (filled by _placeholders).
_HELD: dict[str, sp.Expr] = {}
_SYMBOL_TEX = r"[A-Za-z](?:_\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|_[A-Za-z0-9])?"
_MULTI = re.compile(r"(?<![\\A-Za-z])([A-Za-z])_\{([^{}]*(?:,|_)[^{}]*(?:\{[^{}]*\}[^{}]*)*)\}")
_HAT = re.compile(r"\\(?:hat|widehat)\s*\{?\s*([A-Za-z])\s*\}?(_\{[^{}]*\}|_[A-Za-z0-9])?")
_BOUND = re.compile(
    r"\\(?:operatorname\*?\{arg\s*(?P<arg>max)\}|(?P<max>max))_\{?\s*(?P<var>[A-Za-z])\s*\}?"
    rf"\s*(?P<body>{_SYMBOL_TEX})"
)
_IVERSON = re.compile(
    r"(?:\\mathbb\{1\}|\\mathbf\{1\})?\s*\[(?P<a>[^\[\]=]*?)\s*(?P<op>=|\\neq?\b)(?P<b>[^\[\]=]*)\]"
)
_HELD_IVERSON = re.compile(
    r"\u27e6(?P<a>[^\u27e6\u27e7]*?) (?P<op>=|\\neq?) (?P<b>[^\u27e6\u27e7]*)\u27e7"
)


def _hold(expr: sp.Expr) -> str:
    name = "Q_{zq" + "".join(chr(ord("a") + int(d)) for d in str(len(_HELD))) + "}"
    _HELD[name] = expr
    return name


def _symbol(tex: str) -> sp.Symbol:
    """``y_{n,c_n}`` as the symbol named so (:func:`_canonical` makes it an indexed entry)."""
    return sp.Symbol(re.sub(r"\s+", "", tex))


def _unwrap(tex: str) -> str:
    """``(a > 0)`` as ``a > 0`` (the grammar reads no comparison inside parentheses)."""
    tex = tex.strip()
    if tex.startswith("(") and tex.endswith(")"):
        depth = 0
        for k, ch in enumerate(tex):
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth == 0 and k < len(tex) - 1:
                return tex
        return tex[1:-1]
    return tex


def _placeholders(tex: str) -> str:
    r"""Notation the grammar lacks, replaced by placeholder symbols (see :data:`_HELD`):
    entries with several or gathered indices (``t_{nk}`` is read later, ``y_{n,c_n}``,
    ``w_{y_n}``), ``\hat y_n``, :math:`\max_j x_j` and :math:`\operatorname{arg\,max}_c x_c`
    (over :math:`j = 1..n`) and Iverson brackets ``[c = y_n]``, ``\mathbb{1}[a \ne b]`` (a
    Kronecker delta)."""
    tex = _HAT.sub(lambda m: _hold(sp.Symbol(f"{m[1]}hat{(m[2] or '').replace(' ', '')}")), tex)
    tex = _MULTI.sub(lambda m: _hold(_symbol(f"{m[1]}_{{{m[2]}}}")), tex)

    def bound(m: re.Match) -> str:
        body = _HELD[m["body"]] if m["body"] in _HELD else _latex(m["body"])
        cls = ArgMaxOver if m["arg"] else MaxOver
        return _hold(cls(body, sp.Symbol(m["var"]), sp.Symbol("n")))

    tex = re.sub(
        _BOUND.pattern.replace(_SYMBOL_TEX, rf"(?:Q_\{{zq[a-j]+\}}|{_SYMBOL_TEX})"),
        bound,
        tex,
    )

    def iverson(m: re.Match) -> str:
        # a comparison inside the bracket is 1 or 0: [(x + b > 0) = t]
        a, b = (
            sp.Piecewise((1, e), (0, True)) if isinstance(e, sp.core.relational.Relational) else e
            for e in (_latex(_unwrap(m[k])) for k in ("a", "b"))
        )
        delta = sp.KroneckerDelta(a, b)
        return _hold(delta if m["op"] == "=" else 1 - delta)

    tex = _HELD_IVERSON.sub(iverson, tex)
    # The grammar reads no product of two subscripted symbols written side by side.
    return re.sub(r"(Q_\{zq[a-j]+\})\s*(?=Q_\{zq)", r"\1 \\cdot ", tex)


_SUM_IF = re.compile(r"\\sum_\{\s*([A-Za-z])\s*:")


def _conditional_sums(tex: str) -> str:
    r""":math:`\sum_{n:\, y_n \ne \text{ignore}} w_{y_n}` as :math:`\sum_n ([y_n \ne
    \mathrm{ignore}] \cdot w_{y_n})`: the condition becomes an Iverson bracket (a word in it a
    symbol) and the body runs to the end of its group or the next top-level + or -."""
    while m := _SUM_IF.search(tex):
        depth, j = 1, m.end()
        while depth and j < len(tex):
            depth += {"{": 1, "}": -1}.get(tex[j], 0)
            j += 1
        cond = re.sub(r"\\text\{([A-Za-z]+)\}", r"\\mathrm{\1}", tex[m.end() : j - 1]).strip()
        depth, e = 0, j
        while e < len(tex):
            ch = tex[e]
            if ch in "{([":
                depth += 1
            elif ch in "})]":
                if depth == 0:
                    break
                depth -= 1
            elif depth == 0 and ch in "+-=" and tex[j:e].strip():
                break
            e += 1
        body = tex[j:e].strip()
        tex = tex[: m.start()] + rf"\sum_{{{m[1]}}} ([{cond}] \cdot ({body}))" + tex[e:]
    return tex


#: Functions the grammar lacks, as LaTeX the grammar has (``#`` is the argument).
MACROS = {
    r"\operatorname{LSE}": r"\log\sum_{j} e^{#_{j}}",
    r"\mathrm{LSE}": r"\log\sum_{j} e^{#_{j}}",
    r"\mathrm{softplus}": r"\log(1 + e^{#})",
    r"\operatorname{softplus}": r"\log(1 + e^{#})",
    r"\operatorname{log1p}": r"\log(1 + #)",
    r"\mathrm{log1p}": r"\log(1 + #)",
    r"\sigma": r"\frac{1}{1 + e^{-(#)}}",
}


def _macros(tex: str) -> str:
    """Expand ``\\mathrm{softplus}(u)``, ``\\operatorname{log1p}(u)`` and ``\\sigma(u)``."""
    for name, body in MACROS.items():
        start = 0
        while (k := tex.find(name, start)) >= 0:
            j = k + len(name)
            while j < len(tex) and tex[j] == " ":
                j += 1
            if j >= len(tex) or tex[j] != "(":
                start = j
                continue
            depth, e = 0, j
            while e < len(tex):
                depth += {"(": 1, ")": -1}.get(tex[e], 0)
                if depth == 0:
                    break
                e += 1
            arg = tex[j + 1 : e]
            tex = tex[:k] + "(" + body.replace("#", arg) + ")" + tex[e + 1 :]
            start = k
    return tex


def _indices(tex: str) -> str:
    r"""Sums written without limits run from 1 to :math:`n`; ``P(i)`` under a sum over ``i``
    is the entry ``P_i``; :math:`\sum_{j \ne y}` is read with the label :math:`y` = class 1,
    i.e. :math:`\sum_{j=2}^{n}` with :math:`y` replaced by 1 (the forms state multi-class
    losses for label 1; by symmetry nothing is lost)."""
    m = _SUM_EXCEPT.search(tex)
    if m:
        label = m[2].strip()
        tex = tex[: m.start()] + rf"\sum_{{{m[1]}=2}}^{{n}}" + tex[m.end() :]
        tex = tex.replace("_{" + label + "}", "_{1}")
        tex = re.sub(rf"_{re.escape(label)}(?![A-Za-z0-9_])", "_{1}", tex)
    # Over n the sum runs to N; with a sum over n elsewhere the others run to K (classes).
    over_n = re.search(r"\\sum_(?:\{\s*n\b|n\b)", tex) is not None

    def limits(m: re.Match) -> str:
        var = m[1] or m[2]
        top = "N" if var == "n" else "K" if over_n else "n"
        return rf"\sum_{{{var}=1}}^{{{top}}}"

    tex = _SUM_NO_LIMITS.sub(limits, tex)
    for var in set(re.findall(r"\\sum_\{([A-Za-z])=", tex)):
        tex = re.sub(rf"\b([A-Za-z])\(\s*{var}\s*\)", rf"\1_{{{var}}}", tex)
    return tex


_LOG_OF_SYMBOL = re.compile(
    r"\\(ln|log)(_\{[^{}]*\}|_[A-Za-z0-9])?\s*([A-Za-z](?:_\{[^{}]*\}|_[A-Za-z0-9])?)(?![\w({])"
)


def _group_logs(tex: str) -> str:
    r"""``\ln(u) + v`` as ``(\ln(u)) + v``: Lark's ``\ln`` would take ``(u) + v`` as its
    argument.  (``t (\ln(p))`` is then ambiguous, a product or a function ``t``; :func:`_latex`
    takes the product.)"""
    out, i = [], 0
    for m in re.finditer(r"\\(?:ln|log)(?:_\{[^{}]*\}|_[A-Za-z0-9])?\s*\(", tex):
        if m.start() < i:
            continue
        depth, j = 0, m.end() - 1
        while j < len(tex):
            depth += {"(": 1, ")": -1}.get(tex[j], 0)
            if depth == 0:
                break
            j += 1
        out += [tex[i : m.start()], "(", tex[m.start() : j + 1], ")"]
        i = j + 1
    out.append(tex[i:])
    # ``(1 - y)\\max(a, b)``: the grammar has no product of a parenthesis and a function.
    return re.sub(r"\)\s*(\\(?:max|min|exp|frac|sqrt)\b)", r") \\cdot \1", "".join(out))


def _latex(tex: str) -> sp.Expr:
    r"""``parse_latex`` (Lark), with ``\ln p`` read as ``\ln(p)`` and, when the grammar is
    ambiguous (``\delta (u)``: a product or a function?), the reading without a function."""
    from sympy.parsing.latex import parse_latex

    tex = _placeholders(tex)
    tex = _group_logs(_LOG_OF_SYMBOL.sub(lambda m: rf"\{m[1]}{m[2] or ''}({m[3]})", tex))
    out = parse_latex(tex, backend="lark")
    if not isinstance(out, sp.Basic) and getattr(out, "data", None) == "_ambig":
        options = [c for c in out.children if isinstance(c, sp.Basic)]
        plain = [c for c in options if not c.atoms(sp.core.function.AppliedUndef)]
        out = (plain or options)[0]
    held = {s: _HELD[s.name] for s in out.free_symbols if s.name in _HELD}
    return out.xreplace(held) if held else out


def _cases(tex: str) -> sp.Expr | None:
    r"""``\begin{cases} e_1 & c_1 \\ e_2 & \text{otherwise} \end{cases}`` as a Piecewise."""
    m = re.search(r"\\begin\{cases\}(.*)\\end\{cases\}", tex, re.S)
    if not m:
        return None
    prefix = tex[: m.start()].strip()
    factor = _latex(_indices(_clean(prefix))) if prefix else sp.Integer(1)
    pieces = []
    for row in _top_level_split(m[1], [r"\\"]):
        row = re.sub(r"^\s*\[[\d.]*(?:ex|em|pt)\]", "", row)  # \\[1ex] spacing
        if not row.strip():
            continue
        expr, _, cond = row.partition("&")
        cond = cond.strip().rstrip(",.;").strip()
        value = _latex(_indices(_clean(expr)))
        if not cond or "otherwise" in cond or re.fullmatch(r"\\text\{[^{}]*\}", cond):
            pieces.append((value, True))
        else:
            pieces.append((value, _latex(_clean(cond))))
    if pieces[-1][1] is not True:
        pieces[-1] = (pieces[-1][0], True)  # the last case covers the rest
    return factor * sp.Piecewise(*pieces)


def equations(block: str) -> list[str]:
    r"""The equations of a display block, split at ``\qquad`` and ``\\``."""
    # Rows of a cases environment are not separate equations.
    hold = "\x00"
    block = re.sub(
        r"\\begin\{cases\}.*?\\end\{cases\}",
        lambda m: m[0].replace("\\\\", hold),
        block,
        flags=re.S,
    )
    # ``a = b, \quad m = c``: a comma and a quad separate a second equation (a definition).
    block = re.sub(r",\s*\\quad\b", r"\\qquad", block)
    pieces = [p.replace(hold, "\\\\") for p in _top_level_split(block, [r"\qquad", r"\\"])]
    return [p.strip().rstrip(",.;").strip() for p in pieces if p.strip().rstrip(",.;").strip()]


def sides(tex: str) -> list[str]:
    r"""The sides of an equation ``L = A = B`` split at its top-level ``=`` (a ``cases``
    environment stays whole, on the last side)."""
    at = tex.find(r"\begin{cases}")
    head, env = (tex, "") if at < 0 else (tex[:at], tex[at:])
    out = _top_level_split(head, ["="])
    out[-1] += env
    return out


def parse(tex: str) -> sp.Expr:
    """Parse the right-hand side of ``tex`` (after the last top-level ``=``) with SymPy."""
    at = tex.find(r"\begin{cases}")
    head, env = (tex, "") if at < 0 else (tex[:at], tex[at:])  # no split inside the cases
    rhs = _top_level_split(head, ["="])[-1] + env
    cases = _cases(rhs)
    if cases is not None:
        return cases.subs(sp.Symbol("e"), sp.E)
    rhs = _top_level_split(_clean(rhs), [r"\geq", r"\leq", r"\ge", r"\le"])[0]
    return _latex(_indices(rhs)).subs(sp.Symbol("e"), sp.E)


# --------------------------------------------------------------------------- comparing


def _plain(sym: sp.Symbol) -> str:
    return sym.name.replace("{", "").replace("}", "")


def _index_sums(expr: sp.Expr) -> sp.Expr:
    """Inside each ``Sum`` over ``i``, read the symbol ``x_i`` as the entry ``x[i]``."""
    if not isinstance(expr, sp.Basic) or not expr.args:
        return expr
    expr = expr.func(*(_index_sums(a) for a in expr.args))
    if isinstance(expr, (MaxOver, ArgMaxOver)):
        body, var, size = expr.args
        return expr.func(_index_sums(sp.Sum(body, (var, 1, size))).function, var, size)
    if isinstance(expr, sp.Sum):
        body = expr.function
        for var, *_ in expr.limits:
            repl = {}
            for s in body.free_symbols:
                m = _SUB.match(_plain(s)) if isinstance(s, sp.Symbol) else None
                if m and m["sub"] == var.name:
                    repl[s] = sp.IndexedBase(m["base"])[var]
            body = body.xreplace(repl)
        expr = sp.Sum(body, *expr.limits)
    return expr


def _bound(expr: sp.Expr) -> set[str]:
    names = {v.name for s in expr.atoms(sp.Sum) for v, *_ in s.limits}
    return names | {b.args[1].name for b in expr.atoms(MaxOver, ArgMaxOver)}


def _multi_index(expr: sp.Expr, index_letters: Iterable[str] = ()) -> sp.Expr:
    """Entries with several or gathered indices: ``t_{n,k}`` (or ``t_{nk}`` when both letters
    are summed over) is ``t[n, k]``, ``y_{n,c_n}`` is ``y[n, c_n]``, ``w_{y_n}`` is
    ``w[y_n]``; ``w_c`` is ``w[c]`` when ``c`` takes label values (``index_letters``)."""
    bound, letters = _bound(expr), set(index_letters)
    repl = {}
    for sym in expr.free_symbols:
        if not isinstance(sym, sp.Symbol) or "_" not in sym.name:
            continue
        base, _, sub = _plain(sym).partition("_")
        if "," in sub:
            tokens = [t.strip() for t in sub.split(",")]
        elif "_" in sub or (len(sub) == 1 and sub in letters):
            tokens = [sub]
        elif len(sub) == 2 and set(sub) <= bound:
            tokens = list(sub)
        else:
            continue
        repl[sym] = sp.IndexedBase(base)[tuple(sp.Symbol(t) for t in tokens)]
    return expr.xreplace(repl) if repl else expr


def _canonical(expr: sp.Expr, index_letters: Iterable[str] = ()) -> sp.Expr:
    """Same-named symbols become one symbol (parsed ``x_{i}`` is the form's ``x_i``)."""
    expr = _index_sums(_multi_index(expr, index_letters))
    repl = {s: sp.Symbol(_plain(s)) for s in expr.free_symbols if isinstance(s, sp.Symbol)}
    expr = expr.xreplace(repl)
    bases = {b.label.name: sp.IndexedBase(b.label.name) for b in expr.atoms(sp.IndexedBase)}
    return expr.xreplace({b: bases[b.label.name] for b in expr.atoms(sp.IndexedBase)})


def _expand(expr: sp.Expr, sizes: Mapping[str, int]) -> sp.Expr:
    expr = expr.xreplace({s: sizes[s.name] for s in expr.free_symbols if s.name in sizes})
    expr = expr.doit()
    expr = expr.replace(lambda e: isinstance(e, (MaxOver, ArgMaxOver)), lambda e: e.expand_over())
    return _entries(expr.doit())


def _entries(expr: sp.Expr) -> sp.Expr:
    """``x[2]`` is the symbol ``x_2`` (as a page writes a fixed entry, s_{1}), ``t[1, 2]`` is
    ``t_1,2``."""
    entries = {
        ix: sp.Symbol(f"{ix.base.label}_{','.join(map(str, ix.indices))}")
        for ix in expr.atoms(sp.Indexed)
        if all(i.is_Integer for i in ix.indices)
    }
    return expr.xreplace(entries) if entries else expr


def _leaves(expr: sp.Expr) -> set[sp.Expr]:
    out: set[sp.Expr] = set(expr.atoms(sp.Indexed))
    inside = {s for ix in out for s in ix.free_symbols}
    out |= {s for s in expr.free_symbols if s not in inside or not isinstance(s, sp.Symbol)}
    return {a for a in out if not isinstance(a, sp.IndexedBase)}


def _rename(expr: sp.Expr, renames: Mapping[str, str]) -> sp.Expr:
    """Page notation -> form notation: symbol ``s`` or ``s_j`` and indexed ``s[j]`` become ``x``
    (``s=x``); with ``_k=_i`` the entry ``x_k`` becomes ``x_i``."""
    if not renames:
        return expr
    repl: dict[sp.Basic, sp.Basic] = {}
    for sym in expr.free_symbols:
        if not isinstance(sym, sp.Symbol):
            continue
        base, sep, sub = sym.name.partition("_")
        if "_" + sub in renames:  # ``_k=_i``: the page's entry x_k is the form's x_i
            sub = renames["_" + sub][1:]
        if base in renames or sep + sub != sym.name[len(base) :]:
            repl[sym] = sp.Symbol(renames.get(base, base) + sep + sub)
    for ib in expr.atoms(sp.IndexedBase):
        if ib.label.name in renames:
            repl[ib] = sp.IndexedBase(renames[ib.label.name])
    return expr.xreplace(repl)


def equivalent(
    written: sp.Expr,
    reference: sp.Expr,
    domains: Mapping[str, tuple[float, float]] | None = None,
    *,
    points: int = 6,
    seed: int = 0,
    renames: Mapping[str, str] | None = None,
) -> tuple[bool, str]:
    """Whether ``written`` (parsed from a page) equals ``reference`` (a form's formula).

    Returns ``(equal, how)``: ``how`` says ``"proved by simplify"``, ``"agrees at N random
    points"`` or what differs.
    """
    domains = dict(domains or {})
    # One-letter names with integer label values index entries: w_c is w[c].
    letters = [
        k
        for k, d in domains.items()
        if len(k) == 1 and isinstance(d, list) and all(isinstance(v, int) for v in d)
    ]
    a = _canonical(_rename(_canonical(written, letters), renames or {}), letters)
    b = _canonical(reference, letters)
    binders = (sp.Sum, MaxOver, ArgMaxOver)
    if not a.has(*binders) and not b.has(*binders):
        names_a = {str(s) for s in a.free_symbols}
        names_b = {str(s) for s in b.free_symbols}
        if names_a != names_b:
            return False, f"symbols differ: page has {sorted(names_a)}, form has {sorted(names_b)}"
        try:
            if sp.simplify(a - b) == 0:
                return True, "proved by simplify"
        except Exception:
            pass
    rng = np.random.default_rng(seed)

    def base(sym: sp.Basic) -> str:
        return re.split(r"[\[_]", str(sym))[0]

    def discrete(sym: sp.Basic) -> bool:
        return isinstance(sym, sp.Symbol) and isinstance(domains.get(base(sym)), list)

    def labels_of(expr: sp.Expr) -> list[sp.Basic]:
        return [v for v in getattr(expr, "free_symbols", ()) if discrete(v)]

    rounds = [dict.fromkeys(SIZES, size) for size in (3, 4)]
    if any(len(ix.indices) > 1 for e in (a, b) for ix in e.atoms(sp.Indexed)):
        # Entries t[n, k]: also a batch size N unlike the class count, so that a swapped
        # index or a size written for the wrong axis cannot pass on square shapes.
        rounds.append({**dict.fromkeys(SIZES, 3), "N": 2})
    checked = 0
    for sizes in rounds:
        ea, eb = _expand(a, sizes), _expand(b, sizes)
        labels = sorted({str(v) for v in labels_of(ea) + labels_of(eb)})
        # Labels pick entries and Iverson brackets: more points cover more of their values.
        for _ in range(points * (4 if labels else 1)):
            picked = {}
            for name in labels:
                domain = domains[base(name)]
                picked[name] = sp.sympify(domain[int(rng.integers(len(domain)))])
            da = _entries(sp.sympify(ea.xreplace({v: picked[str(v)] for v in labels_of(ea)})))
            db = _entries(sp.sympify(eb.xreplace({v: picked[str(v)] for v in labels_of(eb)})))
            la, lb = _leaves(da), _leaves(db)
            if {str(v) for v in la} != {str(v) for v in lb}:
                return False, (
                    f"variables differ: page has {sorted(map(str, la))}, "
                    f"form has {sorted(map(str, lb))}"
                )
            values = {k: float(v) for k, v in picked.items()}
            for name in sorted({str(v) for v in la}):
                domain = domains.get(base(name), (-2.0, 2.0))
                if isinstance(domain, list):  # a discrete set, e.g. labels [-1, 1]
                    values[name] = float(domain[int(rng.integers(len(domain)))])
                else:
                    values[name] = float(rng.uniform(*domain))
            va = complex(sp.sympify(da.xreplace({v: values[str(v)] for v in la})).doit().evalf(30))
            vb = complex(sp.sympify(db.xreplace({v: values[str(v)] for v in lb})).doit().evalf(30))
            if np.isnan(va) and np.isnan(vb):
                continue  # undefined on both sides (every row ignored): not counted
            if not np.isclose(va, vb, rtol=1e-9, atol=1e-12):
                point = ", ".join(f"{k}={v:.4g}" for k, v in values.items())
                return False, f"differs at {point}: page gives {va.real:.12g}, form {vb.real:.12g}"
            checked += 1
    return True, f"agrees at {checked} random points"


# --------------------------------------------------------------------------- scanning


@dataclass(frozen=True)
class Finding:
    """One marked formula and the result of checking it."""

    path: str
    line: int
    name: str
    part: str
    latex: str
    ok: bool
    message: str

    def __str__(self) -> str:
        status = "ok" if self.ok else "WRONG"
        return f"{self.path}:{self.line}: {self.name} {self.part}: {status} ({self.message})"


def _check_block(path: str, line: int, spec: str, block: str) -> list[Finding]:
    r"""Check one marked block.  ``spec`` is ``NAME PART... [page=form...]``: one PART per
    equation (``-`` for one that states a convention, such as :math:`0\log 0 = 0`, and is
    skipped), ``other_name.part`` for a formula of another form (two penalties side by side),
    and ``page=form`` renames the page's letters to the form's (``s=x`` for scores ``s_j``,
    ``_k=_i`` for the entry ``x_k``).  ``a|b`` names one formula per right-hand side of a
    chain ``L = A = B`` (a single name checks the last side only)."""
    name, *words = spec.split()
    renames = dict(w.split("=", 1) for w in words if "=" in w)
    parts = [w for w in words if "=" not in w]
    eqs = equations(block)
    if len(parts) != len(eqs):
        return [
            Finding(
                path,
                line,
                name,
                " ".join(parts),
                block,
                False,
                f"marker names {len(parts)} formula(s), block has {len(eqs)} equation(s)",
            )
        ]
    findings = []
    for chain, equation in zip(parts, eqs, strict=True):
        # ``a|b``: one formula per right-hand side of a chain ``L = A = B`` (else the last).
        names, pieces = chain.split("|"), [equation]
        if len(names) > 1:
            pieces = sides(equation)[1:]
            if len(pieces) != len(names):
                msg = f"marker names {len(names)} side(s), equation has {len(pieces)}"
                findings.append(Finding(path, line, name, chain, equation, False, msg))
                continue
        for part, tex in zip(names, pieces, strict=True):
            findings += _check_one(path, line, name, part, tex, renames)
    return findings


def _check_one(
    path: str, line: int, name: str, part: str, tex: str, renames: Mapping[str, str]
) -> list[Finding]:
    """Check one equation (or one side of a chain) against formula ``part`` of form ``name``."""
    if part == "-":  # a stated convention (0 log 0 = 0), not a formula of the form
        return []
    form_name, _, formula = part.rpartition(".")
    try:
        form = _form(form_name or name)
        references = [form.formulas[f] for f in formula.split(";")]
    except KeyError:
        return [Finding(path, line, name, part, tex, False, "no such form or formula")]
    try:
        if len(references) > 1:  # ``a;b``: one formula per row of a cases environment
            written = _rows(tex)
            if len(written) != len(references):
                msg = f"marker names {len(references)} row(s), cases has {len(written)}"
                return [Finding(path, line, name, part, tex, False, msg)]
        else:
            written = [parse(tex)]
    except Exception as exc:
        msg = f"cannot parse: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        return [Finding(path, line, name, part, tex, False, msg)]
    results = [
        equivalent(w, r, form.domains, renames=renames)
        for w, r in zip(written, references, strict=True)
    ]
    ok = all(r[0] for r in results)
    how = (
        "; ".join(f"row {k + 1}: {r[1]}" for k, r in enumerate(results))
        if len(results) > 1
        else results[0][1]
    )
    return [Finding(path, line, name, part, tex, ok, how)]


def _form(name: str):
    """The symbolic form of ``name``, or the formulas of a function without one (values only:
    zero-one loss, accuracy)."""
    try:
        return get(name)
    except KeyError:
        from .classification import VALUES

        return VALUES[name]


def _rows(tex: str) -> list[sp.Expr]:
    r"""Each row of the ``cases`` environment on the right-hand side, times any factor before it
    (rows whose conditions are words, e.g. the two target kinds of cross_entropy)."""
    rhs = sides(tex)[-1]
    m = re.search(r"\\begin\{cases\}(.*)\\end\{cases\}", rhs, re.S)
    if not m:
        raise ValueError("the marker names cases rows, but there is no cases environment")
    prefix = rhs[: m.start()].strip()
    factor = _latex(_indices(_clean(prefix))) if prefix else sp.Integer(1)
    rows = [r for r in _top_level_split(m[1], [r"\\"]) if r.strip()]
    return [factor * _latex(_indices(_clean(r.partition("&")[0]))) for r in rows]


def check_text(text: str, path: str = "<text>") -> list[Finding]:
    """Check every marked formula in ``text`` (Markdown page or Python source)."""
    lines = text.splitlines()
    findings: list[Finding] = []
    for i, line in enumerate(lines):
        md = _MARK_MD.search(line)
        rst = _MARK_RST.match(line)
        if md:
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j >= len(lines) or not lines[j].strip().startswith("$$"):
                findings.append(
                    Finding(
                        path, i + 1, md["spec"], "", "", False, "marker not followed by a $$ block"
                    )
                )
                continue
            first = lines[j].strip()[2:]
            body = []
            if first.endswith("$$"):
                body.append(first[:-2])
            else:
                body.append(first)
                j += 1
                while j < len(lines) and "$$" not in lines[j]:
                    body.append(lines[j])
                    j += 1
                if j < len(lines):
                    body.append(lines[j].split("$$")[0])
            findings += _check_block(path, i + 1, md["spec"], "\n".join(body))
        elif rst and i > 0 and lines[i - 1].strip().startswith(".. math::"):
            base = len(lines[i - 1]) - len(lines[i - 1].lstrip())
            body, j = [], i + 1
            while j < len(lines) and (
                not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > base
            ):
                if not _MARK_RST.match(lines[j]):
                    body.append(lines[j])
                j += 1
            findings += _check_block(path, i + 1, rst["spec"], "\n".join(body))
    return findings


def check_paths(paths: Iterable[str | Path]) -> list[Finding]:
    """Check the marked formulas of Markdown and Python files (directories are searched)."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(p.rglob("*.md")) + sorted(p.rglob("*.py"))
        else:
            files.append(p)
    findings: list[Finding] = []
    for f in files:
        text = f.read_text(encoding="utf-8")
        if "formula:" in text:
            findings += check_text(text, str(f))
    return findings
