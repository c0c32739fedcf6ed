r"""Poisson negative log-likelihood, PyTorch's ``poisson_nll_loss`` convention."""

from __future__ import annotations

import math
from functools import partial
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _elementwise as e
from . import _registry
from . import _validation as v
from ._types import Losses, Reduction, Scalar, ValueAndGrad

__all__ = ["poisson_nll_loss"]


def _check_counts(t: np.ndarray) -> None:
    """Counts are >= 0 (a negative count has no Poisson probability)."""
    if t.size and t.min() < 0:
        v.check_finite(t, "target")
        raise ValueError(
            f"`target` contains a negative value {float(t.min())!r}; expected counts >= 0"
        )


def stirling(t: np.ndarray) -> np.ndarray:
    r"""PyTorch's ``full=True`` term, :math:`t\log t - t + \tfrac12\log(2\pi t)` where
    :math:`t > 1` and 0 elsewhere (an approximation of :math:`\log t!`, exact 0 for
    :math:`t \in \{0, 1\}`)."""
    big = t > 1
    safe = np.where(big, t, 1)
    term = safe * np.log(safe) - safe + 0.5 * np.log(safe * (2 * math.pi))
    return np.where(big, term, 0)


def _log_input_kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
    """exp(x) - t x, derivative exp(x) - t (inf beyond the dtype's exp range, as PyTorch)."""
    x, t = blocks[0], blocks[1]
    with np.errstate(over="ignore"):
        ex = np.exp(x)
    if grad is not None:
        np.subtract(ex, t, out=grad)
    np.subtract(ex, t * x, out=loss)


def _rate_kernel(eps: Any) -> e.BlockKernel:
    """x - t log(x + eps), derivative 1 - t / (x + eps); 0 log 0 = 0 where t = 0."""

    def kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
        x, t = blocks[0], blocks[1]
        r = x + eps
        pos = t > 0
        with np.errstate(divide="ignore"):  # t > 0 at a zero rate: an infinite loss
            tlog = np.where(pos, t * np.log(np.where(pos, r, 1)), 0)
            if grad is not None:
                np.subtract(1, np.where(pos, t / np.where(pos, r, 1), 0), out=grad)
        np.subtract(x, tlog, out=loss)

    return kernel


