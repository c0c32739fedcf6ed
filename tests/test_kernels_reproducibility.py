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
    pair_target,
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


def _wide() -> Any:
    """The 512-bit build, when it is built and the CPU can run it (else the test skips)."""
    try:
        from losslab import _kernels512 as wide
    except ImportError as exc:
        if os.environ.get(REQUIRE_ENV, "").strip() not in ("", "0"):
            pytest.fail(f"{REQUIRE_ENV} is set but losslab._kernels512 is not built: {exc}")
        pytest.skip(f"losslab._kernels512 is not built: {exc}")
    if not wide.preferred():
        pytest.skip("the CPU has no AVX-512")
    return wide


def test_the_wide_build_is_used_exactly_where_it_suits():
    """``_fast`` picks ``_kernels512`` exactly when the CPU has AVX-512 (and the kernels are on),
    and ``kernel_info`` says so."""
    wide = _wide()
    on = os.environ.get(_fast.PURE_NUMPY_ENV, "") in ("", "0")
    assert (_fast.kernels is wide) == on
    info = _fast.kernel_info()
    assert info["active"] == on and info["build"] == ("avx512" if on else None)
    assert info["threads"] == losslab.get_num_threads() and info["reason"]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("kind", sorted(_kernels.PAIR_KINDS))
