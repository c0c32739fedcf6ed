r"""Cross-entropy of a linear layer's output without the full logits matrix
(PyTorch 2.13's ``linear_cross_entropy``)."""

from __future__ import annotations

import functools
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _registry
from . import _validation as v
from ._ce_problem import _zero_denominator
from ._types import FloatDType, Losses, Reduction, Scalar

__all__ = ["linear_cross_entropy"]

#: Columns of the logits computed at a time: N x CHUNK values in memory, never N x V.
CHUNK = 2048


#: What :func:`_prepare` returns: ``x, w, b, cw, y, ls, ignore_index, dtype``.
_Prepared = tuple[
    np.ndarray,
    np.ndarray,
    "np.ndarray | None",
    "np.ndarray | None",
    np.ndarray,
    float,
    "int | None",
    FloatDType,
]


def _prepare(
    input: ArrayLike,
    linear_weight: ArrayLike,
    target: ArrayLike,
    linear_bias: ArrayLike | None,
    weight: ArrayLike | None,
    reduction: str,
    ignore_index: int | None,
    ls: float,
) -> _Prepared:
    x = v.as_float_array(input, "input")
    if x.ndim != 2:
        raise ValueError(f"`input` has {x.ndim} dimension(s), expected 2 (N, D)")
    w = v.as_float_array(linear_weight, "linear_weight", int_as=x.dtype)
    if w.ndim != 2 or w.shape[1] != x.shape[1]:
        raise ValueError(
            f"`linear_weight` has shape {w.shape}, expected (V, {x.shape[1]}) like `input`'s D"
        )
    n_cls = w.shape[0]
    arrays = [x, w]
    b = None
    if linear_bias is not None:
        b = v.as_float_array(linear_bias, "linear_bias", int_as=x.dtype)
        if b.shape != (n_cls,):
            raise ValueError(f"`linear_bias` has shape {b.shape}, expected ({n_cls},)")
        arrays.append(b)
    cw = None
    if weight is not None:
        cw = v.as_float_array(weight, "weight", int_as=x.dtype)
        if cw.shape != (n_cls,):
            raise ValueError(f"`weight` has shape {cw.shape}, expected ({n_cls},), one per class")
        v.check_nonnegative(cw, "weight")
        arrays.append(cw)
    v.check_reduction(reduction)
    if ignore_index is not None:
        ignore_index = v.check_int(ignore_index, "ignore_index")
    y = v.as_label_array(target, "target", n_classes=n_cls, ignore_index=ignore_index)
    if y.shape != (x.shape[0],):
        raise ValueError(f"`target` has shape {y.shape}, expected ({x.shape[0]},)")
    ls = v.check_positive_number(label_smoothing := ls, "label_smoothing", allow_zero=True)
    if ls > 1:
        raise ValueError(f"`label_smoothing` is {label_smoothing!r}, expected a number in [0, 1]")
    return x, w, b, cw, y, ls, ignore_index, v.result_dtype(*arrays)


def _logits(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, lo: int, hi: int) -> np.ndarray:
    z: np.ndarray = x @ w[lo:hi].T
    if b is not None:
        z += b[lo:hi]
    return z


