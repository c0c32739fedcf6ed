"""Shared input checks.

Every public function converts and checks its arguments here, so that the same mistake gets the same
message everywhere. Messages start with the argument name in backticks.

When several arguments are wrong, the error names the first fault in this order, on the compiled
and the NumPy path alike:

1. what can be checked without reading the values: types and dtypes, ragged or empty arrays,
   shapes, and the options (``reduction``, ``delta``, ...);
2. then the values, argument by argument in the signature's order (``input``, ``target``, then
   the weights): for each, NaN/inf first, then its range (probabilities in [0, 1], labels -1 or
   1, non-negative weights, ...).

A NaN ``input`` with a ``target`` of 2 for ``soft_margin_loss`` is reported as the NaN; a
``target`` of the wrong shape is reported before either. (``losslab._elementwise.prepare``
follows it; class labels are checked with their conversion, :func:`as_label_array`.)
"""

from __future__ import annotations

import numbers
from typing import Any, TypeGuard

import numpy as np

from ._foreign import check_foreign

REDUCTIONS = ("mean", "sum", "none")


def is_bool(x: object) -> TypeGuard[bool | np.bool[Any]]:
    """``isinstance(x, (bool, np.bool_))``, with the type a checker needs (``np.bool[Any]``)."""
    return isinstance(x, (bool, np.bool_))


def is_array(x: object) -> TypeGuard[np.ndarray[Any, np.dtype[Any]]]:
    """``isinstance(x, np.ndarray)``, typed like :func:`is_bool`."""
    return isinstance(x, np.ndarray)


def is_int(x: object) -> TypeGuard[int | np.integer[Any]]:
    """``isinstance(x, (int, np.integer))`` (bool included), typed like :func:`is_bool`."""
    return isinstance(x, (int, np.integer))


def _dtype_kind_error(name: str, arr_dtype: np.dtype, what: str) -> TypeError:
    return TypeError(f"`{name}` has dtype {arr_dtype}, expected {what}")


