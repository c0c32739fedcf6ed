r"""Sigmoid focal loss on logits, torchvision's ``sigmoid_focal_loss`` convention."""

from __future__ import annotations

import numbers
from functools import partial
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _elementwise as e
from . import _registry
from . import _validation as v
from ._types import Losses, Reduction, Scalar, ValueAndGrad

__all__ = ["sigmoid_focal_loss"]


def _focal_kernel(alpha: Any, gamma: Any) -> e.BlockKernel:
    r"""Block kernel of the focal loss of logits ``x`` and targets ``t`` in [0, 1].

    With :math:`p = \sigma(x)` and :math:`q = 1 - p = \sigma(-x)`, both computed from
    :math:`e^{-|x|}` (neither is formed as ``1 - p``), :math:`m = 1 - p_t = t q + (1 - t) p`
    and the cross-entropy :math:`c = \max(x, 0) - t x + \log(1 + e^{-|x|})`, the loss is
    :math:`a_t\, m^\gamma c` and its derivative
    :math:`a_t\, m^\gamma\,[\gamma\,(1 - 2t)\,(p q / m)\, c + p - t]`, where
    :math:`p q / m \le 1` (0 where :math:`m = 0`) replaces :math:`m^{\gamma - 1}`, which is
    infinite at :math:`m = 0` for :math:`\gamma < 1`.
    """
    tiny = np.finfo(gamma.dtype).tiny

    def kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
        x, t = blocks[0], blocks[1]
        ex = np.abs(x)
        np.negative(ex, out=ex)
        np.exp(ex, out=ex)  # e^{-|x|}
        s = ex + 1
        np.reciprocal(s, out=s)  # sigma(|x|)
        small = ex * s  # sigma(-|x|)
        pos = x >= 0
        diff = s - small
        # sigma(x) and sigma(-x): the small one exactly, the other within an ulp (a product by
        # the mask costs a third of np.where)
        p = pos * diff
        p += small
        q = ~pos * diff
        q += small
        omt = 1 - t
        m = t * q
        m += omt * p  # 1 - p_t
        mg = np.power(m, gamma)
        ce = np.maximum(x, 0)
        ce -= t * x
        ce += np.log1p(ex)  # softplus cross-entropy
        np.multiply(mg, ce, out=loss)
        at = None
        if alpha is not None:
            at = (2 * alpha - 1) * t
            at += 1 - alpha  # alpha t + (1 - alpha)(1 - t)
            loss *= at
        if grad is not None:
            r = p * q
            r /= np.maximum(m, tiny)  # p q / m <= 1; 0 where m = 0 (then p q = 0)
            r *= ce
            r *= gamma * (1 - 2 * t)
            r += p
            r -= t
            r *= mg
            if at is not None:
                r *= at
            np.copyto(grad, r)

    return kernel


def _check_alpha(alpha: Any) -> float | None:
    """``alpha`` in [0, 1] (a weight) or negative (no weighting, returned as None)."""
    if isinstance(alpha, (bool, np.bool_)) or not isinstance(alpha, numbers.Real):
        raise TypeError(f"`alpha` is {alpha!r}, expected a real number")
    a = float(alpha)
    if not np.isfinite(a) or a > 1:
        raise ValueError(
            f"`alpha` is {alpha!r}, expected a number in [0, 1] (or a negative number for no "
            "weighting)"
        )
    return None if a < 0 else a


def _target_probabilities(t: np.ndarray) -> None:
    v.check_probabilities(t, "targets")


def _focal(
    inputs: Any, targets: Any, alpha: Any, gamma: Any, reduction: Any, need_grad: bool
) -> ValueAndGrad:
    a = _check_alpha(alpha)
    g = v.check_positive_number(gamma, "gamma", allow_zero=True)
    try:
        pair = e.prepare(inputs, targets, reduction, check_target=_target_probabilities)
    except (TypeError, ValueError) as exc:  # torchvision's argument names
        raise type(exc)(_rename(str(exc))) from None
    dt = pair.dtype.type
    if g > float(np.finfo(pair.dtype).max):
        raise ValueError(
            f"`gamma` is {gamma!r}, beyond the range of {pair.dtype} (the dtype of `inputs`)"
        )
    kernel = _focal_kernel(None if a is None else dt(a), dt(g))
    return e.run(pair, kernel, reduction, need_grad=need_grad)


def _rename(message: str) -> str:
    """A message of the engine, which names ``input`` and ``target``, with these names."""
    return message.replace("`input`", "`inputs`").replace("`target`", "`targets`")


