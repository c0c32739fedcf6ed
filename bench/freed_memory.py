"""How much a fresh large array costs on this machine right after other memory was freed, and
after an idle pause.

Run ``python bench/freed_memory.py``. It times ``x.copy()`` of an 80 MB float64 array, and
losslab's softmax cross-entropy forward + gradient on the same array (1 and 2 threads), each
right after a 480 MB array was allocated and freed ("hot": the freed pages are reused at once),
and after the same free followed by a pause ("after a pause"). It also prints whether the
machine's virtio balloon offers free page reporting, the feature by which a guest hands free
2 MB blocks back to the hypervisor a few seconds after they are freed; touching such memory
again faults it in from the host, which is slow, and slower still from two vCPUs at once.

Nothing here is a target: it explains why the forward + gradient rows of ``bench_losses.py`` move
between runs, and what ``bench_losses.py --keep-memory`` takes out of the timings.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import benchmem
import numpy as np

import losslab

VIRTIO_ID_BALLOON = 5
VIRTIO_BALLOON_F_REPORTING = 5  # feature bit: free page reporting


def balloon_reporting() -> str:
    """What /sys says about a virtio balloon and its free page reporting feature."""
    found = []
    for dev in sorted(Path("/sys/bus/virtio/devices").glob("virtio*")):
        try:
            if int((dev / "device").read_text(), 16) != VIRTIO_ID_BALLOON:
                continue
            bits = (dev / "features").read_text().strip()
        except OSError:
            continue
        on = len(bits) > VIRTIO_BALLOON_F_REPORTING and bits[VIRTIO_BALLOON_F_REPORTING] == "1"
        found.append(f"{dev.name}: free page reporting {'on' if on else 'off'}")
    return "; ".join(found) or "no virtio balloon found"


def timed_ms(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall time and the process's system (kernel) CPU time of one call, in ms; page faults,
    and the host's faults behind them, show up as system time."""
    s0 = resource.getrusage(resource.RUSAGE_SELF).ru_stime
    t0 = time.perf_counter()
    out = fn()
    elapsed = time.perf_counter() - t0
    system = resource.getrusage(resource.RUSAGE_SELF).ru_stime - s0
    del out
    return 1e3 * elapsed, 1e3 * system


def churn() -> None:
    """Allocate, touch and free 480 MB (a fresh mmap, unmapped again on free)."""
    junk = np.ones(60_000_000)
    del junk


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pause", type=float, default=4.0, help="seconds of idle before a call")
    ap.add_argument("--calls", type=int, default=5, help="timed calls per case")
    benchmem.add_option(ap)
    args = ap.parse_args(argv)
    benchmem.apply(args)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((1_000_000, 10))
    labels = rng.integers(0, 10, size=1_000_000)
    vg = losslab.value_and_grad(losslab.cross_entropy)
    cases: list[tuple[str, int, Callable[[], Any]]] = [
        ("x.copy()", 1, x.copy),
        ("losslab softmax CE fwd+grad", 1, lambda: vg(x, labels)),
        ("losslab softmax CE fwd+grad", 2, lambda: vg(x, labels)),
    ]
    print(f"# freed memory and fresh arrays, {platform.node()}, kernel {platform.release()}")
    print(f"# virtio balloon: {balloon_reporting()}")
    print("# memory: " + ("freed memory kept in the process (--keep-memory)" if args.keep_memory
          else "malloc's defaults"))  # fmt: skip
    print(f"# x: (1e6, 10) float64 (80 MB); each call follows the allocation and free of 480 MB, "
          f"then no pause (hot) or a {args.pause:g} s pause; {args.calls} calls each; wall ms "
          "(median, max) and system CPU ms (median)")  # fmt: skip
    print(
        f"{'call':<30}{'thr':>4}  {'hot: wall':>10} {'max':>6} {'sys':>6}  "
        f"{'pause: wall':>12} {'max':>6} {'sys':>6}"
    )
    for name, threads, fn in cases:
        losslab.set_num_threads(threads)
        fn()  # warm-up
        pauses = (0.0, args.pause)  # hot, then after a pause
        times: list[list[tuple[float, float]]] = [[], []]
        for _ in range(args.calls):
            for pause, record in zip(pauses, times, strict=True):
                churn()
                time.sleep(pause)
                record.append(timed_ms(fn))
        cells = []
        for calls in times:
            wall, system = [c[0] for c in calls], [c[1] for c in calls]
            cells.append(f"{statistics.median(wall):>10.1f} {max(wall):>6.1f} "
                         f"{statistics.median(system):>6.1f}")  # fmt: skip
        print(f"{name:<30}{threads:>4}  {cells[0]}  {cells[1]:>26}")
    losslab.set_num_threads(None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
