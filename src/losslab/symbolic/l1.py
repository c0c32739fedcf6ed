r"""Symbolic form of :func:`losslab.l1_loss`: :math:`\ell = |x - y|` per element."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp

from ._core import elementwise, sampler

x, y = sp.symbols("x y", real=True)
i, n = sp.Symbol("i", integer=True), sp.Symbol("n", integer=True, positive=True)
X, Y = sp.IndexedBase("x"), sp.IndexedBase("y")


def _kink(a: dict[str, Any]) -> np.ndarray:
    out: np.ndarray = np.abs(
        np.asarray(a["input"], dtype=float) - np.asarray(a["target"], dtype=float)
    )
    return out


def _targets(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> dict[str, Any]:
    return {"target": rng.uniform(-3, 3, shape).astype(dtype)}


L1_LOSS = elementwise(
    "l1_loss",
    wrt="input",
    variable=x,
    value=sp.Abs(x - y),
    arrays={"input": x, "target": y},
    sample=sampler("input", others=_targets, away_from=_kink),
    closed_form=sp.sign(x - y),
    kink_distance=_kink,
    subgradient="sign(0) = 0 at x = y, as PyTorch",
    mean_over_weight=True,
    formulas={
        "value": sp.Abs(sp.Symbol("x_i") - sp.Symbol("y_i")),
        "weighted": sp.Symbol("w_i") * sp.Abs(sp.Symbol("x_i") - sp.Symbol("y_i")),
        "mean": sp.Sum(sp.Abs(X[i] - Y[i]), (i, 1, n)) / n,
        "sum": sp.Sum(sp.Abs(X[i] - Y[i]), (i, 1, n)),
    },
)

FORMS = {"l1_loss": L1_LOSS}
