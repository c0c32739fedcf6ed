r"""Softmax cross-entropy from logits (``cross_entropy``) and from log-probabilities (``nll_loss``).

Both follow ``torch.nn.functional`` (names, arguments, defaults, values). The class axis is 1 for
``(N, C)`` and ``(N, C, d1, ...)`` inputs and 0 for a single ``(C,)`` sample.

Implementation note: the logits are processed in blocks of rows (a few thousand rows, so the
temporaries stay in cache) with an exact per-row maximum shift computed by a loop over the columns
(NumPy's ``max(axis=1)`` on narrow rows is slow). The gradient array doubles as the work buffer, so
``value_and_grad`` needs about one input-sized array of extra memory beyond its output.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _fast, _registry
from . import _validation as v
from ._reduction import finish_sum
from .threads import run_blocks

__all__ = ["cross_entropy", "nll_loss"]

# Elements per block: ~256 KiB of float64, enough to amortize Python overhead, small enough for L2.
_BLOCK_ELEMENTS = 1 << 15
# Up to this many classes, row reductions loop over columns / use a matrix-vector product.
_NARROW = 64


@dataclass
class _Problem:
    """Arguments of cross_entropy / nll_loss, validated and flattened to rows of C classes."""

    x2: np.ndarray  # (M, C) rows of scores, C-contiguous or a view
    dtype: np.dtype
    in_shape: tuple[int, ...]
    row_shape: tuple[int, ...]  # shape of the unreduced loss
    class_axis: int
    y: np.ndarray | None  # (M,) labels, ignored entries replaced by 0 (but see `ignore`)
    f: np.ndarray | None  # (M,) weight of each row's label (0 for ignored); None = all ones
    smooth: np.ndarray | None  # (C,) label-smoothing coefficients eps/C * w_c, or None
    keep: np.ndarray | None  # (M,) 1.0 for counted rows, 0.0 for ignored; None = all counted
    p: np.ndarray | None  # (M, C) weighted (and smoothed) target probabilities
    denominator: float | None  # what 'mean' divides by (None: counted by the kernel)
    # Set when the compiled kernel checks the labels and leaves out those equal to it, in its
    # own pass: `y` holds the labels as given (range not yet checked), `f` and `keep` are None.
    ignore: int | None = None


def _to_rows(a: np.ndarray, class_axis: int) -> np.ndarray:
    if a.ndim == 1:
        return a.reshape(1, -1)
    if a.ndim == 2:
        return a
    return np.moveaxis(a, 1, -1).reshape(-1, a.shape[1])


def _from_rows(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    if len(shape) <= 2:
        return g.reshape(shape)
    moved = (shape[0], *shape[2:], shape[1])
    return np.ascontiguousarray(np.moveaxis(g.reshape(moved), -1, 1))


def _check_ignore_index(ignore_index: Any) -> int:
    return v.check_int(ignore_index, "ignore_index")


def _check_label_smoothing(label_smoothing: Any) -> float:
    eps = v.check_positive_number(label_smoothing, "label_smoothing", allow_zero=True)
    if eps > 1:
        raise ValueError(f"`label_smoothing` is {label_smoothing!r}, expected a number in [0, 1]")
    return eps


def _weight_array(weight: ArrayLike | None, n_classes: int, x: np.ndarray) -> np.ndarray | None:
    if weight is None:
        return None
    w = v.as_float_array(weight, "weight", int_as=x.dtype)
    if w.shape != (n_classes,):
        raise ValueError(
            f"`weight` has shape {w.shape}, expected ({n_classes},) (one weight per class)"
        )
    v.check_nonnegative(w, "weight")
    return w


def _label_target(
    target: Any, x: np.ndarray, class_axis: int, ignore_index: int, *, check_range: bool = True
) -> np.ndarray:
    n_classes = x.shape[class_axis]
    row_shape = x.shape[:class_axis] + x.shape[class_axis + 1 :]
    y = v.as_label_array(
        target, "target", n_classes=n_classes if check_range else None, ignore_index=ignore_index
    )
    if y.shape != row_shape:
        hint = ""
        if y.shape == x.shape:  # the articles' integer one-hot t = np.array([0, 0, 1, ...])
            hint = (
                f"; this looks like a one-hot target: pass `target.argmax(axis={class_axis})` "
                "as labels, or `target.astype(float)` as probabilities"
            )
        raise ValueError(
            f"`target` has shape {y.shape}, expected {row_shape} (the shape of `input` without "
            f"its class axis {class_axis}) for integer labels{hint}"
        )
    return y


def _prepare(
    input: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None,
    ignore_index: Any,
    reduction: str,
    label_smoothing: Any,
    *,
    allow_probabilities: bool,
) -> _Problem:
    v.check_reduction(reduction)
    ignore_index = _check_ignore_index(ignore_index)
    eps = _check_label_smoothing(label_smoothing)
    # NaN/inf in `input` is checked at the end: by the compiled kernel, in its pass, when it runs
    x = v.as_float_array(input, "input", min_ndim=1, allow_nonfinite=True)
    class_axis = 0 if x.ndim == 1 else 1
    n_classes = x.shape[class_axis]
    row_shape = x.shape[:class_axis] + x.shape[class_axis + 1 :]
    w = _weight_array(weight, n_classes, x)

    t_arr = v._to_array(target, "target")
    if allow_probabilities and t_arr.dtype.kind == "f":
        t = v.as_float_array(t_arr, "target")
        if t.shape != x.shape:
            hint = " (integer labels need an integer dtype)" if t.shape == row_shape else ""
            raise ValueError(
                f"`target` has shape {t.shape}, expected {x.shape} like `input` for class "
                f"probabilities{hint}"
            )
        v.check_distribution(t, "target", axis=class_axis)
        dtype = v.result_dtype(x, t, *(() if w is None else (w,)))
        x2 = _to_rows(x, class_axis).astype(dtype, copy=False)
        p = _to_rows(t, class_axis).astype(dtype)  # a private copy we may modify
        if eps:
            p *= 1 - eps
            p += eps / n_classes
        if w is not None:
            p *= w.astype(dtype, copy=False)
        v.check_finite(x, "input")
        return _Problem(
            x2, dtype, x.shape, row_shape, class_axis, None, None, None, None, p, x2.shape[0]
        )

    # Unweighted, unsmoothed labels go to the compiled kernels as they are: the kernels check
    # their range and leave out the ignored rows in their own pass (no extra passes here).
    in_kernel = w is None and not eps and _fast.active() and -(2**63) <= ignore_index < 2**63
    y = _label_target(t_arr, x, class_axis, ignore_index, check_range=not in_kernel).reshape(-1)
    dtype = v.result_dtype(x, *(() if w is None else (w,)))
    x2 = _to_rows(x, class_axis).astype(dtype, copy=False)
    if in_kernel:
        return _Problem(
            x2, dtype, x.shape, row_shape, class_axis, y, None, None, None, None, None, ignore_index
        )
    ignored = y == ignore_index
    any_ignored = bool(ignored.any())
    keep = None
    if any_ignored:
        y = np.where(ignored, 0, y)
        keep = (~ignored).astype(dtype)
    if w is None:
        f = keep
        denominator = float(y.size - np.count_nonzero(ignored))
    else:
        wd = w.astype(dtype, copy=False)
        f = wd[y] if keep is None else wd[y] * keep
        denominator = float(f.sum(dtype=np.float64))
    smooth = None
    if eps:
        smooth = np.full(n_classes, eps / n_classes, dtype) if w is None else (eps / n_classes) * wd
        f = (1 - eps) * (np.ones(y.size, dtype) if f is None else f)
        if keep is None:
            keep = np.ones(y.size, dtype)
    if reduction == "mean" and denominator == 0:
        raise _zero_denominator(ignore_index, all_ignored=not (~ignored).any())
    pb = _Problem(x2, dtype, x.shape, row_shape, class_axis, y, f, smooth, keep, None, denominator)
    # nll_loss reads (and checks) only the label entries; the softmax kernel checks in its pass
    if allow_probabilities and not _softmax_kernel_applies(pb):
        v.check_finite(x, "input")
    return pb


def _zero_denominator(ignore_index: int, *, all_ignored: bool) -> ValueError:
    reason = (
        f"every target equals ignore_index={ignore_index}"
        if all_ignored
        else "the counted targets all have class weight 0"
    )
    return ValueError(
        f"`target`: {reason}, so reduction='mean' would divide 0 by 0 (PyTorch returns nan); "
        "use reduction='sum' or 'none', or check the labels and `weight`"
    )


def _kernel_scale(pb: _Problem, reduction: str, need_grad: bool) -> float:
    """The gradient's scale for a kernel call. When the kernel leaves out the ignored rows
    itself, 'mean' with a gradient needs their count first (one pass over the labels)."""
    if pb.ignore is None:
        return _scale(pb, reduction)
    if reduction != "mean" or not need_grad:
        return 1.0
    counted = pb.y.size - np.count_nonzero(pb.y == pb.ignore)
    if counted == 0:
        raise _zero_denominator(pb.ignore, all_ignored=True)
    return 1.0 / counted


def _kernel_denominator(pb: _Problem, reduction: str, ignored: int, bad_label: int) -> float:
    """After a kernel call: the error for a label out of range (the message of the NumPy path),
    and what 'mean' divides by."""
    if pb.ignore is None:
        return pb.denominator
    if bad_label >= 0:
        n_classes = pb.x2.shape[1]
        v.as_label_array(pb.y, "target", n_classes=n_classes, ignore_index=pb.ignore)  # raises
        raise AssertionError(f"label {pb.y[bad_label]} of row {bad_label}: not reported")
    denominator = float(pb.y.size - ignored)
    if reduction == "mean" and denominator == 0:
        raise _zero_denominator(pb.ignore, all_ignored=True)
    return denominator


def _softmax_kernel_applies(pb: _Problem) -> bool:
    """Whether the compiled softmax cross-entropy handles ``pb``: integer labels, no smoothing."""
    return pb.y is not None and pb.smooth is None and _fast.active()


def _row_max(xb: np.ndarray, out: np.ndarray) -> None:
    c = xb.shape[1]
    if c > _NARROW // 2:
        np.max(xb, axis=1, out=out)
    elif c == 1:
        out[:] = xb[:, 0]
    else:
        np.maximum(xb[:, 0], xb[:, 1], out=out)
        for j in range(2, c):
            np.maximum(out, xb[:, j], out=out)


def _row_dot(zb: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row sums of ``zb * u``: a matrix-vector product for narrow rows (short, accurate sums)."""
    if zb.shape[1] <= _NARROW:
        return zb @ u
    return (zb * u).sum(axis=1)


