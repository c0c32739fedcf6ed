r"""Multi-label losses: PyTorch's ``multilabel_margin_loss`` (hinge, targets as a padded list
of class indices) and ``multilabel_soft_margin_loss`` (logistic, targets as a 0/1 row)."""

from __future__ import annotations

import math
from functools import partial
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _elementwise as e
from . import _registry
from . import _validation as v
from ._reduction import sum_terms
from ._types import Losses, Reduction, Scalar

__all__ = ["multilabel_margin_loss", "multilabel_soft_margin_loss"]

#: Rows of (N, C, C) hinge terms evaluated at a time by multilabel_margin_loss.
_CHUNK_ELEMENTS = 1 << 22


def _scores(input: Any) -> np.ndarray:
    x = v.as_float_array(input, "input", allow_nonfinite=True)  # values checked later
    if x.ndim not in (1, 2):
        raise ValueError(f"`input` has {x.ndim} dimension(s), expected 2 (N, C) or 1 (C,)")
    return x


def _reduce_rows(
    loss: np.ndarray, grad: np.ndarray, reduction: str, single: bool, dtype: np.dtype
) -> tuple[Any, np.ndarray]:
    """Reduce per-row losses (shape (N,)); ``grad`` is that of their sum. A 'mean' within the
    range is finite; a loss beyond the dtype's range is inf, without a RuntimeWarning."""
    if reduction == "none":
        with np.errstate(over="ignore"):
            value: Any = dtype.type(loss[0]) if single else loss.astype(dtype)
    else:
        value = sum_terms(loss, reduction, loss.size, dtype)
        if reduction == "mean":
            grad = grad / loss.size
    return value, (grad[0] if single else grad).astype(dtype)


# ---------------------------------------------------------------------- multilabel_margin_loss


