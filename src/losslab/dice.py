r"""Dice and Tversky losses of soft masks, with the smoothing and the reduction stated."""

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

__all__ = ["dice_loss", "tversky_loss"]


def _check_bool(value: Any, name: str) -> bool:
    if not v.is_bool(value):
        raise TypeError(f"`{name}` is {value!r}, expected True or False")
    return bool(value)


def _check_weight(value: Any, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` is {value!r}, expected a real number")
    return v.check_positive_number(value, name, allow_zero=True)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    ex = np.exp(-np.abs(x))
    s = 1 / (1 + ex)
    out: np.ndarray = np.where(x >= 0, s, ex * s)
    return out


def _overlap(
    input: Any,
    target: Any,
    *,
    coef: float,
    alpha: float,
    beta: float,
    smooth_nr: Any,
    smooth_dr: Any,
    per_sample: Any,
    from_logits: Any,
    reduction: Any,
    need_grad: bool,
) -> ValueAndGrad:
    r"""``1 - (c I + s_nr) / (c I + a FP + b FN + s_dr)`` per sample (or for the batch).

    With :math:`I = \sum p t`, :math:`FP = \sum p (1 - t)`, :math:`FN = \sum (1 - p) t`: Dice is
    ``c, a, b = 2, 1, 1`` (the denominator is :math:`\sum p + \sum t`), Tversky ``1, alpha,
    beta``. The derivative of the ratio :math:`N / D` by :math:`p_j` is
    :math:`(c\,t_j D - N\,D'_j) / D^2` with :math:`D'_j = c\,t_j + a(1 - t_j) - b\,t_j`.
    """
    s_nr = v.check_positive_number(smooth_nr, "smooth_nr", allow_zero=True)
    s_dr = v.check_positive_number(smooth_dr, "smooth_dr", allow_zero=True)
    per = _check_bool(per_sample, "per_sample")
    logits = _check_bool(from_logits, "from_logits")
    pair = e.prepare(input, target, reduction, check_target=_target_probabilities)
    if not logits:
        v.check_probabilities(pair.x, "input")
    if per and pair.x.ndim == 0:
        raise ValueError(
            "`input` is 0-d; expected a batch (N, *) for per_sample=True, or per_sample=False"
        )
    x = pair.x.astype(np.float64)
    t = pair.t.astype(np.float64)
    p = _sigmoid(x) if logits else x
    axes = tuple(range(1, x.ndim)) if per else None
    tp = np.sum(p * t, axis=axes)
    fp = np.sum(p * (1 - t), axis=axes)
    fn = np.sum((1 - p) * t, axis=axes)
    # The ratio and its derivative do not change when every coefficient is divided by the same
    # power of two (exactly, so ordinary weights give the same bits): with the largest in
    # [0.5, 1), alpha = beta = 1e308 cannot overflow the denominator or its square.
    k = -int(np.frexp(max(coef, alpha, beta, s_nr, s_dr))[1])
    coef, alpha, beta = np.ldexp(coef, k), np.ldexp(alpha, k), np.ldexp(beta, k)
    s_nr, s_dr = np.ldexp(s_nr, k), np.ldexp(s_dr, k)
    num = coef * tp + s_nr
    den = coef * tp + alpha * fp + beta * fn + s_dr
    if np.any(den == 0):
        raise ValueError(
            "`smooth_dr` is 0 and a "
            + ("sample" if per else "batch")
            + " has a zero denominator ("
            + _empty_reason(alpha > 0, beta > 0)
            + ": the ratio is 0/0); expected smooth_dr > 0"
        )
    losses: np.ndarray = np.asarray(1 - num / den)
    scale = 1.0
    if reduction == "mean":
        value: Any = losses.mean()
        scale = 1.0 / losses.size
    elif reduction == "sum":
        value = losses.sum()
    else:
        value = np.asarray(losses)
    dtype = pair.dtype
    with np.errstate(over="ignore"):  # a float32 loss beyond the range is inf
        value = dtype.type(value) if reduction != "none" else value.astype(dtype)
    if not need_grad:
        return value, None
    shape = (-1,) + (1,) * (x.ndim - 1) if per else ()
    d = np.reshape(den, shape)
    n = np.reshape(num, shape)
    dd = coef * t + alpha * (1 - t) - beta * t
    g = (n * dd - coef * t * d) / (d * d) * scale  # d(1 - N/D)/dp
    if logits:
        g = g * p * (1 - p)
    with np.errstate(over="ignore"):
        return value, g.astype(dtype)


def _empty_reason(fp_counts: bool, fn_counts: bool) -> str:
    """Why the denominator ``I + alpha FP + beta FN`` is 0, by which weights are 0."""
    if fp_counts and fn_counts:
        return "`input` and `target` are both all 0"
    if fn_counts:
        return "`alpha` is 0 and `target` is all 0"
    if fp_counts:
        return "`beta` is 0 and `input` is all 0"
    return (
        "`alpha` and `beta` are 0 and `input` and `target` do not overlap, sum(input * target) = 0"
    )


def _target_probabilities(t: np.ndarray) -> None:
    v.check_probabilities(t, "target")


def _dice(
    input: Any,
    target: Any,
    smooth_nr: Any,
    smooth_dr: Any,
    per_sample: Any,
    from_logits: Any,
    reduction: Any,
    need_grad: bool,
) -> ValueAndGrad:
    return _overlap(
        input,
        target,
        coef=2.0,
        alpha=1.0,
        beta=1.0,
        smooth_nr=smooth_nr,
        smooth_dr=smooth_dr,
        per_sample=per_sample,
        from_logits=from_logits,
        reduction=reduction,
        need_grad=need_grad,
    )


def _tversky(
    input: Any,
    target: Any,
    alpha: Any,
    beta: Any,
    smooth_nr: Any,
    smooth_dr: Any,
    per_sample: Any,
    from_logits: Any,
    reduction: Any,
    need_grad: bool,
) -> ValueAndGrad:
    a, b = _check_weight(alpha, "alpha"), _check_weight(beta, "beta")
    return _overlap(
        input,
        target,
        coef=1.0,
        alpha=a,
        beta=b,
        smooth_nr=smooth_nr,
        smooth_dr=smooth_dr,
        per_sample=per_sample,
        from_logits=from_logits,
        reduction=reduction,
        need_grad=need_grad,
    )


@overload
def dice_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    smooth_nr: float = ...,
    smooth_dr: float = ...,
    per_sample: bool = ...,
    from_logits: bool = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def dice_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    smooth_nr: float = ...,
    smooth_dr: float = ...,
    per_sample: bool = ...,
    from_logits: bool = ...,
    reduction: Literal["none"],
) -> Losses: ...
@overload
def dice_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    smooth_nr: float = ...,
    smooth_dr: float = ...,
    per_sample: bool = ...,
    from_logits: bool = ...,
    reduction: Reduction,
) -> Scalar | Losses: ...
def dice_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    smooth_nr: float = 0.0,
    smooth_dr: float = 0.0,
    per_sample: bool = True,
    from_logits: bool = False,
    reduction: Reduction = "mean",
) -> Scalar | Losses:
    r"""Soft Dice loss of predicted masks: one minus the Dice coefficient, per sample.

    .. math::
        :formula: dice_loss value

        \ell = 1 - \frac{2 \bigl(\sum_i p_i t_i\bigr) + s_{nr}}
        {\bigl(\sum_i p_i\bigr) + \bigl(\sum_i t_i\bigr) + s_{dr}}

    with the sums over the elements of one sample (``per_sample=True``: every axis but the
    first) or of the whole batch (``per_sample=False``), :math:`p = x` (probabilities) or
    :math:`p = \sigma(x)` (``from_logits=True``). ``reduction='mean'`` averages the per-sample
    losses, ``'sum'`` adds them and ``'none'`` returns them.

    Parameters
    ----------
    input : array_like
        Predicted masks: probabilities in [0, 1], or logits with ``from_logits=True``.
    target : array_like
        Target masks in [0, 1] (0/1 or soft), same shape as ``input``.
    smooth_nr : float, default 0.0
        :math:`s_{nr} \ge 0`, added to the numerator.
    smooth_dr : float, default 0.0
        :math:`s_{dr} \ge 0`, added to the denominator. With the default 0 a sample whose
        masks are both empty (0/0) is an error: pass a positive value to score it.
    per_sample : bool, default True
        One Dice ratio per sample (summed over every axis but the first), or one for the batch.
    from_logits : bool, default False
        Apply the sigmoid to ``input`` first.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-sample losses are combined.

    Returns
    -------
    numpy scalar or ndarray
        The loss; the per-sample losses for ``reduction='none'``.

    Shape
    -----
    * ``input``: ``(N, *)``, a batch of ``N`` masks of any shape (``per_sample=False`` also
      takes a single mask of any shape).
    * ``target``: the same shape as ``input``.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``; for
      ``reduction='none'``, ``(N,)`` with ``per_sample=True`` and a 0-d array with
      ``per_sample=False``.

    Raises
    ------
    ValueError
        If the shapes differ, an input is empty or not finite, ``input`` (without
        ``from_logits``) or ``target`` is outside [0, 1], a smoothing term is negative, a
        denominator is 0, or ``reduction`` is unknown.
    TypeError
        If an input has a bool, complex, object or string dtype, a smoothing term is not a
        number, or ``per_sample`` or ``from_logits`` is not a bool.

    Notes
    -----
    **Gradient.** With :math:`N` and :math:`D` the numerator and denominator of a sample,
    :math:`\partial\ell/\partial p_j = (N - 2 t_j D)/D^2` (divided by the number of samples for
    'mean'; times :math:`p_j(1 - p_j)` with ``from_logits``). The sums are accumulated in
    float64; float32 input gives a float32 result.

    Conventions
    -----------
    The libraries agree on the ratio and disagree on where the smoothing goes and over what
    the sums run (``smooth_nr``/``smooth_dr`` and ``per_sample`` reproduce each):

    * MONAI ``DiceLoss(smooth_nr=1e-5, smooth_dr=1e-5, batch=False, sigmoid=False)``: these
      names; per sample and channel; ``dice_loss(x, t, smooth_nr=1e-5, smooth_dr=1e-5)``.
    * segmentation_models_pytorch ``DiceLoss(mode="binary", smooth=0.0, eps=1e-7,
      from_logits=True)``: logits by default; sums over the batch (per channel);
      ``smooth`` in both terms and the denominator clamped below at ``eps``.
    * optax ``binary_dice_loss(predictions, targets, smooth=1.0, apply_sigmoid=True)``:
      logits by default, per sample; its ratio is
      :math:`(I + s)/(I + \tfrac12 FP + \tfrac12 FN + s)`, i.e. ``smooth_nr = smooth_dr = 2
      * smooth`` here.
    * Keras ``dice(y_true, y_pred, axis=None)``: labels first, probabilities, one ratio for
      the whole batch by default (``per_sample=False``), :math:`10^{-7}` in the denominator
      only (``smooth_dr=1e-7``).

    Examples
    --------
    >>> import losslab
    >>> p = [[0.9, 0.2, 0.7, 0.1], [0.3, 0.8, 0.6, 0.4]]
    >>> t = [[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]]
    >>> print(losslab.dice_loss(p, t, reduction="none"))
    [0.17948718 0.31707317]
    >>> print(losslab.dice_loss(p, t, per_sample=False))
    0.25
    >>> print(losslab.dice_loss([[0.0, 0.0]], [[0.0, 0.0]], smooth_nr=1e-5, smooth_dr=1e-5))
    0.0
    """
    return _dice(
        input, target, smooth_nr, smooth_dr, per_sample, from_logits, reduction, need_grad=False
    )[0]


@overload
def tversky_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    alpha: float = ...,
    beta: float = ...,
    smooth_nr: float = ...,
    smooth_dr: float = ...,
    per_sample: bool = ...,
    from_logits: bool = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def tversky_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    alpha: float = ...,
    beta: float = ...,
    smooth_nr: float = ...,
    smooth_dr: float = ...,
    per_sample: bool = ...,
    from_logits: bool = ...,
    reduction: Literal["none"],
) -> Losses: ...
@overload
def tversky_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    alpha: float = ...,
    beta: float = ...,
    smooth_nr: float = ...,
    smooth_dr: float = ...,
    per_sample: bool = ...,
    from_logits: bool = ...,
    reduction: Reduction,
) -> Scalar | Losses: ...
def tversky_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    alpha: float = 0.5,
    beta: float = 0.5,
    smooth_nr: float = 0.0,
    smooth_dr: float = 0.0,
    per_sample: bool = True,
    from_logits: bool = False,
    reduction: Reduction = "mean",
) -> Scalar | Losses:
    r"""Tversky loss: the Dice loss with separate weights for false positives and negatives.

    .. math::
        :formula: tversky_loss value

        \ell = 1 - \frac{\bigl(\sum_i p_i t_i\bigr) + s_{nr}}{\bigl(\sum_i p_i t_i\bigr)
        + \alpha \bigl(\sum_i p_i (1 - t_i)\bigr) + \beta \bigl(\sum_i (1 - p_i)\, t_i\bigr)
        + s_{dr}}

    (Salehi et al., 2017): :math:`\alpha` weighs the false positives :math:`\sum p(1 - t)`,
    :math:`\beta` the false negatives :math:`\sum (1 - p)t`. With
    :math:`\alpha = \beta = \tfrac12` it is the Dice loss with both smoothing terms doubled:
    ``tversky_loss(p, t, smooth_nr=s, smooth_dr=s) == dice_loss(p, t, smooth_nr=2 * s,
    smooth_dr=2 * s)``. The sums, ``per_sample``, ``from_logits`` and ``reduction`` are those
    of :func:`dice_loss`.

    Parameters
    ----------
    input : array_like
        Predicted masks: probabilities in [0, 1], or logits with ``from_logits=True``.
    target : array_like
        Target masks in [0, 1], same shape as ``input``.
    alpha : float, default 0.5
        Weight :math:`\alpha \ge 0` of the false positives.
    beta : float, default 0.5
        Weight :math:`\beta \ge 0` of the false negatives.
    smooth_nr : float, default 0.0
        :math:`s_{nr} \ge 0`, added to the numerator.
    smooth_dr : float, default 0.0
        :math:`s_{dr} \ge 0`, added to the denominator.
    per_sample : bool, default True
        One ratio per sample (summed over every axis but the first), or one for the batch.
    from_logits : bool, default False
        Apply the sigmoid to ``input`` first.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the per-sample losses are combined.

    Returns
    -------
    numpy scalar or ndarray
        The loss; the per-sample losses for ``reduction='none'``.

    Shape
    -----
    * ``input``: ``(N, *)``, a batch of ``N`` masks of any shape (``per_sample=False`` also
      takes a single mask of any shape).
    * ``target``: the same shape as ``input``.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``; for
      ``reduction='none'``, ``(N,)`` with ``per_sample=True`` and a 0-d array with
      ``per_sample=False``.

    Raises
    ------
    ValueError
        As :func:`dice_loss`, and if ``alpha`` or ``beta`` is negative.
    TypeError
        As :func:`dice_loss`, and if ``alpha`` or ``beta`` is not a number.

    Notes
    -----
    **Gradient.** With :math:`N` and :math:`D` the numerator and denominator of a sample,
    :math:`\partial\ell/\partial p_j = (N\,(t_j + \alpha(1 - t_j) - \beta t_j) - t_j D)/D^2`
    (divided by the number of samples for 'mean'; times :math:`p_j(1 - p_j)` with
    ``from_logits``).

    Conventions
    -----------
    * MONAI ``TverskyLoss(alpha=0.5, beta=0.5, smooth_nr=1e-5, smooth_dr=1e-5)``: alpha for the
      false positives, as here.
    * optax ``dice_loss(..., alpha=0.5, beta=0.5, smooth=1.0)``: alpha for the false positives,
      ``smooth`` in both terms (``smooth_nr = smooth_dr = smooth`` here), softmax or sigmoid
      applied by default.
    * Keras ``tversky(y_true, y_pred, alpha=0.5, beta=0.5)``: its ``alpha`` multiplies
      :math:`\sum y_{\text{true}}(1 - y_{\text{pred}})`, the false *negatives* (its docstring
      calls them false positives), so Keras's ``alpha`` is ``beta`` here and the other way
      round; :math:`10^{-7}` in the denominator only, one ratio for the whole batch.

    Examples
    --------
    >>> import losslab
    >>> p = [[0.9, 0.2, 0.7, 0.1], [0.3, 0.8, 0.6, 0.4]]
    >>> t = [[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]]
    >>> print(losslab.tversky_loss(p, t, alpha=0.3, beta=0.7, reduction="none"))
    [0.18781726 0.31034483]
    >>> print(losslab.tversky_loss(p, t), losslab.dice_loss(p, t))
    0.24828017510944334 0.24828017510944334
    """
    return _tversky(
        input,
        target,
        alpha,
        beta,
        smooth_nr,
        smooth_dr,
        per_sample,
        from_logits,
        reduction,
        need_grad=False,
    )[0]


_registry.register(dice_loss, wrt="input", value_and_grad=partial(_dice, need_grad=True))
_registry.register(tversky_loss, wrt="input", value_and_grad=partial(_tversky, need_grad=True))
