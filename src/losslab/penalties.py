r"""L1 and L2 weight penalties (regularization terms) and their proximal operators.

A penalty is added to the data loss, :math:`L = L_0 + \Omega(w)`, to prefer small weights. The two
classic choices behave differently:

* :func:`l2_penalty` :math:`\frac{\lambda}{2}\sum w^2` (weight decay) shrinks every weight in
  proportion to its size and never makes one exactly 0; it prefers spreading the weight over many
  inputs.
* :func:`l1_penalty` :math:`\lambda\sum |w|` pulls every weight towards 0 by the same amount and
  sets the small ones exactly to 0 (sparsity).

:func:`prox_l1` and :func:`prox_l2` show that difference exactly: they solve
:math:`\min_w \tfrac12 (w - a)^2 + \Omega(w)`, one step of proximal gradient descent.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _registry
from . import _validation as v
from ._types import Scalar

__all__ = ["l1_penalty", "l2_penalty", "prox_l1", "prox_l2"]


def _prepare(w: ArrayLike, lam: Any, name: str = "w") -> tuple[np.ndarray, Any]:
    """``w`` as a float array and ``lam`` in its dtype, or as a float64 scalar when it lies
    above float32's range (then the results are computed in float64; see :func:`_cast`)."""
    ww = v.as_float_array(w, name)
    lam_value = v.check_positive_number(lam, "lam", allow_zero=True)
    if lam_value > float(np.finfo(ww.dtype).max):
        return ww, np.float64(lam_value)
    return ww, ww.dtype.type(lam_value)


def _cast(x: Any, dtype: np.dtype) -> Any:
    """``x`` (a float64 result when ``lam`` is beyond float32's range) in ``dtype``; a value
    beyond the range is inf, without a warning."""
    with np.errstate(over="ignore"):
        return x.astype(dtype, copy=False) if v.is_array(x) else dtype.type(x)


def l1_penalty(w: ArrayLike, lam: float = 1.0) -> Any:
    r"""L1 penalty: :math:`\lambda` times the sum of absolute weights.

    .. math::
        :formula: l1_penalty value

        \Omega_1(w) = \lambda \sum_i |w_i|

    Parameters
    ----------
    w : array_like
        Weights, any shape.
    lam : float, default 1.0
        Strength :math:`\lambda \ge 0`.

    Returns
    -------
    numpy scalar
        :math:`\Omega_1(w)`, in ``w``'s float dtype.

    Raises
    ------
    ValueError
        If ``w`` is empty or not finite, or ``lam`` is negative or not finite.
    TypeError
        If ``w`` has a bool, complex, object or string dtype, or ``lam`` is not a real number.

    Notes
    -----
    Gradient (``losslab.grad(losslab.l1_penalty)``): :math:`\lambda\,\mathrm{sign}(w_i)`. At
    :math:`w_i = 0` the penalty has a kink and every value in :math:`[-\lambda, \lambda]` is a
    subgradient; losslab returns 0 there, as PyTorch's ``abs`` backward does. Plain gradient steps
    therefore make weights oscillate around 0 rather than land on it; :func:`prox_l1` lands on it.

    Conventions
    -----------
    * Keras ``regularizers.L1(l1)``: ``l1 * sum(|w|)``, the same.
    * scikit-learn ``Lasso(alpha)``: :math:`\frac{1}{2n}\|y - Xw\|^2 + \alpha\|w\|_1`, i.e.
      :math:`\lambda = \alpha` against a data term that is a *mean* with a :math:`\tfrac12`.
    * Some texts (Nielsen) write :math:`\frac{\lambda}{n}\sum|w|` with :math:`n` training samples.

    Examples
    --------
    >>> import losslab
    >>> print(losslab.l1_penalty([1.0, -2.0, 0.5], lam=0.1))
    0.35000000000000003
    >>> print(losslab.grad(losslab.l1_penalty)([1.0, -2.0, 0.0], lam=0.1))
    [ 0.1 -0.1  0. ]
    """
    return _l1_penalty_value_and_grad(w, lam)[0]