def _label_lists(target: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Integer targets of ``shape``, each row a list of classes ended by -1 (or by the row's
    end); their values are checked by :func:`_check_label_lists`."""
    t = v.as_label_array(target, "target")
    if t.shape != shape:
        raise ValueError(f"`target` has shape {t.shape}, expected {shape} like `input`")
    return t


def _check_label_lists(t: np.ndarray, c: int) -> None:
    """Every entry, also after the first -1, must be a class or -1 (PyTorch's check)."""
    if t.size and (t.min() < -1 or t.max() >= c):
        bad = t[(t < -1) | (t >= c)].flat[0]
        raise ValueError(
            f"`target` contains {int(bad)}, expected class indices in [0, {c - 1}] padded with -1"
        )


def _margin_rows(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row losses and the gradient of their sum, for (N, C) float64 scores ``x``."""
    n, c = int(x.shape[0]), int(x.shape[1])
    labelled: np.ndarray = t != -1
    listed = np.cumprod(labelled, axis=1).astype(bool)  # entries before the first -1
    count = np.zeros((n, c))  # how often each class is listed (a repeat counts twice)
    rows = np.broadcast_to(np.arange(n)[:, None], t.shape)
    np.add.at(count, (rows[listed], t[listed]), 1.0)
    others = (count == 0).astype(np.float64)  # the classes not listed
    with np.errstate(over="ignore", invalid="ignore"):
        loss, grad = _margin_terms(x, count, others)
        bad = ~np.isfinite(loss)
        if bad.any():
            # Finite scores whose hinge terms or row sum overflow: the same sums over scores
            # scaled by a power of two (exact), scaled back (inf only beyond the range).
            scale = 2.0 ** -(2 + 2 * math.ceil(math.log2(c)))
            scaled = _margin_terms(x[bad] * scale, count[bad], others[bad])[0]
            loss[bad] = scaled / scale
    return loss, grad


def _margin_terms(
    x: np.ndarray, count: np.ndarray, others: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_margin_rows` given the listed counts and the 0/1 unlisted mask."""
    n, c = x.shape
    loss = np.empty(n)
    grad = np.empty((n, c))
    if c * c > _CHUNK_ELEMENTS:  # a C x C block per row would not fit: O(C log C) per row
        for i in range(n):
            loss[i], grad[i] = _margin_row_sorted(x[i], count[i])
        return loss, grad
    step = max(1, _CHUNK_ELEMENTS // max(1, c * c))
    for s in range(0, n, step):
        sl = slice(s, s + step)
        z = 1.0 - x[sl, :, None] + x[sl, None, :]  # z[n, j, d]: listed j against class d
        w = count[sl, :, None] * others[sl, None, :]
        active = np.where(z > 0, w, 0.0)  # PyTorch's strict z > 0: gradient 0 at the kink
        loss[sl] = np.where(active > 0, active * z, 0.0).sum(axis=(1, 2)) / c
        grad[sl] = (active.sum(axis=1) - active.sum(axis=2)) / c
    return loss, grad


def _margin_row_sorted(x: np.ndarray, count: np.ndarray) -> tuple[float, np.ndarray]:
    """One row's loss and gradient without its C x C hinge terms.

    For a listed class j the active unlisted classes are those with x_d > x_j - 1 (exactly
    the z_jd = (1 - x_j) + x_d > 0 of the direct sum): with the unlisted scores u sorted they
    are a suffix u[k:], found by a binary search. Its m terms add up to
    m (1 - x_j + u_k) + D_k with D_k = sum_{d >= k} (u_d - u_k), and D comes from a reverse
    cumulative sum of the non-negative gaps u_{i+1} - u_i, each weighted by the number of
    scores above it: every addend is >= 0, so nothing cancels and the sum is as accurate as
    the direct one whatever the spread of the scores. An unlisted class d is active for the
    listed classes with x_j - 1 < x_d (their counts, by the same search)."""
    c = x.size
    listed = count > 0
    u = np.sort(x[~listed])
    n = u.size
    above = np.arange(n - 1, 0, -1, dtype=np.float64)  # scores above gap i: n - 1 - i
    gaps = np.diff(u) * above
    spread = np.zeros(n + 1)  # spread[k] = D_k; spread[n] = 0 (no active class)
    spread[: n - 1] = np.cumsum(gaps[::-1])[::-1]
    xj, cj = x[listed], count[listed]
    k = np.searchsorted(u, xj - 1.0, side="right")
    m = n - k
    first = (1.0 - xj) + u[np.minimum(k, n - 1)] if n else np.zeros(xj.size)
    terms = np.where(m > 0, m * first + spread[k], 0.0)
    total = float((cj * terms).sum()) / c
    grad = np.zeros(c)
    grad[listed] = -cj * m / c
    order = np.argsort(xj)
    weights = np.concatenate([[0.0], np.cumsum(cj[order])])
    shifted = xj[order] - 1.0  # x_d is active against j when x_j - 1 < x_d
    grad[~listed] = weights[np.searchsorted(shifted, x[~listed], side="left")] / c
    return total, grad


def _multilabel_margin(input: Any, target: Any, reduction: Any) -> tuple[Any, np.ndarray]:
    x = _scores(input)
    t = _label_lists(target, x.shape)
    v.check_reduction(reduction)
    v.check_finite(x, "input")
    _check_label_lists(t, x.shape[-1])
    dtype = v.result_dtype(x)
    single = x.ndim == 1
    x2 = np.atleast_2d(x).astype(np.float64)
    loss, grad = _margin_rows(x2, np.atleast_2d(t))
    return _reduce_rows(loss, grad, reduction, single, dtype)


@overload
def multilabel_margin_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: Literal["mean", "sum"] = ...
) -> Scalar: ...
@overload
def multilabel_margin_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: Literal["none"]
) -> Losses: ...
@overload
def multilabel_margin_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: Reduction
) -> Scalar | Losses: ...
def multilabel_margin_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: Reduction = "mean"
) -> Scalar | Losses:
    r"""Multi-label hinge loss: every listed class should score at least 1 above every class
    that is not listed.

    For a row :math:`x` of :math:`C` scores whose target lists the classes :math:`J`,
    :math:`\ell = \frac1C \sum_{j \in J} \sum_{d \notin J} \max(0, 1 - (x_j - x_d))`; for
    instance, with :math:`C = 3` classes of which only the first is listed,

    .. math::
        :formula: multilabel_margin_loss listed_1

        \ell = \frac13 \bigl( \max(0, 1 - x_1 + x_2) + \max(0, 1 - x_1 + x_3) \bigr)

    ``target`` has ``input``'s shape and holds class indices, **padded with -1**: the classes of
    a row are its entries up to the first -1, and entries after it are ignored (a row with
    no -1 lists all its entries). A class listed twice counts twice, as in PyTorch.

    Parameters
    ----------
    input : array_like
        Scores, shape ``(N, C)`` or ``(C,)``.
    target : array_like of int
        Class indices in :math:`[0, C-1]` or -1, same shape as ``input``.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        'mean' averages the row losses over :math:`N`.

    Returns
    -------
    numpy scalar or ndarray

    Shape
    -----
    * ``input``: ``(N, C)`` or ``(C,)``.
    * ``target``: the same shape as ``input``, integers.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``; ``(N,)`` (a
      scalar for one row) for ``reduction='none'``.

    Raises
    ------
    ValueError
        Shapes differ, a target entry is neither a class nor -1 (also after the first -1), an
        input is empty or not finite, or ``reduction`` is unknown.
    TypeError
        Bool, complex, object or string arrays, or float targets.

    Notes
    -----
    Gradient (``losslab.grad``): with :math:`z_{jd} = 1 - x_j + x_d` and
    :math:`a_{jd} = [z_{jd} > 0]`, :math:`\partial\ell/\partial x_d = \frac1C\sum_j a_{jd}` for
    an unlisted :math:`d` and :math:`-\frac1C\sum_d a_{jd}` for a listed :math:`j`; 0 at
    :math:`z = 0`, PyTorch's choice. The hinge terms are evaluated a block of rows at a time
    (:math:`C^2` per row); above 2048 classes a row is summed from its sorted scores instead
    (:math:`O(C \log C)` time, :math:`O(C)` memory), from non-negative terms only, so as
    accurately as the direct sum.

    Conventions
    -----------
    * PyTorch ``F.multilabel_margin_loss``: the same active pairs (:math:`z_{jd} > 0`
      decided on the same rounded :math:`(1 - x_j) + x_d`), hence the same gradients, and the
      same values up to the rounding of the sums, which are added in another order.
    * scikit-learn, Keras and optax have no loss of this form; the multi-label hinge of
      ``sklearn.metrics.hinge_loss`` is per class, not per pair.

    Examples
    --------
    >>> import losslab
    >>> x = [[0.5, 0.25, 1.0, 2.0]]
    >>> print(losslab.multilabel_margin_loss(x, [[3, 0, -1, 1]]))  # classes 3 and 0
    0.5625
    >>> print(losslab.multilabel_margin_loss(x, [[0, -1, 3, 1]]))  # class 0; 3, 1 ignored
    1.1875
    >>> print(losslab.grad(losslab.multilabel_margin_loss)(x, [[0, -1, 3, 1]]))
    [[-0.75  0.25  0.25  0.25]]
    """
    value: Scalar | Losses = _multilabel_margin(input, target, reduction)[0]
    return value


