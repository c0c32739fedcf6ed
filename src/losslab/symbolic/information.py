r"""Symbolic forms of :func:`losslab.entropy` (derivative in ``p``), :func:`losslab.kl_divergence`
and :func:`losslab.cross_entropy_pq` (derivative in ``q``), with an explicit log base :math:`b`.

Each is a sum of per-element terms along ``axis``: :math:`-p\log_b p`,
:math:`p(\log_b p - \log_b q)` and :math:`-p\log_b q`.  The gradient treats every entry as a
free variable (not projected onto the simplex), as the NumPy functions do; but the functions
only accept distributions, so :mod:`losslab.gradcheck` differences them *along* the simplex
(:attr:`SymbolicLoss.simplex`).

Domain edges use the limits SymPy computes, for a base :math:`b > 1`
(:data:`EDGES`): :math:`0\log 0 = 0`; :math:`\partial H/\partial p \to +\infty` as
:math:`p \to 0^+`; where :math:`q = 0 < p` the divergence and the cross-entropy are
:math:`+\infty` with gradient :math:`-\infty`.  For :math:`0 < b < 1` every such limit changes
sign (:math:`\log b < 0`); the evaluation follows the limits.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import sympy as sp

from ._core import elementwise

p = sp.Symbol("p", positive=True)
q = sp.Symbol("q", positive=True)
b = sp.Symbol("b", positive=True)
_s = sp.Symbol("s", positive=True)


def log_b(z: sp.Expr) -> sp.Expr:
    return sp.log(z) / sp.log(b)


ENTROPY = -p * log_b(p)
KL = p * (log_b(p) - log_b(q))
CROSS = -p * log_b(q)


def _limit(expr: sp.Expr, var: sp.Symbol, base_above_one: bool) -> float:
    """Limit at ``var -> 0+`` for a base above (``b = 1 + s``) or below (``b = 1/(1 + s)``) 1."""
    at = expr.subs(b, 1 + _s if base_above_one else 1 / (1 + _s))
    return float(sp.limit(at, var, 0, "+"))


#: (quantity, base > 1) -> the limit used at the domain edge.
EDGES = {
    (key, above): _limit(expr, var, above)
    for key, expr, var in (
        ("0 log 0", ENTROPY, p),
        ("dH/dp at p = 0", sp.diff(ENTROPY, p), p),
        ("D at q = 0 < p", KL, q),
        ("dD/dq at q = 0 < p", sp.diff(KL, q), q),
    )
    for above in (True, False)
}


def _base(vals: list[np.ndarray]) -> bool:
    return float(np.real(vals[-1])) > 1


def _entropy_edge(vals: list[np.ndarray], out: np.ndarray, g: np.ndarray) -> tuple[Any, Any]:
    pv, above = vals[0], _base(vals)
    zero = pv == 0
    return (
        np.where(zero, EDGES["0 log 0", above], out),
        np.where(zero, EDGES["dH/dp at p = 0", above], g),
    )


def _pq_edge(vals: list[np.ndarray], out: np.ndarray, g: np.ndarray) -> tuple[Any, Any]:
    qv, pv, above = vals[0], vals[1], _base(vals)
    out = np.where(pv == 0, 0.0, out)  # 0 log(0/q) = 0, also for q = 0
    g = np.where(pv == 0, 0.0, g)
    lost = (qv == 0) & (pv > 0)
    return (
        np.where(lost, EDGES["D at q = 0 < p", above], out),
        np.where(lost, EDGES["dD/dq at q = 0 < p", above], g),
    )


def _reduce(out: np.ndarray, g: np.ndarray, a: dict[str, Any]) -> tuple[Any, Any]:
    return out.sum(axis=a["axis"]), g


def _distribution(rng: np.random.Generator, shape: tuple[int, ...], axis: int) -> np.ndarray:
    d = rng.uniform(0.05, 1.0, shape)
    out: np.ndarray = d / d.sum(axis=axis, keepdims=True)
    return out


def _shape_axis(rng: np.random.Generator) -> tuple[tuple[int, ...], int]:
    shape = (int(rng.integers(1, 4)), int(rng.integers(2, 5)))
    if rng.integers(0, 3) == 0:
        return shape[1:], -1
    return shape, int(rng.choice([-1, 0]))


def _random_base(rng: np.random.Generator) -> float | None:
    return [None, 2.0, 10.0, float(rng.uniform(1.5, 5.0))][int(rng.integers(0, 4))]


def _entropy_sample(rng: np.random.Generator, dtype: Any) -> dict[str, Any]:
    shape, axis = _shape_axis(rng)
    return {
        "p": _distribution(rng, shape, axis).astype(dtype),
        "base": _random_base(rng),
        "axis": axis,
    }


def _pq_sample(rng: np.random.Generator, dtype: Any) -> dict[str, Any]:
    shape, axis = _shape_axis(rng)
    pv = _distribution(rng, shape, axis)
    if rng.integers(0, 3) == 0:  # a one-hot p: its zeros are no edge for the q-derivative
        pv = (pv == pv.max(axis=axis, keepdims=True)).astype(float)
        pv /= pv.sum(axis=axis, keepdims=True)
    return {
        "p": pv.astype(dtype),
        "q": _distribution(rng, shape, axis).astype(dtype),
        "base": _random_base(rng),
        "axis": axis,
    }


def _p_distance(a: dict[str, Any]) -> np.ndarray:
    return np.asarray(a["p"], dtype=float)


def _q_distance(a: dict[str, Any]) -> np.ndarray:
    return np.asarray(a["q"], dtype=float)


def _log_sizes(a: dict[str, Any]) -> np.ndarray:
    """sum_i p_i (|log p_i| + |log q_i|) / |log b|: the terms that cancel in D(p || q)."""
    pv, qv = np.asarray(a["p"], dtype=float), np.asarray(a["q"], dtype=float)
    base = math.e if a["base"] is None else float(a["base"])
    with np.errstate(divide="ignore", invalid="ignore"):
        sizes = np.where(pv > 0, pv * (np.abs(np.log(pv)) + np.abs(np.log(qv))), 0.0)
    out: np.ndarray = sizes.sum(axis=a["axis"]) / abs(math.log(base))
    return out


def _axis(a: dict[str, Any]) -> int:
    return int(a["axis"])


_PLAIN = {p: sp.Symbol("p_i", real=True), q: sp.Symbol("q_i", real=True)}
_DELTA = sp.Symbol("delta", positive=True)  # losslab.book's 1e-7
i, n = sp.Symbol("i", integer=True), sp.Symbol("n", integer=True, positive=True)
P, Q = sp.IndexedBase("p"), sp.IndexedBase("q")


def _summed(term: sp.Expr) -> sp.Expr:
    return sp.Sum(term.subs({p: P[i], q: Q[i]}), (i, 1, n))


ENTROPY_FORM = elementwise(
    "entropy",
    wrt="p",
    variable=p,
    value=ENTROPY,
    arrays={"p": p},
    scalars={"base": b},
    defaults={"base": math.e},
    sample=_entropy_sample,
    edge=_entropy_edge,
    reduce=_reduce,
    closed_form=-(sp.log(p) + 1) / sp.log(b),
    kink_distance=_p_distance,
    simplex=_axis,
    subgradient="p = 0: 0 log 0 = 0 and dH/dp = +inf (the limits, base > 1)",
    formulas={
        "value": _summed(ENTROPY),
        "nats": _summed(ENTROPY.subs(b, sp.E)),
        "term": ENTROPY.subs(_PLAIN),
    },
    extra_proofs=(("0 log 0 = 0 (limit p -> 0+)", sp.limit(p * sp.log(p), p, 0, "+"), 0),),
    domains={"p": (0.05, 1.0), "b": (1.5, 5.0)},
)
# What kl_divergence and cross_entropy_pq share: both differentiate w.r.t. q on the simplex,
# and -p / (q ln b) is the gradient of both (they differ by H(p), constant in q).
_PQ_FORM: dict[str, Any] = {
    "wrt": "q",
    "variable": q,
    "arrays": {"q": q, "p": p},
    "scalars": {"base": b},
    "defaults": {"base": math.e},
    "sample": _pq_sample,
    "edge": _pq_edge,
    "reduce": _reduce,
    "closed_form": -p / (q * sp.log(b)),
    "kink_distance": _q_distance,
    "simplex": _axis,
}

KL_DIVERGENCE = elementwise(
    "kl_divergence",
    value=KL,
    **_PQ_FORM,
    magnitude=_log_sizes,
    subgradient="q = 0 < p: D = +inf, dD/dq = -inf; p = 0: term and gradient 0 (base > 1)",
    formulas={
        "value": _summed(KL),
        "ratio": _summed(p * log_b(p / q)),
        "term": KL.subs(_PLAIN),
        "gradient": (-p / (q * sp.log(b))).subs(_PLAIN),
    },
    extra_proofs=(
        ("D = H(p, q) - H(p), term by term", KL, CROSS - ENTROPY),
        ("p log(p/q) form", sp.expand_log(p * log_b(p / q), force=True), KL),
    ),
    domains={"p": (0.05, 1.0), "q": (0.05, 1.0), "b": (1.5, 5.0)},
)


def _batch(delta: sp.Expr, prefix: str) -> dict[str, sp.Expr]:
    rows, cols = sp.Symbol("n", integer=True), sp.Symbol("k", integer=True)
    size_n, size_k = sp.Symbol("N", integer=True), sp.Symbol("K", integer=True)
    labels = sp.IndexedBase("c")
    return {
        f"{prefix}batch": -sp.Sum(
            P[rows, cols] * sp.log(Q[rows, cols] + delta), (cols, 1, size_k), (rows, 1, size_n)
        )
        / size_n,
        f"{prefix}batch_label": -sp.Sum(sp.log(Q[rows, labels[rows]] + delta), (rows, 1, size_n))
        / size_n,
    }


def _one_hot_batch_proof(delta: sp.Expr) -> tuple[str, sp.Expr, sp.Expr]:
    """Rows 1 and 2 of a batch over 3 classes with labels 3 and 1: the double sum with one-hot
    rows is the sum of the labels' terms."""
    qs = sp.symbols("q_1:3_1:4", positive=True)
    q2 = [qs[:3], qs[3:]]
    one_hot = [[0, 0, 1], [1, 0, 0]]
    double = -sum(one_hot[r][c] * sp.log(q2[r][c] + delta) for r in range(2) for c in range(3)) / 2
    gathered = -(sp.log(q2[0][2] + delta) + sp.log(q2[1][0] + delta)) / 2
    return (
        "one-hot rows: double sum = sum of the labels' entries (N = 2, K = 3)",
        double,
        gathered,
    )


