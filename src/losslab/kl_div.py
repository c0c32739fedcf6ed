r"""Kullback-Leibler divergence, PyTorch's ``KLDivLoss`` convention (input = log-probabilities)."""

from __future__ import annotations

from functools import partial
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _elementwise as e
from . import _registry
from . import _validation as v
from ._types import KLReduction, Losses, Scalar, ValueAndGrad

__all__ = ["kl_div"]

_KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def _check_target(t: np.ndarray, log_target: bool) -> None:
    if not log_target:
        v.check_probabilities(t, "target")
    elif t.size and t.max() > 0:
        v.check_finite(t, "target")
        raise ValueError(
            f"`target` has a value {float(t.max())!r} > 0; with log_target=True it holds "
            "log-probabilities, expected values <= 0"
        )


def _kl_kernel(log_target: bool) -> e.BlockKernel:
    """Block kernel: element losses p (log p - x) with 0 log 0 = 0; derivative -p."""

    def kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
        x, t = blocks
        if log_target:
            p = np.exp(t, out=loss if grad is None else grad)
            d = np.subtract(t, x)
        else:
            p = t
            d = np.log(t, out=np.zeros_like(t), where=t > 0)  # 0 log 0 = 0
            d -= x
            if grad is not None:
                np.copyto(grad, t)
        np.multiply(p, d, out=loss)

    return kernel


def _denominator(x: np.ndarray, reduction: str) -> float:
    if reduction == "batchmean" and x.ndim:
        return int(x.shape[0])
    if reduction == "mean":
        return x.size
    return 1


def _kl(
    input: ArrayLike, target: ArrayLike, reduction: str, log_target: object, need_grad: bool
) -> ValueAndGrad:
    v.check_reduction(reduction, _KL_REDUCTIONS)
    if not v.is_bool(log_target):
        raise TypeError(f"`log_target` is {log_target!r}, expected True or False")
    log_target = bool(log_target)
    kind = "kl_div_log" if log_target else "kl_div"
    pair = e.prepare(
        input,
        target,
        reduction,
        kind=kind,
        check_target=lambda t: _check_target(t, log_target),
        reductions=_KL_REDUCTIONS,
    )
    return e.run(
        pair,
        _kl_kernel(log_target),
        "mean" if reduction == "batchmean" else reduction,
        need_grad=need_grad,
        kind=kind,
        denominator=_denominator(pair.x, reduction),
        grad_factor=-1.0,
    )