def test_both_builds_give_the_same_bits_for_pair_kernels(kind, dtype):
    """``_kernels`` (256-bit vectors) and ``_kernels512`` (512-bit) sum in the same lanes in the
    same order: losses, derivatives and partial sums are bit-identical, for every length
    around the vector widths, the chunk and the block, with and without weights."""
    wide = _wide()
    code, f32 = _kernels.PAIR_KINDS[kind], dtype == np.float32
    rng = np.random.default_rng(zlib.crc32(f"{kind} {dtype} builds".encode()))
    for n in (1, 5, 9, 13, 17, 31, 37, 100, 515, 4099, 32769, 70001):
        x = (rng.standard_normal(n) * 3).astype(dtype)
        t = pair_target(kind, rng, n, dtype)
        w = rng.uniform(0.1, 2.0, n).astype(dtype)
        for weight in (None, w):
            outs = []
            for module in (_kernels, wide):
                loss, grad = np.empty(n, dtype), np.empty(n, dtype)
                part = np.empty(-(-n // BLOCK))
                module.pair(code, f32, x, t, weight, 0.7, loss, grad, 0.3, part, BLOCK)
                sums = np.empty_like(part)
                module.pair(code, f32, x, t, weight, 0.7, None, None, 0.3, sums, BLOCK)
                outs.append((loss.tobytes(), grad.tobytes(), part.tobytes(), sums.tobytes()))
            assert outs[0] == outs[1], f"{kind} {dtype} n={n} weighted={weight is not None}"


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_both_builds_give_the_same_bits_for_row_kernels(dtype):
    """The same for softmax cross-entropy and nll: narrow rows (taken a vector of rows at a
    time), wide rows (row sums in lanes), weights, ignored rows, blocks of every length."""
    wide = _wide()
    f32 = dtype == np.float32
    rng = np.random.default_rng(99)
    for c in (2, 3, 10, 16, 17, 20, 31, 33, 100, 5000):
        for m in (1, 3, 7, 9, 13, 33, 100, 3001):
            x = (rng.standard_normal((m, c)) * 4).astype(dtype)
            y = rng.integers(0, c, m)
            f = rng.uniform(0.2, 2.0, m).astype(dtype)
            y_ign = np.where(rng.random(m) < 0.2, -100, y)
            for block in (max(1, BLOCK // c), 13):
                nb = -(-m // block)
                for yy, ff, ign in ((y, None, None), (y, f, None), (y_ign, None, -100)):
                    outs = []
                    for module in (_kernels, wide):
                        got = []
                        for name, ws in (("softmax_ce", (ff,)), ("nll", (ff, None))):
                            loss, grad, part = (
                                np.empty(m, dtype),
                                np.empty((m, c), dtype),
                                np.empty(nb),
                            )
                            fn = getattr(module, name)
                            r = fn(f32, x, c, yy, *ws, 0.3, loss, grad, part, block, 1, ign)
                            sums = np.empty(nb)
                            fn(f32, x, c, yy, *ws, 0.3, None, None, sums, block, 1, ign)
                            got.append(
                                (r, loss.tobytes(), grad.tobytes(), part.tobytes(), sums.tobytes())
                            )
                        outs.append(got)
                    assert outs[0] == outs[1], f"{dtype} c={c} m={m} block={block} ignore={ign}"


def test_thread_counts_are_bounded():
    """``set_num_threads`` takes 1 to ``MAX_THREADS`` threads and names ``n`` otherwise, so no
    count can overflow the kernels' C int later."""
    try:
        losslab.set_num_threads(losslab.threads.MAX_THREADS)
        assert losslab.get_num_threads() == losslab.threads.MAX_THREADS
        x = np.ones(5 * BLOCK)
        assert losslab.mse_loss(x, x) == 0.0
        for bad in (0, -1, losslab.threads.MAX_THREADS + 1, 2**31, 2**64):
            with pytest.raises(ValueError, match=r"^`n` is"):
                losslab.set_num_threads(bad)
    finally:
        losslab.set_num_threads(None)


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


def _numpy_path_calls(dtype: np.dtype) -> list[tuple[str, Any, dict[str, np.ndarray]]]:
    rng = np.random.default_rng(zlib.crc32(f"numpy path layouts {dtype}".encode()))
    shape = (257, 131)
    x = rng.standard_normal(shape).astype(dtype)
    t = rng.standard_normal(shape).astype(dtype)
    w = rng.uniform(0.0, 2.0, shape).astype(dtype)
    p = losslab.softmax(rng.standard_normal(shape).astype(dtype), axis=1)
    q = losslab.softmax(rng.standard_normal(shape).astype(dtype), axis=1)
    s = losslab.sigmoid(x)
    return [
        ("l1_penalty", losslab.l1_penalty, {"w": x}),
        ("l2_penalty", losslab.l2_penalty, {"w": x}),
        ("entropy", losslab.entropy, {"p": p}),
        ("kl_divergence", losslab.kl_divergence, {"p": p, "q": q}),
        ("cross_entropy_pq", losslab.cross_entropy_pq, {"p": p, "q": q}),
        ("cross_entropy-probabilities", losslab.cross_entropy, {"input": x, "target": p}),
        ("mse-weight", losslab.mse_loss, {"input": x, "target": t, "weight": w}),
        ("huber-weight", losslab.huber_loss, {"input": x, "target": t, "weight": w}),
        ("bce-weight", losslab.binary_cross_entropy, {"input": s, "target": q, "weight": w}),
        ("kl_div", losslab.kl_div, {"input": np.log(q), "target": p}),
        ("log_softmax", losslab.log_softmax, {"x": x}),
    ]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_numpy_path_bit_identical_for_every_memory_layout(dtype):
    """The NumPy path too gives the same bits for the same values whatever their memory order
    and alignment (its reductions run on C-contiguous, aligned arrays), though it may differ
    from the C path within the documented ulps."""
    differ = []
    for name, fn, kwargs in _numpy_path_calls(dtype):
        vg = losslab.value_and_grad(fn)
        value, grad = on_path(None, vg, **kwargs)
        for layout in _layouts(next(iter(kwargs.values()))):
            moved = {k: _layouts(a)[layout] for k, a in kwargs.items()}
            v2, g2 = on_path(None, vg, **moved)
            if np.asarray(v2).tobytes() != np.asarray(value).tobytes():
                differ.append(f"{name} {layout}: value")
            if np.asarray(g2).tobytes() != np.asarray(grad).tobytes():
                differ.append(f"{name} {layout}: gradient")
    assert not differ, differ
