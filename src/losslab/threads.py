r"""Number of threads used by the block-wise loss kernels.

The element-wise losses (MSE, L1, Huber, smooth L1, BCE, BCE with logits, KL divergence, the
margin losses) and the softmax cross-entropy work on the input block by block. Each block's
partial sum is stored in its own slot and the slots are added in block order afterwards, so the
result is bit-identical for every thread count.

Two pools share the blocks out. The compiled kernels (``losslab._kernels``) have their own, in C
(see ``losslab._fast``). The NumPy paths use the Python pool of this module: NumPy releases the
GIL inside its ufuncs, so large inputs are split into a few runs of consecutive blocks evaluated
on a small ``ThreadPoolExecutor``. Both pools are created on first use (never at
``import losslab``); this one only for inputs of at least :data:`MIN_BLOCKS` blocks (512 Ki
elements), the C pool from :data:`KERNEL_MIN_BLOCKS` blocks; smaller inputs run in the calling
thread.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

from . import _validation as v

__all__ = ["get_num_threads", "set_num_threads"]

#: Environment variable read when no thread count was set with :func:`set_num_threads`.
NUM_THREADS_ENV = "LOSSLAB_NUM_THREADS"
ENV_VAR = NUM_THREADS_ENV  # the former name, kept for callers

#: Largest thread count accepted (by :func:`set_num_threads` and from ``LOSSLAB_NUM_THREADS``).
#: Far above any useful count (the C pool runs at most 64 threads, the blocks of a call are
#: shared among at most half their number), and small enough for every count to stay a C int.
MAX_THREADS = 1024

#: Fewest blocks (of 32 Ki elements) for which the NumPy paths spread the work over threads (the
#: Python pool). Measured on a quiet 2-vCPU VM (docs/performance.md): at 8 blocks a second
#: thread lost on MSE and won on BCE with logits; at 31 blocks (10^6 elements) it won on every
#: loss (1.05x MSE to 1.66x BCE with logits fwd+grad). On a loaded machine it wins only at
#: about 10^7 elements.
MIN_BLOCKS = 16

#: Fewest blocks a compiled kernel call shares among threads (the extension's C pool, which
#: starts work far more cheaply). Measured on the 2-vCPU VM with back-to-back calls: from 4
#: blocks on a second thread halved the time of MSE (the cheapest loss) in float32 and
#: float64; at 3 blocks (2 + 1) it lost on float64.
KERNEL_MIN_BLOCKS = 4

_lock = threading.Lock()
_num_threads: int | None = None  # set by set_num_threads; None: environment or default
_default_threads: int | None = None  # min(2, os.cpu_count()), once known
_pool: ThreadPoolExecutor | None = None
_pool_key: tuple[int, int] = (0, 0)  # (workers, pid) the pool was made for (none yet)


def _check_count(n: Any, name: str) -> int:
    value = v.check_int(n, name)
    if not 1 <= value <= MAX_THREADS:
        raise ValueError(f"`{name}` is {n!r}, expected an int from 1 to {MAX_THREADS}")
    return value


def _from_environment() -> int | None:
    raw = os.environ.get(NUM_THREADS_ENV, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_THREADS:
        raise ValueError(
            f"`{NUM_THREADS_ENV}` is {raw!r}, expected an integer from 1 to {MAX_THREADS}"
        )
    return value


def set_num_threads(n: int | None) -> None:
    r"""Set how many threads the block-wise loss kernels may use.

    Parameters
    ----------
    n : int or None
        Number of threads, from 1 (everything runs in the calling thread) to
        :data:`MAX_THREADS` (1024). ``None``
        restores the default: the environment variable ``LOSSLAB_NUM_THREADS`` when it is set,
        else ``min(2, os.cpu_count())``.

    Raises
    ------
    TypeError
        If `n` is not an int (bool and float are rejected).
    ValueError
        If `n` is smaller than 1 or larger than :data:`MAX_THREADS`.

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
    >>> x = np.linspace(-3.0, 3.0, 1_000_000)
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
        If ``LOSSLAB_NUM_THREADS`` is set but is not an integer from 1 to :data:`MAX_THREADS`.

    Examples
    --------
    >>> import losslab
    >>> losslab.set_num_threads(3)
    >>> print(losslab.get_num_threads())
    3
    >>> losslab.set_num_threads(None)
    """
    global _default_threads
    if _num_threads is not None:
        return _num_threads
    env = _from_environment()
    if env is not None:
        return env
    if _default_threads is None:  # os.cpu_count() costs microseconds: ask once
        _default_threads = min(2, os.cpu_count() or 1)
    return _default_threads


def num_threads_source() -> Literal["set", "environment", "default"]:
    """Where :func:`get_num_threads` takes its number from.

    ``"set"``: a call of :func:`set_num_threads`; ``"environment"``: ``LOSSLAB_NUM_THREADS``;
    ``"default"``: ``min(2, os.cpu_count())``. Used by ``losslab.show_config()``.
    """
    if _num_threads is not None:
        return "set"
    if os.environ.get(NUM_THREADS_ENV, "").strip():
        return "environment"
    return "default"


def _submit(task: Callable[[], None], count: int) -> None:
    """Submit ``count`` calls of ``task`` to the shared pool, each in a copy of the caller's
    context (so ``np.errstate`` applies in the workers).

    The pool is created on first use, grown when more workers are needed and made anew in a
    forked child; submitting under the lock keeps a pool from being replaced mid-submission.
    """
    global _pool, _pool_key
    pid = os.getpid()
    with _lock:
        if _pool is None or _pool_key[1] != pid or _pool_key[0] < count:
            if _pool is not None and _pool_key[1] == pid:
                _pool.shutdown(wait=False)  # its queued work still runs
            _pool = ThreadPoolExecutor(count, thread_name_prefix="losslab")
            _pool_key = (count, pid)
        for _ in range(count):
            _pool.submit(contextvars.copy_context().run, task)


class _Blocks:
    """Block indices handed out in increasing order to whichever thread asks next."""

    def __init__(self, nblocks: int, make_worker: Callable[[], Callable[[int], None]]) -> None:
        self.nblocks = nblocks
        self.make_worker = make_worker
        self.next = 0
        self.busy = 0  # claimed and not finished
        self.errors: dict[int, BaseException] = {}
        self.cond = threading.Condition()

    def _claim(self) -> int | None:
        with self.cond:
            if self.errors or self.next >= self.nblocks:
                return None
            self.busy += 1
            self.next += 1
            return self.next - 1

    def _done(self, k: int, exc: BaseException | None) -> None:
        with self.cond:
            self.busy -= 1
            if exc is not None:
                self.errors[k] = exc
            if not self.busy:
                self.cond.notify_all()

    def work(self) -> None:
        """Evaluate blocks until none is left (a late worker finds none and returns at once)."""
        fn = None
        while (k := self._claim()) is not None:
            exc = None
            try:
                if fn is None:
                    fn = self.make_worker()
                fn(k)
            except BaseException as e:  # recorded; the caller re-raises it
                exc = e
            self._done(k, exc)

    def wait(self) -> None:
        with self.cond:
            while self.busy:
                self.cond.wait()
        if self.errors:
            raise self.errors[min(self.errors)]


def run_blocks(make_worker: Callable[[], Callable[[int], None]], nblocks: int) -> None:
    """Evaluate ``fn(k)`` for every block ``k`` in ``range(nblocks)``, ``fn = make_worker()``.

    ``make_worker`` is called once per thread that takes part, so each thread gets its own
    scratch buffers; ``fn(k)`` must write only block ``k``'s share of the outputs. With one
    thread, or fewer than :data:`MIN_BLOCKS` blocks, the blocks run in order in the calling
    thread. Otherwise ``min(get_num_threads(), nblocks // 2) - 1`` pool workers are asked to
    help: the calling thread and the workers take the next unclaimed block until none is left,
    so a worker that the OS schedules late costs nothing (the caller does the work) and the
    caller waits only for blocks already started. After a block raises no new block is started;
    once the started ones finish, the exception of the lowest failing block is re-raised, the one
    a single-threaded loop would have met first.
    """
    threads = min(get_num_threads(), nblocks // 2) if nblocks >= MIN_BLOCKS else 1
    if threads <= 1:
        fn = make_worker()
        for k in range(nblocks):
            fn(k)
        return
    state = _Blocks(nblocks, make_worker)
    _submit(state.work, threads - 1)
    state.work()
    state.wait()