# ----------------------------------------------------------------- multilabel_soft_margin_loss


def _multilabel_soft(
    input: Any, target: Any, weight: Any, reduction: Any
) -> tuple[Any, np.ndarray]:
    x = _scores(input)
    pair = e.prepare(
        x,
        target,
        reduction,
        weight=weight,
        broadcast=True,
        check_target=partial(v.check_probabilities, name="target"),
    )
    dtype, w = pair.dtype, pair.weight
    xf = np.atleast_2d(pair.x).astype(np.float64)
    tf = np.atleast_2d(pair.t).astype(np.float64)
    c = xf.shape[1]
    # -[t log s(x) + (1 - t) log s(-x)] = softplus(x) - t x; its derivative s(x) - t.
    elem = np.logaddexp(0.0, xf) - tf * xf
    ez = np.exp(-np.abs(xf))  # sigmoid without overflow, to a few ulps on both sides
    sig = np.where(xf >= 0, 1.0 / (1.0 + ez), ez / (1.0 + ez))
    g = sig - tf
    if w is not None:
        wf = w.astype(np.float64).reshape(xf.shape)
        elem, g = elem * wf, g * wf
    with np.errstate(over="ignore"):
        rows = elem.sum(axis=1) / c
        bad = ~np.isfinite(rows)
        if bad.any():  # a row sum beyond the range whose mean over C may be within it
            rows[bad] = (elem[bad] / c).sum(axis=1)
    return _reduce_rows(rows, g / c, reduction, x.ndim == 1, dtype)