def _lce(
    input: ArrayLike,
    linear_weight: ArrayLike,
    target: ArrayLike,
    linear_bias: ArrayLike | None,
    weight: ArrayLike | None,
    reduction: str,
    ignore_index: int | None,
    ls: float,
    need: bool,
) -> tuple[Scalar | Losses, dict[str, np.ndarray] | None]:
    x, w, b, cw, y, ls, ignore_index, dtype = _prepare(
        input, linear_weight, target, linear_bias, weight, reduction, ignore_index, ls
    )
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    b = None if b is None else b.astype(dtype, copy=False)
    n, n_cls = x.shape[0], w.shape[0]
    keep = np.ones(n, bool) if ignore_index is None else y != ignore_index
    yk = np.where(keep, y, 0)
    cwf = np.ones(n_cls) if cw is None else cw.astype(np.float64)
    wy = np.where(keep, cwf[yk], 0.0)  # (N,) weight of each row's label, 0 if ignored
    if reduction == "mean" and not wy.sum() > 0:  # as cross_entropy: 0 / 0 is refused
        raise _zero_denominator(
            ignore_index, all_ignored=ignore_index is not None and not keep.any()
        )
    # Pass 1: online log-sum-exp over the vocabulary chunks, the label's logit and the
    # weighted sum of the logits (for label smoothing); everything per row, in float64.
    m = np.full(n, -np.inf)
    s = np.zeros(n)
    zy = np.zeros(n)
    zsum = np.zeros(n)
    for lo in range(0, n_cls, CHUNK):
        hi = min(lo + CHUNK, n_cls)
        z = _logits(x, w, b, lo, hi)
        m_new = np.maximum(m, z.max(axis=1))
        s = s * np.exp(m - m_new) + np.exp(z - m_new[:, None], dtype=np.float64).sum(axis=1)
        m = m_new
        inside = (yk >= lo) & (yk < hi)
        zy[inside] = z[inside, yk[inside] - lo]
        if ls:
            zsum += z @ cwf[lo:hi]
    lse = m + np.log(s)
    wsum = cwf.sum()
    loss = (1 - ls) * wy * (lse - zy)
    if ls:
        loss += np.where(keep, ls / n_cls * (wsum * lse - zsum), 0.0)
    value: Scalar | Losses
    if reduction == "mean":
        denom = wy.sum()
        scale = 1.0 / denom
        value = dtype.type(loss.sum() / denom)
    elif reduction == "sum":
        scale, value = 1.0, dtype.type(loss.sum())
    else:
        scale, value = 1.0, loss.astype(dtype)
    if not need:
        return value, None
    # Pass 2: the gradient of the logits, chunk by chunk, folded into the three gradients.
    coef = np.where(keep, (1 - ls) * wy + ls / n_cls * wsum, 0.0) * scale
    gx = np.zeros(x.shape, np.float64)
    gw = np.empty(w.shape, dtype)
    gb = np.empty(n_cls, dtype)
    for lo in range(0, n_cls, CHUNK):
        hi = min(lo + CHUNK, n_cls)
        z = _logits(x, w, b, lo, hi)
        g = np.exp(z - lse[:, None]) * coef[:, None]
        if ls:
            g -= np.outer(np.where(keep, scale * ls / n_cls, 0.0), cwf[lo:hi])
        inside = (yk >= lo) & (yk < hi) & keep
        rows = np.nonzero(inside)[0]
        g[rows, yk[rows] - lo] -= (1 - ls) * wy[rows] * scale
        g = g.astype(dtype, copy=False)
        gx += g @ w[lo:hi]
        gw[lo:hi] = g.T @ x
        gb[lo:hi] = g.sum(axis=0)
    return value, {"input": gx.astype(dtype), "linear_weight": gw, "linear_bias": gb}


