r"""Mean absolute error, PyTorch's ``l1_loss`` convention (with its optional ``weight``)."""

from __future__ import annotations

from functools import partial
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _elementwise as e
from . import _registry
from ._types import Losses, Reduction, Scalar, ValueAndGrad

__all__ = ["l1_loss"]


@overload
def l1_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: Literal["mean", "sum"] = ...,
    weight: ArrayLike | None = ...,
) -> Scalar: ...
@overload
def l1_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: Literal["none"],
    weight: ArrayLike | None = ...,
) -> Losses: ...
@overload
def l1_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: Reduction,
    weight: ArrayLike | None = ...,
) -> Scalar | Losses: ...
def l1_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: Reduction = "mean",
    weight: ArrayLike | None = None,
) -> Scalar | Losses:
    r"""Mean absolute error (L1 loss) between ``input`` and ``target``.

    .. math::
        :formula: l1_loss weighted mean

        \ell_i = w_i\,|x_i - y_i|, \qquad
        \mathrm{MAE}(x, y) = \frac{1}{n}\sum_{i=1}^{n} |x_i - y_i|

    With ``weight`` and ``reduction='mean'`` the result is the *weighted average*
    :math:`\sum_i w_i |x_i - y_i| / \sum_i w_i` (PyTorch's choice); ``'sum'`` gives
    :math:`\sum_i \ell_i` and ``'none'`` the array of :math:`\ell_i`.

    Parameters
    ----------
    input : array_like
        Predictions :math:`x`, any shape.
    target : array_like
        Targets :math:`y`, same shape as ``input``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the element losses are combined.
    weight : array_like, optional
        Non-negative weights :math:`w_i`, same shape as ``input`` (PyTorch 2.13 argument).

    Returns
    -------
    numpy scalar or ndarray
        The loss; an array shaped like ``input`` for ``reduction='none'``.

    Shape
    -----
    * ``input``: ``(*)``, any number of dimensions.
    * ``target``: ``(*)``, the same shape as ``input``.
    * ``weight``: ``(*)``, the same shape as ``input``.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``; ``(*)``, the
      same shape as ``input``, for ``reduction='none'``.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite, ``weight`` has a negative entry
        (or sums to 0 with ``reduction='mean'``), or ``reduction`` is unknown.
    TypeError
        If an input has a bool, complex, object or string dtype.

    Notes
    -----
    :math:`|x - y|` has no derivative at :math:`x = y`. ``losslab.grad(losslab.l1_loss)`` returns
    the subgradient :math:`\operatorname{sign}(x_i - y_i)\,w_i/n` with
    :math:`\operatorname{sign}(0) = 0`, which is what PyTorch autograd returns (any value in
    :math:`[-1, 1]` would be a valid subgradient). For the weighted mean the divisor is
    :math:`\sum_i w_i` instead of :math:`n`.

    Conventions
    -----------
    * PyTorch ``F.l1_loss``: identical, including ``weight`` (weighted 'mean' divides by the total
      weight, whereas ``F.huber_loss(weight=...)`` divides by :math:`n`).
    * Keras ``MeanAbsoluteError``: mean over the *last* axis per sample, then over the batch;
      the same number for 1-D input. ``sample_weight`` in Keras divides by the number of samples,
      not by the total weight.
    * optax: ``optax.huber_loss(predictions, targets, delta) / delta`` tends to :math:`|x - y|`
      element-wise as ``delta`` goes to 0 (optax returns unreduced losses; take the mean yourself).
    * scikit-learn ``mean_absolute_error(y_true, y_pred, sample_weight=...)``: same value
      (weighted average), arguments in the other order.

    Examples
    --------
    The study diary's predictions against the one-hot label:

    >>> import losslab
    >>> t = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    >>> y2 = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
    >>> y3 = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.0, 0.6, 0.0]
    >>> print(losslab.l1_loss(y2, t), losslab.l1_loss(y3, t))
    0.08 0.18000000000000002
    >>> print(losslab.l1_loss(y2, t, reduction="sum"), losslab.l1_loss(y3, t, reduction="sum"))
    0.8 1.8000000000000003

    The gradient is the sign of the error, 0 where the error is 0:

    >>> print(losslab.grad(losslab.l1_loss)([1.0, 2.0, 3.0], [2.0, 2.0, 2.0], reduction="sum"))
    [-1.  0.  1.]
    """
    return _l1(input, target, reduction, weight, need_grad=False)[0]


def _l1_kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
    """|x - t| and its subgradient sign(x - t), with sign(0) = 0."""
    diff = np.subtract(blocks[0], blocks[1], out=loss)
    if grad is not None:
        np.sign(diff, out=grad)
    np.abs(diff, out=loss)


def _l1(
    input: ArrayLike, target: ArrayLike, reduction: str, weight: ArrayLike | None, need_grad: bool
) -> ValueAndGrad:
    return e.pair_loss(
        _l1_kernel,
        input,
        target,
        reduction,
        need_grad=need_grad,
        kind="l1",
        weight=weight,
        mean_over_weight=True,
    )


_registry.register(l1_loss, wrt="input", value_and_grad=partial(_l1, need_grad=True))
