r"""Softmax cross-entropy from logits (``cross_entropy``) and from log-probabilities (``nll_loss``).

Both follow ``torch.nn.functional`` (names, arguments, defaults, values). The class axis is 1 for
``(N, C)`` and ``(N, C, d1, ...)`` inputs and 0 for a single ``(C,)`` sample.

Implementation note: the logits are processed in blocks of rows (a few thousand rows, so the
temporaries stay in cache) with an exact per-row maximum shift computed by a loop over the columns
(NumPy's ``max(axis=1)`` on narrow rows is slow). The gradient array doubles as the work buffer, so
``value_and_grad`` needs about one input-sized array of extra memory beyond its output.
"""

from __future__ import annotations

from functools import partial
from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike

from . import _fast, _registry
from . import _validation as v
from ._ce_problem import (
    _from_rows,
    _prepare,
    _Problem,
    _softmax_kernel_applies,
    _zero_denominator,
)
from ._reduction import finish_sum, sum_terms
from ._softmax_rows import softmax_ce_rows as _softmax_ce_rows
from ._types import Losses, Reduction, Scalar, ValueAndGrad

__all__ = ["cross_entropy", "nll_loss"]


def _kernel_scale(pb: _Problem, reduction: str, need_grad: bool) -> float:
    """The gradient's scale for a kernel call. When the kernel leaves out the ignored rows
    itself, 'mean' with a gradient needs their count first (one pass over the labels)."""
    if not pb.labels_in_kernel:
        return _scale(pb, reduction)
    if reduction != "mean" or not need_grad:
        return 1.0
    assert pb.y is not None and pb.ignore is not None  # labels_in_kernel
    counted = pb.y.size - np.count_nonzero(pb.y == pb.ignore)
    if counted == 0:
        raise _zero_denominator(pb.ignore, all_ignored=True)
    return 1.0 / counted


def _kernel_denominator(pb: _Problem, reduction: str, ignored: int, bad_label: int) -> float:
    """After a kernel call: the error for a label out of range (the message of the NumPy path),
    and what 'mean' divides by."""
    if not pb.labels_in_kernel:
        assert pb.denominator is not None  # set unless labels_in_kernel
        return pb.denominator
    assert pb.y is not None and pb.ignore is not None  # labels_in_kernel
    if bad_label >= 0:
        n_classes = pb.x2.shape[1]
        v.as_label_array(pb.y, "target", n_classes=n_classes, ignore_index=pb.ignore)  # raises
        raise AssertionError(f"label {pb.y[bad_label]} of row {bad_label}: not reported")
    denominator = float(pb.y.size - ignored)
    if reduction == "mean" and denominator == 0:
        raise _zero_denominator(pb.ignore, all_ignored=True)
    return denominator


def _softmax_ce(pb: _Problem, reduction: str, need_grad: bool) -> ValueAndGrad:
    """The reduced loss and (if ``need_grad``) the gradient w.r.t. the rows: the compiled
    kernel for integer labels without label smoothing, else :func:`_softmax_ce_rows`."""
    if not _softmax_kernel_applies(pb):
        loss, grad = _softmax_ce_rows(pb, _scale(pb, reduction), need_grad)
        return _reduce(loss, pb, reduction), grad
    scale = _kernel_scale(pb, reduction, need_grad)
    per_row = reduction == "none"
    assert pb.y is not None  # the kernel runs on labels
    total, grad, finite, ignored, bad_label = _fast.softmax_ce(
        pb.x2, pb.y, pb.f, scale, need_grad, per_row, pb.ignore
    )
    denominator = _kernel_denominator(pb, reduction, ignored, bad_label)
    if not finite:
        v.check_finite(pb.x2, "input")  # else: logits more than the range apart (loss inf)
    if isinstance(total, np.ndarray):  # per_row
        return total.reshape(pb.row_shape), grad
    if not np.isfinite(total):  # the block sums overflowed: sum the row losses, scaled
        rows = _fast.softmax_ce(pb.x2, pb.y, pb.f, 1.0, False, True, pb.ignore)[0]
        assert isinstance(rows, np.ndarray)  # per_row
        return sum_terms(rows, reduction, denominator, pb.dtype), grad
    return finish_sum(total, reduction, denominator, pb.dtype), grad


