"""Time and peak memory of losslab.linear_cross_entropy against torch's
linear_cross_entropy and the naive linear-then-cross_entropy, in one run.

    python bench/bench_linear_cross_entropy.py --n 8192 --d 1024 --v 131072 [--backward]

Peak memory is the extra memory the call allocates: tracemalloc for NumPy (which reports its
allocations there), the growth of ``ru_maxrss`` after import for torch, measured in a fresh
process per candidate so one candidate's peak does not hide another's.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def run_one(name: str, n: int, d: int, v: int, backward: bool) -> dict:
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, d), dtype=np.float32)
    w = (rng.standard_normal((v, d), dtype=np.float32) * 0.02).astype(np.float32)
    y = rng.integers(0, v, n)
    if name != "losslab":
        import torch  # before the baseline, so the import is not counted
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if name == "losslab":
        import tracemalloc

        import losslab

        fn = losslab.value_and_grad if backward else (lambda f: f)
        tracemalloc.start()
        t = time.perf_counter()
        fn(losslab.linear_cross_entropy)(x, w, y)
        dt = time.perf_counter() - t
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    else:
        tx, tw, ty = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(y)
        if backward:
            tx.requires_grad_()
        F = torch.nn.functional
        t = time.perf_counter()
        if name == "torch":
            out = F.linear_cross_entropy(tx, tw, ty)
        else:
            out = F.cross_entropy(tx @ tw.T, ty)
        if backward:
            out.backward()
        dt = time.perf_counter() - t
        peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) * 1024
    return {"name": name, "seconds": dt, "peak_bytes": peak}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=8192)
    p.add_argument("--d", type=int, default=1024)
    p.add_argument("--v", type=int, default=131072)
    p.add_argument("--backward", action="store_true")
    p.add_argument("--only", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.only:
        print(json.dumps(run_one(a.only, a.n, a.d, a.v, a.backward)))
        return
    rows = []
    for name in ("losslab", "torch", "naive"):
        cmd = [sys.executable, __file__, "--only", name, "--n", str(a.n), "--d", str(a.d)]
        cmd += ["--v", str(a.v)] + (["--backward"] if a.backward else [])
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode:
            print(f"{name}: failed: {r.stderr.strip().splitlines()[-1:]}")
            continue
        rows.append(json.loads(r.stdout))
    base = rows[0]
    print(f"N={a.n} D={a.d} V={a.v} float32, {'forward+backward' if a.backward else 'forward'}")
    for row in rows:
        print(
            f"{row['name']:8s} {row['seconds']:9.3f} s  peak {row['peak_bytes'] / 2**20:9.1f} MiB"
            f"  time x{row['seconds'] / base['seconds']:.2f}"
            f"  memory x{row['peak_bytes'] / max(base['peak_bytes'], 1):.2f} (vs losslab)"
        )


if __name__ == "__main__":
    main()
