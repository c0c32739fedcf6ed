r"""Binary cross-entropy on probabilities and on logits, PyTorch's conventions."""

from __future__ import annotations

from functools import partial
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _elementwise as e
from . import _registry
from . import _validation as v
from ._types import Losses, Reduction, Scalar, ValueAndGrad

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits"]

_LOG_CLAMP = 100.0  # PyTorch clamps log(p) and log(1 - p) at -100
# PyTorch's BCE backward: (x - y) / max(x (1 - x), eps) with eps = 1e-12 stored as a C float,
# i.e. 9.999999960041972e-13 (so the gradient at input 0, target 1 is -1.0000000039958e12).
_GRAD_EPS = float(np.float32(1e-12))


@overload
def binary_cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def binary_cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    reduction: Literal["none"],
) -> Losses: ...
@overload
def binary_cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    reduction: Reduction,
) -> Scalar | Losses: ...
def binary_cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    reduction: Reduction = "mean",
) -> Scalar | Losses:
    r"""Binary cross-entropy between predicted probabilities and targets in [0, 1].

    .. math::
        :formula: binary_cross_entropy clamped

        \ell_i = -w_i\bigl[\,y_i \max(\log x_i, -100)
                 + (1 - y_i)\max(\log(1 - x_i), -100)\,\bigr]

    ``reduction='mean'`` gives :math:`\frac1n\sum_i \ell_i` over all elements (weights are *not*
    normalised), ``'sum'`` gives :math:`\sum_i \ell_i` and ``'none'`` the array of :math:`\ell_i`.

    Parameters
    ----------
    input : array_like
        Predicted probabilities :math:`x_i \in [0, 1]`, any shape.
    target : array_like
        Targets :math:`y_i \in [0, 1]` (hard 0/1 labels or soft labels), same shape as ``input``.
    weight : array_like, optional
        Non-negative rescaling weights :math:`w_i`, broadcastable to ``input``'s shape.
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
    * ``weight``: broadcastable to ``(*)``.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``; ``(*)``, the
      same shape as ``input``, for ``reduction='none'``.

    Raises
    ------
    ValueError
        If ``input`` or ``target`` is outside [0, 1], the shapes differ, ``weight`` does not
        broadcast to ``input`` or has a negative entry, an input is empty or not finite, or
        ``reduction`` is unknown.
    TypeError
        If an input has a bool, complex, object or string dtype.

    Notes
    -----
    **The clamp at -100.** Like PyTorch, each logarithm is clamped below at -100, so a
    confidently wrong prediction (``input`` 0 with ``target`` 1) costs exactly 100 instead of
    :math:`+\infty`, and :math:`0 \cdot \log 0` terms vanish. :math:`\log(1 - x)` is computed as
    ``log1p(-x)``. The clamp changes the value only for probabilities within
    :math:`e^{-100} \approx 3.7\times10^{-44}` of 0 or 1, i.e. never for float32 or float64 input
    away from exact 0 and 1 (and float64 :math:`1 - x` cannot get that close to 0).

    **Gradient.** ``losslab.grad`` returns PyTorch's formula

    .. math::
        :formula: binary_cross_entropy gradient_floor -

        \frac{\partial \ell_i}{\partial x_i} = w_i\,\frac{x_i - y_i}{\max\bigl(x_i(1 - x_i),
        \varepsilon\bigr)}, \qquad \varepsilon = 10^{-12}

    (divided by :math:`n` for 'mean'), where :math:`\varepsilon` is, as in PyTorch's kernel,
    :math:`10^{-12}` rounded to float32 (:math:`9.99999996\times10^{-13}`). It is the derivative
    of the *unclamped* loss with a floor on the denominator, not of the clamped one: at ``input``
    0 with ``target`` 1 it is about :math:`-10^{12}` (the clamped function is flat there), at
    ``input`` 0 with ``target`` 0 it is 0. For training prefer
    :func:`binary_cross_entropy_with_logits`, which needs neither clamp nor floor.

    Conventions
    -----------
    * PyTorch ``F.binary_cross_entropy``: identical, including the clamp and the gradient.
    * Keras ``BinaryCrossentropy(from_logits=False)`` clips the *probabilities* to
      :math:`[10^{-7}, 1 - 10^{-7}]` (``keras.backend.epsilon()``) instead of clamping the log, so
      ``input`` 0 with ``target`` 1 costs about 16 (:math:`-\log 10^{-7} \approx 16.12`; older
      tf.keras also added :math:`10^{-7}` inside the log) rather than 100, and the clip changes
      every probability within :math:`10^{-7}` of 0 or 1. It averages over the last axis.
    * scikit-learn ``log_loss`` clips probabilities to machine epsilon of the dtype
      (``input`` 0 with ``target`` 1 gives about 36.04 in float64) and takes labels first.
    * optax ``sigmoid_binary_cross_entropy`` takes logits only (see
      :func:`binary_cross_entropy_with_logits`).

    Examples
    --------
    >>> import losslab
    >>> print(losslab.binary_cross_entropy([0.5, 0.9, 0.2], [1, 1, 0], reduction="none"))
    [0.69314718 0.10536052 0.22314355]
    >>> print(losslab.binary_cross_entropy([0.0, 1.0], [1.0, 1.0], reduction="none"))
    [100.   0.]
    >>> print(losslab.grad(losslab.binary_cross_entropy)([0.0, 0.5], [1.0, 1.0], reduction="sum"))
    [-1.e+12 -2.e+00]
    """
    return _bce(input, target, weight, reduction, need_grad=False)[0]


