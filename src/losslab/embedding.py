r"""Losses on pairs and triplets of embeddings: PyTorch's ``cosine_embedding_loss``,
``margin_ranking_loss``, ``triplet_margin_loss`` and ``triplet_margin_with_distance_loss``.

Each takes two or three data arrays; ``losslab.grad(fn, wrt=name)`` differentiates with
respect to any of them (the first by default).
"""

from __future__ import annotations

import functools
import numbers
from collections.abc import Callable
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _registry
from . import _validation as v
from ._types import FloatDType, Losses, Reduction, Scalar

__all__ = [
    "cosine_embedding_loss",
    "margin_ranking_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
]

#: PyTorch's constant in the cosine's denominator (``cosine_embedding_loss``).
COS_EPS = 1e-12


def _real(x: Any, name: str) -> float:
    if v.is_bool(x) or not isinstance(x, numbers.Real):
        raise TypeError(f"`{name}` is {x!r}, expected a real number")
    if not np.isfinite(float(x)):
        raise ValueError(f"`{name}` is {x!r}, expected a finite number")
    return float(x)


#: A loss value and its gradients (one per array argument, in order).
_Result = tuple[Scalar | Losses, list[np.ndarray]]
#: ``dist(a, b) -> (distances, gradient w.r.t. a)``.
_Distance = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _arrays(
    names: tuple[str, ...], values: tuple[ArrayLike, ...], reduction: str
) -> tuple[list[np.ndarray], FloatDType]:
    arrs = [v.as_float_array(a, n) for a, n in zip(values, names, strict=True)]
    for a, n in zip(arrs[1:], names[1:], strict=True):
        v.check_same_shape(arrs[0], a, names[0], n)
    v.check_reduction(reduction)
    dtype = v.result_dtype(*arrs)
    return [a.astype(np.float64) for a in arrs], dtype


def _signs(target: ArrayLike, shape: tuple[int, ...], dtype: FloatDType) -> np.ndarray:
    t = v.as_float_array(target, "target", int_as=np.float64).astype(np.float64)
    if t.shape != shape:
        raise ValueError(f"`target` has shape {t.shape}, expected {shape}")
    if (np.abs(t) != 1).any():
        raise ValueError("`target` contains a value other than -1 or 1, expected labels -1 or 1")
    return t


def _reduce(
    loss: np.ndarray, grads: list[np.ndarray], reduction: str, dtype: FloatDType
) -> _Result:
    value: Scalar | Losses
    # float64 results beyond float32's range (a margin or eps beyond it) round to inf, as in
    # PyTorch, with no warning
    with np.errstate(over="ignore"):
        if reduction == "mean":
            grads = [g / loss.size for g in grads]
            value = dtype.type(loss.mean())
        elif reduction == "sum":
            value = dtype.type(loss.sum())
        else:
            value = loss.astype(dtype) if loss.ndim else dtype.type(loss)
        return value, [g.astype(dtype) for g in grads]


# ------------------------------------------------------------------------- margin_ranking_loss


def _ranking(
    input1: ArrayLike, input2: ArrayLike, target: ArrayLike, margin: float, reduction: str
) -> _Result:
    margin = _real(margin, "margin")
    (x1, x2), dtype = _arrays(("input1", "input2"), (input1, input2), reduction)
    y = _signs(target, x1.shape, dtype)
    z = -y * (x1 - x2) + margin
    loss = np.maximum(z, 0.0)
    g1 = np.where(z >= 0, -y, 0.0)  # PyTorch's clamp_min passes the gradient at z = 0
    return _reduce(loss, [g1, -g1], reduction, dtype)