@overload
def linear_cross_entropy(
    input: ArrayLike,
    linear_weight: ArrayLike,
    target: ArrayLike,
    *,
    linear_bias: ArrayLike | None = ...,
    weight: ArrayLike | None = ...,
    reduction: Literal["mean", "sum"] = ...,
    ignore_index: int | None = ...,
    label_smoothing: float = ...,
) -> Scalar: ...
@overload
def linear_cross_entropy(
    input: ArrayLike,
    linear_weight: ArrayLike,
    target: ArrayLike,
    *,
    linear_bias: ArrayLike | None = ...,
    weight: ArrayLike | None = ...,
    reduction: Literal["none"],
    ignore_index: int | None = ...,
    label_smoothing: float = ...,
) -> Losses: ...
@overload
def linear_cross_entropy(
    input: ArrayLike,
    linear_weight: ArrayLike,
    target: ArrayLike,
    *,
    linear_bias: ArrayLike | None = ...,
    weight: ArrayLike | None = ...,
    reduction: Reduction,
    ignore_index: int | None = ...,
    label_smoothing: float = ...,
) -> Scalar | Losses: ...
def linear_cross_entropy(
    input: ArrayLike,
    linear_weight: ArrayLike,
    target: ArrayLike,
    *,
    linear_bias: ArrayLike | None = None,
    weight: ArrayLike | None = None,
    reduction: Reduction = "mean",
    ignore_index: int | None = None,
    label_smoothing: float = 0.0,
) -> Scalar | Losses:
    r"""``cross_entropy(input @ linear_weight.T + linear_bias, target)``, in vocabulary chunks.

    With logits :math:`z_i = W x_i + b` over :math:`V` classes, class weights :math:`w` and
    smoothing :math:`\varepsilon`, each row's loss is
    :math:`(1-\varepsilon)\,w_{y_i}(\operatorname{lse}(z_i) - z_{i y_i}) +
    \frac{\varepsilon}{V}\sum_c w_c(\operatorname{lse}(z_i) - z_{ic})`, as in
    :func:`losslab.cross_entropy`. The logits are computed ``CHUNK`` columns at a time with
    an online log-sum-exp; the backward pass recomputes them chunk by chunk, so the
    :math:`N \times V` matrix never exists.

    Parameters
    ----------
    input : array_like
        Hidden states, shape ``(N, D)``.
    linear_weight : array_like
        The output layer's weight, shape ``(V, D)``.
    target : array_like of int
        Class labels in ``[0, V-1]`` (or ``ignore_index``), shape ``(N,)``.
    linear_bias : array_like, optional
        The output layer's bias, shape ``(V,)``.
    weight : array_like, optional
        Non-negative class weights, shape ``(V,)``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        'mean' divides by the sum of the weights of the counted labels.
    ignore_index : int, optional
        Label whose rows count for nothing (PyTorch 2.13's default here is None too).
    label_smoothing : float, default 0.0
        :math:`\varepsilon \in [0, 1]`.

    Returns
    -------
    numpy scalar or ndarray
        The loss; shape ``(N,)`` for ``reduction='none'``.

    Shape
    -----
    * ``input``: ``(N, D)``.
    * ``linear_weight``: ``(V, D)``.
    * ``target``: ``(N,)``.
    * ``linear_bias``, ``weight``: ``(V,)``.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``;
      ``(N,)`` for ``reduction='none'``.

    Raises
    ------
    ValueError
        For wrong shapes, labels out of range, negative weights, ``label_smoothing`` outside
        [0, 1], empty or non-finite input, or an unknown ``reduction``.
    TypeError
        For non-integer labels or ``ignore_index``, or bool, complex, object or string arrays.

    Notes
    -----
    Extra memory is about :math:`N \times` ``CHUNK`` logits plus :math:`O(N)` per-row
    statistics, instead of :math:`N \times V`. ``losslab.grad(linear_cross_entropy)``
    differentiates with respect to ``input``.

    Conventions
    -----------
    * PyTorch ``F.linear_cross_entropy`` (2.13): the same keyword-only options; its
      ``options`` argument (backend tuning) is not copied.
    * Naive ``cross_entropy(input @ linear_weight.T, target)`` gives the same values, with the
      full logits in memory.

    Examples
    --------
    >>> import numpy as np
    >>> import losslab
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> W = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> a = losslab.linear_cross_entropy(x, W, [0, 2])
    >>> b = losslab.cross_entropy(x @ W.T, [0, 2])
    >>> print(bool(np.isclose(a, b)))
    True
    """
    return _lce(
        input,
        linear_weight,
        target,
        linear_bias,
        weight,
        reduction,
        ignore_index,
        label_smoothing,
        False,
    )[0]


def _vg(
    wrt: str,
    input: ArrayLike,
    linear_weight: ArrayLike,
    target: ArrayLike,
    linear_bias: ArrayLike | None,
    weight: ArrayLike | None,
    reduction: str,
    ignore_index: int | None,
    label_smoothing: float,
) -> tuple[Scalar | Losses, np.ndarray]:
    value, grads = _lce(
        input,
        linear_weight,
        target,
        linear_bias,
        weight,
        reduction,
        ignore_index,
        label_smoothing,
        True,
    )
    assert grads is not None  # asked for
    return value, grads[wrt]


for _wrt in ("input", "linear_weight", "linear_bias"):
    _registry.register(linear_cross_entropy, wrt=_wrt, value_and_grad=functools.partial(_vg, _wrt))