@overload
def sigmoid_focal_loss(
    inputs: ArrayLike,
    targets: ArrayLike,
    *,
    alpha: float = ...,
    gamma: float = ...,
    reduction: Literal["none"] = ...,
) -> Losses: ...
@overload
def sigmoid_focal_loss(
    inputs: ArrayLike,
    targets: ArrayLike,
    *,
    alpha: float = ...,
    gamma: float = ...,
    reduction: Literal["mean", "sum"],
) -> Scalar: ...
@overload
def sigmoid_focal_loss(
    inputs: ArrayLike,
    targets: ArrayLike,
    *,
    alpha: float = ...,
    gamma: float = ...,
    reduction: Reduction,
) -> Scalar | Losses: ...
def sigmoid_focal_loss(
    inputs: ArrayLike,
    targets: ArrayLike,
    *,
    alpha: float = 0.25,
    gamma: float = 2.0,
    reduction: Reduction = "none",
) -> Scalar | Losses:
    r"""Sigmoid focal loss of logits (Lin et al., 2017), as torchvision computes it.

    .. math::
        :formula: sigmoid_focal_loss value

        \ell_i = -\bigl(\alpha t_i + (1 - \alpha)(1 - t_i)\bigr) \cdot
        \bigl(1 - t_i \sigma(x_i) - (1 - t_i)(1 - \sigma(x_i))\bigr)^{\gamma} \cdot
        \bigl[\,t_i \log \sigma(x_i) + (1 - t_i)\log\bigl(1 - \sigma(x_i)\bigr)\bigr]

    that is :math:`-\alpha_t (1 - p_t)^\gamma \log p_t` for 0/1 labels, with
    :math:`p_t = t\,\sigma(x) + (1 - t)(1 - \sigma(x))` the probability given to the target and
    :math:`\alpha_t = \alpha t + (1 - \alpha)(1 - t)` (with ``alpha < 0`` the first factor is
    replaced by 1). The bracket is the binary cross-entropy of the logit; the factor
    :math:`(1 - p_t)^\gamma` shrinks the loss of well-classified elements. ``reduction='none'``
    (the default, as in torchvision) returns the array of :math:`\ell_i`, ``'mean'`` their
    mean and ``'sum'`` their sum.

    Parameters
    ----------
    inputs : array_like
        Logits :math:`x`, any shape.
    targets : array_like
        Targets :math:`t_i \in [0, 1]` (0/1 labels or soft labels), same shape as ``inputs``.
    alpha : float, default 0.25
        Weight of the positives in :math:`[0, 1]` (the negatives get :math:`1 - \alpha`); a
        negative value means no weighting.
    gamma : float, default 2.0
        Focusing exponent :math:`\gamma \ge 0`; ``gamma=0`` with ``alpha < 0`` is
        :func:`~losslab.binary_cross_entropy_with_logits`.
    reduction : {'none', 'mean', 'sum'}, default 'none'
        How the element losses are combined.

    Returns
    -------
    numpy scalar or ndarray
        The loss; an array shaped like ``inputs`` for ``reduction='none'``.

    Shape
    -----
    * ``inputs``: ``(*)``, any number of dimensions.
    * ``targets``: ``(*)``, the same shape as ``inputs``.
    * output: ``(*)``, the same shape as ``inputs``, for ``reduction='none'``; a scalar (0-d
      NumPy value) for ``'mean'`` and ``'sum'``.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite, ``targets`` is outside [0, 1],
        ``alpha > 1``, ``gamma < 0`` (or beyond the range of the dtype), or ``reduction`` is
        unknown.
    TypeError
        If an input has a bool, complex, object or string dtype, or ``alpha`` or ``gamma`` is
        not a number.

    Notes
    -----
    **Stability.** The cross-entropy is :math:`\max(x, 0) - t x + \log(1 + e^{-|x|})` and both
    :math:`\sigma(x)` and :math:`1 - \sigma(x)` are computed from :math:`e^{-|x|}`, so no
    logarithm of 0 is taken and no :math:`1 - \sigma(x)` rounds to 0 before it is needed: any
    finite logit gives a finite loss and gradient.

    **Gradient.** With :math:`w_i` the first factor, :math:`m_i = 1 - p_{t}` the second's base
    and :math:`c_i` the cross-entropy (the bracket, negated),

    .. math::
        :formula: sigmoid_focal_loss gradient

        \frac{\partial \ell_i}{\partial x_i} = w_i\, m_i^{\gamma} \cdot
        \Bigl[\gamma\,(1 - 2 t_i)\,\frac{c_i\,\sigma(x_i)\,(1 - \sigma(x_i))}{m_i}
        + \sigma(x_i) - t_i\Bigr]

    (divided by :math:`n` for 'mean'). Where :math:`m = 0` (a logit so large that
    :math:`\sigma(x)` rounds to the target) the gradient is 0, its limit; autograd through
    ``(1 - p_t) ** gamma`` gives NaN there when :math:`\gamma < 1`.

    Conventions
    -----------
    * torchvision ``ops.sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2,
      reduction="none")``: the same formula, names and defaults (no reduction by default,
      alpha applied by default). torchvision does not check ``alpha``; here ``alpha > 1`` is
      refused (it would give the negatives a negative weight).
    * Keras ``binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False,
      alpha=0.25, gamma=2.0, from_logits=False)``: labels first, probabilities unless
      ``from_logits=True``; alpha is ignored unless ``apply_class_balancing=True``; averages over
      the last axis. With probabilities Keras clips them to :math:`[10^{-7}, 1 - 10^{-7}]`.
    * optax ``sigmoid_focal_loss(logits, labels, alpha=None, gamma=2.0)``: element-wise, no
      alpha weighting by default (``alpha=None``); the same value as ``alpha=-1`` here.
    * The focal loss of the paper is the ``alpha=0.25, gamma=2`` case with hard labels.

    Examples
    --------
    >>> import losslab
    >>> x, t = [2.0, -1.0, 0.5], [1.0, 0.0, 0.0]
    >>> print(losslab.sigmoid_focal_loss(x, t))
    [0.00045089 0.01699354 0.2830587 ]
    >>> print(losslab.sigmoid_focal_loss(x, t, alpha=-1, gamma=0.0))
    [0.12692801 0.31326169 0.97407698]
    >>> print(losslab.binary_cross_entropy_with_logits(x, t, reduction="none"))
    [0.12692801 0.31326169 0.97407698]
    >>> print(losslab.grad(losslab.sigmoid_focal_loss)(x, t))
    [-0.00121774  0.03943585  0.39461387]
    """
    return _focal(inputs, targets, alpha, gamma, reduction, need_grad=False)[0]


_registry.register(sigmoid_focal_loss, wrt="inputs", value_and_grad=partial(_focal, need_grad=True))
