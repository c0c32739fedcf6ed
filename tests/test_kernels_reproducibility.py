"""The same values give the same bits on the C path whatever the thread count, the memory order,
the alignment and the kernel build (256- or 512-bit); the extension's pool shares the blocks
among its threads and serves concurrent callers."""

from __future__ import annotations

import os
import threading
import zlib
from typing import Any

import numpy as np
import pytest
from kernel_cases import (
    CASE_IDS,
    CASES,
    DTYPES,
    REDUCTIONS,
    REQUIRE_ENV,
    _kernels,
    _Spy,
    on_c_path,
    on_path,
)

import losslab
from losslab import _fast
from losslab._reduction import BLOCK

# ------------------------------------------------------------------------------------------------
# Thread counts, memory order, alignment
# ------------------------------------------------------------------------------------------------


THREAD_CASES = [
    case
    for case in CASES
    if case.name
    in (
        "mse-weight",
        "huber",
        "smooth_l1-beta",
        "bce_logits",
        "soft_margin",
        "l1",
        "kl_div",
        "cross_entropy",
        "nll",
    )
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", THREAD_CASES, ids=[case.name for case in THREAD_CASES])
def test_bit_identical_for_every_thread_count(case, dtype):
    rng = np.random.default_rng(11)
    args, kwargs = case.make(rng, 1_100_003, dtype)  # 33.6 blocks; a partial vector at the end
    vg = losslab.value_and_grad(case.fn)
    results = {}
    try:
        for threads in (1, 2, 3):
            losslab.set_num_threads(threads)
            for reduction in ("mean", "none"):
                spy = _Spy(_kernels)
                value, g = on_path(spy, vg, *args, reduction=reduction, **case.kwargs, **kwargs)
                results[threads, reduction] = (np.asarray(value).tobytes(), g.tobytes())
                # one call, which shares the blocks among the extension's threads
                assert spy.threads == {case.kernel: [threads]}, spy.threads
    finally:
        losslab.set_num_threads(None)
    for threads in (2, 3):
        for reduction in ("mean", "none"):
            one, many = results[1, reduction], results[threads, reduction]
            assert one[0] == many[0], f"{case.name} {reduction}: value, {threads} threads"
            assert one[1] == many[1], f"{case.name} {reduction}: gradient, {threads} threads"


def test_pool_workers_take_tasks():
    """With 2 threads the extension's pool workers really run some of the blocks (a worker the
    OS wakes late may miss a call, so a few calls are allowed)."""
    x = np.linspace(-3.0, 3.0, 64 * BLOCK)
    t = np.zeros_like(x)
    part = np.empty(64)
    before = _kernels.worker_tasks()
    for _ in range(50):
        assert _kernels.pair(0, False, x, t, None, 0.0, None, None, 1.0, part, BLOCK, 2)
        if _kernels.worker_tasks() > before:
            break
    assert _kernels.worker_tasks() > before
    one = part.copy()
    after = _kernels.worker_tasks()
    assert _kernels.pair(0, False, x, t, None, 0.0, None, None, 1.0, part, BLOCK, 1)
    assert _kernels.worker_tasks() == after  # one thread: no worker takes part
    assert part.tobytes() == one.tobytes()


def test_concurrent_calls_from_python_threads():
    """Python threads that call the kernels at the same time (the GIL is released) share one
    pool: a call that finds it busy runs alone. Every call gets the single-threaded bits."""
    rng = np.random.default_rng(17)
    x = rng.standard_normal((24 * BLOCK // 8, 8))
    y = rng.integers(0, 8, x.shape[0])
    vg = losslab.value_and_grad(losslab.cross_entropy)
    losslab.set_num_threads(1)
    try:
        expected = vg(x, y)
        losslab.set_num_threads(2)
        results: list[Any] = []
        lock = threading.Lock()

        def call() -> None:
            for _ in range(5):
                value, grad = vg(x, y)
                with lock:
                    results.append((value, grad))

        workers = [threading.Thread(target=call) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        losslab.set_num_threads(None)
    assert len(results) == 20
    for value, grad in results:
        assert value == expected[0] and grad.tobytes() == expected[1].tobytes()


def test_the_512_bit_build_agrees_with_the_portable_one():
    """``_kernels512`` (used on CPUs with AVX-512) and ``_kernels`` (256-bit, everywhere else)
    are the same source with a different vector width: only the order of the partial sums
    differs, so they agree to a few ulps; ``_fast`` picks the wide one exactly when it suits."""
    try:
        from losslab import _kernels512 as wide
    except ImportError as exc:
        if os.environ.get(REQUIRE_ENV, "").strip() not in ("", "0"):
            pytest.fail(f"{REQUIRE_ENV} is set but losslab._kernels512 is not built: {exc}")
        pytest.skip(f"losslab._kernels512 is not built: {exc}")
    assert (_fast.kernels is wide) == (
        os.environ.get(_fast.ENV_VAR, "") in ("", "0") and wide.preferred()
    )
    rng = np.random.default_rng(512)
    x, t = rng.standard_normal(70_001), rng.standard_normal(70_001)
    logits, labels = rng.standard_normal((3_001, 10)), rng.integers(0, 10, 3_001)
    for fn, args in [
        (losslab.mse_loss, (x, t)),
        (losslab.huber_loss, (x, t)),
        (losslab.binary_cross_entropy_with_logits, (x, rng.random(70_001))),
        (losslab.cross_entropy, (logits, labels)),
        (losslab.nll_loss, (logits, labels)),
    ]:
        for dtype in (np.float64, np.float32):
            cast = tuple(a.astype(dtype) if a.dtype.kind == "f" else a for a in args)
            values = []
            for module in (_kernels, wide):
                previous = _fast.use_kernels(module)
                try:
                    values.append(losslab.value_and_grad(fn)(*cast))
                finally:
                    _fast.use_kernels(previous)
            (v256, g256), (v512, g512) = values
            eps = np.finfo(dtype).eps
            assert abs(v256 - v512) <= 4 * eps * abs(v256), (fn.__name__, dtype)
            np.testing.assert_allclose(g256, g512, rtol=4 * eps, atol=4 * eps * np.abs(g256).max())


def _unaligned(a: np.ndarray, offset: int) -> np.ndarray:
    """A C-contiguous copy of ``a`` starting ``offset`` bytes past an aligned address
    (``offset`` not a multiple of the item size: an unaligned array)."""
    buf = np.zeros(a.nbytes + 64 + offset, np.uint8)
    start = -buf.ctypes.data % 64 + offset
    out = buf[start : start + a.nbytes].view(a.dtype).reshape(a.shape)
    out[...] = a
    return out


def _layouts(a: np.ndarray) -> dict[str, np.ndarray]:
    """The same values of a 2-D array in other memory layouts."""
    return {
        "fortran": np.asfortranarray(a),
        "offset-1-item": np.concatenate([a.ravel()[:1], a.ravel()])[1:].reshape(a.shape),
        "unaligned": _unaligned(a, 3 if a.itemsize == 8 else 1),
        "64-byte-aligned": _unaligned(a, 0),
    }


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_bit_identical_for_every_memory_layout(case, dtype):
    """The C path gives the same bits for the same values whatever their memory order (C or
    Fortran) and alignment (offset by an item, unaligned, 64-byte aligned), for every routed
    loss, its gradient and each reduction."""
    rng = np.random.default_rng(zlib.crc32(f"{case.name} {dtype} layouts".encode()))
    args, kwargs = case.make(rng, max(case.sizes), dtype)
    if args[0].ndim == 1:  # a 2-D shape, so that memory order means something
        m = next(d for d in (7, 5, 3, 1) if args[0].size % d == 0)
        args = tuple(a.reshape(m, -1) for a in args)
        kwargs = {k: w.reshape(m, -1) for k, w in kwargs.items()}
    vg = losslab.value_and_grad(case.fn)
    for reduction in REDUCTIONS:
        kw = {"reduction": reduction, **case.kwargs}
        value, grad = on_c_path(vg, *args, kernel=case.kernel, **kw, **kwargs)
        for layout in _layouts(args[0]):
            moved = tuple(_layouts(a)[layout] if a.dtype.kind == "f" else a for a in args)
            moved_kw = {k: _layouts(w)[layout] for k, w in kwargs.items()}
            v2, g2 = on_c_path(vg, *moved, kernel=case.kernel, **kw, **moved_kw)
            what = f"{case.name} {reduction} {layout}"
            assert np.asarray(v2).tobytes() == np.asarray(value).tobytes(), what
            assert g2.tobytes() == grad.tobytes(), what