def _bce_kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
    """Clamped BCE on probabilities and PyTorch's floored-denominator derivative."""
    x, t = blocks[0], blocks[1]
    tmp = np.negative(x)  # -x, then 1 - x for the gradient
    log_1mx = np.log1p(tmp)
    np.maximum(log_1mx, -_LOG_CLAMP, out=log_1mx)
    log_x = np.log(x, out=loss)
    np.maximum(log_x, -_LOG_CLAMP, out=log_x)
    log_x *= t
    if grad is not None:
        np.subtract(x, t, out=grad)
    one_m_t = np.subtract(1, t)
    log_1mx *= one_m_t
    log_x += log_1mx
    np.subtract(0.0, log_x, out=loss)  # 0 - (-0.0) = 0.0, no -0.0
    if grad is not None:
        tmp += 1
        tmp *= x
        np.maximum(tmp, _GRAD_EPS, out=tmp)
        grad /= tmp


def _target_probabilities(t: np.ndarray) -> None:
    v.check_probabilities(t, "target")


def _bce(
    input: ArrayLike, target: ArrayLike, weight: ArrayLike | None, reduction: str, need_grad: bool
) -> ValueAndGrad:
    pair = e.prepare(
        input,
        target,
        reduction,
        weight=weight,
        broadcast=True,
        check_target=_target_probabilities,
        check_input=lambda x: v.check_probabilities(x, "input"),
    )
    with np.errstate(divide="ignore"):  # log(0) = -inf, clamped to -100
        return e.run(pair, _bce_kernel, reduction, need_grad=need_grad)