@overload
def margin_ranking_loss(
    input1: ArrayLike,
    input2: ArrayLike,
    target: ArrayLike,
    *,
    margin: float = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def margin_ranking_loss(
    input1: ArrayLike,
    input2: ArrayLike,
    target: ArrayLike,
    *,
    margin: float = ...,
    reduction: Literal["none"],
) -> Losses: ...
def margin_ranking_loss(
    input1: ArrayLike,
    input2: ArrayLike,
    target: ArrayLike,
    *,
    margin: float = 0.0,
    reduction: Reduction = "mean",
) -> Scalar | Losses:
    r"""Ranking hinge :math:`\ell_i = \max(0, -y_i(x_{1i} - x_{2i}) + \mathrm{margin})`.

    ``target`` :math:`y_i = 1` says :math:`x_1` should rank higher, :math:`-1` lower.

    Parameters
    ----------
    input1, input2 : array_like
        Scores, same shape.
    target : array_like
        Labels :math:`\pm 1`, same shape.
    margin : float, default 0.0
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    numpy scalar or ndarray

    Shape
    -----
    * ``input1``: ``(*)``, any number of dimensions.
    * ``input2``, ``target``: ``(*)``, the same shape as ``input1``.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``;
      ``(*)``, the same shape as ``input1``, for ``reduction='none'``.

    Raises
    ------
    ValueError
        Shapes differ, a label is not ±1, non-finite input or unknown ``reduction``.
    TypeError
        Bool, complex, object or string arrays, or a non-number ``margin``.

    Conventions
    -----------
    PyTorch ``F.margin_ranking_loss``: identical; the gradient at the kink is PyTorch's
    (``clamp_min`` passes it at equality).

    Examples
    --------
    >>> import losslab
    >>> print(losslab.margin_ranking_loss([1.0, 0.0], [0.0, 1.0], [1, 1], reduction="none"))
    [0. 1.]
    """
    return _ranking(input1, input2, target, margin, reduction)[0]


# ----------------------------------------------------------------------- cosine_embedding_loss


def _cosine(
    input1: ArrayLike, input2: ArrayLike, target: ArrayLike, margin: float, reduction: str
) -> _Result:
    margin = _real(margin, "margin")
    (x1, x2), dtype = _arrays(("input1", "input2"), (input1, input2), reduction)
    if x1.ndim not in (1, 2):
        raise ValueError(f"`input1` has {x1.ndim} dimension(s), expected 2 (N, D) or 1 (D,)")
    y = _signs(target, x1.shape[:-1], dtype)
    with np.errstate(over="ignore", invalid="ignore"):  # rows out of range: _scaled_cosine
        dot = (x1 * x2).sum(-1)
        m1 = (x1 * x1).sum(-1) + COS_EPS
        m2 = (x2 * x2).sum(-1) + COS_EPS
        den = np.sqrt(m1 * m2)
        cos: np.ndarray = dot / den
        a1 = x2 / den[..., None] - (cos / m1)[..., None] * x1
        a2 = x1 / den[..., None] - (cos / m2)[..., None] * x2
    bad = ~(np.isfinite(den) & np.isfinite(a1).all(-1) & np.isfinite(a2).all(-1))
    if bad.any():
        cos, a1, a2 = _scaled_cosine(x1, x2, bad, cos, a1, a2)
    loss = np.where(y == 1, 1.0 - cos, np.maximum(cos - margin, 0.0))
    dl = np.where(y == 1, -1.0, np.where(cos - margin >= 0, 1.0, 0.0))[..., None]
    return _reduce(loss, [dl * a1, dl * a2], reduction, dtype)


def _scaled_cosine(x1: np.ndarray, x2: np.ndarray, bad: np.ndarray, cos: np.ndarray,
                   a1: np.ndarray,
                   a2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """The cosine and its derivatives on the rows ``bad`` where a square or a product of
    ``x1``, ``x2`` left the range: with ``u = x / s`` (``s`` the row's largest ``|x_i|``),
    ``m = |u|^2 + eps / s^2`` and ``r = sqrt(m1) sqrt(m2)``, ``cos = u1 . u2 / r`` and
    ``d cos / d x1 = (u2 / r - cos u1 / m1) / s1``."""
    s1 = np.abs(x1).max(-1, keepdims=True)
    s2 = np.abs(x2).max(-1, keepdims=True)
    s1, s2 = np.where(s1 > 0, s1, 1.0), np.where(s2 > 0, s2, 1.0)
    u1, u2 = x1 / s1, x2 / s2
    with np.errstate(over="ignore", under="ignore"):
        m1 = (u1 * u1).sum(-1, keepdims=True) + COS_EPS / s1**2
        m2 = (u2 * u2).sum(-1, keepdims=True) + COS_EPS / s2**2
        r = np.sqrt(m1) * np.sqrt(m2)
        c = (u1 * u2).sum(-1, keepdims=True) / r
        b1 = (u2 / r - c * u1 / m1) / s1
        b2 = (u1 / r - c * u2 / m2) / s2
    keep = bad[..., None]
    return np.where(bad, c[..., 0], cos), np.where(keep, b1, a1), np.where(keep, b2, a2)


@overload
def cosine_embedding_loss(
    input1: ArrayLike,
    input2: ArrayLike,
    target: ArrayLike,
    *,
    margin: float = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def cosine_embedding_loss(
    input1: ArrayLike,
    input2: ArrayLike,
    target: ArrayLike,
    *,
    margin: float = ...,
    reduction: Literal["none"],
) -> Losses: ...
def cosine_embedding_loss(
    input1: ArrayLike,
    input2: ArrayLike,
    target: ArrayLike,
    *,
    margin: float = 0.0,
    reduction: Reduction = "mean",
) -> Scalar | Losses:
    r"""Cosine embedding loss: :math:`1 - \cos(x_1, x_2)` for :math:`y = 1`,
    :math:`\max(0, \cos(x_1, x_2) - \mathrm{margin})` for :math:`y = -1`.

    :math:`\cos = x_1\cdot x_2 / \sqrt{(\lVert x_1\rVert^2 + \epsilon)(\lVert x_2\rVert^2 +
    \epsilon)}` with PyTorch's :math:`\epsilon = 10^{-12}`.

    Parameters
    ----------
    input1, input2 : array_like
        Embeddings, shape ``(N, D)`` or ``(D,)``.
    target : array_like
        Labels :math:`\pm 1`, shape ``(N,)`` or ``()``.
    margin : float, default 0.0
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    numpy scalar or ndarray

    Shape
    -----
    * ``input1``, ``input2``: ``(N, D)`` or ``(D,)``.
    * ``target``: ``(N,)`` or ``()``.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``;
      ``(N,)`` (``()`` for one pair) for ``reduction='none'``.

    Raises
    ------
    ValueError
        Wrong shapes, a label not ±1, non-finite input or unknown ``reduction``.
    TypeError
        Bool, complex, object or string arrays, or a non-number ``margin``.

    Conventions
    -----------
    PyTorch ``F.cosine_embedding_loss``: identical, including the :math:`\epsilon`.

    Examples
    --------
    >>> import losslab
    >>> print(losslab.cosine_embedding_loss([[1.0, 0.0]], [[0.0, 2.0]], [1]))
    1.0
    """
    return _cosine(input1, input2, target, margin, reduction)[0]


# ------------------------------------------------------------------------- triplet losses


def _pdist(a: np.ndarray, b: np.ndarray, p: float, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's ``pairwise_distance``: :math:`\\lVert a - b + \\epsilon\\rVert_p` and its
    gradient with respect to ``a`` (0 where the distance is 0).

    For ``p < 1`` the derivative :math:`\\operatorname{sign}(u_i)|u_i|^{p-1}` is infinite at
    :math:`u_i = 0`; the subgradient 0 is used there, as PyTorch's norm backward does
    (``self.abs().pow(p - 1).masked_fill(self == 0, 0)``)."""
    u = a - b + eps
    au = np.abs(u)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # out of range: below
        d: np.ndarray = (au**p).sum(-1) ** (1.0 / p)
        safe = np.where(d > 0, d, 1.0)
        pw = np.zeros_like(au)
        np.power(au, p - 1, out=pw, where=au > 0)  # 0 where u_i = 0 (no 0 ** negative)
        g = np.sign(u) * pw / safe[..., None] ** (p - 1)
    top: np.ndarray = au.max(axis=-1)
    redo = np.isfinite(top) & (top > 0) & ~(np.isfinite(d) & (d > 0) & np.isfinite(g).all(-1))
    if redo.any():  # scaled by the largest |u_i|: d = s (sum (|u|/s)^p)^(1/p), g = (|u|/d)^(p-1)
        s = np.where(redo, top, 1.0)[..., None]
        with np.errstate(over="ignore", under="ignore"):
            rescaled: np.ndarray = s[..., 0] * ((au / s) ** p).sum(-1) ** (1.0 / p)
            d = np.where(redo, rescaled, d)
            r = np.zeros_like(au)
            np.power(au / np.where(d > 0, d, 1.0)[..., None], p - 1, out=r, where=au > 0)
            g = np.where(redo[..., None], np.sign(u) * r, g)
    return d, np.where((d > 0)[..., None], g, 0.0)


def _triplet(anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike,
             dist: _Distance, margin: float, swap: object, reduction: str) -> _Result:  # fmt: skip
    margin = _real(margin, "margin")
    if not v.is_bool(swap):
        raise TypeError(f"`swap` is {swap!r}, expected a bool")
    names = ("anchor", "positive", "negative")
    (a, pos, neg), dtype = _arrays(names, (anchor, positive, negative), reduction)
    d_ap, ga_ap = dist(a, pos)
    d_an, ga_an = dist(a, neg)
    g_p_ap, g_n_an = -ga_ap, -ga_an
    g_p_pn = np.zeros_like(pos)
    if swap:
        d_pn, gp_pn = dist(pos, neg)
        use = d_pn < d_an
        d_an = np.where(use, d_pn, d_an)
        ga_an = np.where(use[..., None], 0.0, ga_an)
        g_n_an = np.where(use[..., None], -gp_pn, g_n_an)
        g_p_pn = np.where(use[..., None], gp_pn, 0.0)
    z = d_ap - d_an + margin
    loss = np.maximum(z, 0.0)
    on = (z >= 0)[..., None]
    ga = np.where(on, ga_ap - ga_an, 0.0)
    gp = np.where(on, g_p_ap - g_p_pn, 0.0)
    gn = np.where(on, -g_n_an, 0.0)
    return _reduce(loss, [ga, gp, gn], reduction, dtype)


@overload
def triplet_margin_loss(
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    *,
    margin: float = ...,
    p: float = ...,
    eps: float = ...,
    swap: bool = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def triplet_margin_loss(
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    *,
    margin: float = ...,
    p: float = ...,
    eps: float = ...,
    swap: bool = ...,
    reduction: Literal["none"],
) -> Losses: ...
def triplet_margin_loss(
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    *,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    reduction: Reduction = "mean",
) -> Scalar | Losses:
    r"""Triplet loss :math:`\max(d(a, p) - d(a, n) + \mathrm{margin}, 0)` with
    :math:`d(x, y) = \lVert x - y + \epsilon\rVert_p`.

    ``swap=True`` uses :math:`\min(d(a, n), d(p, n))` for the negative distance.

    Parameters
    ----------
    anchor, positive, negative : array_like
        Embeddings, shape ``(N, D)`` or ``(D,)``.
    margin : float, default 1.0
    p : float, default 2
        Norm degree, > 0.
    eps : float, default 1e-6
        Added to the difference, as in PyTorch's ``pairwise_distance``.
    swap : bool, default False
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    numpy scalar or ndarray

    Shape
    -----
    * ``anchor``, ``positive``, ``negative``: ``(N, D)`` or ``(D,)``.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``;
      ``(N,)`` (``()`` for one triplet) for ``reduction='none'``.

    Raises
    ------
    ValueError
        Shapes differ, ``p`` not > 0, non-finite input or unknown ``reduction``.
    TypeError
        Bool, complex, object or string arrays, non-number options, non-bool ``swap``.

    Conventions
    -----------
    PyTorch ``F.triplet_margin_loss``: identical values and gradients.

    Examples
    --------
    >>> import losslab
    >>> print(losslab.triplet_margin_loss([[0.0, 0.0]], [[3.0, 0.0]], [[0.0, 4.0]], eps=0.0))
    0.0
    """
    p = v.check_positive_number(p, "p")
    eps = _real(eps, "eps")
    dist = functools.partial(_pdist, p=p, eps=eps)
    return _triplet(anchor, positive, negative, dist, margin, swap, reduction)[0]


@overload
def triplet_margin_with_distance_loss(
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    *,
    distance_function: Callable[..., Any] | None = ...,
    margin: float = ...,
    swap: bool = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def triplet_margin_with_distance_loss(
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    *,
    distance_function: Callable[..., Any] | None = ...,
    margin: float = ...,
    swap: bool = ...,
    reduction: Literal["none"],
) -> Losses: ...
def triplet_margin_with_distance_loss(
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    *,
    distance_function: Callable[..., Any] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: Reduction = "mean",
) -> Scalar | Losses:
    r"""Triplet loss :math:`\max(d(a, p) - d(a, n) + \mathrm{margin}, 0)` with any distance.

    ``distance_function(x, y)`` returns one distance per row; None means PyTorch's
    ``pairwise_distance`` (:math:`p = 2`, :math:`\epsilon = 10^{-6}`). Gradients
    (``losslab.grad``) need the default distance.

    Parameters
    ----------
    anchor, positive, negative : array_like
        Embeddings, shape ``(N, D)`` or ``(D,)``.
    distance_function : callable, optional
    margin : float, default 1.0
    swap : bool, default False
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    numpy scalar or ndarray

    Shape
    -----
    * ``anchor``, ``positive``, ``negative``: ``(N, D)`` or ``(D,)``.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``;
      ``(N,)`` (``()`` for one triplet) for ``reduction='none'``.

    Raises
    ------
    ValueError
        As :func:`triplet_margin_loss`.
    TypeError
        As :func:`triplet_margin_loss`, or a ``distance_function`` that is not callable.

    Conventions
    -----------
    PyTorch ``F.triplet_margin_with_distance_loss``: identical, keyword-only options.

    Examples
    --------
    >>> import losslab
    >>> loss = losslab.triplet_margin_with_distance_loss([[0.0]], [[1.0]], [[1.5]], margin=1.0)
    >>> print(round(float(loss), 6))
    0.5
    """
    return _triplet_with(anchor, positive, negative, distance_function, margin, swap, reduction)[0]


def _triplet_with(anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike,
                  distance_function: Callable[[np.ndarray, np.ndarray], ArrayLike] | None,
                  margin: float, swap: object, reduction: str,
                  grad: bool = False) -> _Result:  # fmt: skip
    dist: _Distance
    if distance_function is None:
        dist = functools.partial(_pdist, p=2.0, eps=1e-6)
    elif not callable(distance_function):
        raise TypeError(f"`distance_function` is {distance_function!r}, expected a callable")
    elif grad:
        raise TypeError("`distance_function` must be None for gradients (the default distance)")
    else:

        def user_dist(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            d = np.asarray(distance_function(x, y), dtype=np.float64)
            return d, np.zeros_like(x)

        dist = user_dist

    return _triplet(anchor, positive, negative, dist, margin, swap, reduction)


def _register(fn: Callable[..., Any], core: Callable[..., _Result], names: tuple[str, ...]) -> None:
    for i, name in enumerate(names):

        def vg(*args: Any, _i: int = i, **kwargs: Any) -> tuple[Scalar | Losses, np.ndarray]:
            value, grads = core(*args, **kwargs)
            return value, grads[_i]

        _registry.register(fn, wrt=name, value_and_grad=vg)


def _ranking_core(input1: ArrayLike, input2: ArrayLike, target: ArrayLike,
                  margin: float = 0.0, reduction: str = "mean") -> _Result:  # fmt: skip
    return _ranking(input1, input2, target, margin, reduction)


def _cosine_core(input1: ArrayLike, input2: ArrayLike, target: ArrayLike,
                 margin: float = 0.0, reduction: str = "mean") -> _Result:  # fmt: skip
    return _cosine(input1, input2, target, margin, reduction)


def _triplet_core(anchor: ArrayLike, positive: ArrayLike, negative: ArrayLike,
                  margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                  swap: bool = False, reduction: str = "mean") -> _Result:  # fmt: skip
    p = v.check_positive_number(p, "p")
    dist = functools.partial(_pdist, p=p, eps=_real(eps, "eps"))
    return _triplet(anchor, positive, negative, dist, margin, swap, reduction)


def _triplet_with_core(
    anchor: ArrayLike,
    positive: ArrayLike,
    negative: ArrayLike,
    *,
    distance_function: Callable[[np.ndarray, np.ndarray], ArrayLike] | None = None,
    margin: float = 1.0,
    swap: bool = False,
    reduction: str = "mean",
) -> _Result:
    return _triplet_with(
        anchor, positive, negative, distance_function, margin, swap, reduction, grad=True
    )


_register(margin_ranking_loss, _ranking_core, ("input1", "input2"))
_register(cosine_embedding_loss, _cosine_core, ("input1", "input2"))
_register(triplet_margin_loss, _triplet_core, ("anchor", "positive", "negative"))
_register(triplet_margin_with_distance_loss, _triplet_with_core, ("anchor", "positive", "negative"))
