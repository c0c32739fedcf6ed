r"""Machinery shared by the symbolic forms: the :class:`SymbolicLoss` record, derivation,
proofs of closed forms and vectorised evaluation of lambdified expressions.

Everything here imports SymPy; ``import losslab`` never imports this module.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from .._validation import REDUCTIONS

__all__ = [
    "SymbolicLoss",
    "derive",
    "lambdify",
    "prove_by_cases",
    "prove_equal",
    "reduce_elementwise",
]

#: Functions that make an expression non-analytic (no complex-step derivative).
NON_ANALYTIC = (sp.Abs, sp.Max, sp.Min, sp.Piecewise, sp.sign, sp.Heaviside)


def derive(expr: sp.Expr, wrt: sp.Symbol) -> sp.Expr:
    """``sympy.diff`` then ``sympy.simplify``: the derived gradient of ``expr``."""
    return sp.simplify(sp.diff(expr, wrt))


def prove_equal(a: sp.Expr, b: sp.Expr, assumptions: Mapping[sp.Symbol, Any] | None = None) -> bool:
    """True when SymPy simplifies ``a - b`` to exactly 0 (a proof, not a numeric check).

    ``assumptions`` substitutes values first (e.g. ``{t_last: 1 - sum(others)}`` for a
    one-hot or probability target).
    """
    diff = a - b
    if assumptions:
        diff = diff.subs(assumptions)
    if diff == 0:
        return True
    attempts: tuple[Callable[[Any], Any], ...] = (
        sp.simplify,
        lambda e: sp.cancel(sp.together(e.rewrite(sp.exp))),
        lambda e: sp.simplify(sp.expand(sp.powsimp(e))),
    )
    for attempt in attempts:
        if attempt(diff) == 0:
            return True
    return False


def _decide(expr: sp.Expr) -> sp.Expr:
    """Replace each inequality whose sign SymPy can decide from the assumptions by True/False.

    ``delta > delta/(s + 1)`` with positive symbols is not evaluated by SymPy itself; its
    difference ``delta*s/(s + 1)`` is known to be positive.
    """

    def decide(rel: sp.Basic) -> sp.Basic:
        diff = sp.simplify(rel.lhs - rel.rhs)
        sign = {
            sp.StrictGreaterThan: diff.is_positive,
            sp.GreaterThan: diff.is_nonnegative,
            sp.StrictLessThan: diff.is_negative,
            sp.LessThan: diff.is_nonpositive,
        }.get(type(rel))
        return rel if sign is None else sp.true if sign else sp.false

    def relational(e: Any) -> bool:
        return isinstance(e, sp.core.relational.Relational)

    return expr.replace(relational, decide)


def prove_by_cases(a: sp.Expr, b: sp.Expr, cases: Iterable[Mapping[sp.Symbol, Any]]) -> bool:
    r"""Prove ``a == b`` on each case of a partition (a substitution per region).

    For piecewise forms (Huber) SymPy cannot simplify ``a - b`` in one go; the caller lists a
    substitution per region, e.g. ``x = y + delta/(1 + s)`` with ``s > 0`` for
    :math:`0 < x - y < \delta`, and each is proved with :func:`prove_equal` after deciding the
    region's inequalities.  The cases must cover the real line (the caller states how).
    """
    for case in cases:
        da, db = _decide(sp.simplify(a.subs(case))), _decide(sp.simplify(b.subs(case)))
        if not prove_equal(sp.simplify(da), sp.simplify(db)):
            return False
    return True


def lambdify(args: tuple[sp.Symbol, ...], expr: sp.Expr) -> Callable[..., np.ndarray]:
    """``sympy.lambdify`` for NumPy whose result always broadcasts to the inputs' shape.

    A derivative such as ``2`` or ``x - x`` does not depend on every argument; plain lambdify
    then returns a scalar.  Here the result is broadcast against all the arguments.
    """
    f = sp.lambdify(args, expr, modules=["numpy", {"Heaviside": _heaviside}], cse=True)

    @functools.wraps(f)
    def broadcast(*values: Any) -> np.ndarray:
        arrays = [np.asarray(a) for a in values]
        # Piecewise forms are evaluated by np.select, which computes every branch.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = np.asarray(f(*arrays))
        shape = np.broadcast_shapes(*(a.shape for a in arrays), out.shape)
        return np.broadcast_to(out, shape)

    return broadcast


def _heaviside(x: Any, h0: Any = 0.5) -> np.ndarray:
    out: np.ndarray = np.heaviside(x, h0)
    return out


def is_analytic(expr: sp.Expr) -> bool:
    """True when ``expr`` contains no |.|, max, min, sign, step or piecewise definition."""
    return not expr.has(*NON_ANALYTIC)


def reduce_elementwise(
    values: np.ndarray, grads: np.ndarray, reduction: str, weight: Any = None
) -> tuple[Any, np.ndarray]:
    """Apply a ``'mean' | 'sum' | 'none'`` reduction to element values and their gradients.

    The gradient of ``'none'`` is that of the sum (``loss.sum().backward()``).  With
    ``weight`` (already applied to ``values`` and ``grads``), ``'mean'`` divides by its
    total, as PyTorch's weighted mean does.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"`reduction` is {reduction!r}, expected one of {REDUCTIONS}")
    if reduction == "none":
        return values, grads
    if reduction == "sum":
        return values.sum(), grads
    total = values.size if weight is None else np.sum(np.asarray(weight, dtype=np.float64))
    return values.sum() / total, grads / total


