"""The blocked element-wise engine (losslab._reduction) and its thread pool (losslab.threads).

The central property: a loss and its gradient are bit-identical for every thread count, because
the blocks and the order in which their partial sums are added do not depend on it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import losslab
from losslab import _fast, _reduction, threads

BLOCK = _reduction.BLOCK


# The tests thread from 4 blocks on, to keep the inputs small (the default threshold is larger).
SMALL_THRESHOLD = 4


@pytest.fixture(autouse=True)
def _default_threads(monkeypatch):
    monkeypatch.delenv(threads.ENV_VAR, raising=False)
    monkeypatch.setattr(threads, "MIN_BLOCKS", SMALL_THRESHOLD)
    losslab.set_num_threads(None)
    yield
    losslab.set_num_threads(None)


def _signs(rng, n):
    return np.where(rng.uniform(size=n) < 0.5, -1.0, 1.0)


def _probs(rng, n):
    return rng.uniform(0.0, 1.0, size=n)


# name -> (function, builder(rng, n, dtype) -> (args, kwargs), reductions)
CASES = {
    "mse": (losslab.mse_loss, lambda g, n: ((g.standard_normal(n), g.standard_normal(n)), {})),
    "l1": (losslab.l1_loss, lambda g, n: ((g.standard_normal(n), g.standard_normal(n)), {})),
    "l1-weight": (
        losslab.l1_loss,
        lambda g, n: ((g.standard_normal(n), g.standard_normal(n)), {"weight": _probs(g, n)}),
    ),
    "huber": (
        losslab.huber_loss,
        lambda g, n: ((2 * g.standard_normal(n), g.standard_normal(n)), {"delta": 0.7}),
    ),
    "huber-weight": (
        losslab.huber_loss,
        lambda g, n: ((g.standard_normal(n), g.standard_normal(n)), {"weight": _probs(g, n)}),
    ),
    "smooth-l1": (
        losslab.smooth_l1_loss,
        lambda g, n: ((2 * g.standard_normal(n), g.standard_normal(n)), {"beta": 0.5}),
    ),
    "smooth-l1-beta0": (
        losslab.smooth_l1_loss,
        lambda g, n: ((g.standard_normal(n), g.standard_normal(n)), {"beta": 0.0}),
    ),
    "kl-div": (
        losslab.kl_div,
        lambda g, n: ((-g.exponential(size=n), _probs(g, n)), {}),
    ),
    "kl-div-log-target": (
        losslab.kl_div,
        lambda g, n: ((-g.exponential(size=n), -g.exponential(size=n)), {"log_target": True}),
    ),
    "bce": (
        losslab.binary_cross_entropy,
        lambda g, n: ((g.uniform(0.01, 0.99, n), _probs(g, n)), {"weight": _probs(g, n)}),
    ),
    "bce-logits": (
        losslab.binary_cross_entropy_with_logits,
        lambda g, n: ((3 * g.standard_normal(n), _probs(g, n)), {}),
    ),
    "bce-logits-weights": (
        losslab.binary_cross_entropy_with_logits,
        lambda g, n: (
            (3 * g.standard_normal(n), _probs(g, n)),
            {"weight": _probs(g, n), "pos_weight": 2 * _probs(g, n)},
        ),
    ),
    "hinge-embedding": (
        losslab.hinge_embedding_loss,
        lambda g, n: ((np.abs(g.standard_normal(n)), _signs(g, n)), {}),
    ),
    "soft-margin": (
        losslab.soft_margin_loss,
        lambda g, n: ((3 * g.standard_normal(n), _signs(g, n)), {}),
    ),
    "hinge": (losslab.hinge_loss, lambda g, n: ((g.standard_normal(n), _signs(g, n)), {})),
}
REDUCTIONS = ("mean", "sum", "none")
# Around the threading threshold (SMALL_THRESHOLD * BLOCK - 1 is 4 blocks, the last one short of an
# element), and an uneven split over the threads.
SIZES = (
    SMALL_THRESHOLD * BLOCK - 1,
    SMALL_THRESHOLD * BLOCK,
    SMALL_THRESHOLD * BLOCK + 1,
    7 * BLOCK + 5,
)


def _cast(args, kwargs, dtype):
    cast = tuple(a.astype(dtype) for a in args)
    return cast, {
        k: (v.astype(dtype) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()
    }


def _run(fn, args, kwargs, n_threads):
    losslab.set_num_threads(n_threads)
    value = fn(*args, **kwargs)
    vg_value, grad = losslab.value_and_grad(fn)(*args, **kwargs)
    return np.asarray(value), np.asarray(vg_value), grad


def _assert_bit_identical(a, b):
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_threaded_is_bit_identical(name, reduction, dtype, size):
    fn, build = CASES[name]
    args, kwargs = _cast(*build(np.random.default_rng(size), size), dtype)
    kwargs["reduction"] = reduction
    one = _run(fn, args, kwargs, 1)
    assert one[2].dtype == np.dtype(dtype)
    for n_threads in (2, 3):
        _assert_bit_identical(one, _run(fn, args, kwargs, n_threads))


@pytest.mark.parametrize("reduction", ["batchmean", "mean"])
def test_kl_div_batchmean_threaded(reduction):
    rng = np.random.default_rng(5)
    x, t = -rng.exponential(size=(9 * BLOCK // 8, 8)), _probs(rng, (9 * BLOCK // 8, 8))
    kwargs = {"reduction": reduction}
    _assert_bit_identical(
        _run(losslab.kl_div, (x, t), kwargs, 1), _run(losslab.kl_div, (x, t), kwargs, 2)
    )


CE_CASES = {
    "labels": lambda g, m, c: (g.integers(0, c, m), {}),
    "labels-weight-smoothing": lambda g, m, c: (
        g.integers(0, c, m),
        {"weight": g.uniform(0.5, 2.0, c), "label_smoothing": 0.1, "ignore_index": 3},
    ),
    "probabilities": lambda g, m, c: (g.dirichlet(np.ones(c), m), {}),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kind", sorted(CE_CASES))
@pytest.mark.parametrize(("rows", "classes"), [(30_001, 10), (1_025, 1000), (4 * 3_276, 10)])
def test_cross_entropy_threaded_is_bit_identical(kind, reduction, dtype, rows, classes):
    rng = np.random.default_rng(rows)
    x = (3 * rng.standard_normal((rows, classes))).astype(dtype)
    target, kwargs = CE_CASES[kind](rng, rows, classes)
    if target.dtype.kind == "f":
        target = target.astype(dtype)
    kwargs = {k: (v.astype(dtype) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
    kwargs["reduction"] = reduction
    one = _run(losslab.cross_entropy, (x, target), kwargs, 1)
    _assert_bit_identical(one, _run(losslab.cross_entropy, (x, target), kwargs, 2))


def _record_kernel(seen):
    def kernel(blocks, loss, grad):
        seen.append((threading.get_ident(), blocks[0][0], blocks[0].size))
        np.copyto(loss, blocks[0])
        if grad is not None:
            grad.fill(1.0)

    return kernel


def _blocked(x, reduction="sum", need_grad=True):
    seen = []
    value, grad = _reduction.blocked_elementwise(
        _record_kernel(seen), (x,), x.shape, x.dtype, reduction, need_grad=need_grad
    )
    return value, grad, seen


def test_large_input_runs_each_block_once_and_the_caller_takes_part():
    losslab.set_num_threads(2)
    n = 9 * BLOCK + 7
    x = np.arange(n, dtype=np.float64)
    value, grad, seen = _blocked(x)
    starts = sorted(int(first) for _, first, _ in seen)
    assert starts == [k * BLOCK for k in range(10)]  # every block exactly once
    assert sum(size for _, _, size in seen) == n
    assert threading.get_ident() in {ident for ident, _, _ in seen}
    assert value == x.sum() and np.array_equal(grad, np.ones(n))


def test_a_pool_worker_takes_blocks():
    # Whether a worker gets a block depends on the OS scheduler (the caller takes the next block
    # whenever the worker is late), so try a few times with slow blocks.
    losslab.set_num_threads(2)
    idents = set()

    def make():
        def run(k):
            idents.add(threading.get_ident())
            time.sleep(0.002)  # releases the GIL, like a ufunc

        return run

    for _ in range(20):
        threads.run_blocks(make, 8)
        if len(idents) > 1:
            break
    assert threading.get_ident() in idents and len(idents) == 2


def test_default_threshold(monkeypatch):
    monkeypatch.undo()  # the module's own MIN_BLOCKS
    assert threads.MIN_BLOCKS >= 4
    losslab.set_num_threads(2)
    _, _, seen = _blocked(np.ones((threads.MIN_BLOCKS - 1) * BLOCK))
    assert {ident for ident, _, _ in seen} == {threading.get_ident()}


def test_small_input_stays_in_the_calling_thread():
    losslab.set_num_threads(2)
    _, _, seen = _blocked(np.ones((SMALL_THRESHOLD - 1) * BLOCK))  # 3 blocks
    assert {ident for ident, _, _ in seen} == {threading.get_ident()}
    losslab.set_num_threads(1)
    _, _, seen = _blocked(np.ones(20 * BLOCK))
    assert {ident for ident, _, _ in seen} == {threading.get_ident()}


def test_errstate_applies_in_workers_no_runtime_warning():
    # log(0) in binary_cross_entropy is silenced by np.errstate in the calling thread; the
    # zeros sit in the last blocks, which a worker evaluates. Warnings are errors in this suite.
    losslab.set_num_threads(2)
    n = 8 * BLOCK
    x = np.full(n, 0.5)
    x[-5:] = 0.0
    x[-10:-5] = 1.0
    t = np.full(n, 0.5)
    value, grad = losslab.value_and_grad(losslab.binary_cross_entropy)(x, t)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    losslab.set_num_threads(1)
    assert value == losslab.binary_cross_entropy(x, t)


def test_first_error_is_the_single_threaded_one():
    # Bad labels in two blocks handled by different threads: the earlier block's message wins,
    # as in the single-threaded loop.
    n = 8 * BLOCK
    x = np.zeros(n)
    y = np.ones(n)
    y[BLOCK + 3] = 0.5
    y[7 * BLOCK] = 7.0
    messages = []
    for n_threads in (1, 2):
        losslab.set_num_threads(n_threads)
        with pytest.raises(ValueError, match=r"^`target`") as info:
            losslab.soft_margin_loss(x, y)
        messages.append(str(info.value))
    assert messages[0] == messages[1] and "0.5" in messages[0]
    y[BLOCK + 3] = 1.0  # now only the worker's block is bad
    with pytest.raises(ValueError, match=r"7\.0"):
        losslab.soft_margin_loss(x, y)


# --- set_num_threads / get_num_threads ----------------------------------------------------------


def test_default_is_at_most_two():
    assert losslab.get_num_threads() == min(2, os.cpu_count() or 1)


@pytest.mark.parametrize("n", [1, 2, 5, np.int64(3)])
def test_set_and_get(n):
    losslab.set_num_threads(n)
    assert losslab.get_num_threads() == int(n)
    assert type(losslab.get_num_threads()) is int


@pytest.mark.parametrize(
    ("n", "exc"),
    [(0, ValueError), (-1, ValueError), (1.5, TypeError), (2.0, TypeError), ("2", TypeError),
     (True, TypeError)],
)  # fmt: skip
def test_set_num_threads_rejects(n, exc):
    losslab.set_num_threads(3)
    with pytest.raises(exc, match=r"^`n`"):
        losslab.set_num_threads(n)
    assert losslab.get_num_threads() == 3  # unchanged


def test_environment_variable(monkeypatch):
    monkeypatch.setenv(threads.ENV_VAR, "3")
    assert losslab.get_num_threads() == 3
    losslab.set_num_threads(1)  # an explicit setting wins
    assert losslab.get_num_threads() == 1
    losslab.set_num_threads(None)  # back to the environment
    assert losslab.get_num_threads() == 3
    monkeypatch.setenv(threads.ENV_VAR, " ")
    assert losslab.get_num_threads() == min(2, os.cpu_count() or 1)


@pytest.mark.parametrize("raw", ["0", "-2", "two", "1.5"])
def test_bad_environment_variable(monkeypatch, raw):
    monkeypatch.setenv(threads.ENV_VAR, raw)
    with pytest.raises(ValueError, match=r"^`LOSSLAB_NUM_THREADS`"):
        losslab.get_num_threads()


def test_environment_variable_in_a_fresh_process():
    """The NumPy path's pool: Python threads, made on the first large call."""
    code = (
        "import threading, numpy as np, losslab; "
        "n0 = threading.active_count(); "
        "losslab.mse_loss(np.ones(70 * 32768), np.zeros(70 * 32768)); "
        "print(losslab.get_num_threads(), n0, threading.active_count())"
    )
    env = {**os.environ, threads.ENV_VAR: "3", "LOSSLAB_PURE_NUMPY": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    n, at_import, after = map(int, out.stdout.split())
    assert n == 3
    assert at_import == 1  # no thread is started by `import losslab`
    assert after == 3  # the pool is made on first large call: the caller + 2 workers


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
def test_kernel_pool_threads_in_a_fresh_process():
    """The compiled kernels' pool: OS threads (not Python ones), none at import, and
    ``LOSSLAB_NUM_THREADS - 1`` workers after the first large call."""
    if not _fast.active():
        pytest.skip("the compiled kernels are not built")
    code = (
        "import os, numpy as np; "
        "count = lambda: len(os.listdir('/proc/self/task')); "
        "n0 = count(); import losslab; n1 = count(); "
        "losslab.mse_loss(np.ones(70 * 32768), np.zeros(70 * 32768)); "
        "print(n1 - n0, count() - n1)"
    )
    env = {**os.environ, threads.ENV_VAR: "3"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    at_import, after_call = map(int, out.stdout.split())
    assert at_import == 0  # `import losslab` starts no thread
    assert after_call == 2  # the caller and 2 workers


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_pool_works_in_a_forked_child():
    losslab.set_num_threads(2)
    x = np.linspace(-2, 2, 8 * BLOCK)
    expected = losslab.huber_loss(x, 0 * x)  # the parent's pool exists now
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        signal.alarm(60)  # a hang (a pool inherited from the parent) kills the child
        ok = losslab.huber_loss(x, 0 * x) == expected
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_lowest_failing_block_wins_when_two_fail_at_once():
    # Blocks 2 and 3 raise only after meeting at a barrier, i.e. while both are in flight on
    # different threads; the error of block 2 must win, as in the single-threaded loop.
    losslab.set_num_threads(2)
    for _ in range(10):
        barrier = threading.Barrier(2)
        met = []

        def make(barrier=barrier, met=met):
            def run(k):
                if k in (2, 3):
                    try:
                        barrier.wait(timeout=0.5)
                        met.append(k)
                    except threading.BrokenBarrierError:
                        pass
                    raise ValueError(f"block {k}")
                time.sleep(0.001)

            return run

        with pytest.raises(ValueError, match=r"^block 2$"):
            threads.run_blocks(make, 8)
        if met:
            break
    assert sorted(met) == [2, 3], "the two failing blocks never ran at the same time"


@pytest.mark.parametrize("name", ["soft-margin", "bce-logits-weights", "huber"])
def test_bit_identical_above_the_default_threshold(monkeypatch, name):
    monkeypatch.undo()  # the module's own MIN_BLOCKS
    fn, build = CASES[name]
    args, kwargs = build(np.random.default_rng(7), (threads.MIN_BLOCKS + 1) * BLOCK + 3)
    _assert_bit_identical(_run(fn, args, kwargs, 1), _run(fn, args, kwargs, 2))


def _big_terms() -> list:
    """(name, function, kwargs, exact element loss): every element's loss is finite and of the
    same size, about 1e306, so their sum overflows while the mean does not."""
    n = 70_001  # three blocks: the block sums themselves overflow
    big = np.full(n, 1e306)
    ones, zeros = np.ones(n), np.zeros(n)
    rows = np.tile([1e306, -1e306], (n, 1))
    labels = np.ones(n, dtype=np.int64)
    return [
        ("mse", losslab.mse_loss, {"input": np.full(n, 1e153), "target": zeros}, 1e306),
        (
            "mse-weight",
            losslab.mse_loss,
            {"input": np.full(n, 1e153), "target": zeros, "weight": ones},
            1e306,
        ),
        ("l1", losslab.l1_loss, {"input": big, "target": zeros}, 1e306),
        ("huber", losslab.huber_loss, {"input": big, "target": zeros, "delta": 2.0}, 2e306 - 2),
        ("smooth_l1", losslab.smooth_l1_loss, {"input": big, "target": zeros}, 1e306),
        (
            "bce_logits",
            losslab.binary_cross_entropy_with_logits,
            {"input": -big, "target": ones},
            1e306,
        ),
        ("soft_margin", losslab.soft_margin_loss, {"input": -big, "target": ones}, 1e306),
        ("kl_div", losslab.kl_div, {"input": -big, "target": ones}, 1e306),
        ("hinge_embedding", losslab.hinge_embedding_loss, {"input": big, "target": ones}, 1e306),
        (
            "multi_margin",
            losslab.multi_margin_loss,
            {"input": rows, "target": labels},
            1e306,
        ),
        ("cross_entropy", losslab.cross_entropy, {"input": rows, "target": labels}, 2e306),
        (
            "cross_entropy-smoothing",
            losslab.cross_entropy,
            {"input": rows, "target": labels, "label_smoothing": 0.5},
            1.5e306,
        ),
        ("nll", losslab.nll_loss, {"input": rows, "target": labels}, 1e306),
    ]


@pytest.mark.parametrize("kernels", [True, False], ids=["compiled", "numpy"])
def test_mean_within_the_range_of_terms_whose_sum_overflows(kernels):
    """The sum of the element losses overflows (the kernels' compensated sums give NaN), but
    the mean is finite: it is computed from the terms scaled by the largest, on both paths,
    with no warning; the sum is inf."""
    if kernels and not _fast.active():
        pytest.skip("the compiled kernels are not in use")
    previous = _fast.use_kernels(_fast.kernels if kernels else None)
    try:
        wrong = []
        for name, fn, kwargs, exact in _big_terms():
            mean = losslab.value_and_grad(fn)(**kwargs, reduction="mean")[0]
            total = fn(**kwargs, reduction="sum")
            if not abs(mean - exact) <= 4e-16 * exact or total != np.inf:
                wrong.append(f"{name}: mean {mean!r} (exact {exact!r}), sum {total!r}")
        assert not wrong, wrong
    finally:
        _fast.use_kernels(previous)
