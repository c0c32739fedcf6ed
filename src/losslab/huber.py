r"""Huber loss and smooth L1 loss, PyTorch's ``huber_loss`` / ``smooth_l1_loss`` conventions."""

from __future__ import annotations

from functools import partial
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _elementwise as e
from . import _registry
from . import _validation as v
from ._types import Losses, Reduction, Scalar, ValueAndGrad

__all__ = ["huber_loss", "smooth_l1_loss"]


def _huber_kernel(delta: Any) -> e.BlockKernel:
    """Block kernel of the Huber loss.

    With ``a = |x - t|`` and ``q = min(a, delta)`` the loss is ``q (a - q/2)``: ``a^2/2`` where
    ``a < delta`` and ``delta (a - delta/2)`` elsewhere, with no branch; the derivative is
    ``copysign(q, x - t)``, the error clipped to ``[-delta, delta]``.
    """

    def kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
        diff = np.subtract(blocks[0], blocks[1], out=loss if grad is None else grad)
        a = np.abs(diff, out=loss)
        q = np.minimum(a, delta)
        if grad is not None:
            np.copysign(q, diff, out=grad)
        half = np.multiply(q, 0.5)
        a -= half
        a *= q

    return kernel


def _huber(
    input: ArrayLike,
    target: ArrayLike,
    reduction: str,
    delta: float,
    weight: ArrayLike | None,
    need_grad: bool,
) -> ValueAndGrad:
    d: float | np.floating[Any] = v.check_positive_number(delta, "delta")
    pair = e.prepare(input, target, reduction, kind="huber", weight=weight)
    with np.errstate(over="ignore"):  # a delta beyond float32's range is inf: all quadratic
        d = pair.dtype.type(d)
    kernel = _huber_kernel(d)
    return e.run(pair, kernel, reduction, need_grad=need_grad, kind="huber", param=float(d))


def _smooth_l1_kernel(beta: Any, inv: Any) -> e.BlockKernel:
    """Block kernel of smooth L1 (``inv`` is ``1 / beta`` in the dtype). With ``r = a inv``
    below beta and 1 from beta on, the loss is ``(a/2) r`` below beta and ``a - beta/2`` from
    beta on, the derivative ``copysign(r, d)``: nothing underflows before the loss does
    (``q (a - q/2) / beta`` loses ``a - beta/2`` when ``a beta`` underflows, and digits of
    ``a^2/(2 beta)`` when ``a^2`` does), and the derivative is exactly ±1 on the linear part.
    The same operations as the compiled kernel, so both paths give the same bits."""
    half = beta.dtype.type(0.5)

    def kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
        diff = np.subtract(blocks[0], blocks[1], out=loss if grad is None else grad)
        a = np.abs(diff, out=loss)
        small = a < beta
        r = np.multiply(a, inv, out=np.ones_like(a), where=small)
        if grad is not None:
            np.copysign(r, diff, out=grad)
        half_a = np.multiply(a, half)
        a -= half * beta
        np.multiply(half_a, r, out=loss, where=small)

    return kernel


def _abs_kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
    """|x - t| and its subgradient sign(x - t), with sign(0) = 0 (smooth L1 with beta 0)."""
    diff = np.subtract(blocks[0], blocks[1], out=loss)
    if grad is not None:
        np.sign(diff, out=grad)
    np.abs(diff, out=loss)


def _smooth_l1_tiny_kernel(beta: Any) -> e.BlockKernel:
    """Smooth L1 for a beta whose reciprocal overflows the dtype, or (a float64 ``beta`` for
    float32 input) that overflows float32 itself: ``(a / 2) (a / beta)`` below beta and
    ``a - beta / 2`` above, derivative ``d / beta`` and ``sign(d)``; nothing is ever
    multiplied by ``1 / beta``."""

    def kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
        d = np.subtract(blocks[0], blocks[1])
        a = np.abs(d)
        small = a < beta
        q = np.divide(a, beta, out=np.zeros(a.shape, np.result_type(a, beta)), where=small)
        np.copyto(loss, np.where(small, (0.5 * a) * q, a - 0.5 * beta))
        if grad is not None:
            np.copyto(grad, np.where(small, np.copysign(q, d), np.sign(d)))

    return kernel