@overload
def binary_cross_entropy_with_logits(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    reduction: Literal["mean", "sum"] = ...,
    pos_weight: ArrayLike | None = ...,
) -> Scalar: ...
@overload
def binary_cross_entropy_with_logits(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    reduction: Literal["none"],
    pos_weight: ArrayLike | None = ...,
) -> Losses: ...
@overload
def binary_cross_entropy_with_logits(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    reduction: Reduction,
    pos_weight: ArrayLike | None = ...,
) -> Scalar | Losses: ...
def binary_cross_entropy_with_logits(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    reduction: Reduction = "mean",
    pos_weight: ArrayLike | None = None,
) -> Scalar | Losses:
    r"""Binary cross-entropy of :math:`\sigma(x)` computed from the logits :math:`x`, stably.

    .. math::
        :formula: binary_cross_entropy_with_logits weighted|weighted

        \ell_i = -w_i\bigl[\,p\,y_i \log\sigma(x_i) + (1 - y_i)\log(1 - \sigma(x_i))\,\bigr]
               = w_i\bigl[\,p\,y_i\,\mathrm{softplus}(-x_i)
                 + (1 - y_i)\,\mathrm{softplus}(x_i)\,\bigr]

    with :math:`\sigma(x) = 1/(1 + e^{-x})`, :math:`\mathrm{softplus}(z) = \log(1 + e^z)` and
    :math:`p` = ``pos_weight`` (1 when omitted). ``reduction='mean'`` gives
    :math:`\frac1n\sum_i \ell_i` over all elements, ``'sum'`` gives :math:`\sum_i \ell_i` and
    ``'none'`` the array of :math:`\ell_i`.

    Parameters
    ----------
    input : array_like
        Logits :math:`x_i` (any real numbers), any shape.
    target : array_like
        Targets :math:`y_i \in [0, 1]`, same shape as ``input``.
    weight : array_like, optional
        Non-negative rescaling weights :math:`w_i`, broadcastable to ``input``'s shape.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the element losses are combined.
    pos_weight : array_like, optional
        Non-negative weight :math:`p` of the positive term, broadcastable to ``input``'s shape
        (typically one value per class, shape ``(C,)``, for multi-label input ``(N, C)``).

    Returns
    -------
    numpy scalar or ndarray
        The loss; an array shaped like ``input`` for ``reduction='none'``.

    Shape
    -----
    * ``input``: ``(*)``, any number of dimensions.
    * ``target``: ``(*)``, the same shape as ``input``.
    * ``weight``: broadcastable to ``(*)``.
    * ``pos_weight``: broadcastable to ``(*)``; typically ``(C,)`` for an ``(N, C)`` input.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``; ``(*)``, the
      same shape as ``input``, for ``reduction='none'``.

    Raises
    ------
    ValueError
        If ``target`` is outside [0, 1], the shapes differ, ``weight`` or ``pos_weight`` does not
        broadcast to ``input`` or has a negative entry, an input is empty or not finite, or
        ``reduction`` is unknown.
    TypeError
        If an input has a bool, complex, object or string dtype.

    Notes
    -----
    **Stability.** The loss is evaluated as

    .. math::
        :formula: binary_cross_entropy_with_logits weighted

        \ell_i = w_i\bigl[(p y_i + 1 - y_i)\log(1 + e^{-|x_i|})
                 + (1 - y_i)\max(x_i, 0) + p\,y_i \max(-x_i, 0)\bigr],

    a sum of non-negative terms: :math:`e^{-|x|}` never overflows (no overflow at
    :math:`x = \pm 10^4`) and nothing cancels, so the result keeps full relative accuracy even
    where the loss is tiny (e.g. :math:`x = -30`, :math:`y = 0` gives
    :math:`\log(1 + e^{-30}) \approx 9.36\times10^{-14}`). PyTorch's kernel computes
    :math:`(1 - y)x + \ldots` and loses those digits to cancellation (it returns about
    :math:`9.24\times10^{-14}` there); the absolute difference is below :math:`10^{-15}`.

    **Gradient.**

    .. math::
        :formula: binary_cross_entropy_with_logits weighted_gradient|weighted_gradient

        \frac{\partial \ell_i}{\partial x_i} = w_i\bigl[(1 - y_i)\,\sigma(x_i)
            - p\,y_i\,\sigma(-x_i)\bigr] = w_i\bigl[(p y_i + 1 - y_i)\sigma(x_i) - p y_i\bigr],

    which is :math:`\sigma(x_i) - y_i` for :math:`p = w_i = 1` (divided by :math:`n` for 'mean').
    The first form is the one evaluated, so hard labels get a gradient with full relative accuracy
    even when it is tiny.

    Conventions
    -----------
    * PyTorch ``F.binary_cross_entropy_with_logits``: same values (to rounding), same gradient
      and argument order, including ``pos_weight``.
    * Keras ``BinaryCrossentropy(from_logits=True)``: same element losses, averaged over the last
      axis per sample; no ``pos_weight`` (``tf.nn.weighted_cross_entropy_with_logits`` has one).
    * optax ``sigmoid_binary_cross_entropy(logits, labels)``: the same element losses, unreduced.
    * TensorFlow ``tf.nn.sigmoid_cross_entropy_with_logits(labels=..., logits=...)``: the same,
      unreduced, keyword arguments in the other order.

    Examples
    --------
    The 1-D classifier :math:`\sigma(x + b)` at :math:`b = -0.7` of the accuracy example: the
    mean loss, and its derivative in :math:`b`, which is the sum of the
    gradient with respect to the logits:

    >>> import numpy as np
    >>> import losslab
    >>> x = np.array([-2.0, -1.0, 0.5, 1.5, 3.0])
    >>> labels = [0, 0, 1, 1, 1]
    >>> value, g = losslab.value_and_grad(losslab.binary_cross_entropy_with_logits)(x - 0.7, labels)
    >>> print(value, g.sum())
    0.2995229182180378 -0.1467087712118381

    No overflow for huge logits:

    >>> print(losslab.binary_cross_entropy_with_logits([1e4, -1e4], [0, 1], reduction="none"))
    [10000. 10000.]
    """
    return _bce_logits(input, target, weight, reduction, pos_weight, need_grad=False)[0]


