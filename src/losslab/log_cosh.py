r"""Log-cosh loss, stable for any residual (no :math:`\cosh` overflow)."""

from __future__ import annotations

from functools import partial
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _elementwise as e
from . import _registry
from ._types import Losses, Reduction, Scalar, ValueAndGrad

__all__ = ["log_cosh_loss"]

_LOG2 = float(np.log(2.0))


def _log_cosh_kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
    r"""``log cosh(x - t)`` and its derivative ``tanh(x - t)``, two transcendental calls.

    With :math:`a = |r|` and :math:`v = e^{a/2} - 1` (``expm1``), :math:`2\sinh(a/2) =
    v(2 + v)/(1 + v)` and :math:`\log\cosh r = \log(1 + 2\sinh^2(a/2))` (``log1p``: no
    cancellation near 0). From :math:`a \ge A` (20 in float64, 10 in float32), where
    :math:`\log(1 + e^{-2a})` is below half an ulp of :math:`a`, the value is
    :math:`a - \log 2`, and :math:`a` is clipped to :math:`A` before ``expm1`` so nothing
    overflows.
    """
    r = np.subtract(blocks[0], blocks[1])
    a = np.abs(r)
    big = a.dtype.type(_far(a.dtype))
    v = np.expm1(np.minimum(a, big) * a.dtype.type(0.5))
    s = v * (2 + v)
    s /= 1 + v  # 2 sinh(a/2)
    s *= s
    s *= a.dtype.type(0.5)
    near: np.ndarray = np.log1p(s)
    np.copyto(loss, np.where(a < big, near, a - a.dtype.type(_LOG2)))
    if grad is not None:
        np.tanh(r, out=grad)


def _far(dtype: np.dtype) -> float:
    """The residual from which ``log(1 + e^{-2a})`` is below half an ulp of ``a``."""
    return 20.0 if dtype == np.float64 else 10.0


def _log_cosh(input: Any, target: Any, reduction: Any, need_grad: bool) -> ValueAndGrad:
    return e.pair_loss(_log_cosh_kernel, input, target, reduction, need_grad=need_grad)


@overload
def log_cosh_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: Literal["mean", "sum"] = ...
) -> Scalar: ...
@overload
def log_cosh_loss(input: ArrayLike, target: ArrayLike, *, reduction: Literal["none"]) -> Losses: ...
@overload
def log_cosh_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: Reduction
) -> Scalar | Losses: ...
def log_cosh_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: Reduction = "mean"
) -> Scalar | Losses:
    r"""Log-cosh loss: about :math:`r^2/2` for small errors and :math:`|r| - \log 2` for large.

    .. math::
        :formula: log_cosh_loss value

        \ell_i = \log\cosh(x_i - y_i)

    ``reduction='mean'`` gives :math:`\frac1n\sum_i \ell_i`, ``'sum'`` gives
    :math:`\sum_i \ell_i` and ``'none'`` the array of :math:`\ell_i`.

    Parameters
    ----------
    input : array_like
        Predictions :math:`x`, any shape.
    target : array_like
        Targets :math:`y`, same shape as ``input``.
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
        If the shapes differ, an input is empty or not finite, or ``reduction`` is unknown.
    TypeError
        If an input has a bool, complex, object or string dtype.

    Notes
    -----
    **Stability.** :math:`\cosh r` overflows float64 at :math:`|r| \approx 710` (float32 at
    89), so ``log(cosh(r))`` returns inf for a residual the loss itself handles easily. With
    :math:`a = |r|`, :math:`\log\cosh r = a + \log(1 + e^{-2a}) - \log 2`; from :math:`a = 20`
    (10 in float32) the middle term is below rounding and the value is :math:`a - \log 2`.
    Below, that form would cancel (:math:`a + \log(1 + e^{-2a}) \approx \log 2` near 0), so
    :math:`\log\cosh r = \log(1 + 2\sinh^2(a/2))` is used, with :math:`\sinh` from
    ``expm1``: accurate down to the smallest residuals.

    **Gradient.** :math:`\partial\ell_i/\partial x_i = \tanh(x_i - y_i)` (divided by :math:`n`
    for 'mean'): the error clipped smoothly to :math:`(-1, 1)`, like a Huber loss with
    :math:`\delta = 1` but twice differentiable.

    Conventions
    -----------
    * PyTorch has no log-cosh loss.
    * Keras ``log_cosh(y_true, y_pred)`` / ``LogCosh``: labels first; the same element formula
      (Keras uses :math:`r + \operatorname{softplus}(-2r) - \log 2`), averaged over the *last*
      axis per sample, then over the batch by the ``LogCosh`` class.
    * optax ``log_cosh(predictions, targets=None)``: prediction first, element-wise (no mean),
      computed as ``logaddexp(r, -r) - log 2``.
    * Keras, optax and this function all take :math:`\log\cosh` of the difference, so the
      argument order changes nothing but the name.

    Examples
    --------
    >>> import losslab
    >>> x, y = [0.0, 1.0, -20.0], [0.0, 0.0, 0.0]
    >>> print(losslab.log_cosh_loss(x, y, reduction="none"))
    [ 0.          0.43378083 19.30685282]
    >>> print(losslab.grad(losslab.log_cosh_loss)(x, y, reduction="sum"))
    [ 0.          0.76159416 -1.        ]
    >>> print(losslab.log_cosh_loss([1000.0], [0.0]))  # cosh(1000) overflows
    999.3068528194401
    """
    return _log_cosh(input, target, reduction, need_grad=False)[0]


_registry.register(log_cosh_loss, wrt="input", value_and_grad=partial(_log_cosh, need_grad=True))
