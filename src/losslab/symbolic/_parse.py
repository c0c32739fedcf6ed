r"""Reading the site's LaTeX as SymPy: ``parse_latex`` (Lark backend) plus the notation its
grammar lacks (sums without limits, entries with several indices, Iverson brackets, ``\max_j``,
``\operatorname{arg\,max}``, ``cases`` environments, softplus, LSE and :math:`\sigma`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sympy as sp

from ._notation import ArgMaxOver, MaxOver

__all__ = ["cases_rows", "equations", "parse", "sides", "top_level_split"]


def top_level_split(text: str, separators: Iterable[str]) -> list[str]:
    """Split ``text`` at separators that are not inside braces, brackets or parentheses."""
    seps = sorted(separators, key=len, reverse=True)
    parts: list[str] = []
    depth, start, i = 0, 0, 0
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

    def bound(m: re.Match[str]) -> str:
        body = _HELD[m["body"]] if m["body"] in _HELD else _latex(m["body"])
        cls = ArgMaxOver if m["arg"] else MaxOver
        return _hold(cls(body, sp.Symbol(m["var"]), sp.Symbol("n")))

    tex = re.sub(
        _BOUND.pattern.replace(_SYMBOL_TEX, rf"(?:Q_\{{zq[a-j]+\}}|{_SYMBOL_TEX})"),
        bound,
        tex,
    )

    def iverson(m: re.Match[str]) -> str:
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
    r"\cosh": r"\frac{e^{#} + e^{-(#)}}{2}",
    r"\tanh": r"\frac{e^{#} - e^{-(#)}}{e^{#} + e^{-(#)}}",
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

    def limits(m: re.Match[str]) -> str:
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
    out: list[str] = []
    i = 0
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
    pieces: list[tuple[Any, Any]] = []
    for row in top_level_split(m[1], [r"\\"]):
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
    pieces = [p.replace(hold, "\\\\") for p in top_level_split(block, [r"\qquad", r"\\"])]
    return [p.strip().rstrip(",.;").strip() for p in pieces if p.strip().rstrip(",.;").strip()]


def sides(tex: str) -> list[str]:
    r"""The sides of an equation ``L = A = B`` split at its top-level ``=`` (a ``cases``
    environment stays whole, on the last side)."""
    at = tex.find(r"\begin{cases}")
    head, env = (tex, "") if at < 0 else (tex[:at], tex[at:])
    out = top_level_split(head, ["="])
    out[-1] += env
    return out


def parse(tex: str) -> sp.Expr:
    """Parse the right-hand side of ``tex`` (after the last top-level ``=``) with SymPy."""
    at = tex.find(r"\begin{cases}")
    head, env = (tex, "") if at < 0 else (tex[:at], tex[at:])  # no split inside the cases
    rhs = top_level_split(head, ["="])[-1] + env
    cases = _cases(rhs)
    if cases is not None:
        return cases.subs(sp.Symbol("e"), sp.E)
    rhs = top_level_split(_clean(rhs), [r"\geq", r"\leq", r"\ge", r"\le"])[0]
    return _latex(_indices(rhs)).subs(sp.Symbol("e"), sp.E)


def cases_rows(tex: str) -> list[sp.Expr]:
    r"""Each row of the ``cases`` environment on the right-hand side, times any factor before it
    (rows whose conditions are words, e.g. the two target kinds of cross_entropy)."""
    rhs = sides(tex)[-1]
    m = re.search(r"\\begin\{cases\}(.*)\\end\{cases\}", rhs, re.S)
    if not m:
        raise ValueError("the marker names cases rows, but there is no cases environment")
    prefix = rhs[: m.start()].strip()
    factor = _latex(_indices(_clean(prefix))) if prefix else sp.Integer(1)
    rows = [r for r in top_level_split(m[1], [r"\\"]) if r.strip()]
    return [factor * _latex(_indices(_clean(r.partition("&")[0]))) for r in rows]
