r"""Stable softmax, log-softmax, sigmoid and log-sigmoid activations.

All four follow ``torch.nn.functional`` / ``torch`` numerically (float64 values agree to rounding)
but take a NumPy-style ``axis`` instead of PyTorch's ``dim``. Their gradient, through
:func:`losslab.grad`, is the gradient of the *sum* of the outputs with respect to ``x`` (the same
rule as ``reduction='none'`` for losses, i.e. PyTorch's ``f(x).sum().backward()``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _registry
from . import _validation as v

__all__ = ["log_sigmoid", "log_softmax", "sigmoid", "softmax"]


def _prepare_axis(x: ArrayLike, axis: Any) -> tuple[np.ndarray, int]:
    a = v.as_float_array(x, "x", min_ndim=1)
    return a, v.check_axis(axis, a.ndim, "x")


def _shifted_exp(a: np.ndarray, ax: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``z = a - max``, ``e = exp(z)`` and ``s = sum(e)`` along ``ax`` (keepdims)."""
    with np.errstate(over="ignore"):  # a - max may overflow to -inf: its exp is then exactly 0
        z = a - a.max(axis=ax, keepdims=True)
    e = np.exp(z)
    return z, e, e.sum(axis=ax, keepdims=True)


def _shifted_log_sum(a: np.ndarray, ax: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``z = a - max``, ``e = exp(z)`` and ``log(sum(e))`` along ``ax`` (keepdims).

    The maximum's term is exactly 1; the others are summed apart as ``r`` and the log taken as
    ``log1p(r)``, which keeps full relative accuracy when ``r`` is tiny (a confident row).
    """
    with np.errstate(over="ignore"):  # a - max may overflow to -inf: its exp is then exactly 0
        z = a - a.max(axis=ax, keepdims=True)
    e = np.exp(z)
    top = np.argmax(z, axis=ax, keepdims=True)
    np.put_along_axis(e, top, 0, axis=ax)
    log_s = np.log1p(e.sum(axis=ax, keepdims=True))
    np.put_along_axis(e, top, 1, axis=ax)
    return z, e, log_s


def _scalar_if_0d(a: np.ndarray) -> Any:
    return a[()] if a.ndim == 0 else a


def softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Softmax along ``axis``, computed with the max shift (never overflows).

    .. math::
        :formula: softmax general|shifted log_softmax.max

        \operatorname{softmax}(x)_k = \frac{e^{x_k}}{\sum_j e^{x_j}}
        = \frac{e^{x_k - m}}{\sum_j e^{x_j - m}}, \qquad m = \max_j x_j

    Parameters
    ----------
    x : array_like
        Scores (logits), at least one dimension.
    axis : int, default -1
        The axis the probabilities sum over (PyTorch calls it ``dim``).

    Returns
    -------
    ndarray
        Probabilities shaped like ``x``; each slice along ``axis`` sums to 1.

    Raises
    ------
    ValueError
        If ``x`` is empty, 0-dimensional or not finite, or ``axis`` is out of range.
    TypeError
        If ``x`` has a bool, complex, object or string dtype, or ``axis`` is not an int.

    Notes
    -----
    Subtracting the maximum leaves the result unchanged (softmax is shift invariant) and keeps every
    exponent :math:`\le 0`, so scores of :math:`\pm 10^4` are fine. The largest entry's exponential
    is exactly 1, so the denominator is at least 1.

    Gradient: the sum of a softmax along ``axis`` is identically 1, so the gradient of the sum of
    the outputs (what :func:`losslab.grad` returns for activations) is exactly zero; PyTorch's
    ``softmax(x).sum().backward()`` gives rounding-level values instead. A vector-Jacobian product
    with weights :math:`v` is :math:`s \odot (v - \langle s, v\rangle)`.

    Conventions
    -----------
    * PyTorch ``F.softmax(input, dim)``: ``dim`` has no default worth relying on (an implicit
      ``dim`` is deprecated); here ``axis=-1`` like ``scipy.special.softmax(x, axis=...)`` and Keras
      ``keras.activations.softmax(x, axis=-1)``.
    * optax / JAX ``jax.nn.softmax(x, axis=-1)``: same.

    Examples
    --------
    The scores cat 3.2, car 5.1, frog -1.7 (CS231n's example):

    >>> import losslab
    >>> print(losslab.softmax([3.2, 5.1, -1.7]).tolist())
    [0.12998253901717316, 0.8690495352082659, 0.0009679257745610439]

    Large scores do not overflow (the naive formula returns nan here):

    >>> print(losslab.softmax([1010.0, 1000.0, 990.0]).tolist())
    [0.999954600070331, 4.539786860886666e-05, 2.061060046209062e-09]
    """
    a, ax = _prepare_axis(x, axis)
    _, e, s = _shifted_exp(a, ax)
    e /= s
    return e


def log_softmax(x: ArrayLike, axis: int = -1) -> np.ndarray:
    r"""Logarithm of the softmax along ``axis``, by log-sum-exp.

    .. math::
        :formula: log_softmax general lse_shifted max

        \log\operatorname{softmax}(x)_k = x_k - \operatorname{LSE}(x), \qquad
        \operatorname{LSE}(x) = m + \log\sum_j e^{x_j - m}, \quad m = \max_j x_j

    Parameters
    ----------
    x : array_like
        Scores (logits), at least one dimension.
    axis : int, default -1
        The axis to normalize over (PyTorch calls it ``dim``).

    Returns
    -------
    ndarray
        Log-probabilities shaped like ``x`` (all :math:`\le 0`).

    Raises
    ------
    ValueError
        If ``x`` is empty, 0-dimensional or not finite, or ``axis`` is out of range.
    TypeError
        If ``x`` has a bool, complex, object or string dtype, or ``axis`` is not an int.

    Notes
    -----
    Never computes ``log(softmax(x))``: a probability that underflows to 0 would give ``-inf``,
    while :math:`x_k - \operatorname{LSE}(x)` stays finite (e.g. -1000 for a score 1000 below the
    rest). The sum is split as :math:`1 + r` (the maximum's term is exactly 1) and its log taken as
    :math:`\operatorname{log1p}(r)`, so the log-probability of a confident class (:math:`r` tiny)
    keeps full relative accuracy.

    Gradient of the sum of the outputs over ``axis`` (:func:`losslab.grad`):
    :math:`\partial/\partial x_k \sum_j \log\operatorname{softmax}(x)_j
    = 1 - C\,\operatorname{softmax}(x)_k` with :math:`C` the length of ``axis``.

    Conventions
    -----------
    * PyTorch ``F.log_softmax(input, dim)``, ``scipy.special.log_softmax(x, axis)``,
      ``jax.nn.log_softmax(x, axis=-1)``: same values; only the axis keyword differs from PyTorch.

    Examples
    --------
    >>> import losslab
    >>> print(-losslab.log_softmax([3.2, 5.1, -1.7])[0])  # -ln p_cat
    2.04035515280017
    >>> print(losslab.log_softmax([0.0, -1000.0]).tolist())  # log(softmax) would give -inf
    [0.0, -1000.0]
    """
    a, ax = _prepare_axis(x, axis)
    z, _, log_s = _shifted_log_sum(a, ax)
    z -= log_s
    return z


def sigmoid(x: ArrayLike) -> Any:
    r"""Logistic sigmoid, evaluated without overflow for any finite ``x``.

    .. math::
        :formula: sigmoid value|value

        \sigma(x) = \frac{1}{1 + e^{-x}} =
        \begin{cases} \dfrac{1}{1 + e^{-|x|}} & x \ge 0 \\[1ex]
        \dfrac{e^{-|x|}}{1 + e^{-|x|}} & x < 0 \end{cases}

    Parameters
    ----------
    x : array_like
        Any shape, including a scalar.

    Returns
    -------
    ndarray or numpy scalar
        :math:`\sigma(x)` shaped like ``x`` (a NumPy scalar for scalar input).

    Raises
    ------
    ValueError
        If ``x`` is empty or not finite.
    TypeError
        If ``x`` has a bool, complex, object or string dtype.

    Notes
    -----
    Only :math:`e^{-|x|} \le 1` is ever computed, so ``x = -1e4`` gives 0 and ``x = 1e4`` gives 1
    with no overflow warning. Gradient (of the sum, :func:`losslab.grad`):
    :math:`\sigma(x)(1-\sigma(x)) = e^{-|x|}/(1+e^{-|x|})^2`, computed in that second form so that
    it keeps its relative accuracy in both tails.

    Conventions
    -----------
    * ``torch.sigmoid``, ``scipy.special.expit``, ``jax.nn.sigmoid``, ``keras.activations.sigmoid``:
      the same function.

    Examples
    --------
    >>> import losslab
    >>> print(losslab.sigmoid([-1e4, 0.0, 1e4]).tolist())
    [0.0, 0.5, 1.0]
    >>> print(losslab.grad(losslab.sigmoid)(0.0))
    0.25
    """
    a = v.as_float_array(x, "x")
    e = np.exp(-np.abs(a))
    out = np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(a.dtype, copy=False)
    return _scalar_if_0d(out)


def log_sigmoid(x: ArrayLike) -> Any:
    r"""Logarithm of the sigmoid, :math:`\log\sigma(x) = -\operatorname{softplus}(-x)`, stably.

    .. math::
        :formula: log_sigmoid value|value

        \log\sigma(x) = -\log\left(1 + e^{-x}\right)
        = \min(x, 0) - \operatorname{log1p}\left(e^{-|x|}\right)

    Parameters
    ----------
    x : array_like
        Any shape, including a scalar.

    Returns
    -------
    ndarray or numpy scalar
        :math:`\log\sigma(x) \le 0`, shaped like ``x``.

    Raises
    ------
    ValueError
        If ``x`` is empty or not finite.
    TypeError
        If ``x`` has a bool, complex, object or string dtype.

    Notes
    -----
    ``log(sigmoid(x))`` fails twice: it returns ``-inf`` for ``x = -1e4`` (the sigmoid underflows)
    and loses all digits for large positive ``x`` (``log`` of a number rounded to 1). The form above
    returns ``-1e4`` and ``-exp(-x)`` respectively. Gradient (of the sum, :func:`losslab.grad`):
    :math:`1 - \sigma(x) = \sigma(-x)`.

    Conventions
    -----------
    * PyTorch ``F.logsigmoid`` (note the spelling), ``jax.nn.log_sigmoid``: the same function.

    Examples
    --------
    >>> import losslab
    >>> print(losslab.log_sigmoid([-1e4, 0.0, 40.0]).tolist())
    [-10000.0, -0.6931471805599453, -4.248354255291589e-18]
    """
    a = v.as_float_array(x, "x")
    out = np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))
    return _scalar_if_0d(out)