@overload
def kl_div(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: Literal["mean", "sum", "batchmean"] = ...,
    log_target: bool = ...,
) -> Scalar: ...
@overload
def kl_div(
    input: ArrayLike, target: ArrayLike, *, reduction: Literal["none"], log_target: bool = ...
) -> Losses: ...
@overload
def kl_div(
    input: ArrayLike, target: ArrayLike, *, reduction: KLReduction, log_target: bool = ...
) -> Scalar | Losses: ...
def kl_div(
    input: ArrayLike,
    target: ArrayLike,
    *,
    reduction: KLReduction = "mean",
    log_target: bool = False,
) -> Scalar | Losses:
    r"""Pointwise KL divergence with log-probability ``input``, as PyTorch's ``F.kl_div``.

    With ``input`` :math:`= \log q` and ``target`` :math:`= p` (or :math:`\log p` when
    ``log_target=True``):

    .. math::
        :formula: kl_div probabilities -

        \ell_i = p_i\left(\log p_i - \log q_i\right), \qquad 0 \log 0 = 0,

    so that summing over a distribution's classes gives
    :math:`D_{\mathrm{KL}}(p\,\|\,q) = \sum_c p_c \log(p_c/q_c)`. Reductions: ``'sum'``
    :math:`\sum_i \ell_i`; ``'batchmean'`` :math:`\frac{1}{N}\sum_i \ell_i` with :math:`N` the size
    of the first axis; ``'mean'`` :math:`\frac{1}{n}\sum_i \ell_i` over all :math:`n` elements;
    ``'none'`` the array of :math:`\ell_i`.

    Parameters
    ----------
    input : array_like
        Log-probabilities :math:`\log q` (e.g. from :func:`losslab.log_softmax`), any shape.
    target : array_like
        Probabilities :math:`p` in [0, 1] (or log-probabilities :math:`\le 0` with
        ``log_target=True``), same shape as ``input``. Rows need not sum to 1: the loss is
        pointwise.
    reduction : {'mean', 'batchmean', 'sum', 'none'}, default 'mean'
    log_target : bool, default False
        Whether ``target`` holds :math:`\log p`.

    Returns
    -------
    numpy scalar or ndarray
        The loss; an array shaped like ``input`` for ``'none'``.

    Shape
    -----
    * ``input``: ``(*)``, any number of dimensions; ``(N, *)`` for ``reduction='batchmean'``,
      which divides the sum by ``N``, the size of the first axis.
    * ``target``: ``(*)``, the same shape as ``input``.
    * output: a scalar for ``reduction='mean'``, ``'batchmean'`` and ``'sum'``; ``(*)``, the
      same shape as ``input``, for ``reduction='none'``.

    Raises
    ------
    ValueError
        Shape mismatch, empty or non-finite input, ``target`` outside [0, 1] (or above 0 with
        ``log_target=True``), unknown ``reduction``.
    TypeError
        Bool, complex, object or string arrays; a non-bool ``log_target``.

    Notes
    -----
    Terms with :math:`p_i = 0` are exactly 0 (never ``0 * log 0 = nan``); no epsilon is added.
    With ``log_target=True`` a target of :math:`\log p = -\infty` is not accepted (finite inputs
    only); use ``log_target=False`` with :math:`p = 0` instead.

    Which reduction: the KL divergence of one sample is the *sum* over its classes, so the batch
    average is ``'batchmean'`` (sum divided by the batch size). ``'mean'`` also divides by the
    number of classes, giving :math:`D_{\mathrm{KL}}/C` -- PyTorch keeps it as the default for
    backward compatibility and warns; losslab keeps the same default and values and does not warn.
    For a 1-D input, ``'batchmean'`` divides by its length (PyTorch's rule: the first axis is the
    batch), so pass a ``(1, C)`` array for a single distribution.

    Gradient with respect to ``input`` (:func:`losslab.grad`): :math:`-p_i` times the reduction's
    scale (:math:`1/n`, :math:`1/N` or 1).

    Conventions
    -----------
    * PyTorch ``F.kl_div(input, target)`` / ``nn.KLDivLoss``: identical, including the argument
      order (prediction first, as log-probabilities) and the 'mean' default.
    * Keras ``keras.losses.KLDivergence(y_true, y_pred)`` takes *probabilities* for both, clips
      them to :math:`[10^{-7}, 1]`, sums over the last axis and averages over the batch
      (``'batchmean'``).
    * optax ``kl_divergence(log_predictions, targets)``: sums over the last axis per example; optax
      ``kl_divergence_with_log_targets`` is ``log_target=True``.
    * SciPy ``scipy.special.rel_entr(p, q)`` is the same pointwise term from probabilities;
      ``scipy.stats.entropy(p, q)`` normalizes and sums. :func:`losslab.kl_divergence` takes
      probabilities and an explicit log base.

    Examples
    --------
    The article's KL example, p = one-hot, q = [0.1, 0.1, 0.1, 0.7] (the TensorFlow article):

    >>> import numpy as np
    >>> import losslab
    >>> logq = np.log([[0.1, 0.1, 0.1, 0.7]])
    >>> print(losslab.kl_div(logq, [[0.0, 0.0, 0.0, 1.0]], reduction="batchmean"))
    0.35667494393873245
    >>> print(losslab.kl_div(logq, [[0.0, 0.0, 0.0, 1.0]]))  # 'mean' divides by 4 classes too
    0.08916873598468311
    """
    return _kl(input, target, reduction, log_target, need_grad=False)[0]


_registry.register(kl_div, wrt="input", value_and_grad=partial(_kl, need_grad=True))
