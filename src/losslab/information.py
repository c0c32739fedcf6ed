r"""Entropy, Kullback-Leibler divergence and cross-entropy of discrete distributions.

All three take probability distributions along ``axis`` and an explicit log ``base`` (``None``
means the natural log, i.e. nats, as in :func:`scipy.stats.entropy`; ``base=2`` gives bits). The
convention :math:`0 \log 0 = 0` is applied exactly, without warnings or NaN.

**Input check.** Each distribution must have values in :math:`[0, 1]` that sum to 1 along ``axis``
within :math:`10^{-6}` (a little more for very long vectors: :math:`8 n \varepsilon_{32}`, so that a
distribution stored in float32 passes in either dtype). Unlike SciPy, nothing is renormalised:
an input that does not sum to 1 is a mistake and raises ``ValueError``.

**Zero probabilities in q.** Where :math:`q_i = 0` but :math:`p_i > 0`, the divergence and the
cross-entropy are :math:`+\infty`. That is the mathematically correct value (``q`` says impossible
what ``p`` says happens), and it is returned as ``inf`` without a warning, as SciPy does. Where both
are 0 the term is 0.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _registry
from . import _validation as v

__all__ = ["cross_entropy_pq", "entropy", "kl_divergence"]


def _check_base(base: Any) -> float | None:
    if base is None:
        return None
    if v.is_bool(base) or not isinstance(base, numbers.Real):
        raise TypeError(f"`base` is {base!r}, expected a real number (a logarithm base > 1)")
    value = float(base)
    if not np.isfinite(value) or value <= 1.0:
        # A base below 1 flips the sign of every measure (and of their infinite limits):
        # it measures nothing useful, so it is refused rather than silently supported.
        raise ValueError(
            f"`base` is {base!r}, expected a finite logarithm base > 1 (2, e, 10) or None"
        )
    return value


def _log(x: np.ndarray, base: float | None) -> np.ndarray:
    """Logarithm in ``base`` of a positive array, with the exact NumPy function for 2 and 10."""
    out: np.ndarray
    if base is None or base == math.e:
        out = np.log(x)
    elif base == 2.0:
        out = np.log2(x)
    elif base == 10.0:
        out = np.log10(x)
    else:
        out = np.log(x) / x.dtype.type(math.log(base))
    return out


def _ln_base(base: float | None, dtype: np.dtype[np.floating[Any]]) -> np.floating[Any]:
    return dtype.type(1.0 if base is None else math.log(base))


def _one(name: str, x: ArrayLike, axis: Any) -> tuple[np.ndarray, int]:
    raw = v.to_array(x, name)
    arr = v.as_float_array(raw, name, min_ndim=1)
    ax = v.check_axis(axis, arr.ndim, name)
    v.check_distribution(arr, name, axis=ax, stored=raw.dtype)
    return arr, ax


def _two(p: ArrayLike, q: ArrayLike, axis: Any) -> tuple[np.ndarray, np.ndarray, int]:
    raw_p, raw_q = v.to_array(p, "p"), v.to_array(q, "q")
    pp = v.as_float_array(raw_p, "p", min_ndim=1)
    qq = v.as_float_array(raw_q, "q", min_ndim=1, int_as=pp.dtype)
    v.check_same_shape(pp, qq, "p", "q")
    ax = v.check_axis(axis, pp.ndim, "p")
    v.check_distribution(pp, "p", axis=ax, stored=raw_p.dtype)
    v.check_distribution(qq, "q", axis=ax, stored=raw_q.dtype)
    dtype = v.result_dtype(pp, qq)
    return pp.astype(dtype, copy=False), qq.astype(dtype, copy=False), ax


def _safe_log(x: np.ndarray, base: float | None) -> np.ndarray:
    """log(x) where x > 0 and 0 elsewhere (the caller masks those entries)."""
    return _log(np.where(x > 0, x, 1), base)


def _sum(terms: np.ndarray, axis: int) -> Any:
    out = np.sum(terms, axis=axis)
    return out if v.is_array(out) and out.ndim else terms.dtype.type(out)


def entropy(p: ArrayLike, base: float | None = None, axis: int = -1) -> Any:
    r"""Shannon entropy :math:`H(p)` of a discrete distribution.

    .. math::
        :formula: entropy value -

        H(p) = -\sum_i p_i \log_b p_i, \qquad 0 \log 0 = 0

    Parameters
    ----------
    p : array_like
        Probabilities, at least 1-D, summing to 1 along ``axis``.
    base : float, optional
        Logarithm base :math:`b > 1`; ``None`` (default) is the natural log (nats), ``2``
        gives bits.
    axis : int, default -1
        Axis of the distribution.

    Returns
    -------
    numpy scalar or ndarray
        :math:`H(p)`, with ``axis`` removed (a scalar for 1-D ``p``).

    Raises
    ------
    ValueError
        If ``p`` is not a distribution along ``axis`` (see the module notes for the tolerance), is
        empty or not finite, or ``base``/``axis`` is invalid.
    TypeError
        If ``p`` has a bool, complex, object or string dtype.

    Notes
    -----
    :math:`0 \le H(p) \le \log_b n` for :math:`n` outcomes: 0 for a one-hot ``p``, the maximum for
    the uniform one.

    Gradient (``losslab.grad(losslab.entropy)``, with respect to ``p``, each :math:`p_i` treated as
    a free variable, i.e. not projected onto the simplex):
    :math:`\partial H/\partial p_i = -(\ln p_i + 1)/\ln b`, which is :math:`+\infty` at
    :math:`p_i = 0`. For a 2-D ``p`` it is the gradient of the sum of the entropies.

    Conventions
    -----------
    * :func:`scipy.stats.entropy` (``pk`` only): same value and ``base`` argument, but SciPy
      *normalises* ``pk`` to sum 1 first; losslab raises instead.
    * PyTorch ``torch.distributions.Categorical(probs=p).entropy()``: nats, also normalises.
    * The TensorFlow article uses :math:`\log_2` (bits).

    Examples
    --------
    The TensorFlow article's two examples, in bits:

    >>> import losslab
    >>> print(losslab.entropy([0, 0, 0, 1], base=2))
    0.0
    >>> h = losslab.entropy([0.1, 0.1, 0.1, 0.7], base=2)
    >>> print(h)
    1.3567796494470394
    >>> print(round(h, 3))  # the article prints 1.356: truncated, not rounded
    1.357

    The same entropy in nats:

    >>> print(losslab.entropy([0.1, 0.1, 0.1, 0.7]))
    0.9404479886553264
    """
    b = _check_base(base)
    pp, ax = _one("p", p, axis)
    return _sum(-pp * _safe_log(pp, b), ax)


def _entropy_value_and_grad(p: ArrayLike, base: float | None, axis: int) -> tuple[Any, np.ndarray]:
    b = _check_base(base)
    pp, ax = _one("p", p, axis)
    logp = _safe_log(pp, b)
    value = _sum(-pp * logp, ax)
    ln_b = _ln_base(b, pp.dtype)
    grad: np.ndarray = np.where(pp > 0, -(logp + 1 / ln_b), pp.dtype.type(np.inf))
    return value, grad.astype(pp.dtype, copy=False)


def kl_divergence(p: ArrayLike, q: ArrayLike, base: float | None = None, axis: int = -1) -> Any:
    r"""Kullback-Leibler divergence :math:`D_{KL}(p \,\|\, q)` of ``q`` from ``p``.

    .. math::
        :formula: kl_divergence value -

        D_{KL}(p \,\|\, q) = \sum_i p_i \left(\log_b p_i - \log_b q_i\right),
        \qquad 0 \log \tfrac{0}{q_i} = 0

    Parameters
    ----------
    p : array_like
        The reference ("true") distribution, at least 1-D, summing to 1 along ``axis``.
    q : array_like
        The approximating (predicted) distribution, same shape as ``p``.
    base : float, optional
        Logarithm base :math:`b > 1`; ``None`` (default) is the natural log (nats), ``2``
        gives bits.
    axis : int, default -1
        Axis of the distributions.

    Returns
    -------
    numpy scalar or ndarray
        :math:`D_{KL} \ge 0`, with ``axis`` removed; ``inf`` where some :math:`q_i = 0 < p_i`.

    Raises
    ------
    ValueError
        If the shapes differ, ``p`` or ``q`` is not a distribution along ``axis``, an input is empty
        or not finite, or ``base``/``axis`` is invalid.
    TypeError
        If an input has a bool, complex, object or string dtype.

    Notes
    -----
    Computed as :math:`\sum_i p_i(\log p_i - \log q_i)` over the entries with :math:`p_i > 0`, so
    that :math:`D_{KL}(p\|q) = H(p, q) - H(p)` holds term by term (:func:`cross_entropy_pq`,
    :func:`entropy`). Not symmetric in ``p`` and ``q``.

    Gradient with respect to ``q`` (``losslab.grad(losslab.kl_divergence)``):
    :math:`\partial D/\partial q_i = -p_i / (q_i \ln b)`; ``-inf`` where :math:`q_i = 0 < p_i`,
    0 where :math:`p_i = 0`.

    Conventions
    -----------
    * :func:`scipy.stats.entropy` ``(pk, qk)`` and ``scipy.special.rel_entr``: same argument order
      and value (``entropy`` normalises both inputs first; losslab raises instead).
    * PyTorch ``F.kl_div(input, target)`` / :func:`losslab.kl_div`: the *other* order and
      log-probabilities: ``kl_div(log q, p)`` is :math:`D_{KL}(p\|q)` per element, reduced.
    * Keras ``KLDivergence(y_true, y_pred)``: same order, natural log, but clips both inputs to
      :math:`[10^{-7}, 1]`, so a zero in ``q`` gives a large finite number instead of ``inf``.

    Examples
    --------
    The TensorFlow article's example: its number is in nats; in bits it would be 0.515.

    >>> import losslab
    >>> p, q = [0, 0, 0, 1], [0.1, 0.1, 0.1, 0.7]
    >>> print(losslab.kl_divergence(p, q))
    0.35667494393873245
    >>> print(losslab.kl_divergence(p, q, base=2))
    0.5145731728297583
    >>> print(losslab.kl_divergence(q, p))  # q puts mass where p has none
    inf
    """
    b = _check_base(base)
    pp, qq, ax = _two(p, q, axis)
    return _sum(_kl_terms(pp, qq, b), ax)


def _kl_terms(pp: np.ndarray, qq: np.ndarray, b: float | None) -> np.ndarray:
    pos = pp > 0
    terms = pp * (_safe_log(pp, b) - _safe_log(qq, b))
    return np.where(pos & (qq == 0), pp.dtype.type(np.inf), np.where(pos, terms, 0))


def _q_grad(pp: np.ndarray, qq: np.ndarray, b: float | None) -> np.ndarray:
    ln_b = _ln_base(b, pp.dtype)
    safe_q = np.where(qq > 0, qq, 1)
    # (p / q) / ln b: q ln b would round a subnormal q (to 0 for b < e); where p / q
    # overflows, (p / ln b) / q may not (ln b > 1); beyond the range the gradient is -inf.
    with np.errstate(over="ignore", under="ignore"):
        ratio: np.ndarray = (pp / safe_q) / ln_b
        ratio = np.where(np.isfinite(ratio), ratio, (pp / ln_b) / safe_q)
    g = np.where(pp > 0, -ratio, 0)
    g = np.where((pp > 0) & (qq == 0), pp.dtype.type(-np.inf), g)
    return g.astype(pp.dtype, copy=False)


def _kl_divergence_value_and_grad(
    p: ArrayLike, q: ArrayLike, base: float | None, axis: int
) -> tuple[Any, np.ndarray]:
    b = _check_base(base)
    pp, qq, ax = _two(p, q, axis)
    return _sum(_kl_terms(pp, qq, b), ax), _q_grad(pp, qq, b)


def cross_entropy_pq(p: ArrayLike, q: ArrayLike, base: float | None = None, axis: int = -1) -> Any:
    r"""Cross-entropy :math:`H(p, q)` of the distribution ``q`` relative to ``p``.

    .. math::
        :formula: cross_entropy_pq value|- -

        H(p, q) = -\sum_i p_i \log_b q_i = H(p) + D_{KL}(p \,\|\, q),
        \qquad 0 \log q_i = 0 \text{ when } p_i = 0

    Parameters
    ----------
    p : array_like
        The reference ("true") distribution, at least 1-D, summing to 1 along ``axis``; a one-hot
        label is the usual case.
    q : array_like
        The predicted distribution, same shape as ``p``.
    base : float, optional
        Logarithm base :math:`b > 1`; ``None`` (default) is the natural log (nats), ``2``
        gives bits.
    axis : int, default -1
        Axis of the distributions.

    Returns
    -------
    numpy scalar or ndarray
        :math:`H(p, q)`, with ``axis`` removed (one value per row for a 2-D input, no batch mean);
        ``inf`` where some :math:`q_i = 0 < p_i`.

    Raises
    ------
    ValueError
        If the shapes differ, ``p`` or ``q`` is not a distribution along ``axis``, an input is empty
        or not finite, or ``base``/``axis`` is invalid.
    TypeError
        If an input has a bool, complex, object or string dtype.

    Notes
    -----
    For a one-hot ``p`` with class :math:`c`, :math:`H(p) = 0` and
    :math:`H(p, q) = D_{KL}(p\|q) = -\log q_c`, which falls as :math:`q_c` grows. The TensorFlow
    article writes this quantity :math:`H(p\|q)`; the usual notation is :math:`H(p, q)`,
    keeping :math:`\|` for the divergence.

    Gradient with respect to ``q`` (``losslab.grad(losslab.cross_entropy_pq)``):
    :math:`-p_i / (q_i \ln b)`, the same as the divergence's since :math:`H(p)` does not depend on
    ``q``.

    Conventions
    -----------
    * Keras ``categorical_crossentropy(y_true, y_pred)`` (``from_logits=False``): natural log, one
      value per row, but it rescales each row of ``y_pred`` to sum 1 and clips to
      :math:`[10^{-7}, 1-10^{-7}]`; losslab rejects rows that are not distributions and does not
      clip.
    * scikit-learn ``log_loss(y_true, y_proba)`` (``y_pred`` before 1.9): the batch mean of these
      values in nats, with clipping.
    * PyTorch ``F.cross_entropy`` / :func:`losslab.cross_entropy` take *logits* (and probability
      targets since PyTorch 1.10); :func:`losslab.book.cross_entropy_error` adds
      :math:`\delta = 10^{-7}`.

    Examples
    --------
    The TensorFlow article's formula is in bits; its worked KL number (and Keras) are in nats:

    >>> import losslab
    >>> p, q = [0, 0, 0, 1], [0.1, 0.1, 0.1, 0.7]
    >>> print(losslab.cross_entropy_pq(p, q, base=2))
    0.5145731728297583
    >>> print(losslab.cross_entropy_pq(p, q))
    0.35667494393873245

    The TensorFlow article's Keras example, one value per row (natural log):

    >>> y_true = [[0, 0, 0, 1], [0, 1, 0, 0]]
    >>> y_pred = [[0.1, 0.1, 0.1, 0.7], [0.1, 0.6, 0.1, 0.2]]
    >>> print(losslab.cross_entropy_pq(y_true, y_pred))
    [0.35667494 0.51082562]

    The decomposition :math:`H(p, q) = H(p) + D_{KL}(p\|q)` on a soft ``p``, in bits and in nats:

    >>> p, q = [0.1, 0.1, 0.1, 0.7], [0.25, 0.25, 0.25, 0.25]
    >>> h = losslab.entropy(p, base=2)
    >>> kl = losslab.kl_divergence(p, q, base=2)
    >>> ce = losslab.cross_entropy_pq(p, q, base=2)
    >>> print(h, kl, ce)
    1.3567796494470394 0.6432203505529603 2.0
    >>> print(abs(h + kl - ce) < 1e-15)
    True
    >>> p, q = [0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]
    >>> h, kl, ce = losslab.entropy(p), losslab.kl_divergence(p, q), losslab.cross_entropy_pq(p, q)
    >>> print(h, kl, ce)
    1.2798542258336676 0.4564348191467835 1.7362890449804511
    >>> print(abs(h + kl - ce) < 1e-15)
    True
    """
    b = _check_base(base)
    pp, qq, ax = _two(p, q, axis)
    return _sum(_ce_terms(pp, qq, b), ax)


def _ce_terms(pp: np.ndarray, qq: np.ndarray, b: float | None) -> np.ndarray:
    pos = pp > 0
    terms = -pp * _safe_log(qq, b)
    return np.where(pos & (qq == 0), pp.dtype.type(np.inf), np.where(pos, terms, 0))


def _cross_entropy_pq_value_and_grad(
    p: ArrayLike, q: ArrayLike, base: float | None, axis: int
) -> tuple[Any, np.ndarray]:
    b = _check_base(base)
    pp, qq, ax = _two(p, q, axis)
    return _sum(_ce_terms(pp, qq, b), ax), _q_grad(pp, qq, b)


_registry.register(entropy, wrt="p", value_and_grad=_entropy_value_and_grad)
_registry.register(kl_divergence, wrt="q", value_and_grad=_kl_divergence_value_and_grad)
_registry.register(cross_entropy_pq, wrt="q", value_and_grad=_cross_entropy_pq_value_and_grad)
