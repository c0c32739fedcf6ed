"""The compiled kernels (``losslab._kernels``) and the switch between them and NumPy.

``losslab._kernels`` is a small C extension built when losslab is installed (``setup.py``,
sources in ``losslab/_csrc``). It evaluates a loss, its gradient and its partial sums in one
pass over the input, checks the input for NaN/inf in the same pass, and uses exp and log1p
routines accurate to 1 ulp (tested against mpmath). The extension is optional: when it could not
be built, or the environment variable ``LOSSLAB_PURE_NUMPY`` is set to ``1`` before losslab is
imported, every function runs on its NumPy path. Both paths are tested, and they agree to a few
ulps. :func:`kernel_info` tells which build is in use and why.

Large inputs (from :data:`losslab.threads.KERNEL_MIN_BLOCKS` blocks) are shared among
:func:`losslab.get_num_threads` threads by the extension's own pool of C threads: a block is
always computed whole by one thread, and partial sums are kept per block in a layout that does
not depend on the vector width, so results are bit-identical for every thread count, memory
order, alignment and kernel build. The kernels also check class labels (and leave out
``ignore_index`` rows) and the targets' ranges in their pass; Python then raises the NumPy
path's error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from . import _validation as v
from ._reduction import BLOCK, finish_sum
from ._types import FloatDType, ValueAndGrad
from .threads import KERNEL_MIN_BLOCKS, get_num_threads

#: Environment variable that turns the kernels off (``1``) when set before ``import losslab``.
PURE_NUMPY_ENV = "LOSSLAB_PURE_NUMPY"
ENV_VAR = PURE_NUMPY_ENV  # the former name, kept for callers


def _current(module: Any) -> bool:
    """Whether ``module`` was built from the current sources (a stale build in place lacks the
    constants, or has another block)."""
    return getattr(module, "BLOCK", None) == BLOCK and hasattr(module, "PAIR_KINDS")


def _load() -> tuple[ModuleType | None, str]:
    """The kernel module to use (or None) and why."""
    if os.environ.get(PURE_NUMPY_ENV, "").strip() not in ("", "0"):
        return None, f"{PURE_NUMPY_ENV} is set"
    try:
        from . import _kernels
    except ImportError as exc:  # not built: the NumPy paths are used
        return None, f"the extension is not built ({exc})"
    if not _current(_kernels):
        return None, "the extension is out of date (python setup.py build_ext --inplace)"
    try:  # the 512-bit build, where the CPU has AVX-512
        from . import _kernels512
    except ImportError:
        return _kernels, "the 512-bit build is not available"
    if not _current(_kernels512):
        return _kernels, "the 512-bit build is out of date"
    if _kernels512.preferred():
        return _kernels512, "the CPU has AVX-512"
    return _kernels, "the CPU has no AVX-512"


#: The extension module in use (``_kernels512`` on a CPU with AVX-512, else ``_kernels``), or
#: None (NumPy paths). Tests swap it with :func:`use_kernels`.
kernels, _reason = _load()

#: ``{name: code}`` of the element-wise losses the kernels compute, as the extension exports
#: them (empty without the extension).
PAIR_KINDS: dict[str, int] = dict(kernels.PAIR_KINDS) if kernels is not None else {}
#: The row kernels (functions of the extension over rows with labels).
ROW_KINDS: tuple[str, ...] = tuple(kernels.ROW_KINDS) if kernels is not None else ()


def active() -> bool:
    """True when the compiled kernels are in use."""
    return kernels is not None


def use_kernels(module: Any) -> Any:
    """Set the kernel module (None: NumPy paths); returns the previous one. For tests."""
    global kernels, _reason
    previous, kernels = kernels, module
    _reason = "set by use_kernels" if module is not None else "turned off by use_kernels"
    return previous


def kernel_info() -> dict[str, Any]:
    """What runs the losses: ``{"active", "build", "reason", "threads"}``.

    ``active`` is True when the compiled kernels are in use; ``build`` is ``"avx512"`` (the
    512-bit build), ``"avx2"`` (the 256-bit build on a CPU with AVX2), ``"256-bit"`` (the
    256-bit build on an older CPU, baseline instructions) or None; ``reason`` says why this build
    or why none; ``threads`` is :func:`losslab.get_num_threads`.
    """
    build = None
    if kernels is not None:
        build = kernels.BUILD
        if build == "avx2" and kernels.target() != "avx2":
            build = "256-bit"
    return {
        "active": kernels is not None,
        "build": build,
        "reason": _reason,
        "threads": get_num_threads(),
    }


def _threads(nblocks: int) -> int:
    """Threads for a kernel call over ``nblocks`` blocks: :func:`losslab.get_num_threads` from
    :data:`~losslab.threads.KERNEL_MIN_BLOCKS` blocks on, else 1. The extension's own pool
    shares the blocks (a block is never split), so per-block results do not depend on the
    count."""
    return get_num_threads() if nblocks >= KERNEL_MIN_BLOCKS else 1


def _flat(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).reshape(-1)


def pair(
    kind: str,
    arrays: Sequence[np.ndarray],
    dtype: FloatDType,
    reduction: str,
    *,
    need_grad: bool,
    param: float = 0.0,
    denominator: float | None = None,
    grad_factor: float = 1.0,
    names: tuple[str, ...] = ("input", "target", "weight"),
    recheck: Callable[[], None] | None = None,
) -> ValueAndGrad:
    """An element-wise loss of ``arrays = (x, t[, w])`` (same shape) in one compiled pass.

    The contract of :func:`losslab._reduction.blocked_elementwise` (same blocks, same
    reductions, gradient multiplied by ``grad_factor`` and the reduction's scale), for the
    losses of :data:`PAIR_KINDS`; ``param`` is Huber's delta or smooth L1's beta. The arrays
    need not have been checked for NaN/inf: a ValueError naming the first non-finite one (by
    ``names``) is raised after the pass. The kernels of ``bce_logits``, ``soft_margin``,
    ``kl_div`` and ``kl_div_log`` also check the target's range (``[0, 1]``, ``-1 or 1``,
    ``[0, 1]``, ``<= 0``); ``recheck`` is the Python check that then raises the error, called
    before the NaN/inf checks.
    """
    shape: tuple[int, ...] = arrays[0].shape
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
    assert kernels is not None  # the callers check active()
    finite = kernels.pair(
        kernels.PAIR_KINDS[kind],
        dtype == np.float32,
        x,
        t,
        w,
        param,
        loss,
        grad,
        factor,
        partial,
        BLOCK,
        _threads(-(-n // BLOCK)),
    )
    if not finite:
        if recheck is not None:
            recheck()
        for a, name in zip(arrays, names, strict=False):
            v.check_finite(a, name)
    if grad is not None:
        grad = grad.reshape(shape)
    if loss is not None:
        return loss.reshape(shape), grad
    assert partial is not None  # reduction != 'none'
    return finish_sum(float(np.add.reduce(partial)), reduction, denominator, dtype), grad


def _row_kernel(
    name: str,
    x2: np.ndarray,
    y: np.ndarray,
    weights: tuple[np.ndarray | None, ...],
    scale: float,
    need_grad: bool,
    per_row: bool,
    ignore: int | None,
) -> tuple[np.ndarray | float, np.ndarray | None, Any, int, int]:
    """Run ``kernels.<name>`` (softmax_ce or nll) over rows ``x2`` (M, C) with labels ``y``
    and per-row ``weights`` (arrays or None), shared among the threads in whole blocks of
    rows. Returns the row losses (``per_row``) or their sum from the per-block compensated
    sums, the gradient (or None), and the kernel's three results."""
    x2 = np.ascontiguousarray(x2)
    m, c = x2.shape
    dtype = x2.dtype
    y = np.ascontiguousarray(y, dtype=np.int64)
    weights = tuple(None if w is None else np.ascontiguousarray(w, dtype=dtype) for w in weights)
    block = max(1, BLOCK // c)
    loss = np.empty(m, dtype) if per_row else None
    grad = np.empty((m, c), dtype) if need_grad else None
    partial = None if per_row else np.empty(-(-m // block), np.float64)
    out = (loss, grad, partial, block, _threads(-(-m // block)), ignore)
    flag, ignored, bad_label = getattr(kernels, name)(
        dtype == np.float32, x2, c, y, *weights, scale, *out
    )
    total = float(np.add.reduce(partial)) if partial is not None else loss
    assert total is not None  # per_row gives the row losses
    return total, grad, flag, ignored, bad_label


def softmax_ce(
    x2: np.ndarray,
    y: np.ndarray,
    f: np.ndarray | None,
    scale: float,
    need_grad: bool,
    per_row: bool,
    ignore: int | None = None,
) -> tuple[np.ndarray | float, np.ndarray | None, bool, int, int]:
    """Softmax cross-entropy of rows ``x2`` (M, C) with labels ``y`` (M,), row weights ``f``
    (None: 1), and ``scale`` times its gradient. With ``ignore`` (then ``f`` is None) rows whose
    label equals it are left out (loss and gradient 0) and the other labels are only checked
    here. Returns ``(loss, grad, all_finite, ignored, bad_label)``: ``loss`` is the array of row
    losses when ``per_row``, else their sum (from compensated per-block sums); ``all_finite``
    is False when some ``x - max`` was NaN/inf (check the input); ``ignored`` counts the rows
    left out; ``bad_label`` is the first row whose label is out of range (nothing else is then
    to be trusted), or -1."""
    return _row_kernel("softmax_ce", x2, y, (f,), scale, need_grad, per_row, ignore)


def nll(
    x2: np.ndarray,
    y: np.ndarray,
    f: np.ndarray | None,
    keep: np.ndarray | None,
    scale: float,
    need_grad: bool,
    per_row: bool,
    ignore: int | None = None,
) -> tuple[np.ndarray | float, np.ndarray | None, int, int, int]:
    """Per-row ``-f_i x[i, y_i]`` (0 where ``keep`` is 0) and, if asked, the gradient
    ``-scale f_i`` at the labels; ``ignore`` as in :func:`softmax_ce`. Returns ``(loss, grad,
    first_bad, ignored, bad_label)``: ``first_bad`` is the first counted row whose label entry
    is NaN/inf, or -1; the others as in :func:`softmax_ce`."""
    return _row_kernel("nll", x2, y, (f, keep), scale, need_grad, per_row, ignore)
