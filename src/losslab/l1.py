r"""Mean absolute error, PyTorch's ``l1_loss`` convention (with its optional ``weight``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _fast, _registry
from . import _reduction as r
from . import _validation as v

__all__ = ["l1_loss"]


def _prepare_pair(
    input: ArrayLike, target: ArrayLike, reduction: str, weight: Any = None, *, finite: bool = True
):
    """Check an element-wise regression pair (and an optional same-shape ``weight``).

    Returns ``(x, t, w, dtype)`` with ``w`` None when no weight is given. Shared by
    :mod:`losslab.huber`. ``finite=False`` skips the NaN/inf check (a compiled kernel makes it
    in its pass).
    """
    x = v.as_float_array(input, "input", allow_nonfinite=not finite)
    t = v.as_float_array(target, "target", int_as=x.dtype, allow_nonfinite=not finite)
    v.check_same_shape(x, t, "input", "target")
    v.check_reduction(reduction)
    if weight is None:
        dtype = v.result_dtype(x, t)
        return x.astype(dtype, copy=False), t.astype(dtype, copy=False), None, dtype
    w = v.as_float_array(weight, "weight", int_as=x.dtype, allow_nonfinite=not finite)
    v.check_same_shape(x, w, "input", "weight")
    v.check_nonnegative(w, "weight")
    dtype = v.result_dtype(x, t, w)
    cast = (a.astype(dtype, copy=False) for a in (x, t, w))
    return (*cast, dtype)


def _total_weight(w: np.ndarray, dtype: np.dtype) -> Any:
    total = dtype.type(w.sum(dtype=dtype))
    if total == 0:
        raise ValueError(
            "`weight` sums to 0; reduction='mean' divides by the total weight, expected a "
            "positive sum"
        )
    return total


def _apply_weight(blocks, loss, grad) -> None:
    """Multiply a block's element losses (and derivatives) by its weights, if it has any."""
    if len(blocks) == 3:
        loss *= blocks[2]
        if grad is not None:
            grad *= blocks[2]


def _pair_loss(kernel, input, target, reduction, weight, need_grad, *, grad_factor=1.0, kind):
    """An element-wise loss of ``(input, target)`` with PyTorch's optional ``weight``.

    ``kernel`` works on the ``(x, t)`` blocks; the weights are applied here, and a weighted
    'mean' divides by the total weight (``F.mse_loss`` and ``F.l1_loss``). Shared by
    :mod:`losslab.mse`. With the compiled kernels, the loss ``kind`` of
    :data:`losslab._fast.PAIR_KINDS` runs instead of ``kernel``.
    """
    fast = _fast.active()
    x, t, w, dtype = _prepare_pair(input, target, reduction, weight, finite=not fast)
    arrays = (x, t) if w is None else (x, t, w)
    denominator = None
    if w is not None and reduction == "mean":
        denominator = float(_total_weight(w, dtype))
    if fast:
        return _fast.pair(
            kind,
            arrays,
            dtype,
            reduction,
            need_grad=need_grad,
            denominator=denominator,
            grad_factor=grad_factor,
        )

    def weighted_kernel(blocks, loss, grad):
        kernel(blocks, loss, grad)
        _apply_weight(blocks, loss, grad)

    return r.blocked_elementwise(
        weighted_kernel,
        arrays,
        x.shape,
        dtype,
        reduction,
        need_grad=need_grad,
        grad_factor=grad_factor,
        denominator=denominator,
    )


def l1_loss(
    input: ArrayLike, target: ArrayLike, reduction: str = "mean", weight: ArrayLike | None = None
) -> Any:
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


def _l1_kernel(blocks, loss, grad):
    """|x - t| and its subgradient sign(x - t), with sign(0) = 0."""
    diff = np.subtract(blocks[0], blocks[1], out=loss)
    if grad is not None:
        np.sign(diff, out=grad)
    np.abs(diff, out=loss)


def _l1(input, target, reduction, weight, need_grad):
    return _pair_loss(_l1_kernel, input, target, reduction, weight, need_grad, kind="l1")


def _l1_loss_value_and_grad(
    input: ArrayLike, target: ArrayLike, reduction: str = "mean", weight: ArrayLike | None = None
):
    return _l1(input, target, reduction, weight, need_grad=True)


_registry.register(l1_loss, wrt="input", value_and_grad=_l1_loss_value_and_grad)