@overload
def multilabel_soft_margin_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def multilabel_soft_margin_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    reduction: Literal["none"],
) -> Losses: ...
@overload
def multilabel_soft_margin_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    reduction: Reduction,
) -> Scalar | Losses: ...
def multilabel_soft_margin_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    reduction: Reduction = "mean",
) -> Scalar | Losses:
    r"""Multi-label logistic loss: binary cross-entropy with logits per class, averaged over
    the :math:`C` classes of a row.

    :math:`\ell = \frac1C \sum_{c} w_c \ell_c` with

    .. math::
        :formula: multilabel_soft_margin_loss value

        \ell_c = t_c \log(1 + e^{-x_c}) + (1 - t_c) \log(1 + e^{x_c})

    that is :math:`-[t_c \log\sigma(x_c) + (1 - t_c)\log\sigma(-x_c)]`, computed as
    :math:`\operatorname{softplus}(x_c) - t_c x_c` (no overflow).

    Parameters
    ----------
    input : array_like
        Logits, shape ``(N, C)`` or ``(C,)``.
    target : array_like
        Labels :math:`t_c \in \{0, 1\}` (probabilities in :math:`[0, 1]` are accepted), same
        shape as ``input``.
    weight : array_like, optional
        Non-negative class weights :math:`w_c`, shape ``(C,)`` (or any shape that broadcasts to
        ``input``'s).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        'mean' averages the row losses over :math:`N`.

    Returns
    -------
    numpy scalar or ndarray

    Shape
    -----
    * ``input``: ``(N, C)`` or ``(C,)``.
    * ``target``: the same shape as ``input``.
    * ``weight``: ``(C,)``, or a shape that broadcasts to ``input``'s.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``; ``(N,)`` (a
      scalar for one row) for ``reduction='none'``.

    Raises
    ------
    ValueError
        Shapes differ, a target is outside :math:`[0, 1]`, a weight is negative, an input is
        empty or not finite, or ``reduction`` is unknown.
    TypeError
        Bool, complex, object or string arrays.

    Notes
    -----
    Gradient (``losslab.grad``): :math:`w_c(\sigma(x_c) - t_c)/C` per row (divided by
    :math:`N` for 'mean'). Since the row loss is a mean over classes, 'mean' equals
    ``binary_cross_entropy_with_logits(input, target, weight=...)`` with ``'mean'``.

    Conventions
    -----------
    * PyTorch ``F.multilabel_soft_margin_loss``: identical, including ``weight`` (the 'mean'
      divides by :math:`N C`, not by the total weight).
    * Keras ``BinaryCrossentropy(from_logits=True)``: the same element losses, averaged over the
      last axis then the batch: the same 'mean'.

    Examples
    --------
    >>> import losslab
    >>> print(losslab.multilabel_soft_margin_loss([0.5, -1.0], [1, 0]))
    0.39366933584916475
    >>> x, t = [[2.0, -1.0, 0.0]], [[1, 0, 1]]
    >>> print(losslab.multilabel_soft_margin_loss(x, t, weight=[1.0, 1.0, 0.0]))
    0.14672989952039853
    """
    value: Scalar | Losses = _multilabel_soft(input, target, weight, reduction)[0]
    return value


def _margin_core(input: Any, target: Any, reduction: Any = "mean") -> tuple[Any, np.ndarray]:
    return _multilabel_margin(input, target, reduction)


def _soft_core(
    input: Any, target: Any, weight: Any = None, reduction: Any = "mean"
) -> tuple[Any, np.ndarray]:
    return _multilabel_soft(input, target, weight, reduction)


_registry.register(multilabel_margin_loss, wrt="input", value_and_grad=_margin_core)
_registry.register(multilabel_soft_margin_loss, wrt="input", value_and_grad=partial(_soft_core))