CROSS_ENTROPY_PQ = elementwise(
    "cross_entropy_pq",
    value=CROSS,
    **_PQ_FORM,
    subgradient="q = 0 < p: H = +inf, dH/dq = -inf; p = 0: term and gradient 0 (base > 1)",
    formulas={
        "value": _summed(CROSS),
        "term": CROSS.subs(_PLAIN),
        # One-hot p at class c: only the term of q_c is left (natural log).
        "one_hot": (CROSS.subs({p: 1, b: sp.E})).subs(q, sp.Symbol("q_c", real=True)),
        "gradient": (-p / (q * sp.log(b))).subs(_PLAIN),
        "nats": _summed(CROSS.subs(b, sp.E)),
        "one_hot_gradient": sp.diff(-sp.log(q), q).subs(q, sp.Symbol("q_c", real=True)),
        # The articles' cross_entropy_error (losslab.book): -sum p ln(q + delta), delta = 1e-7.
        "book": _summed(-p * sp.log(q + _DELTA)),
        "book_gradient": sp.diff(-p * sp.log(q + _DELTA), q).subs(_PLAIN),
        # A batch of N rows over K classes (mean over rows), and the same with one-hot rows
        # written as the entry of the label c_n of row n.
        **_batch(sp.Integer(0), ""),
        **_batch(_DELTA, "book_"),
    },
    extra_proofs=(
        ("H(p, q) = H(p) + D(p || q), term by term", CROSS, ENTROPY + KL),
        ("same gradient in q as the divergence", sp.diff(CROSS, q), sp.diff(KL, q)),
        _one_hot_batch_proof(_DELTA),
    ),
    # c: class labels (one-based) of the batch formulas.
    domains={
        "p": (0.05, 1.0),
        "q": (0.05, 1.0),
        "b": (1.5, 5.0),
        "c": [1, 2, 3],
        "delta": (1e-8, 0.1),
    },
)

FORMS = {
    "entropy": ENTROPY_FORM,
    "kl_divergence": KL_DIVERGENCE,
    "cross_entropy_pq": CROSS_ENTROPY_PQ,
}