def _softmax_value_and_grad(x: ArrayLike, axis: int) -> tuple[np.ndarray, np.ndarray]:
    value = softmax(x, axis)
    return value, np.zeros_like(value)


def _log_softmax_value_and_grad(x: ArrayLike, axis: int) -> tuple[np.ndarray, np.ndarray]:
    a, ax = _prepare_axis(x, axis)
    z, e, log_s = _shifted_log_sum(a, ax)
    z -= log_s
    e /= np.exp(log_s)
    grad = 1 - a.shape[ax] * e
    return z, grad.astype(a.dtype, copy=False)


def _sigmoid_value_and_grad(x: ArrayLike) -> tuple[Any, Any]:
    a = v.as_float_array(x, "x")
    e = np.exp(-np.abs(a))
    d = 1.0 + e
    value = np.where(a >= 0, 1.0 / d, e / d).astype(a.dtype, copy=False)
    grad = (e / (d * d)).astype(a.dtype, copy=False)
    return _scalar_if_0d(value), _scalar_if_0d(grad)


def _log_sigmoid_value_and_grad(x: ArrayLike) -> tuple[Any, Any]:
    a = v.as_float_array(x, "x")
    e = np.exp(-np.abs(a))
    value = np.minimum(a, 0) - np.log1p(e)
    d = 1.0 + e
    grad = np.where(a >= 0, e / d, 1.0 / d).astype(a.dtype, copy=False)
    return _scalar_if_0d(value), _scalar_if_0d(grad)


_registry.register(softmax, wrt="x", value_and_grad=_softmax_value_and_grad)
_registry.register(log_softmax, wrt="x", value_and_grad=_log_softmax_value_and_grad)
_registry.register(sigmoid, wrt="x", value_and_grad=_sigmoid_value_and_grad)
_registry.register(log_sigmoid, wrt="x", value_and_grad=_log_sigmoid_value_and_grad)
