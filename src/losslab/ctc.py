r"""Connectionist temporal classification (CTC) loss, PyTorch's ``ctc_loss``.

Two implementations of the same forward-backward algorithm in log space:

* the readable one (:func:`ctc_alpha`, :func:`ctc_beta`, :func:`ctc_single`): one sequence, one
  time step and one position at a time, written like the recursions of Graves et al. (2006);
* the vectorised one (:func:`ctc_loss`): the whole batch and every position of the extended
  label sequence at once, looping over time only.

The tests check the second against the first, and both against PyTorch.
"""

from __future__ import annotations

import math
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _registry
from . import _validation as v
from ._ctc_batch import NEG_INF, _forward_backward, _gradient
from ._types import Losses, Reduction, Scalar, ValueAndGrad

__all__ = ["ctc_alpha", "ctc_beta", "ctc_loss", "ctc_single", "extend_labels"]


# ------------------------------------------------------------------------ the readable version


def extend_labels(labels: ArrayLike, blank: int = 0) -> list[int]:
    r"""The extended label sequence :math:`l'`: a blank before, between and after the labels.

    For labels :math:`l = (l_1, \ldots, l_S)`, :math:`l' = (b, l_1, b, l_2, \ldots, l_S, b)`
    has :math:`2S + 1` positions: even positions :math:`s` hold the blank :math:`b`, odd
    positions hold the labels.

    Parameters
    ----------
    labels : array_like of int
        The target labels, shape ``(S,)``: class indices >= 0, none equal to ``blank``.
    blank : int, default 0
        The blank class, >= 0.

    Returns
    -------
    list of int
        :math:`l'`, length :math:`2S + 1`.

    Raises
    ------
    TypeError
        If ``labels`` are not integers or ``blank`` is not an int.
    ValueError
        If ``labels`` is not 1-D, a label is negative or equals ``blank``, or ``blank`` < 0.

    Examples
    --------
    >>> import losslab.ctc
    >>> losslab.ctc.extend_labels([1, 1, 2], blank=0)
    [0, 1, 0, 1, 0, 2, 0]
    """
    return _extend(_check_labels(labels, blank, None), blank)


def _extend(labels: np.ndarray, blank: int) -> list[int]:
    out = [blank]
    for label in labels.tolist():
        out += [int(label), blank]
    return out


def _check_labels(labels: Any, blank: Any, n_cls: int | None) -> np.ndarray:
    """``labels`` as a 1-D int64 array of classes in ``[0, n_cls)`` other than ``blank``
    (``blank`` is checked here too)."""
    blank = v.check_int(blank, "blank")
    if n_cls is None and blank < 0:
        raise ValueError(f"`blank` is {blank}, expected a class >= 0")
    if n_cls is not None and not 0 <= blank < n_cls:
        raise ValueError(f"`blank` is {blank}, expected a class in [0, {n_cls - 1}]")
    if isinstance(labels, (list, tuple)) and not labels:
        y = np.zeros(0, np.int64)  # [] is float64 to NumPy; no labels is a valid target
    else:
        y = v.as_label_array(labels, "labels", n_classes=n_cls)
    if y.ndim != 1:
        raise ValueError(f"`labels` has {y.ndim} dimension(s), expected 1 (S,)")
    if y.size and y.min() < 0:
        raise ValueError(f"`labels` contains label {int(y.min())}, expected labels >= 0")
    if (y == blank).any():
        raise ValueError(f"`labels` contains the blank class {blank}, expected labels only")
    return y


def _check_single(log_probs: Any, labels: Any, blank: Any) -> tuple[np.ndarray, list[int], Any]:
    """``log_probs`` as float64 ``(T, C)``, the extended labels and the input's dtype."""
    x = v.as_float_array(log_probs, "log_probs")
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"`log_probs` has shape {x.shape}, expected (T, C) with T >= 1")
    y = _check_labels(labels, blank, x.shape[1])
    return x.astype(np.float64, copy=False), _extend(y, int(blank)), x.dtype


def _logaddexp(*terms: float) -> float:
    """:math:`\\log\\sum_i e^{a_i}` of a few floats, exact for ``-inf`` terms."""
    m = max(terms)
    if m == NEG_INF:
        return NEG_INF
    return m + math.log(sum(math.exp(a - m) for a in terms))


