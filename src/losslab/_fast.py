"""The compiled kernels (``losslab._kernels``) and the switch between them and NumPy.

``losslab._kernels`` is a small C extension built when losslab is installed (``setup.py``). It
evaluates a loss, its gradient and its partial sums in one pass over the input, checks the
input for NaN/inf in the same pass, and uses exp and log1p routines accurate to 1 ulp (tested
against mpmath in ``tests/test_kernels.py``). The extension is optional: when it could not be
built, or the environment variable ``LOSSLAB_PURE_NUMPY`` is set to ``1`` before losslab is
imported, every function runs on its NumPy path. Both paths are tested, and they agree to a few
ulps.

Large inputs are shared among :func:`losslab.get_num_threads` threads on fixed block
boundaries, and partial sums are kept per block, so results are bit-identical for every thread
count, as on the NumPy path.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _validation as v
from ._reduction import BLOCK
from .threads import MIN_BLOCKS, get_num_threads, run_blocks

ENV_VAR = "LOSSLAB_PURE_NUMPY"


def _load() -> Any:
    if os.environ.get(ENV_VAR, "").strip() not in ("", "0"):
        return None
    try:
        from . import _kernels
    except ImportError:  # not built: the NumPy paths are used
        return None
    return _kernels


#: The extension module, or None (NumPy paths). Tests swap it with :func:`use_kernels`.
kernels: Any = _load()

PAIR_KINDS = {"mse": 0, "l1": 1, "huber": 2, "smooth_l1": 3, "bce_logits": 4, "soft_margin": 5}


def active() -> bool:
    """True when the compiled kernels are in use."""
    return kernels is not None


def use_kernels(module: Any) -> Any:
    """Set the kernel module (None: NumPy paths); returns the previous one. For tests."""
    global kernels
    previous, kernels = kernels, module
    return previous


def _run_ranges(n_units: int, unit_blocks: int, task: Callable[[int, int], None]) -> None:
    """Call ``task(start, stop)`` on consecutive ranges covering ``range(n_units)``.

    A unit is a row or an element; ``unit_blocks`` units make one block of ~``BLOCK`` elements.
    Inputs of at least ``MIN_BLOCKS`` blocks are cut into two tasks per thread (whole blocks
    each, so per-block results do not depend on the cut) and shared among the threads.
    """
    nblocks = -(-n_units // unit_blocks)
    nthreads = get_num_threads()
    if nthreads == 1 or nblocks < MIN_BLOCKS:
        task(0, n_units)
        return
    ntasks = min(nblocks, 2 * nthreads)
    per = -(-nblocks // ntasks)
    ntasks = -(-nblocks // per)

    def make_worker() -> Callable[[int], None]:
        def run(k: int) -> None:
            task(k * per * unit_blocks, min((k + 1) * per * unit_blocks, n_units))

        return run

    run_blocks(make_worker, ntasks, min_blocks=2)


def _flat(a: np.ndarray | None) -> np.ndarray | None:
    return None if a is None else np.ascontiguousarray(a).reshape(-1)


def pair(
    kind: str,
    arrays: tuple[np.ndarray, ...],
    names: tuple[str, ...],
    shape: tuple[int, ...],
    dtype: np.dtype,
    reduction: str,
    *,
    need_grad: bool,
    param: float = 0.0,
    denominator: float | None = None,
    grad_factor: float = 1.0,
) -> tuple[Any, np.ndarray | None]:
    """An element-wise loss of ``arrays = (x, t[, w])`` in one compiled pass.

    The contract of :func:`losslab._reduction.blocked_elementwise` (same blocks, same
    reductions, gradient multiplied by ``grad_factor`` and the reduction's scale), for the
    losses of :data:`PAIR_KINDS`; ``param`` is Huber's delta or smooth L1's beta. The arrays
    need not have been checked for NaN/inf: a ValueError naming the first non-finite one (by
    ``names``) is raised after the pass.
    """
    x, t = _flat(arrays[0]), _flat(arrays[1])
    w = _flat(arrays[2]) if len(arrays) > 2 else None
    n = x.size
    if denominator is None:
        denominator = n
    factor = grad_factor / denominator if reduction == "mean" else grad_factor
    per_element = reduction == "none"
    loss = np.empty(n, dtype) if per_element else None
    grad = np.empty(n, dtype) if need_grad else None
    partial = None if per_element else np.empty(-(-n // BLOCK), np.float64)
    f32 = dtype == np.float32
    code = PAIR_KINDS[kind]
    finite = []

    def task(s: int, e: int) -> None:
        finite.append(
            kernels.pair(
                code,
                f32,
                x[s:e],
                t[s:e],
                None if w is None else w[s:e],
                param,
                None if loss is None else loss[s:e],
                None if grad is None else grad[s:e],
                factor,
                None if partial is None else partial[s // BLOCK : -(-e // BLOCK)],
                BLOCK,
            )
        )

    _run_ranges(n, BLOCK, task)
    if not all(finite):
        for a, name in zip(arrays, names, strict=False):
            v.check_finite(a, name)
    if need_grad:
        grad = grad.reshape(shape)
    if per_element:
        return loss.reshape(shape), grad
    total = np.add.reduce(partial)
    if reduction == "mean":
        total /= denominator
    with np.errstate(over="ignore"):  # a float32 loss beyond the range is inf, as in PyTorch
        return dtype.type(total), grad


def _rows_per_block(c: int) -> int:
    return max(1, BLOCK // c)


def softmax_ce(
    x2: np.ndarray,
    y: np.ndarray,
    f: np.ndarray | None,
    scale: float,
    need_grad: bool,
    per_row: bool,
) -> tuple[np.ndarray | float, np.ndarray | None, bool]:
    """Softmax cross-entropy of rows ``x2`` (M, C) with labels ``y`` (M,), row weights ``f``
    (None: 1), and ``scale`` times its gradient. Returns ``(loss, grad, all_finite)``: ``loss``
    is the array of row losses when ``per_row``, else their sum (from compensated per-block
    sums); ``all_finite`` is False when some ``x - max`` was NaN/inf (check the input)."""
    x2 = np.ascontiguousarray(x2)
    m, c = x2.shape
    dtype = x2.dtype
    y = np.ascontiguousarray(y, dtype=np.int64)
    f = None if f is None else np.ascontiguousarray(f, dtype=dtype)
    loss = np.empty(m, dtype) if per_row else None
    grad = np.empty((m, c), dtype) if need_grad else None
    block = _rows_per_block(c)
    partial = None if per_row else np.empty(-(-m // block), np.float64)
    f32 = dtype == np.float32
    finite = []

    def task(s: int, e: int) -> None:
        finite.append(
            kernels.softmax_ce(
                f32,
                x2[s:e],
                c,
                y[s:e],
                None if f is None else f[s:e],
                scale,
                None if loss is None else loss[s:e],
                None if grad is None else grad[s:e],
                None if partial is None else partial[s // block : -(-e // block)],
                block,
            )
        )

    _run_ranges(m, block, task)
    total = loss if per_row else float(np.add.reduce(partial))
    return total, grad, all(finite)


def nll(
    x2: np.ndarray,
    y: np.ndarray,
    f: np.ndarray | None,
    keep: np.ndarray | None,
    scale: float,
    need_grad: bool,
    per_row: bool,
) -> tuple[np.ndarray | float, np.ndarray | None, int]:
    """Per-row ``-f_i x[i, y_i]`` (0 where ``keep`` is 0) and, if asked, the gradient
    ``-scale f_i`` at the labels. Returns ``(loss, grad, first_bad)``: ``loss`` is the array of
    row losses when ``per_row``, else their sum (a float, from compensated per-block sums);
    ``first_bad`` is the first counted row whose label entry is NaN/inf, or -1."""
    x2 = np.ascontiguousarray(x2)
    m, c = x2.shape
    dtype = x2.dtype
    y = np.ascontiguousarray(y, dtype=np.int64)
    f = None if f is None else np.ascontiguousarray(f, dtype=dtype)
    keep = None if keep is None else np.ascontiguousarray(keep, dtype=dtype)
    loss = np.empty(m, dtype) if per_row else None
    grad = np.empty((m, c), dtype) if need_grad else None
    block = _rows_per_block(c)
    partial = None if per_row else np.empty(-(-m // block), np.float64)
    bad = []

    def task(s: int, e: int) -> None:
        first = kernels.nll(
            dtype == np.float32,
            x2[s:e],
            c,
            y[s:e],
            None if f is None else f[s:e],
            None if keep is None else keep[s:e],
            scale,
            None if loss is None else loss[s:e],
            None if grad is None else grad[s:e],
            None if partial is None else partial[s // block : -(-e // block)],
            block,
        )
        if first >= 0:
            bad.append(s + first)

    _run_ranges(m, block, task)
    total = loss if per_row else float(np.add.reduce(partial))
    return total, grad, min(bad) if bad else -1