def _bce_logits_kernel(has_pos_weight: bool) -> e.BlockKernel:
    """Block kernel of BCE with logits (see the Notes of binary_cross_entropy_with_logits)."""

    def kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
        x, t = blocks[0], blocks[1]
        p = blocks[2] if has_pos_weight else None
        e = np.abs(x)
        np.negative(e, out=e)
        np.exp(e, out=e)  # e^-|x|
        np.log1p(e, out=loss)
        one_m_t = np.subtract(1, t)
        py = t if p is None else np.multiply(p, t)  # p * y
        if p is not None:
            loss *= py + one_m_t  # the factor is 1 without pos_weight
        # + (1 - y) max(x, 0) + p y max(-x, 0): non-negative terms, no cancellation
        c = np.maximum(x, 0)
        c *= one_m_t
        loss += c
        np.minimum(x, 0, out=c)  # -max(-x, 0)
        c *= py
        loss -= c
        if grad is not None:
            # (1 - y) sigma(x) - p y sigma(-x), with r = sigma(|x|), e r = sigma(-|x|)
            r = np.add(e, 1, out=c)
            np.divide(1, r, out=r)
            e *= r
            pos = np.greater_equal(x, 0)
            s_pos = np.where(pos, r, e)
            np.multiply(np.where(pos, e, r), py, out=grad)
            s_pos *= one_m_t
            np.subtract(s_pos, grad, out=grad)

    return kernel


def _bce_logits(
    input: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None,
    reduction: str,
    pos_weight: ArrayLike | None,
    need_grad: bool,
) -> ValueAndGrad:
    # The compiled kernel covers the unweighted loss (weights fall back to NumPy).
    kind = "bce_logits" if weight is None and pos_weight is None else None
    pair = e.prepare(
        input,
        target,
        reduction,
        kind=kind,
        weight=weight,
        extras={"pos_weight": pos_weight},
        broadcast=True,
        check_target=_target_probabilities,
    )
    kernel = _bce_logits_kernel(pos_weight is not None)
    return e.run(pair, kernel, reduction, need_grad=need_grad, kind=kind)


_registry.register(binary_cross_entropy, wrt="input", value_and_grad=partial(_bce, need_grad=True))
_registry.register(
    binary_cross_entropy_with_logits,
    wrt="input",
    value_and_grad=partial(_bce_logits, need_grad=True),
)
