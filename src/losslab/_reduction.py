"""Reductions and the block-wise engine shared by the element-wise losses.

PyTorch-style reductions ('mean', 'sum', 'none') live here, with the blocked evaluator that keeps
every temporary of an element-wise loss in cache and never allocates an input-sized temporary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ._types import FloatDType, Losses, Scalar, ValueAndGrad
from .threads import run_blocks

#: ``kernel(blocks, loss, grad)`` of :func:`blocked_elementwise`.
Kernel = Callable[[list[np.ndarray], np.ndarray, "np.ndarray | None"], None]


def reduce(loss: np.ndarray, reduction: str, dtype: FloatDType | None = None) -> Scalar | Losses:
    """Apply a PyTorch-style reduction. Scalars come back as NumPy scalars."""
    if dtype is None:
        dtype = loss.dtype
    if reduction == "none":
        return loss.astype(dtype, copy=False)
    out: Scalar
    with np.errstate(over="ignore"):  # a sum beyond the range: see sum_terms
        out = loss.sum(dtype=dtype) if reduction == "sum" else loss.mean(dtype=dtype)
    if np.isfinite(out):
        return dtype.type(out)
    return sum_terms(loss, reduction, loss.size, dtype)


def sum_terms(terms: np.ndarray, reduction: str, denominator: float, dtype: FloatDType) -> Scalar:
    """:func:`finish_sum` of the float64 sum of ``terms``. When that sum overflows although
    every term is finite, the terms are divided by the largest ``|term|`` first and the sum
    scaled back after the division by ``denominator``: a 'mean' within the range comes out
    finite (and a 'sum' beyond it is inf), with no RuntimeWarning."""
    with np.errstate(over="ignore"):
        total = terms.sum(dtype=np.float64)
    if np.isfinite(total) or not np.isfinite(terms).all():
        return finish_sum(float(total), reduction, denominator, dtype)
    top = float(np.max(np.abs(terms)))
    scaled = float(np.divide(terms, top, dtype=np.float64).sum())
    if reduction == "mean":
        scaled /= denominator
    with np.errstate(over="ignore"):
        return finish_sum(top * scaled, "sum", 1.0, dtype)


def finish_sum(total: float, reduction: str, denominator: float, dtype: FloatDType) -> Scalar:
    """The reduced loss from the float64 sum of its terms: divided by ``denominator`` for
    'mean', as a ``dtype`` scalar (a float32 loss beyond the range is inf, as in PyTorch, with
    no RuntimeWarning)."""
    if reduction == "mean":
        total /= denominator
    if dtype == np.float64:
        return np.float64(total)
    with np.errstate(over="ignore"):
        return dtype.type(total)


def reduction_scale(n: int, reduction: str, dtype: FloatDType) -> Scalar:
    """d(reduced)/d(each unreduced loss): 1/n for 'mean', 1 otherwise."""
    return dtype.type(1.0 / n) if reduction == "mean" else dtype.type(1.0)


# Elements per block of the element-wise loss kernels: 32 Ki float64 = 256 KiB per temporary, so a
# kernel's few temporaries stay in L2 cache and no input-sized temporary is ever allocated.
BLOCK = 1 << 15


def blocked_elementwise(
    kernel: Kernel,
    arrays: Sequence[np.ndarray],
    shape: tuple[int, ...],
    dtype: FloatDType,
    reduction: str,
    *,
    need_grad: bool,
    denominator: float | None = None,
    grad_factor: float = 1.0,
) -> ValueAndGrad:
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

    The blocks of large inputs are shared out among :func:`losslab.get_num_threads` threads
    (:func:`losslab.threads.run_blocks`); the kernel must therefore write only to the blocks it
    is given and keep no state between calls. Block boundaries and the order of the final sum do
    not depend on the thread count, so the result is bit-identical for every thread count.
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
    nblocks = -(-n // block)
    partial = None if per_element else np.empty(nblocks, np.float64)

    def worker() -> Callable[[int], None]:
        # One per thread: its own scratch buffer (for 'none' the output itself). Block k writes
        # only its slices of loss/grad and its slot of ``partial``.
        out = loss if loss is not None else np.empty(block, dtype)

        def run(k: int) -> None:
            s = k * block
            e = min(s + block, n)
            lb = out[s:e] if partial is None else out[: e - s]
            gb = None if grad is None else grad[s:e]
            kernel([a[s:e] for a in flat], lb, gb)
            if partial is not None:
                partial[k] = np.add.reduce(lb)
            if scale is not None and gb is not None:
                gb *= scale

        return run

    # A loss too large for the dtype overflows to inf, as in PyTorch, without a RuntimeWarning
    # (the workers inherit this context).
    with np.errstate(over="ignore"):
        run_blocks(worker, nblocks)
        if grad is not None:
            grad = grad.reshape(shape)
        if loss is not None:
            return loss.reshape(shape), grad
    assert partial is not None  # reduction != 'none'
    return finish_sum(float(np.add.reduce(partial)), reduction, denominator, dtype), grad