def _can_skip(ext: list[int], s: int) -> bool:
    """Whether a path may jump from position ``s - 2`` to ``s`` (skipping the blank between).

    Only onto a label (odd ``s``), and only when it differs from the previous label: two equal
    labels in a row need a blank between them, or they would merge into one.
    """
    return s >= 2 and s % 2 == 1 and ext[s] != ext[s - 2]


def ctc_alpha(log_probs: ArrayLike, labels: ArrayLike, blank: int = 0) -> np.ndarray:
    r"""Forward variables :math:`\log\alpha_t(s)` of one sequence, one step at a time.

    :math:`\alpha_t(s)` is the probability of all paths of the first :math:`t + 1` frames that
    end in position :math:`s` of the extended labels :math:`l'` (see :func:`extend_labels`),
    with :math:`y_t(k) = e^{\text{log\_probs}[t, k]}`:

    * start: :math:`\alpha_0(0) = y_0(b)`, :math:`\alpha_0(1) = y_0(l'_1)`, all other
      :math:`\alpha_0(s) = 0` (a path starts with a blank or with the first label);
    * step: :math:`\alpha_t(s) = \bigl(\alpha_{t-1}(s) + \alpha_{t-1}(s-1) +
      [\text{skip}]\,\alpha_{t-1}(s-2)\bigr)\,y_t(l'_s)`: stay, advance by one, or skip a blank
      between two different labels.

    Sums of probabilities become log-sum-exps of log-probabilities, so nothing underflows.

    Parameters
    ----------
    log_probs : array_like
        Log-probabilities of one sequence, shape ``(T, C)`` (its valid frames only).
    labels : array_like of int
        The target labels, shape ``(S,)``.
    blank : int, default 0
        The blank class.

    Returns
    -------
    ndarray
        :math:`\log\alpha`, shape ``(T, 2S + 1)``, in the dtype of ``log_probs`` (float32 stays
        float32; the recursion runs in float64).

    Raises
    ------
    TypeError
        If ``log_probs`` is not real, ``labels`` are not integers or ``blank`` is not an int.
    ValueError
        If ``log_probs`` is not ``(T, C)`` with ``T >= 1`` or not finite, ``blank`` is not in
        ``[0, C)``, or a label is not in ``[0, C)`` or equals ``blank``.

    Examples
    --------
    >>> import numpy as np
    >>> import losslab.ctc
    >>> lp = np.log([[0.5, 0.5], [0.5, 0.5]])
    >>> print(np.exp(losslab.ctc.ctc_alpha(lp, [1])))
    [[0.5  0.5  0.  ]
     [0.25 0.5  0.25]]
    """
    lp, ext, dtype = _check_single(log_probs, labels, blank)
    return _alpha(lp, ext).astype(dtype, copy=False)


def _alpha(lp: np.ndarray, ext: list[int]) -> np.ndarray:
    n_frames, n_pos = lp.shape[0], len(ext)
    alpha = np.full((n_frames, n_pos), NEG_INF)
    alpha[0, 0] = lp[0, ext[0]]
    if n_pos > 1:
        alpha[0, 1] = lp[0, ext[1]]
    for t in range(1, n_frames):
        for s in range(n_pos):
            stay = alpha[t - 1, s]
            advance = alpha[t - 1, s - 1] if s >= 1 else NEG_INF
            skip = alpha[t - 1, s - 2] if _can_skip(ext, s) else NEG_INF
            alpha[t, s] = _logaddexp(stay, advance, skip) + lp[t, ext[s]]
    return alpha


