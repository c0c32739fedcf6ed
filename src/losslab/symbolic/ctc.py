r"""SymPy form of :func:`losslab.ctc_loss` on a small case: the sum over alignments.

For ``T`` frames and labels ``l`` the probability is the sum, over every path that collapses
to ``l``, of the product of its frames' probabilities. ``proof()`` builds that sum by
enumeration with symbolic probabilities ``y[t][k]``, derives
:math:`\partial(-\log p)/\partial \log y_t(k) = -y_t(k)\,\partial p/\partial y_t(k) / p`
with ``sympy.diff`` and checks it against the NumPy forward-backward at a random point.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import sympy as sp


def path_sum(
    n_frames: int, n_classes: int, labels: list[int], blank: int = 0
) -> tuple[list[list[Any]], Any]:
    """The symbols ``y[t][k]`` and :math:`p(l \\mid x)` as a polynomial in them."""
    y = [
        [sp.Symbol(f"y_{t}_{k}", positive=True) for k in range(n_classes)] for t in range(n_frames)
    ]
    total = sp.Integer(0)
    for path in itertools.product(range(n_classes), repeat=n_frames):
        merged = [k for t, k in enumerate(path) if t == 0 or k != path[t - 1]]
        if [k for k in merged if k != blank] == list(labels):
            total += sp.Mul(*(y[t][k] for t, k in enumerate(path)))
    return y, total


def proof(
    n_frames: int = 4, n_classes: int = 3, labels: tuple[int, ...] = (1, 1), seed: int = 0
) -> float:
    """Largest difference between the SymPy gradient and ``losslab.grad(ctc_loss)``."""
    import losslab

    y, p = path_sum(n_frames, n_classes, list(labels))
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(n_classes), size=n_frames)
    point = {y[t][k]: probs[t, k] for t in range(n_frames) for k in range(n_classes)}
    pv = float(p.subs(point))
    want = np.array(
        [
            [float(-(y[t][k] * sp.diff(p, y[t][k])).subs(point)) / pv for k in range(n_classes)]
            for t in range(n_frames)
        ]
    )
    want += probs  # PyTorch's convention: the gradient w.r.t. the logits
    lp = np.log(probs)[:, None, :]
    g = losslab.grad(losslab.ctc_loss)(
        lp, [list(labels)], [n_frames], [len(labels)], reduction="sum"
    )
    return float(np.abs(g[:, 0] - want).max())
