"""Timing and memory primitives of the benchmark scripts: quartiles of back-to-back calls,
interleaved medians, the peak extra memory of a call and the import time of losslab. What is
timed, and the report, are ``bench_losses.py``'s."""

from __future__ import annotations

import gc
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

#: Warm-up of a back-to-back run: calls until this many seconds have passed or WARMUP_CALLS
#: calls were made, whichever comes first.
WARMUP_S, WARMUP_CALLS = 0.3, 10


def quartiles_ms(fn: Callable[[], Any], repeats: int) -> tuple[float, float, float]:
    """Quartiles (first, median, third) of back-to-back calls after a warm-up: ``repeats`` of
    them, or more for a fast call (as many as fit in about 50 ms, at most 20 x ``repeats``), so
    that calls of 0.1 ms are not judged on 9 samples. The warm-up (page faults, caches, lazy
    init, waking thread pools) lasts up to WARMUP_CALLS calls or WARMUP_S seconds: until the
    memory a call allocates is memory an earlier call of the run freed, not memory the OS had to
    map afresh."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    for _ in range(WARMUP_CALLS - 1):
        if time.perf_counter() - t0 >= WARMUP_S:
            break
        fn()
    repeats = max(repeats, min(20 * repeats, int(0.05 / max(first, 1e-6))))
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    q1, med, q3 = statistics.quantiles(times, n=4, method="inclusive")
    return 1e3 * q1, 1e3 * med, 1e3 * q3


Timer = tuple[Callable[[], Any], Callable[[], Any]]  # (untimed setup, timed call)


def interleaved_medians(timers: dict[str, Timer], repeats: int) -> dict[str, float]:
    """Median ms of each timer, timed in rounds (one call of each per round, after one warm-up
    each), so that a burst of load from other processes hits all of them alike."""
    samples: dict[str, list[float]] = {name: [] for name in timers}
    for setup, fn in timers.values():
        setup()
        fn()
    for _ in range(repeats):
        for name, (setup, fn) in timers.items():
            setup()
            t0 = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - t0)
    return {name: 1e3 * statistics.median(v) for name, v in samples.items()}


def nothing() -> None:
    return None


def peak_extra_bytes(fn: Callable[[], Any]) -> int:
    """Peak bytes allocated while ``fn`` runs (NumPy reports its buffers to tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    out = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del out
    return peak - base


def import_time(repeats: int = 3) -> float:
    code = "import time; t=time.perf_counter(); import losslab; print(time.perf_counter()-t)"
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        runs.append(float(out.stdout))
    return min(runs)
