r"""Pinball (quantile) loss, scikit-learn's ``mean_pinball_loss`` with torch's argument order."""

from __future__ import annotations

import numbers
from functools import partial
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _elementwise as e
from . import _registry
from ._types import Losses, Reduction, Scalar, ValueAndGrad

__all__ = ["pinball_loss"]


def _pinball_kernel(alpha: Any) -> e.BlockKernel:
    r"""With :math:`r = y - x`: :math:`\max(\alpha r, (\alpha - 1) r)` (one product, so the
    value is sklearn's to the last bit), derivative :math:`-\alpha` below the target,
    :math:`1 - \alpha` above and their mean :math:`\tfrac12 - \alpha` at :math:`x = y`."""
    below = alpha - 1

    def kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
        r = np.subtract(blocks[1], blocks[0])
        with np.errstate(invalid="ignore"):  # 0 * inf where y - x overflows: see _pinball_halved
            np.maximum(alpha * r, below * r, out=loss)
        loss += 0.0  # -0.0 (from (alpha - 1) * 0) prints as 0
        if grad is not None:
            np.sign(r, out=grad)  # sign(y - x)
            grad *= -0.5
            grad += 0.5 - alpha

    return kernel


def _check_alpha(alpha: Any) -> float:
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"`alpha` is {alpha!r}, expected a real number")
    a = float(alpha)
    if not 0 <= a <= 1:  # also NaN
        raise ValueError(f"`alpha` is {alpha!r}, expected a quantile level in [0, 1]")
    return a


def _pinball_halved(alpha: Any) -> Any:
    r"""The element losses as :math:`2 \max(\alpha h, (\alpha - 1) h)` with
    :math:`h = y/2 - x/2`, for where :math:`y - x` overflows but the loss need not (e.g.
    :math:`x = -y = 10^{308}`, :math:`\alpha = \tfrac12`: the loss is :math:`10^{308}`)."""

    def losses(pair: e.Pair) -> np.ndarray:
        h = np.subtract(pair.t / 2, pair.x / 2)
        out: np.ndarray = 2 * np.maximum(alpha * h, (alpha - 1) * h) + 0.0  # not -0.0
        return out

    return losses


def _pinball(input: Any, target: Any, alpha: Any, reduction: Any, need_grad: bool) -> ValueAndGrad:
    a = _check_alpha(alpha)
    pair = e.prepare(input, target, reduction)
    a_t = pair.dtype.type(a)
    kernel = _pinball_kernel(a_t)
    return e.run(pair, kernel, reduction, need_grad=need_grad, weighted=_pinball_halved(a_t))


@overload
def pinball_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    alpha: float = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def pinball_loss(
    input: ArrayLike, target: ArrayLike, *, alpha: float = ..., reduction: Literal["none"]
) -> Losses: ...
@overload
def pinball_loss(
    input: ArrayLike, target: ArrayLike, *, alpha: float = ..., reduction: Reduction
) -> Scalar | Losses: ...
def pinball_loss(
    input: ArrayLike, target: ArrayLike, *, alpha: float = 0.5, reduction: Reduction = "mean"
) -> Scalar | Losses:
    r"""Pinball (quantile) loss of the :math:`\alpha`-quantile prediction ``input``.

    .. math::
        :formula: pinball_loss value

        \ell_i = \max\bigl(\alpha\,(y_i - x_i),\ (\alpha - 1)(y_i - x_i)\bigr)

    Under-predictions (:math:`x_i < y_i`) cost :math:`\alpha` per unit, over-predictions
    :math:`1 - \alpha`; the minimiser of the expected loss is the :math:`\alpha`-quantile of
    :math:`y`. ``reduction='mean'`` gives :math:`\frac1n\sum_i \ell_i` (scikit-learn's
    ``mean_pinball_loss``), ``'sum'`` gives :math:`\sum_i \ell_i` and ``'none'`` the array of
    :math:`\ell_i`.

    Parameters
    ----------
    input : array_like
        Predictions :math:`x` (of the :math:`\alpha`-quantile), any shape.
    target : array_like
        Targets :math:`y`, same shape as ``input``.
    alpha : float, default 0.5
        Quantile level :math:`\alpha \in [0, 1]`; 0.5 gives half the absolute error.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the element losses are combined.

    Returns
    -------
    numpy scalar or ndarray
        The loss; an array shaped like ``input`` for ``reduction='none'``.

    Shape
    -----
    * ``input``: ``(*)``, any number of dimensions.
    * ``target``: ``(*)``, the same shape as ``input``.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``; ``(*)``, the
      same shape as ``input``, for ``reduction='none'``.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite, ``alpha`` is outside [0, 1], or
        ``reduction`` is unknown.
    TypeError
        If an input has a bool, complex, object or string dtype, or ``alpha`` is not a number.

    Notes
    -----
    **Gradient.** :math:`\partial\ell_i/\partial x_i` is :math:`-\alpha` where
    :math:`x_i < y_i` and :math:`1 - \alpha` where :math:`x_i > y_i` (divided by :math:`n` for
    'mean'). At the kink :math:`x_i = y_i` it is the mean of the two slopes,
    :math:`\tfrac12 - \alpha`, the derivative of
    :math:`(\alpha - \tfrac12)(y_i - x_i) + \tfrac12|x_i - y_i|` with
    :math:`\operatorname{sign}(0) = 0`; for :math:`\alpha = \tfrac12` it is 0, as for
    :func:`~losslab.l1_loss` (``pinball_loss(x, y) == l1_loss(x, y) / 2``).

    Conventions
    -----------
    * scikit-learn ``mean_pinball_loss(y_true, y_pred, alpha=0.5)`` takes the **target first**:
      ``mean_pinball_loss(y, x, alpha=a) == pinball_loss(x, y, alpha=a)``. Its sign convention
      is the same (:math:`r = y_{\text{true}} - y_{\text{pred}}`, weight :math:`\alpha` where
      :math:`r \ge 0`); for 2-D input its default ``multioutput='uniform_average'`` averages the
      per-column means, which is the overall mean here.
    * scikit-learn ``GradientBoostingRegressor(loss="quantile", alpha=...)`` and
      ``QuantileRegressor(quantile=...)`` minimise the same loss.
    * PyTorch, Keras and optax have no pinball loss; the usual hand-written version
      ``max(q * e, (q - 1) * e)`` with ``e = y - x`` is this function with ``alpha=q``. Writing
      ``e = x - y`` instead (a common slip) gives the :math:`1 - q` quantile.

    Examples
    --------
    >>> import losslab
    >>> x, y = [1.0, 2.0, 3.0], [2.0, 2.0, 1.0]
    >>> print(losslab.pinball_loss(x, y, alpha=0.9, reduction="none"))
    [0.9 0.  0.2]
    >>> print(losslab.grad(losslab.pinball_loss)(x, y, alpha=0.9, reduction="sum"))
    [-0.9 -0.4  0.1]
    """
    return _pinball(input, target, alpha, reduction, need_grad=False)[0]


_registry.register(pinball_loss, wrt="input", value_and_grad=partial(_pinball, need_grad=True))