def to_array(x: Any, name: str) -> np.ndarray:
    """``np.asarray(x)`` with a clear error for ragged or non-numeric input, a masked array
    (whose mask would be ignored) or an ``np.matrix`` (always 2-D, with ``*`` as the matrix
    product; refused, as scikit-learn does)."""
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"`{name}` is a masked array, expected a plain array (use .filled())")
    if isinstance(x, np.matrix):
        raise TypeError(
            f"`{name}` is an np.matrix, expected an ndarray (convert it with np.asarray)"
        )
    if is_array(x):
        return x
    if isinstance(x, (str, bytes)):
        raise TypeError(f"`{name}` is a {type(x).__name__}, expected numbers")
    check_foreign(x, name)  # tensors that require grad, GPU tensors, traced JAX values
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
    that float32 predictions with integer targets stay float32); float16 becomes float32, so a
    float16 call computes in float32 and returns float32 (PyTorch returns float16); float32
    and float64 are kept. A Fortran-ordered, strided or unaligned array is copied to a
    C-contiguous, aligned one, so that NumPy's reductions (whose summation order follows the
    memory layout) give the same bits for the same values. The caller's array is returned as
    is when no conversion is needed: never write into the result.
    """
    arr = to_array(x, name)
    kind = arr.dtype.kind
    if not arr.dtype.isnative:  # big-endian float32 stays float32
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if kind == "f" and arr.dtype.itemsize > 8:
        raise TypeError(
            f"`{name}` has dtype {arr.dtype}, which losslab would round to float64; "
            "expected float64 or float32 (convert it explicitly)"
        )
    if kind == "b":
        raise _dtype_kind_error(name, arr.dtype, "a real floating or integer dtype (not bool)")
    if kind in "iu":
        arr = arr.astype(int_as)
    elif kind == "f":
        if arr.dtype == np.float16:
            arr = arr.astype(np.float32)
        elif arr.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            arr = arr.astype(np.float64)
    else:
        raise _dtype_kind_error(name, arr.dtype, "a real floating or integer dtype")
    if arr.ndim < min_ndim:
        raise ValueError(f"`{name}` has {arr.ndim} dimension(s), expected at least {min_ndim}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"`{name}` is empty (shape {arr.shape}), expected at least one element")
    if not allow_nonfinite:
        check_finite(arr, name)
    return np.require(arr, requirements=("C", "A"))


def check_finite(arr: np.ndarray, name: str) -> None:
    """Raise a ValueError naming ``name`` if ``arr`` holds a NaN or an infinity.

    The compiled kernels check finiteness in the same pass as the loss; their callers use this
    to raise the same error afterwards.
    """
    if not np.isfinite(arr).all():
        bad = "NaN" if np.isnan(arr).any() else "inf"
        raise ValueError(f"`{name}` contains {bad}; expected finite values")


def as_label_array(
    x: Any, name: str, *, n_classes: int | None = None, ignore_index: int | None = None
) -> np.ndarray:
    """Return integer class labels as an int64 array, checking their range."""
    if is_bool(x):
        raise TypeError(f"`{name}` is a bool, expected integer class labels")
    arr = to_array(x, name)
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
    if n_classes is not None and arr.size and not 0 <= arr.min() <= arr.max() < n_classes:
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
    """Values must lie in [0, 1]. An infinity is reported as such (the compiled kernels check
    finiteness after the range, in their own pass)."""
    if p.size and (p.min() < 0 or p.max() > 1):
        check_finite(p, name)
        raise ValueError(
            f"`{name}` has values in [{float(p.min())!r}, {float(p.max())!r}], expected "
            "probabilities in [0, 1]"
        )


def check_distribution(
    p: np.ndarray, name: str, axis: int = -1, stored: np.dtype | None = None
) -> None:
    """Values in [0, 1] whose sum along ``axis`` is 1 (to a dtype-aware tolerance).

    ``stored`` is the caller's dtype before :func:`as_float_array` (float16 becomes float32
    there, but its rounding stays: the tolerance follows float16 then)."""
    check_probabilities(p, name)
    s = p.sum(axis=axis, dtype=np.float64)
    # Loose enough for a distribution stored in float32 (even after a cast to float64), tight
    # enough to catch logits, counts and forgotten normalisations.
    narrow = np.float16 if stored is not None and np.dtype(stored) == np.float16 else np.float32
    tol = max(1e-6, 8 * float(np.finfo(narrow).eps) * p.shape[axis])
    if np.any(np.abs(s - 1.0) > tol):
        worst = float(np.asarray(s).ravel()[np.argmax(np.abs(np.asarray(s) - 1.0).ravel())])
        raise ValueError(
            f"`{name}` does not sum to 1 along axis {axis} (a sum is {worst!r}); expected a "
            "probability distribution"
        )


def check_nonnegative(w: np.ndarray, name: str) -> None:
    """Values must be >= 0; -inf is reported as an infinity, as in :func:`check_probabilities`."""
    if w.size and w.min() < 0:
        check_finite(w, name)
        raise ValueError(f"`{name}` contains a negative value {float(w.min())!r}; expected >= 0")


def check_positive_number(x: Any, name: str, *, allow_zero: bool = False) -> float:
    if is_bool(x) or not isinstance(x, numbers.Real):
        raise TypeError(f"`{name}` is {x!r}, expected a real number")
    value = float(x)
    ok = value >= 0 if allow_zero else value > 0
    if not np.isfinite(value) or not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"`{name}` is {x!r}, expected a finite number {bound}")
    return value


def check_axis(axis: Any, ndim: int, name: str) -> int:
    """``axis`` as an index in ``[0, ndim)`` of the ``ndim``-D argument ``name``."""
    ax = check_int(axis, "axis")
    if not -ndim <= ax < ndim:
        raise ValueError(
            f"`axis` is {ax}, expected an axis of the {ndim}-D `{name}` (in [{-ndim}, {ndim - 1}])"
        )
    return ax % ndim


def class_layout(shape: tuple[int, ...]) -> tuple[int, int, tuple[int, ...]]:
    """PyTorch's class axis of scores of ``shape``: 0 for one sample ``(C,)``, 1 for ``(N, C)``
    and ``(N, C, d1, ...)``. Returns ``(class axis, number of classes, shape without it)``."""
    axis = 0 if len(shape) == 1 else 1
    return axis, shape[axis], shape[:axis] + shape[axis + 1 :]


def check_bool(x: Any, name: str) -> bool:
    """A Python or NumPy bool (an int such as 1 is refused: options are flags)."""
    if not is_bool(x):
        raise TypeError(f"`{name}` is {x!r}, expected a bool")
    return bool(x)


def check_int(x: Any, name: str) -> int:
    if is_bool(x) or not isinstance(x, numbers.Integral):
        raise TypeError(f"`{name}` is {x!r}, expected an int")
    return int(x)


def result_dtype(*arrays: np.ndarray) -> np.dtype:
    """float32 only if every floating argument is float32; float64 otherwise."""
    floats = [a.dtype for a in arrays if a.dtype.kind == "f"]
    if floats and all(d == np.float32 for d in floats):
        return np.dtype(np.float32)
    return np.dtype(np.float64)
