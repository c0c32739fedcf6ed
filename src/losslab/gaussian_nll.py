r"""Gaussian negative log-likelihood, PyTorch's ``gaussian_nll_loss`` convention."""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _registry
from . import _validation as v
from ._reduction import sum_terms
from ._types import Losses, Reduction, Scalar

__all__ = ["gaussian_nll_loss"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _var_layout(var: np.ndarray, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape ``var`` takes to broadcast against ``input`` of ``shape``, by PyTorch's rule:
    the same shape; ``input``'s shape without its last dimension (a variance per row); the
    same number of dimensions with exactly one dimension of size 1 where ``input``'s differs;
    or a single number (0-d)."""
    if var.shape == shape or var.ndim == 0:
        return var.shape
    if var.shape == shape[:-1]:
        return (*var.shape, 1)
    if var.ndim == len(shape):
        differ = [b for a, b in zip(shape, var.shape, strict=True) if a != b]
        if differ == [1]:
            return var.shape
    raise ValueError(
        f"`var` has shape {var.shape}, expected {shape} like `input`, {shape[:-1]} (one "
        "variance per row), that shape with one dimension set to 1, or a single number"
    )


def _var(var: Any, shape: tuple[int, ...], x_dtype: np.dtype) -> np.ndarray:
    if isinstance(var, numbers.Real) and not isinstance(var, (bool, np.bool_)):
        var = np.asarray(float(var), dtype=x_dtype)  # a Python number follows `input`
    return v.as_float_array(var, "var", int_as=x_dtype, allow_nonfinite=True)


def _check_values(x: np.ndarray, t: np.ndarray, var: np.ndarray) -> None:
    """The value checks, after every type, shape and option (losslab._validation's order)."""
    v.check_finite(x, "input")
    v.check_finite(t, "target")
    v.check_finite(var, "var")
    if var.size and var.min() < 0:
        raise ValueError(
            f"`var` contains a negative value {float(var.min())!r}; expected variances >= 0 "
            "(values below `eps` are clamped to it)"
        )


def _gaussian(
    input: Any, target: Any, var: Any, full: Any, eps: Any, reduction: Any
) -> tuple[Any, list[Any]]:
    """Value and the gradients with respect to input, target and var."""
    full = v.check_bool(full, "full")
    eps = v.check_positive_number(eps, "eps")
    x = v.as_float_array(input, "input", allow_nonfinite=True)
    t = v.as_float_array(target, "target", int_as=x.dtype, allow_nonfinite=True)
    v.check_same_shape(x, t, "input", "target")
    va = _var(var, x.shape, x.dtype)
    layout = _var_layout(va, x.shape)
    v.check_reduction(reduction)
    _check_values(x, t, va)
    dtype = v.result_dtype(x, t, va)
    # An inf result (a float32 eps beyond its range clamps every variance to inf; a loss
    # beyond the dtype's range) comes without a RuntimeWarning, as other losses.
    with np.errstate(over="ignore"):
        vc = np.maximum(va.astype(np.float64).reshape(layout), float(dtype.type(eps)))
        xf, tf = x.astype(np.float64), t.astype(np.float64)
        d = xf - tf
        if np.isfinite(d).all():
            q = d / vc
            loss = 0.5 * (np.log(vc) + d * q)
        else:  # x - t beyond the range: by halves, exact scalings of the same roundings
            h = xf * 0.5 - tf * 0.5
            q = 2.0 * (h / vc)
            loss = 0.5 * np.log(vc) + 2.0 * (h * (h / vc))
        if full:
            loss = loss + _HALF_LOG_2PI
        gx = np.broadcast_to(q, x.shape)
        gv = 0.5 * (1.0 / vc - q * q)
        if reduction == "none":
            value = loss.astype(dtype) if loss.ndim else dtype.type(loss)
        else:
            value = sum_terms(loss, reduction, x.size, dtype)
        if reduction == "mean":
            gx, gv = gx / x.size, gv / x.size
        # d/d var: summed over the entries each variance is broadcast to.
        gv = np.broadcast_to(gv, x.shape)
        if va.ndim == 0:
            gvar: Any = dtype.type(gv.sum())
        else:
            axes = tuple(i for i, n in enumerate(layout) if n == 1 and x.shape[i] != 1)
            gvar = (gv.sum(axis=axes, keepdims=True) if axes else gv).reshape(va.shape)
            gvar = gvar.astype(dtype)
        grads = [gx.astype(dtype), (-gx).astype(dtype), gvar]
    return value, grads


@overload
def gaussian_nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    var: ArrayLike,
    *,
    full: bool = ...,
    eps: float = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def gaussian_nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    var: ArrayLike,
    *,
    full: bool = ...,
    eps: float = ...,
    reduction: Literal["none"],
) -> Losses: ...
@overload
def gaussian_nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    var: ArrayLike,
    *,
    full: bool = ...,
    eps: float = ...,
    reduction: Reduction,
) -> Scalar | Losses: ...
def gaussian_nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    var: ArrayLike,
    *,
    full: bool = False,
    eps: float = 1e-6,
    reduction: Reduction = "mean",
) -> Scalar | Losses:
    r"""Negative log-likelihood of ``target`` under a Gaussian with mean ``input`` and
    variance ``var``.

    .. math::
        :formula: gaussian_nll_loss value

        \ell_i = \frac12 \left( \log v_i + \frac{(x_i - y_i)^2}{v_i} \right)

    with :math:`v_i = \max(\mathrm{var}_i, \epsilon)`: ``eps`` **clamps** the variance from
    below, it is not added to it (a variance of 1 stays 1). ``full=True`` adds the constant
    :math:`\tfrac12\log 2\pi` of the density. ``'mean'`` divides :math:`\sum_i \ell_i` by the number
    of elements of ``input``.

    Parameters
    ----------
    input : array_like
        Means :math:`x` predicted by the model, any shape.
    target : array_like
        Observations :math:`y`, same shape as ``input``.
    var : array_like or float
        Variances :math:`\ge 0`: one per element (same shape as ``input``), one per row
        (``input``'s shape without the last dimension), ``input``'s shape with one dimension of
        size 1 (shared along it), or a single number (homoscedastic).
    full : bool, default False
        Add :math:`\tfrac12\log 2\pi` to every element.
    eps : float, default 1e-6
        Lower clamp of the variance, :math:`> 0`.
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    numpy scalar or ndarray
        The loss; an array shaped like ``input`` for ``reduction='none'``.

    Shape
    -----
    * ``input``: ``(N, *)`` or ``(*)``, any number of dimensions.
    * ``target``: the same shape as ``input``.
    * ``var``: the same shape as ``input``; that shape without its last dimension; that shape
      with one dimension of size 1; or ``()`` / a Python number.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``; the shape of
      ``input`` for ``reduction='none'``.

    Raises
    ------
    ValueError
        Shapes differ (``var``: none of the shapes above), a variance is negative, an input is
        empty or not finite, ``eps <= 0``, or ``reduction`` is unknown.
    TypeError
        Bool, complex, object or string arrays, a non-bool ``full`` or a non-number ``eps``.

    Notes
    -----
    Gradients (``losslab.grad(fn, wrt=...)``): ``input`` (the default)
    :math:`(x_i - y_i)/v_i`, ``target`` its negative, and ``var``
    :math:`\tfrac12\bigl(1/v_i - (x_i - y_i)^2/v_i^2\bigr)`, summed over the elements a shared
    variance covers. Where the clamp is active the ``var`` gradient is still this expression at
    :math:`v_i = \epsilon`, not 0: PyTorch clamps outside autograd, and losslab returns the same.

    Conventions
    -----------
    * PyTorch ``F.gaussian_nll_loss``: identical values and gradients, including the clamp and
      the accepted ``var`` shapes; a 0-d ``var`` array is accepted here for any ``input`` (PyTorch
      takes it only for 1-D input, a Python float always).
    * The docstring of PyTorch's ``F.gaussian_nll_loss`` calls ``eps`` "added to var"; the code
      (and the ``GaussianNLLLoss`` class docstring) clamps. A variance of 0 therefore gives
      :math:`\tfrac12\log\epsilon` plus the squared error over :math:`\epsilon`.
    * Keras and optax have no Gaussian NLL loss; ``scipy.stats.norm.logpdf(y, x, sqrt(v))`` is
      :math:`-\ell_i` with ``full=True``.

    Examples
    --------
    >>> import losslab
    >>> print(losslab.gaussian_nll_loss([0.0, 1.0], [1.0, 1.0], [1.0, 4.0], reduction="none"))
    [0.5        0.69314718]

    A zero variance is clamped to ``eps`` (here :math:`10^{-6}`), not shifted by it:

    >>> print(losslab.gaussian_nll_loss([0.0, 1.0], [1.0, 1.0], 0.0, reduction="none"))
    [ 4.99993092e+05 -6.90775528e+00]

    The gradient with respect to the variance: 0 where the squared error equals it.

    >>> g = losslab.grad(losslab.gaussian_nll_loss, wrt="var")
    >>> print(g([0.0, 2.0], [1.0, 1.0], [1.0, 0.5]))
    [ 0.  -0.5]
    """
    value: Scalar | Losses = _gaussian(input, target, var, full, eps, reduction)[0]
    return value


def _register() -> None:
    for i, name in enumerate(("input", "target", "var")):

        def vg(
            input: Any,
            target: Any,
            var: Any,
            full: Any = False,
            eps: Any = 1e-6,
            reduction: Any = "mean",
            _i: int = i,
        ) -> tuple[Any, Any]:
            value, grads = _gaussian(input, target, var, full, eps, reduction)
            return value, grads[_i]

        _registry.register(gaussian_nll_loss, wrt=name, value_and_grad=vg)


_register()
