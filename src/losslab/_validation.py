"""Shared input checks.

Every public function converts and checks its arguments here, so that the same mistake gets the same
message everywhere. Messages start with the argument name in backticks.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


def _dtype_kind_error(name: str, arr_dtype: np.dtype, what: str) -> TypeError:
    return TypeError(f"`{name}` has dtype {arr_dtype}, expected {what}")


def _to_array(x: Any, name: str) -> np.ndarray:
    """np.asarray with a clear error for ragged or non-numeric input."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (str, bytes)):
        raise TypeError(f"`{name}` is a {type(x).__name__}, expected numbers")
    try:
        arr = np.asarray(x)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(f"`{name}` is ragged (rows of different lengths): {exc}") from None
    return arr


def as_float_array(
    x: Any,
    name: str,
    *,
    allow_nonfinite: bool = False,
    allow_empty: bool = False,
    min_ndim: int = 0,
    int_as: Any = np.float64,
) -> np.ndarray:
    """Return ``x`` as a float32 or float64 array.

    Integers become ``int_as`` (float64 by default; pass the prediction's dtype for a target, so
    that float32 predictions with integer targets stay float32); float16 becomes float32;
    float32 and float64 are kept. The caller's array is returned as is when no conversion is
    needed: never write into the result.
    """
    arr = _to_array(x, name)
    kind = arr.dtype.kind
    if kind == "b":
        raise _dtype_kind_error(name, arr.dtype, "a real floating or integer dtype (not bool)")
    if kind in "iu":
        arr = arr.astype(int_as)
    elif kind == "f":
        if arr.dtype == np.float16:
            arr = arr.astype(np.float32)
        elif arr.dtype not in (np.float32, np.float64):
            arr = arr.astype(np.float64)
    else:
        raise _dtype_kind_error(name, arr.dtype, "a real floating or integer dtype")
    if arr.ndim < min_ndim:
        raise ValueError(f"`{name}` has {arr.ndim} dimension(s), expected at least {min_ndim}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"`{name}` is empty (shape {arr.shape}), expected at least one element")
    if not allow_nonfinite and not np.isfinite(arr).all():
        bad = "NaN" if np.isnan(arr).any() else "inf"
        raise ValueError(f"`{name}` contains {bad}; expected finite values")
    return arr


def as_label_array(
    x: Any, name: str, *, n_classes: int | None = None, ignore_index: int | None = None
) -> np.ndarray:
    """Return integer class labels as an int64 array, checking their range."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"`{name}` is a bool, expected integer class labels")
    arr = _to_array(x, name)
    kind = arr.dtype.kind
    if kind == "b":
        raise _dtype_kind_error(name, arr.dtype, "integer class labels (not bool)")
    if kind == "f":
        raise _dtype_kind_error(
            name, arr.dtype, "integer class labels (a float array holds probabilities, not labels)"
        )
    if kind not in "iu":
        raise _dtype_kind_error(name, arr.dtype, "integer class labels")
    arr = arr.astype(np.int64, copy=False)
    if n_classes is not None and arr.size:
        valid = arr
        if ignore_index is not None:
            counted = arr != ignore_index
            if not counted.all():
                valid = arr[counted]
        if valid.size and (valid.min() < 0 or valid.max() >= n_classes):
            bad = valid[(valid < 0) | (valid >= n_classes)][0]
            raise ValueError(
                f"`{name}` contains label {int(bad)}, expected labels in [0, {n_classes - 1}]"
                + (f" or ignore_index={ignore_index}" if ignore_index is not None else "")
            )
    return arr


def check_reduction(reduction: Any, allowed: tuple[str, ...] = REDUCTIONS) -> str:
    if not isinstance(reduction, str) or reduction not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"`reduction` is {reduction!r}, expected one of {choices}")
    return reduction


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"`{name_b}` has shape {b.shape}, expected {a.shape} like `{name_a}`")


def check_probabilities(p: np.ndarray, name: str) -> None:
    """Values must lie in [0, 1]."""
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(
            f"`{name}` has values in [{float(p.min())!r}, {float(p.max())!r}], expected "
            "probabilities in [0, 1]"
        )


def check_distribution(p: np.ndarray, name: str, axis: int = -1) -> None:
    """Values in [0, 1] whose sum along ``axis`` is 1 (to a dtype-aware tolerance)."""
    check_probabilities(p, name)
    s = p.sum(axis=axis, dtype=np.float64)
    # Loose enough for a distribution stored in float32 (even after a cast to float64), tight
    # enough to catch logits, counts and forgotten normalisations.
    tol = max(1e-6, 8 * float(np.finfo(np.float32).eps) * p.shape[axis])
    if np.any(np.abs(s - 1.0) > tol):
        worst = float(np.asarray(s).ravel()[np.argmax(np.abs(np.asarray(s) - 1.0).ravel())])
        raise ValueError(
            f"`{name}` does not sum to 1 along axis {axis} (a sum is {worst!r}); expected a "
            "probability distribution"
        )


def check_nonnegative(w: np.ndarray, name: str) -> None:
    if w.size and w.min() < 0:
        raise ValueError(f"`{name}` contains a negative value {float(w.min())!r}; expected >= 0")


def check_positive_number(x: Any, name: str, *, allow_zero: bool = False) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real):
        raise TypeError(f"`{name}` is {x!r}, expected a real number")
    value = float(x)
    ok = value >= 0 if allow_zero else value > 0
    if not np.isfinite(value) or not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"`{name}` is {x!r}, expected a finite number {bound}")
    return value


def check_int(x: Any, name: str) -> int:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Integral):
        raise TypeError(f"`{name}` is {x!r}, expected an int")
    return int(x)


def result_dtype(*arrays: np.ndarray) -> np.dtype:
    """float32 only if every floating argument is float32; float64 otherwise."""
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    if floats and all(d == np.float32 for d in floats):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def reduce(loss: np.ndarray, reduction: str, dtype: np.dtype | None = None) -> Any:
    """Apply a PyTorch-style reduction. Scalars come back as NumPy scalars."""
    dtype = loss.dtype if dtype is None else dtype
    if reduction == "none":
        return loss.astype(dtype, copy=False)
    if reduction == "sum":
        return dtype.type(loss.sum(dtype=dtype))
    return dtype.type(loss.mean(dtype=dtype))


def reduction_scale(n: int, reduction: str, dtype: np.dtype) -> Any:
    """d(reduced)/d(each unreduced loss): 1/n for 'mean', 1 otherwise."""
    return dtype.type(1.0 / n) if reduction == "mean" else dtype.type(1.0)


# Elements per block of the element-wise loss kernels: 32 Ki float64 = 256 KiB per temporary, so a
# kernel's few temporaries stay in L2 cache and no input-sized temporary is ever allocated.
BLOCK = 1 << 15


def blocked_elementwise(
    kernel: Any,
    arrays: tuple[np.ndarray, ...],
    shape: tuple[int, ...],
    dtype: np.dtype,
    reduction: str,
    *,
    need_grad: bool,
    denominator: float | None = None,
    grad_factor: float = 1.0,
) -> tuple[Any, np.ndarray | None]:
    """Evaluate an element-wise loss (and its gradient) block by block, then reduce.

    ``arrays`` are same-size inputs of ``dtype`` (any shape; flattened here, a copy only when not
    contiguous). ``kernel(blocks, loss_out, grad_out)`` receives the matching 1-D blocks of the
    inputs and must write the element losses into ``loss_out`` and, when ``grad_out`` is not
    None, their derivatives into ``grad_out`` (both 1-D, the block's length; the kernel may use
    them as scratch before writing the result). The inputs are never written.

    Returns ``(value, grad)``: ``value`` reduced as PyTorch does ('mean' divides by
    ``denominator``, the number of elements by default) -- a NumPy scalar, or an array of
    ``shape`` for 'none' (0-d for 0-d input) -- and ``grad`` (``shape``, or None) already
    multiplied by ``grad_factor`` times the reduction's scale. The sum is pairwise within a
    block (``np.add.reduce``, in ``dtype``) and the block sums are added in float64, so float32
    keeps its accuracy.
    """
    flat = [a.reshape(-1) for a in arrays]
    n = flat[0].size
    if denominator is None:
        denominator = n
    factor = grad_factor / denominator if reduction == "mean" else grad_factor
    scale = None if factor == 1.0 else dtype.type(factor)
    per_element = reduction == "none"
    loss = np.empty(n, dtype) if per_element else None
    grad = np.empty(n, dtype) if need_grad else None
    block = min(n, BLOCK)
    scratch = None if per_element else np.empty(block, dtype)
    nblocks = -(-n // block)
    partial = None if per_element else np.empty(nblocks, np.float64)
    for k in range(nblocks):
        s = k * block
        e = min(s + block, n)
        lb = loss[s:e] if per_element else scratch[: e - s]
        gb = grad[s:e] if need_grad else None
        kernel([a[s:e] for a in flat], lb, gb)
        if not per_element:
            partial[k] = np.add.reduce(lb)
        if scale is not None and gb is not None:
            gb *= scale
    if need_grad:
        grad = grad.reshape(shape)
    if per_element:
        return loss.reshape(shape), grad
    total = np.add.reduce(partial)
    if reduction == "mean":
        total /= denominator
    return dtype.type(total), grad