def _smooth_l1(
    input: ArrayLike, target: ArrayLike, reduction: str, beta: float, need_grad: bool
) -> ValueAndGrad:
    b = v.check_positive_number(beta, "beta", allow_zero=True)
    pair = e.prepare(input, target, reduction, kind="smooth_l1")
    with np.errstate(over="ignore"):  # a beta beyond float32's range: handled below
        bd = pair.dtype.type(b)
    if bd == 0:  # also a beta that rounds to 0 in float32: the L1 loss, as in PyTorch
        return e.run(pair, _abs_kernel, reduction, need_grad=need_grad, kind="l1")
    if np.isinf(bd):  # float32 input, a beta above its range: a / beta in float64
        return e.run(pair, _smooth_l1_tiny_kernel(np.float64(b)), reduction, need_grad=need_grad)
    if bd < 1 / np.finfo(pair.dtype).max:  # 1/beta overflows: a rare path that never forms it
        return e.run(pair, _smooth_l1_tiny_kernel(bd), reduction, need_grad=need_grad)
    return e.run(
        pair,
        _smooth_l1_kernel(bd, pair.dtype.type(1) / bd),
        reduction,
        need_grad=need_grad,
        kind="smooth_l1",
        param=float(bd),
    )


@overload
def huber_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: Literal["mean", "sum"] = ...,
    delta: float = ...,
    weight: ArrayLike | None = ...,
) -> Scalar: ...
@overload
def huber_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: Literal["none"],
    delta: float = ...,
    weight: ArrayLike | None = ...,
) -> Losses: ...
@overload
def huber_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: Reduction,
    delta: float = ...,
    weight: ArrayLike | None = ...,
) -> Scalar | Losses: ...
def huber_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: Reduction = "mean",
    delta: float = 1.0,
    weight: ArrayLike | None = None,
) -> Scalar | Losses:
    r"""Huber loss: quadratic for small errors, linear (slope :math:`\delta`) for large ones.

    .. math::
        :formula: huber_loss weighted

        \ell_i = w_i
        \begin{cases}
            \tfrac12 (x_i - y_i)^2 & |x_i - y_i| < \delta \\
            \delta\,\bigl(|x_i - y_i| - \tfrac12\delta\bigr) & \text{otherwise}
        \end{cases}

    ``reduction='mean'`` gives :math:`\frac1n\sum_i \ell_i` (also with ``weight``: PyTorch divides
    the weighted sum by :math:`n`, not by :math:`\sum_i w_i`), ``'sum'`` gives
    :math:`\sum_i \ell_i` and ``'none'`` the array of :math:`\ell_i`.

    Parameters
    ----------
    input : array_like
        Predictions :math:`x`, any shape.
    target : array_like
        Targets :math:`y`, same shape as ``input``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the element losses are combined.
    delta : float, default 1.0
        Threshold :math:`\delta > 0` between the quadratic and the linear part.
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
        If the shapes differ, an input is empty or not finite, ``delta <= 0``, ``weight`` has a
        negative entry, or ``reduction`` is unknown.
    TypeError
        If an input has a bool, complex, object or string dtype, or ``delta`` is not a number.

    Notes
    -----
    The loss is continuously differentiable: the gradient is the error clipped to
    :math:`[-\delta, \delta]`, :math:`\partial\ell_i/\partial x_i = w_i\,\mathrm{clip}(x_i - y_i,
    -\delta, \delta)` (divided by :math:`n` for 'mean'). At :math:`|x_i - y_i| = \delta` both
    pieces give :math:`\pm\delta`, as PyTorch autograd does. The value is computed as
    :math:`q\,(a - q/2)` with :math:`a = |x - y|`, :math:`q = \min(a, \delta)`, one formula for
    both pieces.

    Conventions
    -----------
    * PyTorch ``F.huber_loss``: identical, including ``weight``.
    * :func:`smooth_l1_loss` is the same curve divided by its threshold:
      ``smooth_l1_loss(x, y, beta=d) == huber_loss(x, y, delta=d) / d``; for ``delta = 1`` the two
      coincide.
    * Keras ``Huber(delta=1.0)`` / ``keras.losses.huber``: same formula, averaged over the
      *last* axis per sample, then over the batch; the same number for 1-D input.
    * optax ``huber_loss(predictions, targets, delta=1.0)``: same element formula, returned
      unreduced (no mean).
    * scikit-learn ``HuberRegressor`` uses a different, scale-estimated Huber objective
      (``epsilon`` multiplies a fitted scale :math:`\sigma`); it is not this function.

    Examples
    --------
    >>> import losslab
    >>> x, y = [0.5, 2.0, -3.0], [0.0, 0.0, 0.0]
    >>> print(losslab.huber_loss(x, y, reduction="none"))
    [0.125 1.5   2.5  ]
    >>> print(losslab.huber_loss(x, y, reduction="none", delta=2.0))
    [0.125 2.    4.   ]
    >>> print(losslab.grad(losslab.huber_loss)(x, y, reduction="sum"))
    [ 0.5  1.  -1. ]
    """
    return _huber(input, target, reduction, delta, weight, need_grad=False)[0]


