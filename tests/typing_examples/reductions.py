"""Reductions are typed: "none" gives an array, "mean"/"sum" a NumPy scalar."""
# pyright: strict

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

import losslab

x = np.array([1.0, 2.0, 3.0])
y = np.array([0.0, 2.0, 4.0])

mean: np.floating[Any] = losslab.mse_loss(x, y)
total: np.floating[Any] = losslab.huber_loss(x, y, reduction="sum", delta=0.5)
per_element: NDArray[np.floating[Any]] = losslab.l1_loss(x, y, reduction="none")
batchmean: np.floating[Any] = losslab.kl_div(
    np.log([[0.5, 0.5]]), [[0.2, 0.8]], reduction="batchmean"
)
rows: NDArray[np.floating[Any]] = losslab.cross_entropy(
    np.zeros((2, 3)), np.array([0, 2]), reduction="none"
)
print(mean, total, per_element.shape, batchmean, rows.shape)


def loss_with(reduction: Literal["mean", "sum", "none"]) -> float:
    """A reduction known only at run time: the result is a scalar or an array."""
    value: np.floating[Any] | NDArray[np.floating[Any]] = losslab.mse_loss(
        x, y, reduction=reduction
    )
    return float(np.sum(value))


print(loss_with("sum"), loss_with("none"))

# Mistakes a type checker catches before run time. Each checker has its own ignore comment and
# must need it: mypy --strict warns about unused ignores, pyright (which reads only its own,
# enableTypeIgnoreComments = false) has reportUnnecessaryTypeIgnoreComment on.
losslab.mse_loss(x, y, reduction="avg")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
losslab.mse_loss(x, y, "sum")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
losslab.mse_loss(x, y, reduction="batchmean")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
