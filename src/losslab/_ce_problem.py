"""The prepared problem of ``cross_entropy`` and ``nll_loss``: the input as rows of classes, the
labels or probability targets, class weights, ``ignore_index`` and label smoothing, checked once
and named (a frozen record), so the kernel and NumPy paths read the same facts."""

# Its underscored functions are cross_entropy's (and linear_cross_entropy's), used there:
# pyright: reportUnusedFunction=false

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _fast
from . import _validation as v


@dataclass(frozen=True)
class _Problem:
    """Arguments of cross_entropy / nll_loss, validated and flattened to rows of C classes.

    Exactly one target form is set: ``p`` (class probabilities) or ``y`` (labels). The
    optional arrays are None when they would hold only ones (``f``, ``keep``) or nothing
    (``smooth``); :attr:`labels_in_kernel` says that the compiled kernel checks the labels.
    """

    x2: np.ndarray  # (M, C) rows of scores, C-contiguous or a view
    dtype: np.dtype
    in_shape: tuple[int, ...]
    row_shape: tuple[int, ...]  # shape of the unreduced loss
    class_axis: int
    y: np.ndarray | None = None  # (M,) labels, ignored entries replaced by 0 (unless `ignore`)
    f: np.ndarray | None = None  # (M,) weight of each row's label (0 for ignored); None: ones
    smooth: np.ndarray | None = None  # (C,) label-smoothing coefficients eps/C * w_c
    keep: np.ndarray | None = None  # (M,) 1.0 for counted rows, 0.0 for ignored; None: all
    p: np.ndarray | None = None  # (M, C) weighted (and smoothed) target probabilities
    denominator: float | None = None  # what 'mean' divides by, unless `labels_in_kernel`
    # With the compiled kernel checking the labels and leaving out those equal to `ignore` in
    # its own pass: `y` holds the labels as given (range not yet checked), `f`, `keep` None.
    ignore: int | None = None

    @property
    def labels_in_kernel(self) -> bool:
        """The compiled kernel checks the labels' range and counts the ignored rows."""
        return self.ignore is not None


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
    _, n_classes, row_shape = v.class_layout(x.shape)
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
    class_axis, n_classes, row_shape = v.class_layout(x.shape)
    w = _weight_array(weight, n_classes, x)

    t_arr = v.to_array(target, "target")
    if allow_probabilities and t_arr.dtype.kind == "f":
        t = v.as_float_array(t_arr, "target")
        if t.shape != x.shape:
            hint = " (integer labels need an integer dtype)" if t.shape == row_shape else ""
            raise ValueError(
                f"`target` has shape {t.shape}, expected {x.shape} like `input` for class "
                f"probabilities{hint}"
            )
        v.check_distribution(t, "target", axis=class_axis, stored=t_arr.dtype)
        dtype = v.result_dtype(x, t, *(() if w is None else (w,)))
        x2 = _to_rows(x, class_axis).astype(dtype, copy=False)
        p = _to_rows(t, class_axis).astype(dtype)  # a private copy we may modify
        if eps:
            p *= 1 - eps
            p += eps / n_classes
        if w is not None:
            p *= w.astype(dtype, copy=False)
        v.check_finite(x, "input")
        return _Problem(x2, dtype, x.shape, row_shape, class_axis, p=p, denominator=x2.shape[0])

    # Unweighted, unsmoothed labels go to the compiled kernels as they are: the kernels check
    # their range and leave out the ignored rows in their own pass (no extra passes here).
    in_kernel = w is None and not eps and _fast.active() and -(2**63) <= ignore_index < 2**63
    y = _label_target(t_arr, x, class_axis, ignore_index, check_range=not in_kernel).reshape(-1)
    dtype = v.result_dtype(x, *(() if w is None else (w,)))
    x2 = _to_rows(x, class_axis).astype(dtype, copy=False)
    if in_kernel:
        return _Problem(x2, dtype, x.shape, row_shape, class_axis, y=y, ignore=ignore_index)
    ignored = y == ignore_index
    any_ignored = bool(ignored.any())
    keep = None
    if any_ignored:
        y = np.where(ignored, 0, y)
        keep = (~ignored).astype(dtype)
    wd = None  # the class weights, rescaled where their sum leaves the range
    if w is None:
        f = keep
        denominator = float(y.size - np.count_nonzero(ignored))
    else:
        cw = w.astype(dtype, copy=False)
        f = cw[y] if keep is None else cw[y] * keep
        with np.errstate(over="ignore"):  # inf: rescaled below
            denominator = float(f.sum(dtype=np.float64))
        top = float(np.finfo(dtype).max)
        if reduction == "mean" and cw.max() > 0 and not 1 / top <= denominator <= top:
            # 1/denominator (the gradient's scale) or the weighted losses would leave the
            # range: divide the weights by the largest, which changes neither the mean nor
            # its gradient
            cw = cw / cw.max()
            f = cw[y] if keep is None else cw[y] * keep
            denominator = float(f.sum(dtype=np.float64))
        wd = cw
    smooth = None
    if eps:
        # with the class weights as rescaled above, so that f and smooth keep their ratio
        smooth = (
            np.full(n_classes, eps / n_classes, dtype) if wd is None else (eps / n_classes) * wd
        )
        f = (1 - eps) * (np.ones(y.size, dtype) if f is None else f)
        if keep is None:
            keep = np.ones(y.size, dtype)
    if reduction == "mean" and denominator == 0:
        raise _zero_denominator(ignore_index, all_ignored=not (~ignored).any())
    pb = _Problem(
        x2,
        dtype,
        x.shape,
        row_shape,
        class_axis,
        y=y,
        f=f,
        smooth=smooth,
        keep=keep,
        denominator=denominator,
    )
    # nll_loss reads (and checks) only the label entries; the softmax kernel checks in its pass
    if allow_probabilities and not _softmax_kernel_applies(pb):
        v.check_finite(x, "input")
    return pb


def _zero_denominator(ignore_index: int | None, *, all_ignored: bool) -> ValueError:
    reason = (
        f"every target equals ignore_index={ignore_index}"
        if all_ignored
        else "the counted targets all have class weight 0"
    )
    return ValueError(
        f"`target`: {reason}, so reduction='mean' would divide 0 by 0 (PyTorch returns nan); "
        "use reduction='sum' or 'none', or check the labels and `weight`"
    )


def _softmax_kernel_applies(pb: _Problem) -> bool:
    """Whether the compiled softmax cross-entropy handles ``pb``: integer labels, no smoothing."""
    return pb.y is not None and pb.smooth is None and _fast.active()