@overload
def smooth_l1_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: Literal["mean", "sum"] = ...,
    beta: float = ...,
) -> Scalar: ...
@overload
def smooth_l1_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: Literal["none"], beta: float = ...
) -> Losses: ...
@overload
def smooth_l1_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: Reduction, beta: float = ...
) -> Scalar | Losses: ...
def smooth_l1_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: Reduction = "mean", beta: float = 1.0
) -> Scalar | Losses:
    r"""Smooth L1 loss: the Huber curve rescaled so that its linear part has slope 1.

    .. math::
        :formula: smooth_l1_loss value

        \ell_i =
        \begin{cases}
            \dfrac{(x_i - y_i)^2}{2\beta} & |x_i - y_i| < \beta \\
            |x_i - y_i| - \tfrac12\beta & \text{otherwise}
        \end{cases}

    With ``beta=0`` it is exactly :func:`~losslab.l1_loss` (as in PyTorch). ``reduction`` works as
    in :func:`~losslab.mse_loss`.

    Parameters
    ----------
    input : array_like
        Predictions :math:`x`, any shape.
    target : array_like
        Targets :math:`y`, same shape as ``input``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the element losses are combined.
    beta : float, default 1.0
        Threshold :math:`\beta \ge 0`.

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
        If the shapes differ, an input is empty or not finite, ``beta < 0``, or ``reduction`` is
        unknown.
    TypeError
        If an input has a bool, complex, object or string dtype, or ``beta`` is not a number.

    Notes
    -----
    :math:`\mathrm{smooth\_l1}_\beta = \mathrm{huber}_\beta / \beta` for :math:`\beta > 0`. The
    gradient is :math:`\mathrm{clip}((x_i - y_i)/\beta, -1, 1)` (divided by :math:`n` for
    'mean'); for ``beta=0`` it is :math:`\operatorname{sign}(x_i - y_i)` with
    :math:`\operatorname{sign}(0) = 0`, PyTorch's subgradient at the kink. The loss is
    evaluated piecewise, :math:`\tfrac12|d|\,(|d|/\beta)` below :math:`\beta` and
    :math:`|d| - \tfrac12\beta` above: with a tiny :math:`\beta` the linear part stays exact
    (``smooth_l1_loss([1e-100], [0], beta=1e-300)`` is ``1e-100``), and a tiny residual keeps
    its digits where :math:`d^2/(2\beta)`, PyTorch's form, underflows in :math:`d^2`. A
    float32 ``beta`` above float32's range is applied in float64.

    Conventions
    -----------
    * PyTorch ``F.smooth_l1_loss``: identical (``beta=0`` is delegated to ``l1_loss`` there too).
      PyTorch's smooth L1 has no ``weight`` argument, unlike ``huber_loss``.
    * Fast R-CNN's original smooth L1 is the ``beta=1`` case, where it equals the Huber loss.
    * Keras, optax and scikit-learn have no smooth L1 under this name; use their Huber loss with
      ``delta = beta`` and divide by ``beta``.

    Examples
    --------
    >>> import losslab
    >>> x, y = [0.5, 2.0, -3.0], [0.0, 0.0, 0.0]
    >>> print(losslab.smooth_l1_loss(x, y, reduction="none", beta=2.0))
    [0.0625 1.     2.    ]
    >>> print(losslab.huber_loss(x, y, reduction="none", delta=2.0) / 2.0)
    [0.0625 1.     2.    ]
    >>> print(losslab.smooth_l1_loss(x, y, beta=0.0), losslab.l1_loss(x, y))
    1.8333333333333333 1.8333333333333333
    """
    return _smooth_l1(input, target, reduction, beta, need_grad=False)[0]


_registry.register(huber_loss, wrt="input", value_and_grad=partial(_huber, need_grad=True))
_registry.register(smooth_l1_loss, wrt="input", value_and_grad=partial(_smooth_l1, need_grad=True))
