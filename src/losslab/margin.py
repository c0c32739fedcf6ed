r"""Margin (hinge-type) losses: PyTorch's ``multi_margin_loss``, ``hinge_embedding_loss`` and
``soft_margin_loss``, plus the plain binary ``hinge_loss`` of scikit-learn and Keras."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from functools import partial
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _elementwise as e
from . import _reduction as r
from . import _registry
from . import _validation as v
from ._types import FloatDType, Losses, Reduction, Scalar, ValueAndGrad

__all__ = ["hinge_embedding_loss", "hinge_loss", "multi_margin_loss", "soft_margin_loss"]


def _check_real(x: Any, name: str) -> float:
    """A finite real number of any sign (margins may be negative, as in PyTorch)."""
    if v.is_bool(x) or not isinstance(x, numbers.Real):
        raise TypeError(f"`{name}` is {x!r}, expected a real number")
    value = float(x)
    if not np.isfinite(value):
        raise ValueError(f"`{name}` is {x!r}, expected a finite number")
    return value


def _check_signed(t: np.ndarray) -> None:
    """Labels must be -1 or 1 (checked block by block inside the kernels)."""
    bad = np.abs(t) != 1
    if bad.any():
        v.check_finite(t, "target")  # NaN/inf is reported as such (the kernels check later)
        raise ValueError(f"`target` contains {float(t[bad].flat[0])!r}, expected labels -1 or 1")


def _finish(loss: np.ndarray, grad: np.ndarray | None, reduction: str,
            dtype: FloatDType) -> ValueAndGrad:  # fmt: skip
    if grad is not None:
        grad *= r.reduction_scale(loss.size, reduction, dtype)
    return r.reduce(loss, reduction, dtype), grad


def _signed_loss(kernel: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None], None],
                 input: ArrayLike, target: ArrayLike, reduction: str, need_grad: bool,
                 grad_factor: float = 1.0, kind: str | None = None) -> ValueAndGrad:  # fmt: skip
    """Run ``kernel(x, t, loss, grad)`` block by block on predictions and ±1 labels, or the
    compiled kernel ``kind``; the labels are checked inside the pass."""
    return e.pair_loss(
        lambda blocks, loss, grad: kernel(blocks[0], blocks[1], loss, grad),
        input,
        target,
        reduction,
        need_grad=need_grad,
        kind=kind,
        grad_factor=grad_factor,
        check_target=_check_signed,
        check_in_blocks=True,
    )


# ----------------------------------------------------------------------------- multi_margin_loss


@overload
def multi_margin_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    p: int = ...,
    margin: float = ...,
    weight: ArrayLike | None = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def multi_margin_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    p: int = ...,
    margin: float = ...,
    weight: ArrayLike | None = ...,
    reduction: Literal["none"],
) -> Losses: ...
def multi_margin_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    p: int = 1,
    margin: float = 1.0,
    weight: ArrayLike | None = None,
    reduction: Reduction = "mean",
) -> Scalar | Losses:
    r"""Multi-class hinge loss (PyTorch's ``multi_margin_loss``), averaged over the classes.

    For a sample with scores :math:`x \in \mathbb{R}^C` and label :math:`y`:

    .. math::
        :formula: multi_margin_loss general

        \ell = \frac{w_y}{C}\sum_{j \ne y} \max\bigl(0,\ \mathrm{margin} - x_y + x_j\bigr)^p

    ``reduction='mean'`` averages :math:`\ell` over the :math:`N` samples, ``'sum'`` adds them and
    ``'none'`` returns one loss per sample.

    Parameters
    ----------
    input : array_like
        Scores, shape ``(N, C)``, or ``(C,)`` for one sample.
    target : array_like of int
        Class labels in ``[0, C-1]``, shape ``(N,)``, or ``()`` for one sample.
    p : {1, 2}, default 1
        Power of each hinge term (2 gives the squared hinge).
    margin : float, default 1.0
        The margin (any finite number, as in PyTorch).
    weight : array_like, optional
        Non-negative class weights, shape ``(C,)``; sample :math:`i` is scaled by
        :math:`w_{y_i}`.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the sample losses are combined.

    Returns
    -------
    numpy scalar or ndarray
        The loss; shape ``(N,)`` (or ``()``) for ``reduction='none'``.

    Shape
    -----
    * ``input``: ``(N, C)``, or ``(C,)`` for one sample; ``C`` is the number of classes.
    * ``target``: ``(N,)``, or ``()`` for one sample.
    * ``weight``: ``(C,)``.
    * output: a scalar for ``reduction='mean'`` and ``'sum'``; ``(N,)`` (``()`` for one
      sample) for ``reduction='none'``.

    Raises
    ------
    ValueError
        If ``input`` is not 1-D or 2-D, a label is out of range, shapes do not match, ``p`` is not
        1 or 2, ``margin`` is not finite, ``weight`` has a negative entry, an input is empty or not
        finite, or ``reduction`` is unknown.
    TypeError
        If ``target`` is not integer, ``p`` is not an int, ``margin`` is not a number, or an input
        has a bool, complex, object or string dtype.

    Notes
    -----
    With :math:`z_j = \mathrm{margin} - x_y + x_j`, the gradient is
    :math:`\partial\ell/\partial x_j = \frac{w_y}{C}\,p\,z_j^{p-1}` for :math:`j \ne y` with
    :math:`z_j > 0`, 0 for the other :math:`j \ne y`, and
    :math:`\partial\ell/\partial x_y = -\sum_{j \ne y}\partial\ell/\partial x_j`. At the kink
    :math:`z_j = 0` the term contributes 0, as PyTorch's backward does (strict :math:`z_j > 0`).
    The class weight multiplies *after* the power; PyTorch's documentation writes
    :math:`\max(0, w_y(\ldots))^p`, but its kernel (and this function) computes
    :math:`w_y\max(0, \ldots)^p`. For ``p=2`` each hinge is scaled before it is squared,
    :math:`z_j\,(z_j w_y/C)`, so neither the loss nor the gradient overflows (or underflows)
    before its exact value does.

    Conventions
    -----------
    * PyTorch ``F.multi_margin_loss``: identical, including the division by :math:`C`.
    * The CS231n multi-class SVM loss (Weston–Watkins form) is the same sum *without* the
      division by :math:`C`: multiply ``reduction='none'`` by :math:`C` (see the example).
    * scikit-learn ``hinge_loss(y_true, pred_decision)`` with more than two classes uses the
      Crammer–Singer form, :math:`\max(0, 1 - x_y + \max_{j \ne y} x_j)`: only the worst
      competitor counts, not the sum.
    * Keras ``CategoricalHinge`` is also a Crammer–Singer style loss, on one-hot targets.

    Examples
    --------
    The CS231n scores (one row per image, classes cat, car,
    frog). ``multi_margin_loss`` divides by :math:`C = 3`; multiplying by :math:`C` gives the SVM
    losses 2.9, 0 and 12.9 and their mean 5.2667 to within a tolerance of
    :math:`10^{-12}` (the last bits depend on the order of the additions: PyTorch's
    :math:`(\mathrm{margin} - x_y) + x_j` is used here):

    >>> import numpy as np
    >>> import losslab
    >>> scores = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    >>> labels = [0, 1, 2]
    >>> svm = losslab.multi_margin_loss(scores, labels, reduction="none") * 3
    >>> print(svm.round(12).tolist(), round(float(svm.mean()), 12))
    [2.9, 0.0, 12.9] 5.266666666667
    """
    return _multi_margin(input, target, p, margin, weight, reduction, need_grad=False)[0]


def _multi_margin(input: ArrayLike, target: ArrayLike, p: object, margin: float,
                  weight: ArrayLike | None, reduction: str,
                  need_grad: bool) -> ValueAndGrad:  # fmt: skip
    p_value = v.check_int(p, "p")
    if p_value not in (1, 2):
        raise ValueError(f"`p` is {p_value}, expected 1 or 2")
    m = _check_real(margin, "margin")
    x = v.as_float_array(input, "input")
    if x.ndim > 2:
        raise ValueError(
            f"`input` has {x.ndim} dimension(s), expected 2 (N, C) or 1 (C,) for one sample"
        )
    x_shape = x.shape
    x = x.reshape(1) if x.ndim == 0 else x  # a 0-d input is one sample of one class, as torch
    single = x.ndim == 1
    x2: np.ndarray = x.reshape(1, -1) if single else x
    n, c = int(x2.shape[0]), int(x2.shape[1])
    y = v.as_label_array(target, "target", n_classes=c)
    expected = () if single else (n,)
    out_shape = y.shape if single and y.shape == (1,) else expected  # torch takes (1,) too
    y = y.reshape(()) if single and y.shape == (1,) else y
    class_axis = x.ndim - 1
    if y.shape != expected:
        hint = ""
        if y.shape == x.shape:
            hint = f"; a one-hot target? pass `target.argmax(axis={class_axis})` as labels"
        raise ValueError(
            f"`target` has shape {y.shape}, expected {expected} for `input` {x_shape}{hint}"
        )
    v.check_reduction(reduction)
    w = None
    if weight is not None:
        w = v.as_float_array(weight, "weight", int_as=x.dtype)
        if w.shape != (c,):
            raise ValueError(f"`weight` has shape {w.shape}, expected ({c},), one per class")
        v.check_nonnegative(w, "weight")
    dtype = v.result_dtype(x, *([] if w is None else [w]))
    x2 = x2.astype(dtype, copy=False)
    rows, y1 = np.arange(n), y.reshape(n)
    # A margin beyond the dtype's range is inf, as in PyTorch, and so is a loss or gradient
    # beyond it: no warning. With p = 2 each hinge is scaled before it is squared,
    # h (h w_y / C), and its derivative is 2 (h w_y / C): neither overflows (nor underflows)
    # before the result does.
    with np.errstate(over="ignore"):
        z = (m - x2[rows, y1])[:, None] + x2  # new array: safe to write into
        z[rows, y1] = 0  # the j = y term is excluded
        h = np.maximum(z, 0)
        scale = np.full(n, 1.0 / c, dtype=dtype) if w is None else w[y1].astype(dtype) / c
        if p == 2:
            hs = h * scale[:, None]
            loss = (h * hs).sum(axis=1)
        else:
            loss = h.sum(axis=1) * scale
        grad = None
        if need_grad:
            if p == 1:
                grad = (z > 0).astype(dtype)
                grad *= scale[:, None]
            else:  # p == 2: ``hs`` is bound, above
                grad = np.multiply(hs, 2, out=hs)  # pyright: ignore[reportPossiblyUnboundVariable]
            grad[rows, y1] = -grad.sum(axis=1)
            if single:
                grad = grad.reshape(x_shape)
    if single:
        loss = loss.reshape(out_shape)
    return _finish(loss, grad, reduction, dtype)


# -------------------------------------------------------------------------- hinge_embedding_loss


@overload
def hinge_embedding_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    margin: float = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def hinge_embedding_loss(
    input: ArrayLike, target: ArrayLike, *, margin: float = ..., reduction: Literal["none"]
) -> Losses: ...
def hinge_embedding_loss(
    input: ArrayLike, target: ArrayLike, *, margin: float = 1.0, reduction: Reduction = "mean"
) -> Scalar | Losses:
    r"""Hinge embedding loss: similar pairs' distances down, dissimilar ones past a margin.

    .. math::
        :formula: hinge_embedding_loss value

        \ell_i = \begin{cases}
            x_i & y_i = 1 \\
            \max(0,\ \mathrm{margin} - x_i) & y_i = -1
        \end{cases}

    ``input`` is usually a distance :math:`x_i \ge 0` between two embeddings (e.g. an L1
    distance) and ``target`` says whether the pair is similar (1) or dissimilar (-1).
    ``reduction`` works as in :func:`~losslab.mse_loss`.

    Parameters
    ----------
    input : array_like
        Distances (or any scores) :math:`x`, any shape.
    target : array_like
        Labels :math:`y_i \in \{-1, 1\}`, same shape as ``input``.
    margin : float, default 1.0
        The margin (any finite number, as in PyTorch).
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
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``; ``(*)``, the
      same shape as ``input``, for ``reduction='none'``.

    Raises
    ------
    ValueError
        If ``target`` has a value other than -1 or 1, the shapes differ, ``margin`` is not
        finite, an input is empty or not finite, or ``reduction`` is unknown.
    TypeError
        If an input has a bool, complex, object or string dtype, or ``margin`` is not a number.

    Notes
    -----
    The loss is *not* bounded below when ``input`` can be negative: for :math:`y_i = 1` it is
    :math:`x_i` itself. The gradient is 1 for :math:`y_i = 1`, and for :math:`y_i = -1` it is -1
    where :math:`\mathrm{margin} - x_i \ge 0`, else 0. At the kink
    :math:`x_i = \mathrm{margin}` the value is 0 but the gradient is -1: that is what PyTorch
    autograd returns (its ``clamp_min`` passes the gradient at equality).

    Conventions
    -----------
    * PyTorch ``F.hinge_embedding_loss``: identical. PyTorch does not check ``target``; values
      other than ±1 give sums of both branches there, and an error here.
    * Keras, optax and scikit-learn have no loss of this name; contrastive losses there use
      squared distances.

    Examples
    --------
    >>> import losslab
    >>> d = [0.2, 0.2, 1.5, 1.0]
    >>> y = [1, -1, -1, -1]
    >>> print(losslab.hinge_embedding_loss(d, y, reduction="none"))
    [0.2 0.8 0.  0. ]
    >>> print(losslab.grad(losslab.hinge_embedding_loss)(d, y, reduction="sum"))
    [ 1. -1.  0. -1.]
    """
    return _hinge_embedding(input, target, margin, reduction, need_grad=False)[0]


def _hinge_embedding(input: ArrayLike, target: ArrayLike, margin: float, reduction: str,
                     need_grad: bool) -> ValueAndGrad:  # fmt: skip
    m = _check_real(margin, "margin")

    def kernel(x: np.ndarray, t: np.ndarray, loss: np.ndarray, grad: np.ndarray | None) -> None:
        pos = t == 1
        gap = np.subtract(m, x, out=loss)
        if grad is not None:
            # 1 where the label is 1, else -1 where gap >= 0 and 0 elsewhere
            np.greater_equal(gap, 0, out=grad, casting="unsafe")
            np.subtract(0.0, grad, out=grad)  # 0 - 0 = +0.0, never -0.0
            grad[...] = np.where(pos, 1.0, grad)
        np.maximum(gap, 0, out=loss)
        loss[...] = np.where(pos, x, loss)

    return _signed_loss(kernel, input, target, reduction, need_grad)


# ------------------------------------------------------------------------------ soft_margin_loss


@overload
def soft_margin_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: Literal["mean", "sum"] = ...
) -> Scalar: ...
@overload
def soft_margin_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: Literal["none"]
) -> Losses: ...
def soft_margin_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: Reduction = "mean"
) -> Scalar | Losses:
    r"""Soft margin (logistic) loss for labels :math:`\pm 1`.

    .. math::
        :formula: soft_margin_loss value

        \ell_i = \log\bigl(1 + e^{-y_i x_i}\bigr)

    the smooth counterpart of the hinge :math:`\max(0, 1 - y_i x_i)`; it equals
    :func:`~losslab.binary_cross_entropy_with_logits` with targets :math:`(y_i + 1)/2`.
    ``reduction`` works as in :func:`~losslab.mse_loss`.

    Parameters
    ----------
    input : array_like
        Scores (logits) :math:`x`, any shape.
    target : array_like
        Labels :math:`y_i \in \{-1, 1\}`, same shape as ``input``.
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
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``; ``(*)``, the
      same shape as ``input``, for ``reduction='none'``.

    Raises
    ------
    ValueError
        If ``target`` has a value other than -1 or 1, the shapes differ, an input is empty or not
        finite, or ``reduction`` is unknown.
    TypeError
        If an input has a bool, complex, object or string dtype.

    Notes
    -----
    Evaluated as a softplus, :math:`\max(z, 0) + \log(1 + e^{-|z|})` with
    :math:`z = -y_i x_i`, which never overflows. The gradient is
    :math:`-y_i\,\sigma(-y_i x_i)` (divided by :math:`n` for 'mean').

    Conventions
    -----------
    * PyTorch ``F.soft_margin_loss``: the same values for moderate inputs, but PyTorch evaluates
      ``log(1 + exp(-y x))`` directly: for :math:`-y x \gtrsim 710` in float64 (about 89 in
      float32) it returns ``inf`` and a NaN gradient, where this function returns
      :math:`-y x` and :math:`-y`. PyTorch does not check that ``target`` is ±1.
    * scikit-learn's ``LogisticRegression`` minimises the same per-sample loss (plus a penalty).
    * Keras has no ±1 logistic loss; use ``BinaryCrossentropy(from_logits=True)`` with 0/1 labels.
    * optax ``sigmoid_binary_cross_entropy`` with labels :math:`(y+1)/2` gives the same element
      losses.

    Examples
    --------
    >>> import losslab
    >>> x, y = [2.0, -0.5, 1e4], [1, 1, -1]
    >>> print(losslab.soft_margin_loss(x, y, reduction="none"))
    [1.26928011e-01 9.74076984e-01 1.00000000e+04]
    >>> print(losslab.binary_cross_entropy_with_logits(x, [1, 1, 0], reduction="none"))
    [1.26928011e-01 9.74076984e-01 1.00000000e+04]
    """
    return _soft_margin(input, target, reduction, need_grad=False)[0]


def _soft_margin_kernel(x: np.ndarray, t: np.ndarray, loss: np.ndarray,
                        grad: np.ndarray | None) -> None:  # fmt: skip
    # softplus(z), z = -y x (exact for y = ±1): log1p(e^-|x|) + max(z, 0) = ... - min(y x, 0)
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)
    np.log1p(e, out=loss)
    yx = np.multiply(t, x)
    if grad is not None:
        # -y sigma(z): sigma(z) = 1/(1 + e) where z >= 0 (y x <= 0), e/(1 + e) elsewhere
        r = np.add(e, 1)
        np.divide(1, r, out=r)
        np.multiply(np.where(yx > 0, e * r, r), t, out=grad)  # the sign is in grad_factor
    np.minimum(yx, 0, out=yx)
    loss -= yx


def _soft_margin(input: ArrayLike, target: ArrayLike, reduction: str,
                 need_grad: bool) -> ValueAndGrad:  # fmt: skip
    return _signed_loss(
        _soft_margin_kernel,
        input,
        target,
        reduction,
        need_grad,
        grad_factor=-1.0,
        kind="soft_margin",
    )


# ------------------------------------------------------------------------------------ hinge_loss


@overload
def hinge_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    margin: float = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def hinge_loss(
    input: ArrayLike, target: ArrayLike, *, margin: float = ..., reduction: Literal["none"]
) -> Losses: ...
def hinge_loss(
    input: ArrayLike, target: ArrayLike, *, margin: float = 1.0, reduction: Reduction = "mean"
) -> Scalar | Losses:
    r"""Binary hinge loss (the linear SVM loss) for labels :math:`\pm 1`.

    .. math::
        :formula: hinge_loss value

        \ell_i = \max\bigl(0,\ \mathrm{margin} - y_i x_i\bigr)

    PyTorch has no function for this loss; the name and the ±1 labels follow scikit-learn's
    ``hinge_loss`` and Keras's ``hinge``. ``reduction`` works as in :func:`~losslab.mse_loss`.

    Parameters
    ----------
    input : array_like
        Decision values (scores) :math:`x`, any shape.
    target : array_like
        Labels :math:`y_i \in \{-1, 1\}`, same shape as ``input``.
    margin : float, default 1.0
        The margin (any finite number).
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
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``; ``(*)``, the
      same shape as ``input``, for ``reduction='none'``.

    Raises
    ------
    ValueError
        If ``target`` has a value other than -1 or 1, the shapes differ, ``margin`` is not
        finite, an input is empty or not finite, or ``reduction`` is unknown.
    TypeError
        If an input has a bool, complex, object or string dtype, or ``margin`` is not a number.

    Notes
    -----
    The gradient is :math:`-y_i` where :math:`\mathrm{margin} - y_i x_i > 0` and 0 elsewhere,
    including at the kink :math:`y_i x_i = \mathrm{margin}`: the choice of PyTorch autograd for
    ``F.relu(margin - y * x)`` and of :func:`multi_margin_loss`. For two classes the hinge is
    :func:`multi_margin_loss` on the scores :math:`(-x_i/2, x_i/2)` times :math:`C = 2`.

    Conventions
    -----------
    * scikit-learn ``hinge_loss(y_true, pred_decision)``: the mean over samples, arguments in the
      other order; it also accepts any two label values (mapped to -1 and 1).
    * Keras ``Hinge`` / ``keras.losses.hinge``: maps labels 0/1 to -1/1 and averages over the last
      axis; ``SquaredHinge`` squares each term.
    * optax ``hinge_loss(predictor_outputs, targets)``: the same element losses, unreduced.
    * PyTorch: write ``F.relu(margin - target * input).mean()``; ``F.hinge_embedding_loss`` is a
      different loss (see :func:`hinge_embedding_loss`).

    Examples
    --------
    Four pairs :math:`(y, f)`:

    >>> import losslab
    >>> y, f = [1, 1, -1, 1], [2.0, 0.3, 0.3, -1.0]
    >>> print(losslab.hinge_loss(f, y, reduction="none").tolist())
    [0.0, 0.7, 1.3, 2.0]
    >>> print(losslab.grad(losslab.hinge_loss)(f, y, reduction="sum"))
    [ 0. -1.  1. -1.]
    """
    return _hinge(input, target, margin, reduction, need_grad=False)[0]


def _hinge(input: ArrayLike, target: ArrayLike, margin: float, reduction: str,
           need_grad: bool) -> ValueAndGrad:  # fmt: skip
    m = _check_real(margin, "margin")

    def kernel(x: np.ndarray, t: np.ndarray, loss: np.ndarray, grad: np.ndarray | None) -> None:
        gap = np.multiply(t, x, out=loss)
        np.subtract(m, gap, out=gap)
        if grad is not None:
            np.greater(gap, 0, out=grad, casting="unsafe")
            grad *= t
            np.subtract(0.0, grad, out=grad)  # -y where the hinge is active, +0.0 elsewhere
        np.maximum(gap, 0, out=loss)

    return _signed_loss(kernel, input, target, reduction, need_grad)


_registry.register(
    multi_margin_loss, wrt="input", value_and_grad=partial(_multi_margin, need_grad=True)
)
_registry.register(
    hinge_embedding_loss, wrt="input", value_and_grad=partial(_hinge_embedding, need_grad=True)
)
_registry.register(
    soft_margin_loss, wrt="input", value_and_grad=partial(_soft_margin, need_grad=True)
)
_registry.register(hinge_loss, wrt="input", value_and_grad=partial(_hinge, need_grad=True))