def _reduce(loss: np.ndarray, pb: _Problem, reduction: str) -> Scalar | Losses:
    if reduction == "none":
        return loss.reshape(pb.row_shape)
    assert pb.denominator is not None  # the NumPy path counts the rows itself
    return sum_terms(loss, reduction, pb.denominator, pb.dtype)


def _scale(pb: _Problem, reduction: str) -> float:
    assert pb.denominator is not None  # set unless labels_in_kernel
    return 1.0 / pb.denominator if reduction == "mean" else 1.0


@overload
def cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    ignore_index: int = ...,
    reduction: Literal["mean", "sum"] = ...,
    label_smoothing: float = ...,
) -> Scalar: ...
@overload
def cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    ignore_index: int = ...,
    reduction: Literal["none"],
    label_smoothing: float = ...,
) -> Losses: ...
@overload
def cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    ignore_index: int = ...,
    reduction: Reduction,
    label_smoothing: float = ...,
) -> Scalar | Losses: ...
def cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
    label_smoothing: float = 0.0,
) -> Scalar | Losses:
    r"""Softmax cross-entropy between logits ``input`` and class labels or probabilities ``target``.

    With :math:`\log p_{n,c} = x_{n,c} - \log\sum_j e^{x_{n,j}}` (a stable log-softmax over the
    class axis), label smoothing :math:`\varepsilon` and class weights :math:`w` (1 by default):

    .. math::
        :formula: cross_entropy coefficients coef_label;coef_prob

        \ell_n = -\sum_{c=1}^{C} a_{n,c}\,\log p_{n,c}, \qquad
        a_{n,c} = \begin{cases}
        (1-\varepsilon)\,w_{y_n}[c = y_n] + \tfrac{\varepsilon}{C} w_c & \text{labels } y_n \\
        w_c\left((1-\varepsilon)\,t_{n,c} + \tfrac{\varepsilon}{C}\right)
        & \text{probabilities } t_n
        \end{cases}

    and :math:`\ell_n = 0` when :math:`y_n` is ``ignore_index``. Without weights or smoothing
    this is :math:`\ell_n = -\log p_{n,y_n}`. Reductions:

    .. math::
        :formula: cross_entropy mean_labels mean_probs

        \text{labels: } \mathrm{mean}
        = \frac{\sum_n \ell_n}{\sum_{n:\,y_n\ne\text{ignore}} w_{y_n}},
        \qquad \text{probabilities: } \mathrm{mean} = \frac{1}{N'}\sum_n \ell_n,

    where :math:`N'` counts every position (:math:`N\,d_1\cdots d_K`); ``'sum'`` is
    :math:`\sum_n \ell_n` and ``'none'`` the array of :math:`\ell_n`.

    Parameters
    ----------
    input : array_like
        Logits (unnormalized scores), shape ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dK)``; the
        class axis is 0 for ``(C,)`` and 1 otherwise.
    target : array_like
        Either integer class labels in ``[0, C-1]`` (or ``ignore_index``), shaped like ``input``
        without its class axis (``()``, ``(N,)`` or ``(N, d1, ..., dK)``; a Python ``int`` for a
        ``(C,)`` input), or floating class probabilities shaped like ``input``, in [0, 1] and
        summing to 1 along the class axis. The dtype decides: integers are labels, floats are
        probabilities.
    weight : array_like, optional
        Non-negative weight per class, shape ``(C,)``.
    ignore_index : int, default -100
        Label value whose positions contribute neither loss, gradient nor weight to the 'mean'
        denominator (labels only; ignored for probability targets, as in PyTorch).
    reduction : {'mean', 'sum', 'none'}, default 'mean'
    label_smoothing : float, default 0.0
        :math:`\varepsilon \in [0, 1]`: mixes the target with the uniform distribution over classes.

    Returns
    -------
    numpy scalar or ndarray
        The loss; for ``'none'`` an array shaped like the labels (``(N,)``, ``(N, d1, ...)``, or 0-d
        for a ``(C,)`` input).

    Shape
    -----
    * ``input``: ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dK)`` with ``K >= 1``; ``C`` is the
      number of classes.
    * ``target``: class labels, ``()`` (or a Python ``int``), ``(N,)`` or ``(N, d1, ..., dK)``:
      ``input``'s shape without the class axis; or class probabilities, the same shape as
      ``input``.
    * ``weight``: ``(C,)``.
    * output: a scalar for ``reduction='mean'`` and ``'sum'``; for ``reduction='none'``,
      ``()`` for a ``(C,)`` input, ``(N,)`` or ``(N, d1, ..., dK)`` otherwise.

    Raises
    ------
    ValueError
        Shape mismatch (labels shaped like ``input`` without the class axis, probabilities like
        ``input``, ``weight`` of shape ``(C,)``), a label outside ``[0, C-1]`` that is not
        ``ignore_index``, probabilities outside [0, 1] or not summing to 1 along the class axis
        (PyTorch does not check this; we do), a negative weight, ``label_smoothing`` outside [0, 1],
        NaN/inf, an empty input, an unknown ``reduction``, or ``reduction='mean'`` when every label
        is ignored or all counted labels have weight 0 (PyTorch returns ``nan``; we refuse to).
    TypeError
        Bool, complex, object or string arrays; a non-integer ``ignore_index``; a non-number
        ``label_smoothing``.

    Notes
    -----
    Stable for any finite logits: the log-softmax is computed by log-sum-exp with the exact maximum
    of each row, so logits of :math:`\pm 10^4` or rows on very different scales are exact to
    rounding. No epsilon is added. Where :math:`x - \max` overflows (logits more than the range
    apart) but the loss does not (a small smoothing, weight or probability on the far class),
    the row is computed in halves, :math:`A \log\sum e^{z} + 2\langle a, \max/2 - x/2\rangle`:
    finite where PyTorch returns inf. A 'mean' whose terms sum beyond the range is computed
    from the terms scaled by the largest.

    Gradient with respect to the logits (:func:`losslab.grad`):
    :math:`\partial \ell_n/\partial x_{n,k} = A_n\,\operatorname{softmax}(x_n)_k - a_{n,k}` with
    :math:`A_n = \sum_c a_{n,c}`; without weights this is softmax minus the (smoothed) target,
    e.g. ``softmax - onehot``. The reduction multiplies it by 1/denominator for ``'mean'``.

    Conventions
    -----------
    * PyTorch ``F.cross_entropy``: identical, including the weighted 'mean' (divided by the sum of
      the label weights, not by N) and the label-smoothing formula. PyTorch does not check that
      probability targets sum to 1, and returns ``nan`` when every label is ignored.
    * Keras ``categorical_crossentropy(y_true, y_pred)`` takes *probabilities*
      (``from_logits=False`` by default), clips them to :math:`[10^{-7}, 1-10^{-7}]`, and its
      ``label_smoothing`` is the same mixing; ``sparse_categorical_crossentropy`` takes labels.
      Arguments are in the other order and the class axis is the last one.
    * optax ``softmax_cross_entropy(logits, labels)`` takes probabilities and
      ``softmax_cross_entropy_with_integer_labels(logits, labels)`` integers; both return the
      per-example losses (``reduction='none'``) with the class axis last.
    * TensorFlow ``tf.nn.softmax_cross_entropy_with_logits(labels, logits)`` /
      ``sparse_softmax_cross_entropy_with_logits``: per-example, class axis last.
    * scikit-learn ``log_loss(y_true, y_proba)`` (``y_pred`` before 1.9) takes probabilities (not
      logits), is a mean over samples, and clips predictions.
    * The textbook/articles compute ``-sum(t * log(y + 1e-7))``; see :mod:`losslab.book`.

    Examples
    --------
    Scores cat 3.2, car 5.1, frog -1.7 for a cat (CS231n's example):

    >>> import losslab
    >>> print(losslab.cross_entropy([3.2, 5.1, -1.7], 0))
    2.04035515280017
    >>> value, g = losslab.value_and_grad(losslab.cross_entropy)([3.2, 5.1, -1.7], 0)
    >>> print(g.round(8).tolist())  # softmax - onehot
    [-0.87001746, 0.86904954, 0.00096793]

    A batch with an ignored label, a one-hot probability target and label smoothing:

    >>> x = [[3.2, 5.1, -1.7], [1010.0, 1000.0, 990.0]]
    >>> print(losslab.cross_entropy(x, [0, -100], reduction="none").tolist())
    [2.04035515280017, 0.0]
    >>> print(losslab.cross_entropy(x, [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]))
    1.0202002768802236
    >>> print(losslab.cross_entropy(x, [0, 0], label_smoothing=0.1))
    1.5702002768802237
    """
    return _cross_entropy(
        input, target, weight, ignore_index, reduction, label_smoothing, need_grad=False
    )[0]