def _l1_penalty_value_and_grad(w: ArrayLike, lam: float) -> tuple[Scalar, np.ndarray]:
    ww, lam_t = _prepare(w, lam)
    with np.errstate(over="ignore"):  # a penalty beyond the dtype's range is inf
        value, grad = lam_t * np.sum(np.abs(ww)), lam_t * np.sign(ww)
    return _cast(value, ww.dtype), _cast(grad, ww.dtype)


def l2_penalty(w: ArrayLike, lam: float = 1.0) -> Scalar:
    r"""L2 penalty (weight decay): half of :math:`\lambda` times the sum of squared weights.

    .. math::
        :formula: l2_penalty value

        \Omega_2(w) = \frac{\lambda}{2} \sum_i w_i^2

    The :math:`\tfrac12` makes the gradient :math:`\lambda w`, the "weight decay" term.

    Parameters
    ----------
    w : array_like
        Weights, any shape.
    lam : float, default 1.0
        Strength :math:`\lambda \ge 0`.

    Returns
    -------
    numpy scalar
        :math:`\Omega_2(w)`, in ``w``'s float dtype.

    Raises
    ------
    ValueError
        If ``w`` is empty or not finite, or ``lam`` is negative or not finite.
    TypeError
        If ``w`` has a bool, complex, object or string dtype, or ``lam`` is not a real number.

    Notes
    -----
    Gradient (``losslab.grad(losslab.l2_penalty)``): :math:`\lambda w`.

    Conventions
    -----------
    * PyTorch ``optim.SGD(..., weight_decay=wd)`` adds ``wd * w`` to the gradient: that is this
      penalty with ``lam = wd`` (the :math:`\tfrac12` included). ``AdamW`` decouples the decay
      from the adaptive scaling, so it is not a penalty on the loss.
    * optax ``add_decayed_weights(weight_decay)`` adds ``weight_decay * w`` to the update: the same
      as PyTorch's ``weight_decay``.
    * Keras ``regularizers.L2(l2)`` adds ``l2 * sum(w**2)``, **without** the :math:`\tfrac12`:
      Keras ``l2`` corresponds to ``lam = 2 * l2`` here.
    * scikit-learn ``Ridge(alpha)``: :math:`\|y - Xw\|^2 + \alpha\|w\|^2` (no :math:`\tfrac12`
      on either term, so the ratio is as here); ``MLPClassifier(alpha)`` uses
      :math:`\frac{\alpha}{2n}\|w\|^2`.

    Examples
    --------
    >>> import losslab
    >>> print(losslab.l2_penalty([1.0, -2.0, 0.5], lam=0.1))
    0.2625
    >>> print(losslab.grad(losslab.l2_penalty)([1.0, -2.0, 0.5], lam=0.1))
    [ 0.1  -0.2   0.05]

    Two weight vectors with the same score on :math:`x = (1, 1, 1, 1)` (the regularization
    article's example, as in CS231n): only L2 prefers the spread-out ``w2``; L1 cannot tell
    them apart.

    >>> import numpy as np
    >>> x = np.array([1.0, 1.0, 1.0, 1.0])
    >>> w1 = np.array([1.0, 0.0, 0.0, 0.0])
    >>> w2 = np.array([0.25, 0.25, 0.25, 0.25])
    >>> print(w1 @ x, w2 @ x)
    1.0 1.0
    >>> print(losslab.l2_penalty(w1), losslab.l2_penalty(w2))  # with the 1/2
    0.5 0.125
    >>> print(losslab.l2_penalty(w1, lam=2), losslab.l2_penalty(w2, lam=2))  # sum of squares
    1.0 0.25
    >>> print(losslab.l1_penalty(w1), losslab.l1_penalty(w2))
    1.0 1.0
    """
    return _l2_penalty_value_and_grad(w, lam)[0]


def _l2_penalty_value_and_grad(w: ArrayLike, lam: float) -> tuple[Scalar, np.ndarray]:
    ww, lam_t = _prepare(w, lam)
    # (lam s) s sum (w/s)^2 / 2 with s = max |w|: neither w^2 (1e160) nor lam/2 (5e-324)
    # leaves the range when the penalty itself is in it.
    s = np.max(np.abs(ww))
    value: np.floating[Any]
    with np.errstate(over="ignore", under="ignore"):  # a penalty beyond the range is inf
        if s == 0:
            value = lam_t * s
        else:
            u: np.ndarray = ww / s
            value = lam_t * s * s * (np.sum(u * u) / 2)
        return _cast(value, ww.dtype), _cast(lam_t * ww, ww.dtype)


