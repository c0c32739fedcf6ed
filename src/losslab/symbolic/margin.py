r"""Symbolic forms of the margin losses: :func:`losslab.hinge_loss`,
:func:`losslab.hinge_embedding_loss`, :func:`losslab.soft_margin_loss` (per element, labels
:math:`y \in \{-1, 1\}`) and :func:`losslab.multi_margin_loss` (per sample over :math:`k`
classes, one-hot target :math:`t`).

``sympy.diff`` turns :math:`\max(0, u)` into the step :math:`H(u)`, which has no value at
:math:`u = 0`; each form fixes it to the subgradient the NumPy function documents, checked
against PyTorch autograd (torch 2.13):

* ``hinge_loss``: :math:`H(0) = 0`, i.e. gradient 0 at :math:`y x = \mathrm{margin}`, what
  autograd gives for ``F.relu(margin - y * x)`` (``relu``'s backward passes only :math:`u > 0`).
  scikit-learn's ``SGDClassifier`` hinge (``z <= threshold``) and ``clamp_min`` give
  :math:`-y` instead: the choice is a convention, documented in :func:`losslab.hinge_loss`.
* ``hinge_embedding_loss``: :math:`H(0) = 1`, gradient :math:`-1` at
  :math:`x = \mathrm{margin}` for :math:`y = -1`, as ``F.hinge_embedding_loss`` (its
  ``clamp_min`` passes the gradient at equality).
* ``multi_margin_loss``: :math:`H(0) = 0`, as ``F.multi_margin_loss`` (strict :math:`z > 0`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import sympy as sp

from ._core import SymbolicLoss, at_kink, derive, elementwise, lambdify, sampler

x = sp.Symbol("x", real=True)
y = sp.Symbol("y", real=True)
m = sp.Symbol("margin", real=True)

HINGE = sp.Max(0, m - y * x)
# y = 1 picks x, y = -1 picks the hinge: (1 + y)/2 and (1 - y)/2 are the two indicators.
HINGE_EMBEDDING = (1 + y) / 2 * x + (1 - y) / 2 * sp.Max(0, m - x)
SOFT_MARGIN = sp.log(1 + sp.exp(-y * x))


def _signs(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    return np.where(rng.uniform(0, 1, shape) < 0.5, -1.0, 1.0).astype(dtype)


def _with_margin(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> dict[str, Any]:
    return {"target": _signs(rng, shape, dtype), "margin": float(rng.uniform(-0.5, 2.0))}


def _labels_only(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> dict[str, Any]:
    return {"target": _signs(rng, shape, dtype)}


def _hinge_kink(a: dict[str, Any]) -> np.ndarray:
    xv, yv = np.asarray(a["input"], dtype=float), np.asarray(a["target"], dtype=float)
    out: np.ndarray = np.abs(float(a["margin"]) - yv * xv)
    return out


def _embedding_kink(a: dict[str, Any]) -> np.ndarray:
    xv, yv = np.asarray(a["input"], dtype=float), np.asarray(a["target"], dtype=float)
    return np.where(yv == -1, np.abs(float(a["margin"]) - xv), np.inf)


def _s(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


_INDEXED = {x: _s("x_i"), y: _s("y_i")}

HINGE_LOSS = elementwise(
    "hinge_loss",
    wrt="input",
    variable=x,
    value=HINGE,
    arrays={"input": x, "target": y},
    scalars={"margin": m},
    sample=sampler("input", others=_with_margin, away_from=_hinge_kink),
    h0=0,
    closed_form=-y * sp.Heaviside(m - y * x, 0),
    kink_distance=_hinge_kink,
    subgradient="0 at y x = margin (H(0) = 0, as torch relu; scikit-learn SGD gives -y)",
    formulas={
        "value": HINGE.subs(_INDEXED),
        "unit": HINGE.subs({m: 1, x: _s("f"), y: _s("y")}),
    },
    domains={"y": (-1.0, 1.0)},
)
HINGE_EMBEDDING_LOSS = elementwise(
    "hinge_embedding_loss",
    wrt="input",
    variable=x,
    value=HINGE_EMBEDDING,
    arrays={"input": x, "target": y},
    scalars={"margin": m},
    sample=sampler("input", -1, 3, others=_with_margin, away_from=_embedding_kink),
    h0=1,
    closed_form=(1 + y) / 2 - (1 - y) / 2 * sp.Heaviside(m - x, 1),
    kink_distance=_embedding_kink,
    subgradient="-1 at x = margin for y = -1 (H(0) = 1, as torch's clamp_min)",
    formulas={
        "value": HINGE_EMBEDDING.subs(_INDEXED),
        "positive": HINGE_EMBEDDING.subs(y, 1).subs(_INDEXED),
        "negative": HINGE_EMBEDDING.subs(y, -1).subs(_INDEXED),
    },
    extra_proofs=(
        ("y = 1 gives x", HINGE_EMBEDDING.subs(y, 1), x),
        ("y = -1 gives max(0, margin - x)", HINGE_EMBEDDING.subs(y, -1), sp.Max(0, m - x)),
    ),
    domains={"y": [-1.0, 1.0]},  # labels: the two cases of the formula
)
SOFT_MARGIN_LOSS = elementwise(
    "soft_margin_loss",
    wrt="input",
    variable=x,
    value=SOFT_MARGIN,
    arrays={"input": x, "target": y},
    sample=sampler("input", -6, 6, others=_labels_only),
    closed_form=-y / (1 + sp.exp(y * x)),
    formulas={"value": SOFT_MARGIN.subs(_INDEXED)},
    extra_proofs=(
        (
            "equals BCE with logits on targets (y + 1)/2, for y = 1",
            SOFT_MARGIN.subs(y, 1),
            sp.log(1 + sp.exp(-x)),
        ),
        (
            "equals BCE with logits on targets (y + 1)/2, for y = -1",
            SOFT_MARGIN.subs(y, -1),
            sp.log(1 + sp.exp(x)),
        ),
    ),
    domains={"y": (-1.0, 1.0)},
)


# ----------------------------------------------------------------------------- multi_margin_loss

_S = sp.Symbol("s", positive=True)
_X, _j, _n = sp.IndexedBase("x"), sp.Symbol("j", integer=True), sp.Symbol("n", integer=True)
K = 3  # classes of the displayed and proved form


@cache
def _row(k: int, p: int) -> tuple[Any, Any, Any, Any, list[Any]]:
    """Per-sample form over k classes with one-hot t: (w/k) sum_j (1 - t_j) max(0, z_j)^p."""
    xs = sp.symbols(f"x_1:{k + 1}", real=True)
    ts = sp.symbols(f"t_1:{k + 1}", real=True)
    w = sp.Symbol("w", nonnegative=True)
    x_y = sum(t * v for t, v in zip(ts, xs, strict=True))  # the score of the label
    zs = [m - x_y + v for v in xs]
    value = w / k * sum((1 - t) * sp.Max(0, z) ** p for t, z in zip(ts, zs, strict=True))
    return xs, ts, w, value, [at_kink(derive(value, v), 0) for v in xs]


@cache
def _element(p: int) -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    """The generic term of a sample, :math:`\\max(0, z)^p` with :math:`z = m - x_y + x_j`, and
    its SymPy derivative in :math:`z` (0 at the kink), lambdified once for any class count:
    the gradient is :math:`h'(z_j)` at :math:`x_j` and :math:`-\\sum_{j \\ne y} h'(z_j)` at
    :math:`x_y` (``_row`` expands the same for K classes, displayed and proved)."""
    z = sp.Symbol("z", real=True)
    term = sp.Max(0, z) ** p
    return lambdify((z,), term), lambdify((z,), at_kink(derive(term, z), 0))


def _multi_margin_evaluate(a: dict[str, Any]) -> tuple[Any, Any]:
    xv = np.asarray(a["input"])
    xv = xv if np.iscomplexobj(xv) else xv.astype(np.float64)
    single = xv.ndim == 1
    x2 = xv.reshape(1, -1) if single else xv
    n, k = x2.shape
    labels = np.asarray(a["target"]).reshape(n)
    rows = np.arange(n)
    others = np.ones((n, k))
    others[rows, labels] = 0.0
    wv = np.ones(k) if a["weight"] is None else np.asarray(a["weight"], dtype=np.float64)
    coef = (wv[labels] / k)[:, None] * others
    z = float(a["margin"]) - x2[rows, labels][:, None] + x2
    term, dterm = _element(int(a["p"]))
    values = (coef * term(z)).sum(axis=1)
    grads = coef * dterm(z)
    grads[rows, labels] = -grads.sum(axis=1)
    red = a["reduction"]
    if red == "mean":
        values, grads = values.mean(), grads / n
    elif red == "sum":
        values = values.sum()
    elif single:
        values = values[0]
    return values, grads[0] if single else grads


def _multi_margin_kink(a: dict[str, Any]) -> np.ndarray:
    """Entry (n, j != y): |z_j|; entry (n, y): the smallest |z_j| of its row."""
    xv = np.atleast_2d(np.asarray(a["input"], dtype=float))
    n = int(xv.shape[0])
    labels = np.asarray(a["target"]).reshape(n)
    rows = np.arange(n)
    z = np.abs(float(a["margin"]) - xv[rows, labels][:, None] + xv)
    z[rows, labels] = np.inf
    z[rows, labels] = z.min(axis=1)
    out: np.ndarray = z.reshape(np.shape(a["input"]))
    return out


def _multi_margin_sample(rng: np.random.Generator, dtype: Any) -> dict[str, Any]:
    for _ in range(100):
        n, k = int(rng.integers(1, 4)), int(rng.integers(2, 5))
        a = {
            "input": rng.uniform(-2, 2, (n, k)).astype(dtype),
            "target": rng.integers(0, k, n),
            "p": int(rng.choice([1, 2])),
            "margin": float(rng.uniform(0.0, 2.0)),
            "weight": None if rng.integers(0, 2) else rng.uniform(0, 2, k).astype(dtype),
            "reduction": str(rng.choice(["mean", "sum", "none"])),
        }
        if np.all(_multi_margin_kink(a) > 0.05):
            return a
    raise RuntimeError("could not sample a point away from the kinks")


def _multi_margin_form() -> SymbolicLoss:
    xs, ts, w, value, grads = _row(K, 1)
    _, _, _, value2, _ = _row(K, 2)
    # Label y = 1 (t = e_1): the formula as printed, sum over j != y.
    onehot = {ts[0]: 1, **{t: 0 for t in ts[1:]}}
    x_y = sum(t * v for t, v in zip(ts, xs, strict=True))
    step = [sp.Heaviside(m - x_y + v, 0) for v in xs]
    plain = {v: sp.Symbol(v.name) for v in xs}
    return SymbolicLoss(
        name="multi_margin_loss",
        wrt="input",
        form=f"per sample over k = {K} classes, one-hot target t, p = 1 (gradient: first entry)",
        variable=xs[0],
        value=value,
        gradient=grads[0],
        evaluate=_multi_margin_evaluate,
        sample=_multi_margin_sample,
        # d/dx_1: (w/k)[(1 - t_1) H(z_1) - t_1 sum_j (1 - t_j) H(z_j)], H(0) = 0.
        closed_form=w
        / K
        * ((1 - ts[0]) * step[0] - ts[0] * sum((1 - t) * h for t, h in zip(ts, step, strict=True))),
        kink_distance=_multi_margin_kink,
        subgradient="0 where margin - x_y + x_j = 0 (H(0) = 0, PyTorch's strict z > 0)",
        domains={"p": [1.0, 2.0], "w": (0.0, 2.0)},
        formulas={
            "value": value.subs(onehot).subs(plain),
            "squared": value2.subs(onehot).subs(plain),
            # CS231n's multi-class SVM loss for label 1: C times the unweighted loss.
            # Any p, class weight w_y and C classes, for label 1 (the docstring's formula).
            "general": sp.Symbol("w_1")
            / sp.Symbol("C")
            * sp.Sum(sp.Max(0, m - _X[1] + _X[_j]) ** sp.Symbol("p"), (_j, 2, _n)),
            "svm": sp.Sum(sp.Max(0, _X[_j] - _X[1] + 1), (_j, 2, _n)),
        },
        extra_proofs=(
            (
                "k times the unweighted loss, margin 1, label 1 = the CS231n SVM sum over j != 1",
                (K * value / w).subs({m: 1, **onehot}),
                sp.Sum(sp.Max(0, _X[_j] - _X[1] + 1), (_j, 2, K))
                .doit()
                .subs({_X[c]: xs[c - 1] for c in range(1, K + 1)}),
            ),
            (
                "p = 2: gradient 2 (w/k) max(0, z) at a competitor (continuous, no kink)",
                at_kink(derive(value2, xs[1]), 0).subs(onehot),
                2 * w / K * sp.Max(0, m - xs[0] + xs[1]),
                tuple({xs[1]: xs[0] - m + d} for d in (_S, -_S, 0)),
            ),
        ),
    )


MULTI_MARGIN_LOSS = _multi_margin_form()

FORMS = {
    "hinge_loss": HINGE_LOSS,
    "hinge_embedding_loss": HINGE_EMBEDDING_LOSS,
    "soft_margin_loss": SOFT_MARGIN_LOSS,
    "multi_margin_loss": MULTI_MARGIN_LOSS,
}
