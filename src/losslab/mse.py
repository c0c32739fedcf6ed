r"""Mean squared error, PyTorch's ``mse_loss`` convention (with its optional ``weight``)."""

from __future__ import annotations

from functools import partial
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _elementwise as e
from . import _registry
from ._types import Losses, Reduction, Scalar, ValueAndGrad

__all__ = ["mse_loss"]


@overload
def mse_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: Literal["mean", "sum"] = ...,
    weight: ArrayLike | None = ...,
) -> Scalar: ...
@overload
def mse_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: Literal["none"],
    weight: ArrayLike | None = ...,
) -> Losses: ...
@overload
def mse_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: Reduction,
    weight: ArrayLike | None = ...,
) -> Scalar | Losses: ...
def mse_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: Reduction = "mean",
    weight: ArrayLike | None = None,
) -> Scalar | Losses:
    r"""Mean squared error between ``input`` and ``target``.

    .. math::
        :formula: mse_loss value mean

        \ell_i = (x_i - y_i)^2, \qquad
        \mathrm{MSE}(x, y) = \frac{1}{n}\sum_{i=1}^{n} (x_i - y_i)^2

    where :math:`n` is the number of elements (``reduction='mean'``); ``'sum'`` gives
    :math:`\sum_i \ell_i` and ``'none'`` the array of :math:`\ell_i`. With ``weight``, each
    :math:`\ell_i` is multiplied by :math:`w_i` and ``'mean'`` is the *weighted average*
    :math:`\sum_i w_i (x_i - y_i)^2 / \sum_i w_i` (PyTorch's choice).

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
    Gradient: :math:`\partial \mathrm{MSE}/\partial x_i = 2(x_i - y_i)/n`
    (``losslab.grad(losslab.mse_loss)``); with ``weight``, :math:`2 w_i (x_i - y_i)` over
    :math:`\sum_i w_i` for ``'mean'``.

    Conventions
    -----------
    * PyTorch ``F.mse_loss``: identical (mean over *all* elements), including ``weight``
      (added in PyTorch 2.6; the weighted 'mean' divides by the total weight).
    * Keras ``MeanSquaredError`` / ``keras.losses.MSE``: mean over the *last* axis per sample,
      then the mean over the batch for the class form; for a 1-D input the numbers agree.
    * optax ``squared_error``: no mean (element-wise :math:`(x-y)^2`); ``optax.l2_loss`` is
      :math:`\tfrac12 (x-y)^2`.
    * scikit-learn ``mean_squared_error(y_true, y_pred)``: same value, arguments in the other order.
    * The textbook and the articles use :math:`\tfrac12\sum_k (y_k-t_k)^2` with no mean:
      :func:`losslab.book.mean_squared_error`. For ``n`` elements the two differ by a factor
      :math:`2/n`.

    Examples
    --------
    >>> import losslab
    >>> y = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
    >>> t = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    >>> print(losslab.mse_loss(y, t))
    0.019500000000000007
    >>> print(losslab.mse_loss(y, t, reduction="sum") / 2)  # the article's 1/2-sum convention
    0.09750000000000003

    A weighted mean (PyTorch's ``weight``) divides by the total weight:

    >>> print(losslab.mse_loss([1.0, 2.0], [0.0, 0.0], weight=[1.0, 3.0]))
    3.25
    """
    return _mse(input, target, reduction, weight, need_grad=False)[0]


def _mse_kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
    """(x - t)^2, and x - t as the derivative before the factor 2."""
    diff = np.subtract(blocks[0], blocks[1], out=loss if grad is None else grad)
    np.multiply(diff, diff, out=loss)


def _mse_weighted(pair: e.Pair) -> np.ndarray:
    """w (x - t)^2 as 4 (h w) h with h = x/2 - t/2, where (x - t)^2 or x - t overflows but the
    weighted loss need not (e.g. 1e-300 (1e200)^2 = 1e100)."""
    h = np.subtract(pair.x / 2, pair.t / 2)
    out: np.ndarray = 4 * ((h * pair.weight) * h)
    return out


def _mse(
    input: ArrayLike, target: ArrayLike, reduction: str, weight: ArrayLike | None, need_grad: bool
) -> ValueAndGrad:
    return e.pair_loss(
        _mse_kernel,
        input,
        target,
        reduction,
        need_grad=need_grad,
        kind="mse",
        weight=weight,
        mean_over_weight=True,
        grad_factor=2.0,
        weighted=_mse_weighted,
    )


_registry.register(mse_loss, wrt="input", value_and_grad=partial(_mse, need_grad=True))