def _cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None,
    ignore_index: int,
    reduction: str,
    label_smoothing: float,
    need_grad: bool,
) -> ValueAndGrad:
    pb = _prepare(
        input, target, weight, ignore_index, reduction, label_smoothing, allow_probabilities=True
    )
    value, g = _softmax_ce(pb, reduction, need_grad)
    return value, None if g is None else _from_rows(g, pb.in_shape)


def _nonfinite_label_entry(pb: _Problem, row: int) -> ValueError:
    assert pb.y is not None  # nll_loss takes labels
    value = pb.x2[row, pb.y[row]]
    bad = "NaN" if np.isnan(value) else "inf"
    where = np.unravel_index(row, pb.row_shape) if pb.row_shape else ()
    return ValueError(
        f"`input` contains {bad} at the label entry of row {tuple(map(int, where))}; expected "
        "finite log-probabilities"
    )


def _nll(pb: _Problem, reduction: str, need_grad: bool) -> ValueAndGrad:
    """The reduced loss and (if ``need_grad``) the gradient w.r.t. the rows.

    Only the label entries of counted rows are read, and only they must be finite: like
    PyTorch, a NaN elsewhere in ``input`` does not change the loss or its gradient.
    """
    if _fast.active():
        scale = _kernel_scale(pb, reduction, need_grad)
        per_row = reduction == "none"
        assert pb.y is not None  # nll_loss takes labels
        loss, g, bad, ignored, bad_label = _fast.nll(
            pb.x2, pb.y, pb.f, pb.keep, scale, need_grad, per_row, pb.ignore
        )
        denominator = _kernel_denominator(pb, reduction, ignored, bad_label)
        if bad >= 0:
            raise _nonfinite_label_entry(pb, bad)
        if isinstance(loss, np.ndarray):  # per_row
            return loss.reshape(pb.row_shape), g
        if not np.isfinite(loss):  # the block sums overflowed: sum the row losses, scaled
            rows = _fast.nll(pb.x2, pb.y, pb.f, pb.keep, 1.0, False, True, pb.ignore)[0]
            assert isinstance(rows, np.ndarray)  # per_row
            return sum_terms(rows, reduction, denominator, pb.dtype), g
        return finish_sum(loss, reduction, denominator, pb.dtype), g
    scale = _scale(pb, reduction)
    loss, idx = _nll_rows(pb)
    g = None
    if need_grad:
        s = pb.dtype.type(scale)
        g = np.zeros(pb.x2.shape, pb.dtype)
        g.reshape(-1)[idx] = -s if pb.f is None else -s * pb.f
    return _reduce(loss, pb, reduction), g