def ctc_beta(log_probs: ArrayLike, labels: ArrayLike, blank: int = 0) -> np.ndarray:
    r"""Backward variables :math:`\log\beta_t(s)` of one sequence, one step at a time.

    :math:`\beta_t(s)` is the probability of all paths of frames :math:`t, \ldots, T-1` that
    start in position :math:`s` at frame :math:`t` and end the sequence correctly (in the
    last label or the final blank). Like :math:`\alpha` it includes :math:`y_t(l'_s)`:

    * start: :math:`\beta_{T-1}(L-1) = y_{T-1}(b)`, :math:`\beta_{T-1}(L-2) = y_{T-1}(l'_{L-2})`
      with :math:`L = 2S + 1`, all other :math:`\beta_{T-1}(s) = 0`;
    * step: :math:`\beta_t(s) = \bigl(\beta_{t+1}(s) + \beta_{t+1}(s+1) +
      [\text{skip}]\,\beta_{t+1}(s+2)\bigr)\,y_t(l'_s)`, the skip allowed when :math:`s + 2`
      may be reached from :math:`s` in the forward direction.

    Parameters
    ----------
    log_probs : array_like
        Log-probabilities of one sequence, shape ``(T, C)``.
    labels : array_like of int
        The target labels, shape ``(S,)``.
    blank : int, default 0
        The blank class.

    Returns
    -------
    ndarray
        :math:`\log\beta`, shape ``(T, 2S + 1)``, in the dtype of ``log_probs`` (float32 stays
        float32; the recursion runs in float64).

    Raises
    ------
    TypeError
        If ``log_probs`` is not real, ``labels`` are not integers or ``blank`` is not an int.
    ValueError
        If ``log_probs`` is not ``(T, C)`` with ``T >= 1`` or not finite, ``blank`` is not in
        ``[0, C)``, or a label is not in ``[0, C)`` or equals ``blank``.

    Examples
    --------
    >>> import numpy as np
    >>> import losslab.ctc
    >>> lp = np.log([[0.5, 0.5], [0.5, 0.5]])
    >>> print(np.exp(losslab.ctc.ctc_beta(lp, [1])))
    [[0.25 0.5  0.25]
     [0.   0.5  0.5 ]]
    """
    lp, ext, dtype = _check_single(log_probs, labels, blank)
    return _beta(lp, ext).astype(dtype, copy=False)


def _beta(lp: np.ndarray, ext: list[int]) -> np.ndarray:
    n_frames, n_pos = lp.shape[0], len(ext)
    beta = np.full((n_frames, n_pos), NEG_INF)
    beta[-1, -1] = lp[-1, ext[-1]]
    if n_pos > 1:
        beta[-1, -2] = lp[-1, ext[-2]]
    for t in range(n_frames - 2, -1, -1):
        for s in range(n_pos):
            stay = beta[t + 1, s]
            advance = beta[t + 1, s + 1] if s + 1 < n_pos else NEG_INF
            skip = beta[t + 1, s + 2] if s + 2 < n_pos and _can_skip(ext, s + 2) else NEG_INF
            beta[t, s] = _logaddexp(stay, advance, skip) + lp[t, ext[s]]
    return beta


def ctc_single(log_probs: ArrayLike, labels: ArrayLike, blank: int = 0) -> tuple[float, np.ndarray]:
    r"""Loss :math:`-\log p(l \mid x)` of one sequence and PyTorch's gradient, readably.

    The probability of the labels is the sum over the two positions a path may end in,
    :math:`p = \alpha_{T-1}(L-1) + \alpha_{T-1}(L-2)`; equally, for every frame :math:`t`,
    :math:`p = \sum_s \alpha_t(s)\beta_t(s) / y_t(l'_s)`. The derivative of
    :math:`-\log p` with respect to :math:`\log y_t(k)` is therefore

    .. math::

        -\frac{1}{p\,y_t(k)} \sum_{s:\ l'_s = k} \alpha_t(s)\,\beta_t(s).

    PyTorch's ``ctc_loss`` returns that plus :math:`y_t(k)`: the gradient with respect to the
    logits :math:`z` when ``log_probs = log_softmax(z)``. Because the first term sums to
    :math:`-1` over :math:`k` and :math:`y_t` sums to 1, the gradient through ``log_softmax``
    is the same either way. This function returns PyTorch's form.

    Parameters
    ----------
    log_probs : array_like
        Log-probabilities of one sequence, shape ``(T, C)`` (its valid frames only).
    labels : array_like of int
        The target labels, shape ``(S,)``.
    blank : int, default 0
        The blank class.

    Returns
    -------
    (float, ndarray)
        The loss (``inf`` when no path fits, i.e. ``T`` is too short for the labels and the
        blanks needed between repeats) and the gradient, shape ``(T, C)`` (NaN where the loss
        is infinite, as in PyTorch), in the dtype of ``log_probs`` (computed in float64).

    Raises
    ------
    TypeError, ValueError
        As :func:`ctc_alpha`.

    Examples
    --------
    >>> import numpy as np
    >>> import losslab.ctc
    >>> lp = np.log([[0.5, 0.5], [0.5, 0.5]])
    >>> loss, g = losslab.ctc.ctc_single(lp, [1])
    >>> print(round(loss, 12), round(float(np.exp(-loss)), 12))
    0.287682072452 0.75
    """
    lp, ext, dtype = _check_single(log_probs, labels, blank)
    alpha, beta = _alpha(lp, ext), _beta(lp, ext)
    ends = [alpha[-1, -1]] + ([alpha[-1, -2]] if len(ext) > 1 else [])
    log_p = _logaddexp(*ends)
    loss = -log_p
    grad = np.exp(lp)
    if log_p == NEG_INF:
        return math.inf, np.full(lp.shape, math.nan, dtype)
    for t in range(lp.shape[0]):
        for k in set(ext):
            terms = [alpha[t, s] + beta[t, s] for s in range(len(ext)) if ext[s] == k]
            grad[t, k] -= math.exp(_logaddexp(*terms) - log_p - lp[t, k])
    return loss, grad.astype(dtype, copy=False)