@dataclass(frozen=True, eq=False)
class SymbolicLoss:
    r"""A loss, penalty, measure or activation as SymPy states it, with its derived gradient.

    Attributes
    ----------
    name : str
        Name of the NumPy function (``losslab.<name>``).
    wrt : str
        The argument the gradient is taken with respect to (as in ``losslab.grad``).
    form : str
        What ``value`` describes: ``"per element"``, ``"per sample over k classes"``, ...
    variable : sympy.Symbol
        The symbol of ``wrt`` in ``value``.
    value : sympy.Expr
        The formula, per element or per sample.
    gradient : sympy.Expr
        ``sympy.diff(value, variable)``, simplified.
    closed_form : sympy.Expr or None
        The expression the hand-written NumPy gradient uses, when it is not ``gradient`` as
        printed; :meth:`verify` proves the two equal.
    evaluate : callable
        ``evaluate(arguments) -> (value, gradient)`` from the lambdified expressions, where
        ``arguments`` maps the NumPy function's parameter names (defaults applied) to values;
        the ``wrt`` entry may be complex (complex-step differentiation).
    sample : callable
        ``sample(rng, dtype) -> dict`` of arguments at a random valid point away from kinks.
    kink_distance : callable or None
        ``kink_distance(arguments) -> array`` shaped like ``wrt``: the distance of each entry
        to the nearest kink or domain edge (``None``: smooth everywhere).
    subgradient : str
        The value the gradient takes at a kink, in words (PyTorch's choice).
    formulas : dict
        Named formulas (``"value"``, ``"mean"``, ``"gradient"``, ...) for the documentation
        checker; see :mod:`losslab.symbolic.latex`.
    domains : dict
        Ranges ``(low, high)`` or discrete values ``[a, b, ...]`` for the random points of
        the documentation checker, by variable name.
    extra_proofs : tuple of (str, sympy.Expr, sympy.Expr[, cases])
        Further identities :meth:`verify` proves (limits at domain edges, special cases); with
        a fourth item, region by region (:func:`prove_by_cases`).
    closed_form_cases : tuple of dict
        When given, ``closed_form`` is proved region by region (:func:`prove_by_cases`).
    simplex : callable or None
        ``simplex(arguments) -> axis`` when ``wrt`` must stay a probability distribution along
        that axis (``entropy``, ``kl_divergence``, ``cross_entropy_pq``): finite differences then
        move along the simplex (see :mod:`losslab.gradcheck`).
    magnitude : callable or None
        ``magnitude(arguments)``, shaped like the value: the size of the terms the value is
        computed from, when they cancel (:math:`D_{KL}` of nearby distributions); it enters the
        rounding tolerance of the value.
    """

    name: str
    wrt: str
    form: str
    variable: sp.Symbol
    value: sp.Expr
    gradient: sp.Expr
    evaluate: Callable[[dict[str, Any]], tuple[Any, Any]]
    sample: Callable[[np.random.Generator, Any], dict[str, Any]]
    closed_form: sp.Expr | None = None
    closed_form_assumptions: Mapping[sp.Symbol, Any] | None = None
    kink_distance: Callable[[dict[str, Any]], np.ndarray] | None = None
    subgradient: str = ""
    formulas: Mapping[str, sp.Expr] = field(default_factory=dict[str, Any])
    domains: Mapping[str, Any] = field(default_factory=dict[str, Any])
    extra_proofs: tuple[tuple[Any, ...], ...] = ()
    closed_form_cases: tuple[Mapping[sp.Symbol, Any], ...] = ()
    simplex: Callable[[dict[str, Any]], int] | None = None
    magnitude: Callable[[dict[str, Any]], Any] | None = None

    @property
    def analytic(self) -> bool:
        """Whether the complex-step derivative applies (no |.|, max, piecewise...)."""
        return is_analytic(self.value)

    def verify(self) -> dict[str, bool]:
        """Prove, with SymPy, every stated identity of this form.

        Returns ``{description: proved}``: the derived gradient equals the closed form the
        NumPy code uses, plus any extra identities (limits at domain edges, special cases).
        """
        out: dict[str, bool] = {}
        if self.closed_form is not None:
            key = "derived gradient == closed form used by NumPy"
            if self.closed_form_cases:
                out[key] = prove_by_cases(self.gradient, self.closed_form, self.closed_form_cases)
            else:
                out[key] = prove_equal(
                    self.gradient, self.closed_form, self.closed_form_assumptions
                )
        for text, a, b, *cases in self.extra_proofs:
            out[text] = prove_by_cases(a, b, cases[0]) if cases else prove_equal(a, b)
        return out

    def latex(self) -> dict[str, str]:
        """LaTeX of the formula, the derived gradient and (if any) the closed form."""
        out = {"value": sp.latex(self.value), "gradient": sp.latex(self.gradient)}
        if self.closed_form is not None:
            out["closed_form"] = sp.latex(self.closed_form)
        return out

    @property
    def function(self) -> Callable[..., Any]:
        """The NumPy function this form describes."""
        from .. import differentiable_functions

        return differentiable_functions()[self.name]

    def arguments(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Bind ``args`` and ``kwargs`` to the NumPy function's parameters, defaults applied."""
        bound = inspect.signature(self.function).bind(*args, **kwargs)
        bound.apply_defaults()
        return dict(bound.arguments)

    def value_and_grad(self, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        """``(value, gradient)`` computed from the SymPy forms (float64, or complex).

        Takes exactly the NumPy function's arguments.
        """
        return self.evaluate(self.arguments(*args, **kwargs))


def at_kink(gradient: sp.Expr, h0: int) -> sp.Expr:
    """Set the value of every step function in ``gradient`` at its jump to ``h0``.

    ``sympy.diff`` of :math:`\\max(0, u)` gives the step :math:`H(u)`, undefined at 0; the
    documented subgradient (PyTorch's) fixes it.
    """

    def step(e: Any) -> bool:
        return isinstance(e, sp.Heaviside)

    def with_h0(e: Any) -> Any:
        return sp.Heaviside(e.args[0], h0)

    return gradient.replace(step, with_h0)


def _as_input(value: Any) -> np.ndarray:
    arr = np.asarray(value)
    return arr if np.iscomplexobj(arr) else arr.astype(np.float64)


def elementwise(
    name: str,
    *,
    wrt: str,
    variable: sp.Symbol,
    value: sp.Expr,
    arrays: Mapping[str, sp.Symbol],
    scalars: Mapping[str, sp.Symbol] | None = None,
    sample: Callable[[np.random.Generator, Any], dict[str, Any]],
    scale: str | None = None,
    h0: int | None = None,
    defaults: Mapping[str, float] | None = None,
    edge: Callable[[list[Any], np.ndarray, np.ndarray], tuple[Any, Any]] | None = None,
    reduce: Callable[[np.ndarray, np.ndarray, dict[str, Any]], tuple[Any, Any]] | None = None,
    mean_over_weight: bool = False,
    **extra: Any,
) -> SymbolicLoss:
    """A form whose value is a function of each element (losses, activations, penalties).

    ``arrays`` maps the NumPy argument names to the symbols of per-element values (the
    ``wrt`` argument first), ``scalars`` the scalar arguments.  The ``reduction`` argument,
    when the function has one, is applied; a ``weight`` argument multiplies each element.
    ``scale`` names a scalar argument that multiplies the sum (penalties' ``lam``): then the
    value is ``scale * sum``.  ``h0`` is the gradient's step value at a kink.  ``defaults``
    gives the value of an array or scalar argument passed as ``None`` (``pos_weight``: 1).
    ``edge(values, out, grad)`` applies the documented rule at domain edges (``0 log 0 = 0``,
    PyTorch's clamp) to the lambdified element values and gradients; ``reduce(out, grad,
    arguments)`` replaces the default reduction.  With ``mean_over_weight`` a weighted
    ``'mean'`` divides by the total weight (``l1_loss``, ``mse_loss``), else by the count.
    """
    scalars = dict(scalars or {})
    defaults = dict(defaults or {})
    gradient = derive(value, variable)
    if h0 is not None:
        gradient = at_kink(gradient, h0)
    symbols = (*arrays.values(), *scalars.values())
    f, df = lambdify(symbols, value), lambdify(symbols, gradient)

    def arg(a: dict[str, Any], k: str) -> Any:
        return defaults[k] if a[k] is None else a[k]

    def elements(a: dict[str, Any]) -> tuple[Any, Any]:
        vals = [_as_input(arg(a, k)) for k in arrays] + [float(arg(a, k)) for k in scalars]
        out, g = f(*vals), df(*vals)
        if edge is not None:
            out, g = edge(vals, out, g)
        if a.get("weight") is not None:
            w = np.asarray(a["weight"], dtype=np.float64)
            out, g = out * w, g * w
        return out, g

    def magnitude(a: dict[str, Any]) -> Any:
        """The value computed from |element values|: the size of terms that may cancel."""
        out, g = elements(a)
        return finish(np.abs(out), g, a)[0]

    def evaluate(a: dict[str, Any]) -> tuple[Any, Any]:
        return finish(*elements(a), a)

    def finish(out: Any, g: Any, a: dict[str, Any]) -> tuple[Any, Any]:
        if reduce is not None:
            return reduce(out, g, a)
        if "reduction" in a:
            weight = a.get("weight") if mean_over_weight else None
            return reduce_elementwise(out, g, a["reduction"], weight)
        if scale is not None:
            return out.sum(), g
        return out, g

    extra.setdefault("magnitude", magnitude)
    return SymbolicLoss(
        name=name,
        wrt=wrt,
        form="per element",
        variable=variable,
        value=value,
        gradient=gradient,
        evaluate=evaluate,
        sample=sample,
        **extra,
    )


def sampler(
    wrt: str,
    low: float = -3.0,
    high: float = 3.0,
    *,
    others: Callable[[np.random.Generator, tuple[int, ...], Any], dict[str, Any]] | None = None,
    reduction: bool = True,
    away_from: Callable[[dict[str, Any]], np.ndarray] | None = None,
    margin: float = 0.05,
) -> Callable[[np.random.Generator, Any], dict[str, Any]]:
    """Random arguments: ``wrt`` uniform in ``[low, high]`` on a small 2-D shape, other arrays
    from ``others``, a random reduction, and entries moved at least ``margin`` from a kink
    (``away_from`` gives each entry's distance to its kink)."""

    def sample(rng: np.random.Generator, dtype: Any) -> dict[str, Any]:
        shape = (int(rng.integers(1, 4)), int(rng.integers(1, 5)))
        for _ in range(100):
            a: dict[str, Any] = {wrt: rng.uniform(low, high, shape).astype(dtype)}
            if others is not None:
                a.update(others(rng, shape, dtype))
            if reduction:
                a["reduction"] = str(rng.choice(["mean", "sum", "none"]))
            if away_from is None or np.all(away_from(a) > margin):
                return a
        raise RuntimeError("could not sample a point away from the kinks")

    return sample