def _nll_rows(pb: _Problem) -> tuple[np.ndarray, np.ndarray]:
    """Per-row losses and the flat indices of the label entries (a flat gather is ~3x faster
    than ``x2[rows, y]``)."""
    m_rows, c = int(pb.x2.shape[0]), int(pb.x2.shape[1])
    assert pb.y is not None  # nll_loss takes labels
    idx = np.arange(0, m_rows * c, c)
    idx += pb.y
    picked = np.take(pb.x2.reshape(-1), idx)  # reshape copies only a non-contiguous view
    if pb.keep is not None:
        picked[pb.keep == 0] = 0  # an ignored row's stand-in entry is never read
    finite = np.isfinite(picked)
    if not finite.all():
        raise _nonfinite_label_entry(pb, int(np.argmin(finite)))
    f = pb.f
    if f is None:
        loss = np.negative(picked, out=picked)
    else:
        loss = np.multiply(f, picked, out=picked)
        np.negative(loss, out=loss)
    return loss.astype(pb.dtype, copy=False), idx


@overload
def nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    ignore_index: int = ...,
    reduction: Literal["mean", "sum"] = ...,
) -> Scalar: ...
@overload
def nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    ignore_index: int = ...,
    reduction: Literal["none"],
) -> Losses: ...
@overload
def nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = ...,
    ignore_index: int = ...,
    reduction: Reduction,
) -> Scalar | Losses: ...
def nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    ignore_index: int = -100,
    reduction: Reduction = "mean",
) -> Scalar | Losses:
    r"""Negative log-likelihood of class labels given log-probabilities ``input``.

    .. math::
        :formula: nll_loss label mean_labels

        \ell_n = -w_{y_n}\, x_{n, y_n}, \qquad
        \mathrm{mean} = \frac{\sum_n \ell_n}{\sum_{n:\,y_n\ne\text{ignore}} w_{y_n}}

    with :math:`\ell_n = 0` where :math:`y_n` is ``ignore_index``; ``'sum'`` is
    :math:`\sum_n \ell_n`, ``'none'`` the array of :math:`\ell_n`.
    ``nll_loss(log_softmax(x, axis=1), y)`` equals ``cross_entropy(x, y)``.

    Parameters
    ----------
    input : array_like
        Log-probabilities, shape ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dK)`` (class axis 0 for
        ``(C,)``, 1 otherwise). Not checked to be :math:`\le 0` or normalized, as in PyTorch: the
        loss only reads the entry at the label, and only those entries (of rows not ignored)
        must be finite; a NaN elsewhere changes neither the loss nor its gradient.
    target : array_like
        Integer labels in ``[0, C-1]`` or ``ignore_index``, shaped like ``input`` without the class
        axis; a Python ``int`` for a ``(C,)`` input.
    weight : array_like, optional
        Non-negative weight per class, shape ``(C,)``.
    ignore_index : int, default -100
        Label value that contributes nothing (not even to the 'mean' denominator).
    reduction : {'mean', 'sum', 'none'}, default 'mean'

    Returns
    -------
    numpy scalar or ndarray
        The loss; for ``'none'`` an array shaped like ``target``.

    Shape
    -----
    * ``input``: ``(C,)``, ``(N, C)`` or ``(N, C, d1, ..., dK)`` with ``K >= 1``; ``C`` is the
      number of classes.
    * ``target``: class labels, ``()`` (or a Python ``int``), ``(N,)`` or ``(N, d1, ..., dK)``:
      ``input``'s shape without the class axis.
    * ``weight``: ``(C,)``.
    * output: a scalar for ``reduction='mean'`` and ``'sum'``; for ``reduction='none'``,
      ``()`` for a ``(C,)`` input, ``(N,)`` or ``(N, d1, ..., dK)`` otherwise.

    Raises
    ------
    ValueError
        Shape mismatch, labels out of range, negative weight, NaN/inf at a label entry, empty
        input, unknown ``reduction``, or ``'mean'`` with every label ignored / zero total weight
        (PyTorch: nan).
    TypeError
        Float (probability) targets, bool/complex/object/string arrays, non-integer
        ``ignore_index``.

    Notes
    -----
    Gradient with respect to ``input`` (:func:`losslab.grad`): :math:`-w_{y_n}` at the label
    position of each counted row, 0 elsewhere, divided by the denominator for ``'mean'``.

    Conventions
    -----------
    * PyTorch ``F.nll_loss``: identical.
    * Keras / optax / scikit-learn have no separate NLL on log-probabilities; they fold the log into
      their cross-entropy functions (see :func:`losslab.cross_entropy`).

    Examples
    --------
    >>> import losslab
    >>> logp = losslab.log_softmax([3.2, 5.1, -1.7])
    >>> print(losslab.nll_loss(logp, 0))
    2.04035515280017
    >>> print(losslab.grad(losslab.nll_loss)(logp, 0).tolist())
    [-1.0, 0.0, 0.0]
    """
    return _nll_loss(input, target, weight, ignore_index, reduction, need_grad=False)[0]


def _nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None,
    ignore_index: int,
    reduction: str,
    need_grad: bool,
) -> ValueAndGrad:
    pb = _prepare(input, target, weight, ignore_index, reduction, 0.0, allow_probabilities=False)
    value, g = _nll(pb, reduction, need_grad)
    return value, None if g is None else _from_rows(g, pb.in_shape)


_registry.register(
    cross_entropy, wrt="input", value_and_grad=partial(_cross_entropy, need_grad=True)
)
_registry.register(nll_loss, wrt="input", value_and_grad=partial(_nll_loss, need_grad=True))
