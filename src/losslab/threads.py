r"""Number of threads used by the block-wise loss kernels.

The element-wise losses (MSE, L1, Huber, smooth L1, BCE, BCE with logits, KL divergence, the
margin losses) and the softmax cross-entropy work on the input block by block. NumPy releases the
GIL inside its ufuncs, so large inputs are split into a few runs of consecutive blocks evaluated
on a small thread pool. Each block's partial sum is stored in its own slot and the slots are
added in block order afterwards, so the result is bit-identical for every thread count.

The pool is created on first use (never at ``import losslab``) and only for inputs of at least
a few blocks (:data:`MIN_BLOCKS`); smaller inputs run in the calling thread.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from . import _validation as v

__all__ = ["get_num_threads", "set_num_threads"]

#: Environment variable read when no thread count was set with :func:`set_num_threads`.
ENV_VAR = "LOSSLAB_NUM_THREADS"

#: Fewest blocks for which the work is spread over threads (below, dispatch costs more than it
#: saves).
MIN_BLOCKS = 4

_lock = threading.Lock()
_num_threads: int | None = None  # set by set_num_threads; None: environment or default
_pool: ThreadPoolExecutor | None = None
_pool_key: tuple[int, int] | None = None  # (workers, pid) the pool was made for


def _check_count(n: Any, name: str) -> int:
    value = v.check_int(n, name)
    if value < 1:
        raise ValueError(f"`{name}` is {n!r}, expected an int >= 1")
    return value


def _from_environment() -> int | None:
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"`{ENV_VAR}` is {raw!r}, expected an integer >= 1")
    return value


def set_num_threads(n: int | None) -> None:
    r"""Set how many threads the block-wise loss kernels may use.

    Parameters
    ----------
    n : int or None
        Number of threads, at least 1 (1: everything runs in the calling thread). ``None``
        restores the default: the environment variable ``LOSSLAB_NUM_THREADS`` when it is set,
        else ``min(2, os.cpu_count())``.

    Raises
    ------
    TypeError
        If `n` is not an int (bool and float are rejected).
    ValueError
        If `n` is smaller than 1.

    Notes
    -----
    The setting is process-wide, like ``torch.set_num_threads``. Results do not depend on it:
    the blocks and the order in which their partial sums are added are the same for every
    thread count, so losses and gradients are bit-identical.

    Conventions
    -----------
    PyTorch: ``torch.set_num_threads`` (intra-op pool). NumPy has no such switch (its BLAS pool
    is set with threadpoolctl); losslab's setting does not change NumPy's BLAS threads.

    Examples
    --------
    >>> import numpy as np
    >>> import losslab
    >>> x = np.linspace(-3.0, 3.0, 200_000)
    >>> losslab.set_num_threads(1)
    >>> one = losslab.huber_loss(x, np.zeros_like(x))
    >>> losslab.set_num_threads(2)
    >>> print(losslab.get_num_threads(), losslab.huber_loss(x, np.zeros_like(x)) == one)
    2 True
    >>> losslab.set_num_threads(None)  # back to the default
    """
    global _num_threads
    _num_threads = None if n is None else _check_count(n, "n")


def get_num_threads() -> int:
    r"""Number of threads the block-wise loss kernels use.

    Returns
    -------
    int
        The value given to :func:`set_num_threads`; if none was given, the environment variable
        ``LOSSLAB_NUM_THREADS``; if it is unset, ``min(2, os.cpu_count())``.

    Raises
    ------
    ValueError
        If ``LOSSLAB_NUM_THREADS`` is set but is not an integer >= 1.

    Examples
    --------
    >>> import losslab
    >>> losslab.set_num_threads(3)
    >>> print(losslab.get_num_threads())
    3
    >>> losslab.set_num_threads(None)
    """
    if _num_threads is not None:
        return _num_threads
    env = _from_environment()
    return env if env is not None else min(2, os.cpu_count() or 1)


def _submit(task: Callable[..., None], runs: list[tuple[int, int]]) -> list[Future]:
    """Submit ``task(*run)`` for each run to the shared pool, each in a copy of the caller's
    context (so ``np.errstate`` applies in the workers).

    The pool is created on first use, grown when more workers are needed and made anew in a
    forked child; submitting under the lock keeps a pool from being replaced mid-submission.
    """
    global _pool, _pool_key
    pid = os.getpid()
    with _lock:
        if _pool is None or _pool_key[1] != pid or _pool_key[0] < len(runs):
            if _pool is not None and _pool_key[1] == pid:
                _pool.shutdown(wait=False)  # its queued work still runs
            _pool = ThreadPoolExecutor(len(runs), thread_name_prefix="losslab")
            _pool_key = (len(runs), pid)
        return [_pool.submit(contextvars.copy_context().run, task, *run) for run in runs]


def run_chunks(task: Callable[[int, int], None], nblocks: int) -> None:
    """Call ``task(first, stop)`` on consecutive runs of blocks covering ``range(nblocks)``.

    With one thread, or fewer than :data:`MIN_BLOCKS` blocks, this is ``task(0, nblocks)`` in
    the calling thread. Otherwise the blocks are cut into ``get_num_threads()`` runs: the first
    run is done by the calling thread, the others by the pool. All runs finish before this
    returns; if several raised, the exception of the earliest run is re-raised, which is the one
    a single-threaded loop would have met first.
    """
    threads = min(get_num_threads(), nblocks // 2) if nblocks >= MIN_BLOCKS else 1
    if threads <= 1:
        task(0, nblocks)
        return
    bounds = [nblocks * i // threads for i in range(threads + 1)]
    futures = _submit(task, [(bounds[i], bounds[i + 1]) for i in range(1, threads)])
    first: BaseException | None = None
    try:
        task(bounds[0], bounds[1])
    except BaseException as exc:  # re-raised below, after the workers finish
        first = exc
    for f in futures:
        exc = f.exception()  # waits
        if first is None and exc is not None:
            first = exc
    if first is not None:
        raise first