def prox_l1(a: ArrayLike, lam: float) -> np.ndarray:
    r"""Proximal operator of :func:`l1_penalty`: soft thresholding.

    .. math::
        :formula: l1_penalty -|prox

        \operatorname{prox}_{\lambda|\cdot|}(a)
        = \operatorname*{arg\,min}_w \tfrac12 (w - a)^2 + \lambda |w|
        = \mathrm{sign}(a)\,\max(|a| - \lambda, 0)

    element-wise. Every entry moves :math:`\lambda` towards 0, and entries with
    :math:`|a_i| \le \lambda` become exactly 0.

    Parameters
    ----------
    a : array_like
        The point, any shape (typically :math:`w - \eta\nabla L_0(w)` in proximal gradient descent,
        with ``lam`` scaled by :math:`\eta`).
    lam : float
        Threshold :math:`\lambda \ge 0`.

    Returns
    -------
    ndarray
        The minimiser, shaped like ``a``.

    Raises
    ------
    ValueError
        If ``a`` is empty or not finite, or ``lam`` is negative or not finite.
    TypeError
        If ``a`` has a bool, complex, object or string dtype, or ``lam`` is not a real number.

    Conventions
    -----------
    * scikit-learn's coordinate descent for ``Lasso`` applies the same soft threshold to each
      coordinate; PyTorch's ``F.softshrink(a, lambd)`` is this function.

    Examples
    --------
    L1 sets the small entry to 0; L2 (:func:`prox_l2`) only shrinks it:

    >>> import losslab
    >>> a = [0.3, -0.05, 1.2]
    >>> print(losslab.prox_l1(a, 0.1).tolist())
    [0.19999999999999998, -0.0, 1.0999999999999999]
    >>> print(losslab.prox_l2(a, 0.1).tolist())
    [0.2727272727272727, -0.045454545454545456, 1.0909090909090908]
    """
    aa, lam_t = _prepare(a, lam, "a")
    out: np.ndarray = _cast(np.sign(aa) * np.maximum(np.abs(aa) - lam_t, 0), aa.dtype)
    return out


def prox_l2(a: ArrayLike, lam: float) -> np.ndarray:
    r"""Proximal operator of :func:`l2_penalty`: uniform shrinkage.

    .. math::
        :formula: l2_penalty prox

        \operatorname*{arg\,min}_w \tfrac12 (w - a)^2 + \tfrac{\lambda}{2} w^2
        = \frac{a}{1 + \lambda}

    Every entry is divided by :math:`1 + \lambda`: large ones lose more, none becomes 0.

    Parameters
    ----------
    a : array_like
        The point, any shape.
    lam : float
        Strength :math:`\lambda \ge 0`.

    Returns
    -------
    ndarray
        The minimiser, shaped like ``a``.

    Raises
    ------
    ValueError
        If ``a`` is empty or not finite, or ``lam`` is negative or not finite.
    TypeError
        If ``a`` has a bool, complex, object or string dtype, or ``lam`` is not a real number.

    Conventions
    -----------
    * With the Keras convention (no :math:`\tfrac12`, ``l2``) the shrink factor is
      :math:`1/(1 + 2\,l_2)`.

    Examples
    --------
    >>> import losslab
    >>> print(losslab.prox_l2([0.3, -0.05, 1.2], 0.1))
    [ 0.27272727 -0.04545455  1.09090909]
    >>> print(losslab.prox_l1([0.3, -0.05, 1.2], 0.1))
    [ 0.2 -0.   1.1]
    """
    aa, lam_t = _prepare(a, lam, "a")
    out: np.ndarray = _cast(aa / (1 + lam_t), aa.dtype)
    return out


_registry.register(l1_penalty, wrt="w", value_and_grad=_l1_penalty_value_and_grad)
_registry.register(l2_penalty, wrt="w", value_and_grad=_l2_penalty_value_and_grad)