def _target_nll(zy: np.ndarray, ey: np.ndarray, rest: np.ndarray, ssum: np.ndarray) -> np.ndarray:
    """``log(sum) - z_y`` per row, as ``log1p(rest / e_y)`` when the target is near the maximum.

    ``rest`` is the sum of the non-target terms ``exp(z_j)``, ``ey = exp(z_y)``. For a confident
    row ``sum = 1 + tiny`` and ``log(sum)`` would keep only the absolute accuracy of ``sum``.
    """
    near = zy > -1  # then ey > 1/e: no overflow in rest / ey
    out = np.log(ssum)
    out -= zy
    q = np.divide(rest, ey, out=np.zeros_like(rest), where=near)
    np.log1p(q, out=out, where=near)
    return out


def _softmax_ce_rows(pb: _Problem, scale: Any, need_grad: bool) -> tuple[np.ndarray, Any]:
    """Per-row losses and (if ``need_grad``) ``scale`` times the gradient w.r.t. the rows.

    Each row i has coefficients a_i (labels: f_i e_{y_i} + keep_i * smooth; probabilities: p_i),
    A_i = sum(a_i), and with z = x - max, lse = log(sum(exp(z))):
    loss_i = A_i lse_i - <a_i, z_i>,   grad_i = A_i softmax(x_i) - a_i.
    For labels this is computed as f_i (lse_i - z_iy) + keep_i (sum(smooth) lse_i - <smooth, z_i>).
    """
    x2, dtype = pb.x2, pb.dtype
    m_rows, c = x2.shape
    block = max(1, min(m_rows, max(256, _BLOCK_ELEMENTS // c)))
    loss = np.empty(m_rows, dtype)
    grad = np.empty((m_rows, c), dtype) if need_grad else None
    ones = np.ones(c, dtype)
    base = np.arange(block) * c if pb.y is not None else None
    smooth_sum = None if pb.smooth is None else pb.smooth.sum(dtype=dtype)
    scale = dtype.type(scale)

    def worker() -> Any:
        # One per thread (losslab.threads.run_blocks): its own scratch (mx, work); row block k
        # writes only its rows of loss and grad.
        work = None if need_grad else np.empty((block, c), dtype)
        mx = np.empty(block, dtype)

        def run(k: int) -> None:
            s = k * block
            e = min(s + block, m_rows)
            b = e - s
            xb, mb = x2[s:e], mx[:b]
            _row_max(xb, mb)
            zb = grad[s:e] if need_grad else work[:b]
            np.subtract(xb, mb[:, None], out=zb)
            flat = zb.reshape(-1)
            if pb.y is not None:
                idx = base[:b] + pb.y[s:e]
                zy = flat[idx]
                uz = None if pb.smooth is None else _row_dot(zb, pb.smooth)
            else:
                pblk = pb.p[s:e]
                big_a = _row_dot(pblk, ones)
                az = (pblk * zb).sum(axis=1) if c > _NARROW else np.einsum("ij,ij->i", pblk, zb)
            np.exp(zb, out=zb)
            lb = loss[s:e]
            if pb.y is None:
                ssum = _row_dot(zb, ones)
                np.multiply(big_a, np.log(ssum), out=lb)
                lb -= az
                if need_grad:
                    zb *= ((scale * big_a) / ssum)[:, None]
                    zb -= scale * pblk
                return
            # Labels: the target's term is taken out of the row sum, so that the loss of a
            # confident row, log(1 + rest/e_y), and its gradient at the target, -rest/sum, keep
            # full accuracy.
            ey = flat[idx]
            flat[idx] = 0
            rest = _row_dot(zb, ones)
            ssum = rest + ey
            nll = _target_nll(zy, ey, rest, ssum)
            fb = None if pb.f is None else pb.f[s:e]
            big_a = fb
            if fb is None:
                lb[:] = nll
            else:
                with np.errstate(invalid="ignore"):
                    np.multiply(fb, nll, out=lb)
                lb[fb == 0] = 0  # weight 0 (an ignored row): 0, even where nll is inf
                if uz is not None:
                    kb = pb.keep[s:e]
                    lb += kb * (smooth_sum * np.log(ssum) - uz)
                    big_a = fb + kb * smooth_sum
            if need_grad:
                inv = scale / ssum
                zb *= (inv if big_a is None else inv * big_a)[:, None]
                if fb is None:
                    flat[idx] = -(inv * rest)
                else:
                    at_target = -(fb * rest)
                    if uz is not None:
                        at_target += (kb * smooth_sum) * ey
                    flat[idx] = inv * at_target
                if uz is not None:
                    zb -= (scale * kb)[:, None] * pb.smooth

        return run

    # Logits more than the dtype's range apart overflow in x - max to -inf (exp gives exactly 0)
    # and a loss beyond the range is inf, as in PyTorch; neither is a reason for a warning.
    with np.errstate(over="ignore"):
        run_blocks(worker, -(-m_rows // block))
    return loss, grad


def _softmax_ce(pb: _Problem, reduction: str, need_grad: bool) -> tuple[Any, np.ndarray | None]:
    """The reduced loss and (if ``need_grad``) the gradient w.r.t. the rows: the compiled
    kernel for integer labels without label smoothing, else :func:`_softmax_ce_rows`."""
    if not _softmax_kernel_applies(pb):
        loss, grad = _softmax_ce_rows(pb, _scale(pb, reduction), need_grad)
        return _reduce(loss, pb, reduction), grad
    scale = _kernel_scale(pb, reduction, need_grad)
    per_row = reduction == "none"
    total, grad, finite, ignored, bad_label = _fast.softmax_ce(
        pb.x2, pb.y, pb.f, scale, need_grad, per_row, pb.ignore
    )
    denominator = _kernel_denominator(pb, reduction, ignored, bad_label)
    if not finite:
        v.check_finite(pb.x2, "input")  # else: logits more than the range apart (loss inf)
    if per_row:
        return total.reshape(pb.row_shape), grad
    return finish_sum(total, reduction, denominator, pb.dtype), grad


def _reduce(loss: np.ndarray, pb: _Problem, reduction: str) -> Any:
    if reduction == "none":
        return loss.reshape(pb.row_shape)
    return finish_sum(loss.sum(dtype=np.float64), reduction, pb.denominator, pb.dtype)


def _scale(pb: _Problem, reduction: str) -> float:
    return 1.0 / pb.denominator if reduction == "mean" else 1.0


def cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Any:
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
    rounding. No epsilon is added.

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


def _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing, need_grad):
    pb = _prepare(
        input, target, weight, ignore_index, reduction, label_smoothing, allow_probabilities=True
    )
    value, g = _softmax_ce(pb, reduction, need_grad)
    return value, None if g is None else _from_rows(g, pb.in_shape)


def _nonfinite_label_entry(pb: _Problem, row: int) -> ValueError:
    value = pb.x2[row, pb.y[row]]
    bad = "NaN" if np.isnan(value) else "inf"
    where = np.unravel_index(row, pb.row_shape) if pb.row_shape else ()
    return ValueError(
        f"`input` contains {bad} at the label entry of row {tuple(map(int, where))}; expected "
        "finite log-probabilities"
    )


def _nll(pb: _Problem, reduction: str, need_grad: bool) -> tuple[Any, np.ndarray | None]:
    """The reduced loss and (if ``need_grad``) the gradient w.r.t. the rows.

    Only the label entries of counted rows are read, and only they must be finite: like
    PyTorch, a NaN elsewhere in ``input`` does not change the loss or its gradient.
    """
    if _fast.active():
        scale = _kernel_scale(pb, reduction, need_grad)
        per_row = reduction == "none"
        loss, g, bad, ignored, bad_label = _fast.nll(
            pb.x2, pb.y, pb.f, pb.keep, scale, need_grad, per_row, pb.ignore
        )
        denominator = _kernel_denominator(pb, reduction, ignored, bad_label)
        if bad >= 0:
            raise _nonfinite_label_entry(pb, bad)
        if per_row:
            return loss.reshape(pb.row_shape), g
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
    m_rows, c = pb.x2.shape
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


def nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    weight: ArrayLike | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Any:
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


def _nll_loss(input, target, weight, ignore_index, reduction, need_grad):
    pb = _prepare(input, target, weight, ignore_index, reduction, 0.0, allow_probabilities=False)
    value, g = _nll(pb, reduction, need_grad)
    return value, None if g is None else _from_rows(g, pb.in_shape)


_registry.register(
    cross_entropy, wrt="input", value_and_grad=partial(_cross_entropy, need_grad=True)
)
_registry.register(nll_loss, wrt="input", value_and_grad=partial(_nll_loss, need_grad=True))