def _with_stirling(kernel: e.BlockKernel) -> e.BlockKernel:
    def full(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
        kernel(blocks, loss, grad)
        loss += stirling(blocks[1]).astype(loss.dtype, copy=False)

    return full


def _poisson(
    input: Any,
    target: Any,
    log_input: Any,
    full: Any,
    eps: Any,
    reduction: Any,
    need_grad: bool,
) -> ValueAndGrad:
    log_input = v.check_bool(log_input, "log_input")
    full = v.check_bool(full, "full")
    eps = v.check_positive_number(eps, "eps", allow_zero=True)
    pair = e.prepare(input, target, reduction, check_target=_check_counts)
    if not log_input and pair.x.size and pair.x.min() < 0:
        raise ValueError(
            f"`input` contains a negative rate {float(pair.x.min())!r}; expected rates >= 0 "
            "with log_input=False"
        )
    kernel = _log_input_kernel if log_input else _rate_kernel(pair.dtype.type(eps))
    if full:
        kernel = _with_stirling(kernel)
    return e.run(pair, kernel, reduction, need_grad=need_grad)


@overload
def poisson_nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    log_input: bool = ...,
    full: bool = ...,
    eps: float = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def poisson_nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    log_input: bool = ...,
    full: bool = ...,
    eps: float = ...,
    reduction: Literal["none"],
) -> Losses: ...
@overload
def poisson_nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    log_input: bool = ...,
    full: bool = ...,
    eps: float = ...,
    reduction: Reduction,
) -> Scalar | Losses: ...
def poisson_nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    log_input: bool = True,
    full: bool = False,
    eps: float = 1e-8,
    reduction: Reduction = "mean",
) -> Scalar | Losses:
    r"""Negative log-likelihood of counts :math:`t` under a Poisson distribution.

    .. math::
        :formula: poisson_nll_loss value rate

        \ell_i = e^{x_i} - t_i x_i \qquad \ell_i = x_i - t_i \log(x_i + \epsilon)

    With ``log_input=True`` (the default) ``input`` is the log-rate :math:`x = \log\lambda` and
    the loss is the first; with ``log_input=False`` it is the rate :math:`\lambda = x` and the
    loss is the second. Both drop the
    constant :math:`\log t_i!` of the likelihood
    :math:`P(t \mid \lambda) = \lambda^t e^{-\lambda} / t!`; ``full=True`` adds Stirling's
    approximation of it, :math:`t_i\log t_i - t_i + \tfrac12\log(2\pi t_i)`, **only where**
    :math:`t_i > 1` (for :math:`t_i \in \{0, 1\}`, :math:`\log t_i! = 0`). ``'mean'`` divides
    :math:`\sum_i \ell_i` by the number of elements.

    Parameters
    ----------
    input : array_like
        Log-rates :math:`x` (or rates :math:`\lambda \ge 0` with ``log_input=False``).
    target : array_like
        Counts :math:`t \ge 0` (any non-negative reals), same shape as ``input``.
    log_input : bool, default True
        Whether ``input`` is the log of the rate.
    full : bool, default False
        Add the Stirling term (where :math:`t_i > 1`).
    eps : float, default 1e-8
        Added to the rate inside the log when ``log_input=False`` (:math:`\ge 0`).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

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
        Shapes differ, an input is empty or not finite, a count is negative, a rate is
        negative (``log_input=False``), ``eps < 0``, or ``reduction`` is unknown.
    TypeError
        Bool, complex, object or string arrays, a non-bool ``log_input`` or ``full``, or a
        non-number ``eps``.

    Notes
    -----
    Gradient (``losslab.grad``, with respect to ``input``): :math:`e^{x_i} - t_i` for log-rates,
    :math:`1 - t_i/(x_i + \epsilon)` for rates; the Stirling term does not depend on ``input``.
    A zero rate with ``eps=0`` gives an infinite loss where :math:`t_i > 0` and
    :math:`0 \log 0 = 0` where :math:`t_i = 0`. :math:`e^{x}` beyond the dtype's range is inf,
    as in PyTorch (float32 overflows above :math:`x \approx 88.7`).

    Conventions
    -----------
    * PyTorch ``F.poisson_nll_loss``: identical values and gradients (``eps`` only with
      ``log_input=False``; the Stirling term masked where ``target <= 1``, which PyTorch's
      docstring states only in words). Differences: negative counts and negative rates are
      refused here, and a zero rate with a zero count and ``eps=0`` is 0 here, NaN in PyTorch.
    * Keras ``keras.losses.poisson(y_true, y_pred)``: rates, :math:`\lambda - t\log(\lambda +
      \epsilon)` with Keras's :math:`\epsilon = 10^{-7}`, averaged over the last axis.
    * scikit-learn ``mean_poisson_deviance``: the deviance
      :math:`2(t\log(t/\lambda) - t + \lambda)`, which differs by terms in :math:`t` only.

    Examples
    --------
    >>> import numpy as np
    >>> import losslab
    >>> counts = [0.0, 2.0, 3.0]
    >>> print(losslab.poisson_nll_loss(np.log([0.5, 1.5, 3.0]), counts, reduction="none"))
    [ 0.5         0.68906978 -0.29583687]

    The same rates given directly (``log_input=False``; ``eps=0`` for the same numbers):

    >>> rates = [0.5, 1.5, 3.0]
    >>> print(losslab.poisson_nll_loss(rates, counts, log_input=False, eps=0.0, reduction="none"))
    [ 0.5         0.68906978 -0.29583687]

    ``full=True`` adds the Stirling term where the count exceeds 1:

    >>> print(losslab.poisson_nll_loss(rates, counts, log_input=False, eps=0.0, full=True,
    ...                                reduction="none"))
    [0.5        1.34087627 1.46824468]
    """
    value: Scalar | Losses = _poisson(
        input, target, log_input, full, eps, reduction, need_grad=False
    )[0]
    return value


_registry.register(poisson_nll_loss, wrt="input", value_and_grad=partial(_poisson, need_grad=True))