# ----------------------------------------------------------------------- the vectorised version


def _as_lengths(x: Any, name: str, n: int, batched: bool) -> np.ndarray:
    arr = v.as_label_array(x, name)
    expected = (n,) if batched else ()
    if arr.shape != expected:
        raise ValueError(f"`{name}` has shape {arr.shape}, expected {expected}, one per sequence")
    return arr.reshape(n)


def _prepare(
    log_probs: ArrayLike,
    targets: ArrayLike,
    input_lengths: ArrayLike,
    target_lengths: ArrayLike,
    blank: int,
    reduction: str,
    zero_infinity: object,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    x = v.as_float_array(log_probs, "log_probs")
    if x.ndim not in (2, 3):
        raise ValueError(f"`log_probs` has {x.ndim} dimension(s), expected 3 (T, N, C) or 2 (T, C)")
    batched = x.ndim == 3
    x3 = x if batched else x[:, None, :]
    n_frames, n, n_cls = x3.shape
    blank = v.check_int(blank, "blank")
    if not 0 <= blank < n_cls:
        raise ValueError(f"`blank` is {blank}, expected a class in [0, {n_cls - 1}]")
    v.check_reduction(reduction)
    if not v.is_bool(zero_infinity):
        raise TypeError(f"`zero_infinity` is {zero_infinity!r}, expected a bool")
    in_len = _as_lengths(input_lengths, "input_lengths", n, batched)
    tg_len = _as_lengths(target_lengths, "target_lengths", n, batched)
    if in_len.min() < 1 or in_len.max() > n_frames:
        bad = in_len[(in_len < 1) | (in_len > n_frames)][0]
        raise ValueError(f"`input_lengths` contains {bad}, expected lengths in [1, {n_frames}]")
    if tg_len.min() < 0:
        raise ValueError(f"`target_lengths` contains {tg_len.min()}, expected lengths >= 0")
    y = v.as_label_array(targets, "targets")
    if batched and y.ndim == 1:  # concatenated targets
        if y.size != tg_len.sum():
            raise ValueError(
                f"`targets` has {y.size} labels, expected sum(target_lengths) = {tg_len.sum()}"
                " for concatenated targets"
            )
        offsets = np.concatenate([[0], np.cumsum(tg_len)])
        padded = np.full((n, max(int(tg_len.max()), 1)), blank, dtype=np.int64)
        for i in range(n):
            padded[i, : tg_len[i]] = y[offsets[i] : offsets[i + 1]]
    else:
        expected = "2 (N, S) or 1 (sum of target_lengths,)" if batched else "1 (S,)"
        if y.ndim != (2 if batched else 1):
            raise ValueError(f"`targets` has {y.ndim} dimension(s), expected {expected}")
        if batched and y.shape[0] != n:
            raise ValueError(f"`targets` has shape {y.shape}, expected (N, S) with N = {n}")
        padded = y.reshape(n, -1)
        if padded.shape[1] == 0:
            padded = np.full((n, 1), blank, dtype=np.int64)
        if tg_len.max() > padded.shape[1]:
            raise ValueError(
                f"`target_lengths` contains {tg_len.max()}, longer than `targets`' "
                f"{padded.shape[1]} columns"
            )
    cols = np.arange(padded.shape[1])
    used = cols[None, :] < tg_len[:, None]
    labels = padded[used]
    if labels.size and (labels.min() < 0 or labels.max() >= n_cls):
        bad = labels[(labels < 0) | (labels >= n_cls)][0]
        raise ValueError(f"`targets` contains label {bad}, expected labels in [0, {n_cls - 1}]")
    if (labels == blank).any():
        raise ValueError(f"`targets` contains the blank class {blank} within target_lengths")
    padded = np.where(used, padded, blank)
    return x, x3, padded, in_len, tg_len, batched


def _ctc(
    log_probs: ArrayLike,
    targets: ArrayLike,
    input_lengths: ArrayLike,
    target_lengths: ArrayLike,
    blank: int,
    reduction: str,
    zero_infinity: bool,
    need: bool,
) -> ValueAndGrad:
    x, x3, padded, in_len, tg_len, batched = _prepare(
        log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity
    )
    dtype = x.dtype
    lp = x3.astype(np.float64)
    n = lp.shape[1]
    s_max = padded.shape[1]
    ext = np.full((n, 2 * s_max + 1), blank, dtype=np.int64)
    ext[:, 1::2] = padded
    alpha, beta, _, log_p = _forward_backward(lp, ext, in_len, tg_len)
    losses = -log_p
    impossible = np.isinf(losses)
    if zero_infinity:
        losses = np.where(impossible, 0.0, losses)
    with np.errstate(over="ignore"):  # a float32 loss beyond its range is inf, as in PyTorch
        if reduction == "mean":
            scale = 1.0 / (np.maximum(tg_len, 1) * n)
            value = dtype.type(np.sum(losses * (1.0 / np.maximum(tg_len, 1))) / n)
        elif reduction == "sum":
            scale = np.ones(n)
            value = dtype.type(losses.sum())
        else:
            scale = np.ones(n)
            value = losses.astype(dtype) if batched else dtype.type(losses[0])
    grad = None
    if need:
        g = _gradient(lp, ext, alpha, beta, log_p, in_len)
        g *= scale[None, :, None]
        g[np.arange(lp.shape[0])[:, None] >= in_len[None, :]] = 0.0
        if zero_infinity:
            g[:, impossible] = 0.0
        with np.errstate(over="ignore"):
            grad = g.astype(dtype).reshape(x.shape)
    return value, grad


@overload
def ctc_loss(
    log_probs: ArrayLike,
    targets: ArrayLike,
    input_lengths: ArrayLike,
    target_lengths: ArrayLike,
    *,
    blank: int = ...,
    reduction: Literal["mean", "sum"] = ...,
    zero_infinity: bool = ...,
) -> Scalar: ...
@overload
def ctc_loss(
    log_probs: ArrayLike,
    targets: ArrayLike,
    input_lengths: ArrayLike,
    target_lengths: ArrayLike,
    *,
    blank: int = ...,
    reduction: Literal["none"],
    zero_infinity: bool = ...,
) -> Losses: ...
@overload
def ctc_loss(
    log_probs: ArrayLike,
    targets: ArrayLike,
    input_lengths: ArrayLike,
    target_lengths: ArrayLike,
    *,
    blank: int = ...,
    reduction: Reduction,
    zero_infinity: bool = ...,
) -> Scalar | Losses: ...
def ctc_loss(
    log_probs: ArrayLike,
    targets: ArrayLike,
    input_lengths: ArrayLike,
    target_lengths: ArrayLike,
    *,
    blank: int = 0,
    reduction: Reduction = "mean",
    zero_infinity: bool = False,
) -> Scalar | Losses:
    r"""Connectionist temporal classification loss (PyTorch's ``ctc_loss``).

    For one sequence with per-frame log-probabilities :math:`\log y_t(k)` and labels
    :math:`l`, the loss is :math:`-\log p(l \mid x)`, where :math:`p(l \mid x)` sums, over
    every alignment :math:`\pi` (one class per frame) that collapses to :math:`l` once repeats
    are merged and blanks removed, the product :math:`\prod_t y_t(\pi_t)`. The sum is computed
    by the forward recursion (:func:`losslab.ctc.ctc_alpha`) and the gradient with the
    backward one (:func:`losslab.ctc.ctc_beta`), in log space.

    ``reduction='mean'`` divides each loss by its target length (at least 1) and averages over
    the batch; ``'sum'`` adds the losses; ``'none'`` returns one per sequence.

    Parameters
    ----------
    log_probs : array_like
        Log-probabilities (``log_softmax`` over the classes), shape ``(T, N, C)``, or
        ``(T, C)`` for one sequence.
    targets : array_like of int
        Labels in ``[0, C-1]`` other than ``blank``: padded, shape ``(N, S)``, or concatenated,
        shape ``(sum(target_lengths),)``; ``(S,)`` for one sequence.
    input_lengths : array_like of int
        Frames used of each sequence, in ``[1, T]``, shape ``(N,)`` (``()`` for one sequence).
    target_lengths : array_like of int
        Labels of each sequence, shape ``(N,)`` (``()`` for one sequence).
    blank : int, default 0
        The blank class.
    reduction : {'mean', 'sum', 'none'}, default 'mean'
        How the sequence losses are combined.
    zero_infinity : bool, default False
        Replace infinite losses (no alignment fits) by 0, and their gradients by 0.

    Returns
    -------
    numpy scalar or ndarray
        The loss; shape ``(N,)`` (``()`` for one sequence) for ``reduction='none'``.

    Shape
    -----
    * ``log_probs``: ``(T, N, C)``, or ``(T, C)`` for one sequence.
    * ``targets``: ``(N, S)`` padded or ``(sum(target_lengths),)`` concatenated; ``(S,)``
      for one sequence.
    * ``input_lengths``, ``target_lengths``: ``(N,)``, or ``()`` for one sequence.
    * output: a scalar (0-d NumPy value) for ``reduction='mean'`` and ``'sum'``;
      ``(N,)`` (``()`` for one sequence) for ``reduction='none'``.

    Raises
    ------
    ValueError
        If a shape is wrong, a length is out of range, a label is out of range or equal to
        ``blank``, concatenated targets do not match ``target_lengths``, an input is empty or
        not finite, or ``reduction`` is unknown.
    TypeError
        If ``targets`` or the lengths are not integers, ``blank`` is not an int,
        ``zero_infinity`` is not a bool, or ``log_probs`` has a bool, complex, object or
        string dtype.

    Notes
    -----
    The gradient (``losslab.grad(ctc_loss)``, with respect to ``log_probs``) is PyTorch's:
    :math:`y_t(k) - \frac{1}{p\,y_t(k)}\sum_{s:\,l'_s = k}\alpha_t(s)\beta_t(s)`, the gradient
    with respect to the logits when ``log_probs`` is their ``log_softmax`` (see
    :func:`losslab.ctc.ctc_single`); frames beyond a sequence's length get 0. When no
    alignment fits, the loss is ``inf`` and the gradient NaN, as in PyTorch, unless
    ``zero_infinity=True``. Computed in float64 whatever the input; float32 input gives a
    float32 loss and gradient.

    Conventions
    -----------
    * PyTorch ``F.ctc_loss``: identical values and gradients (PyTorch does not reject a blank
      inside the targets).
    * TensorFlow ``tf.nn.ctc_loss`` takes logits, ``(N, T, C)`` by default
      (``logits_time_major=False``), sparse or dense labels, and uses ``blank_index`` (often
      ``C - 1``); it does not divide by the target length.
    * optax ``ctc_loss`` takes logits ``(N, T, C)`` and padding masks instead of lengths.

    Examples
    --------
    Two frames, classes blank and "a", every class equally likely: three of the four
    alignments (``a-``, ``-a``, ``aa``) give "a", so :math:`p = 3/4`:

    >>> import numpy as np
    >>> import losslab
    >>> lp = np.log(np.full((2, 1, 2), 0.5))
    >>> loss = losslab.ctc_loss(lp, [[1]], [2], [1], reduction="sum")
    >>> print(loss, np.exp(-loss))
    0.2876820724517809 0.75
    """
    return _ctc(
        log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity, False
    )[0]


def _ctc_loss_value_and_grad(
    log_probs: ArrayLike,
    targets: ArrayLike,
    input_lengths: ArrayLike,
    target_lengths: ArrayLike,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> ValueAndGrad:
    return _ctc(
        log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity, True
    )


_registry.register(ctc_loss, wrt="log_probs", value_and_grad=_ctc_loss_value_and_grad)
