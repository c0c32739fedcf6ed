r"""Whether a formula read from a page equals a form's formula: ``simplify(a - b) == 0``, else
numerically at random points (sums over :math:`n` or :math:`C` terms expanded with a few
concrete sizes, label variables drawn from their discrete domains)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import sympy as sp

from ._notation import ArgMaxOver, MaxOver

__all__ = ["SIZES", "equivalent"]

#: Symbols read as the size of a sum; they get small concrete values in the numeric check.
SIZES = ("n", "N", "C", "k", "K", "m")
_SUB = re.compile(r"^(?P<base>[A-Za-z]+)_\{?(?P<sub>[A-Za-z0-9]+)\}?$")


def _plain(sym: sp.Symbol) -> str:
    name: str = sym.name
    return name.replace("{", "").replace("}", "")


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

    def over(e: Any) -> bool:
        return isinstance(e, (MaxOver, ArgMaxOver))

    def expanded(e: Any) -> Any:
        return e.expand_over()

    expr = expr.replace(over, expanded)
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

    rounds: list[dict[str, int]] = [dict.fromkeys(SIZES, size) for size in (3, 4)]
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
            picked: dict[str, Any] = {}
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
