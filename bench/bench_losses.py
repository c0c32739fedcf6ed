"""Benchmark losslab against the articles' naive NumPy and torch.nn.functional on the CPU.

Run ``python bench/bench_losses.py`` (full, a few minutes on 2 cores) or ``--quick`` (< 1 min).
Everything runs in one process. losslab is timed at the thread count(s) of ``--threads``
(``losslab.set_num_threads``; e.g. ``--threads 1,2`` times both), torch at each count of
``--torch-threads`` (default 1 and 2, ``torch.set_num_threads``); NumPy's BLAS pool
(threadpoolctl) gets the largest losslab count. Each time is a median of several calls after a
warm-up. losslab and torch are timed alike: at each thread count, a run of back-to-back calls
of losslab, then one of torch, each warmed up by up to 10 calls or 0.3 s (fast calls are
repeated more, up to about 50 ms a run); the naive code and the two baseline passes are timed
once per round, interleaved, after one warm-up call each. Printed: a table of milliseconds
and the ratios losslab/torch (at losslab's thread count, and at 2 threads), losslab/read-pass
(one ``x.sum()`` over the input) and losslab/read+write-pass (``x.copy()``); then PASS/MISS for
each performance target, "no loss slower than torch" judged against torch at losslab's thread
count (and at 2 threads): each slower row says whether the quartiles of the two runs' calls lie
apart or overlap (a tie within the run's own noise). A MISS is reported, never fatal.
``--json PATH`` also writes the output as JSON (``tools/benchjson.py``; ``bench/results/``).

Losses (shape (N, C); elementwise losses use all N*C entries):
  mse       losslab.mse_loss          | articles: mean((y - t)**2)     | F.mse_loss
  ce-labels losslab.nll_loss(log y)   | articles: -sum(log(y[i, t] + 1e-7))/N | F.nll_loss(log y)
  softmax-ce losslab.cross_entropy    | articles: softmax, -sum(t*log(y+1e-7))/N (one-hot t)
                                        | F.cross_entropy
  bce-logits losslab.binary_cross_entropy_with_logits | articles: sigmoid then BCE with 1e-7
                                        | F.binary_cross_entropy_with_logits
  l1, huber, smooth-l1, bce (probabilities), soft-margin, hinge-emb, kl-div: the other element-wise
  losses against their torch.nn.functional namesake (naive: the textbook one-liner).
  focal (torchvision's formula, alpha 0.25, gamma 2, 'mean'), log-cosh, pinball (alpha 0.9): the
  losses torch does not have, against their formula written in torch ops.
Select losses with ``--losses mse,huber``; ``--repeats`` sets the number of timed repeats.

``--keep-memory`` (glibc only) tells malloc to keep freed memory in the process (``mallopt``:
no ``mmap`` for large blocks, no trimming, one arena), so that an array allocated in a timed call
reuses pages already mapped and no contender pays for page faults. Without it, each large result
(a gradient, torch's buffers, ``x.copy()``) is a fresh ``mmap``; on a VM whose hypervisor takes
freed memory back (virtio-balloon free page reporting), those faults can cost more than the
arithmetic, and more after an idle pause (``bench/freed_memory.py`` measures it).
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

import benchmem
import numpy as np
from benchnaive import NAIVE, naive_softmax
from benchtime import (
    WARMUP_CALLS,
    WARMUP_S,
    Timer,
    import_time,
    interleaved_medians,
    nothing,
    peak_extra_bytes,
    quartiles_ms,
)

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # pragma: no cover - reported in the header
    threadpool_info = threadpool_limits = None

import losslab

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - reported in the header
    torch = F = None


def _torch_focal(x: Any, t: Any) -> Any:
    p = torch.sigmoid(x)
    ce = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    return ((0.25 * t + 0.75 * (1 - t)) * ce * (1 - p_t) ** 2).mean()


def _torch_log_cosh(x: Any, t: Any) -> Any:
    return torch.log(torch.cosh(x - t)).mean()


def _torch_pinball(x: Any, t: Any) -> Any:
    r = t - x
    return torch.maximum(0.9 * r, -0.1 * r).mean()


# --- problems ------------------------------------------------------------------------------------


def make_problem(loss: str, n: int, c: int, dtype: Any, rng: np.random.Generator) -> dict:
    x = rng.standard_normal((n, c)).astype(dtype)
    labels = rng.integers(0, c, size=n)
    if loss == "mse":
        t = rng.standard_normal((n, c)).astype(dtype)
        return {"x": x, "args": (x, t), "naive": (x, t), "torch": (x, t)}
    if loss == "ce-labels":
        y = naive_softmax(x).astype(dtype)
        logy = np.log(y)
        return {"x": logy, "args": (logy, labels), "naive": (y, labels), "torch": (logy, labels)}
    if loss == "softmax-ce":
        onehot = np.zeros_like(x)
        onehot[np.arange(n), labels] = 1
        return {"x": x, "args": (x, labels), "naive": (x, onehot), "torch": (x, labels)}
    if loss in ("bce-logits", "bce"):
        t = rng.uniform(0, 1, size=(n, c)).astype(dtype)
        if loss == "bce":
            x = rng.uniform(0.01, 0.99, size=(n, c)).astype(dtype)
        return {"x": x, "args": (x, t), "naive": (x, t), "torch": (x, t)}
    if loss == "focal":
        t = (rng.uniform(size=(n, c)) < 0.3).astype(dtype)
        return {"x": x, "args": (x, t), "naive": (x, t), "torch": (x, t)}
    if loss in ("l1", "huber", "smooth-l1", "log-cosh", "pinball"):
        t = rng.standard_normal((n, c)).astype(dtype)
        return {"x": x, "args": (x, t), "naive": (x, t), "torch": (x, t)}
    if loss in ("soft-margin", "hinge-emb"):
        y = np.where(rng.uniform(size=(n, c)) < 0.5, -1.0, 1.0).astype(dtype)
        if loss == "hinge-emb":
            x = np.abs(x)
        return {"x": x, "args": (x, y), "naive": (x, y), "torch": (x, y)}
    if loss == "kl-div":
        p = naive_softmax(rng.standard_normal((n, c))).astype(dtype)
        logq = np.log(naive_softmax(x)).astype(dtype)
        return {"x": logq, "args": (logq, p), "naive": (logq, p), "torch": (logq, p)}
    raise ValueError(loss)


LOSSLAB = {
    "mse": losslab.mse_loss,
    "ce-labels": losslab.nll_loss,
    "softmax-ce": losslab.cross_entropy,
    "bce-logits": losslab.binary_cross_entropy_with_logits,
    "l1": losslab.l1_loss,
    "huber": losslab.huber_loss,
    "smooth-l1": losslab.smooth_l1_loss,
    "bce": losslab.binary_cross_entropy,
    "soft-margin": losslab.soft_margin_loss,
    "hinge-emb": losslab.hinge_embedding_loss,
    "kl-div": losslab.kl_div,
    "focal": losslab.sigmoid_focal_loss,
    "log-cosh": losslab.log_cosh_loss,
    "pinball": losslab.pinball_loss,
}
#: Options of the losslab call (the naive and torch versions state the same ones).
OPTIONS: dict[str, dict[str, Any]] = {"focal": {"reduction": "mean"}, "pinball": {"alpha": 0.9}}


def torch_fns(loss: str) -> Callable[..., Any] | None:
    if torch is None:
        return None
    return {
        "mse": F.mse_loss,
        "ce-labels": F.nll_loss,
        "softmax-ce": F.cross_entropy,
        "bce-logits": F.binary_cross_entropy_with_logits,
        "l1": F.l1_loss,
        "huber": F.huber_loss,
        "smooth-l1": F.smooth_l1_loss,
        "bce": F.binary_cross_entropy,
        "soft-margin": F.soft_margin_loss,
        "hinge-emb": F.hinge_embedding_loss,
        "kl-div": F.kl_div,
        "focal": _torch_focal,
        "log-cosh": _torch_log_cosh,
        "pinball": _torch_pinball,
    }[loss]


# --- torch calls -------------------------------------------------------------------------------


def torch_calls(loss: str, prob: dict) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """torch forward (no_grad) and forward + backward on the problem."""
    f = torch_fns(loss)
    a, b = (torch.from_numpy(np.ascontiguousarray(v)) for v in prob["torch"])

    def fwd() -> Any:
        with torch.no_grad():
            return f(a, b)

    leaf = a.clone().requires_grad_(True)

    def fwd_bwd() -> Any:
        leaf.grad = None
        out = f(leaf, b)
        out.backward()
        return leaf.grad

    return fwd, fwd_bwd


def float32_ulps(n: int, rng: np.random.Generator) -> float:
    """Error of losslab.cross_entropy in float32 (N x 10) against a float64 fsum reference."""
    x = rng.standard_normal((n, 10)).astype(np.float32)
    labels = rng.integers(0, 10, size=n)
    x64 = x.astype(np.float64)
    m = x64.max(axis=1)
    per = m + np.log(np.exp(x64 - m[:, None]).sum(axis=1)) - x64[np.arange(n), labels]
    ref = math.fsum(per.tolist()) / n
    got = float(losslab.cross_entropy(x, labels))
    return abs(got - ref) / (abs(ref) * float(np.finfo(np.float32).eps))


# --- main ----------------------------------------------------------------------------------------


def _ints(text: str) -> list[int]:
    return sorted({int(part) for part in text.split(",") if part.strip()})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small smoke run (< 1 min)")
    ap.add_argument(
        "--threads",
        default=None,
        help="losslab thread count(s), e.g. 2 or 1,2 (each timed in the same run; default: "
        "losslab.get_num_threads()); NumPy's BLAS pool gets the largest",
    )
    ap.add_argument(
        "--torch-threads", default="1,2", help="torch thread counts timed in the same run"
    )
    ap.add_argument("--repeats", type=int, default=None, help="timed rounds (median)")
    ap.add_argument(
        "--max-mb", type=float, default=100.0, help="skip problems whose input exceeds this"
    )
    ap.add_argument("--no-torch", action="store_true", help="do not time torch")
    ap.add_argument("--losses", default=None, help="comma-separated subset, e.g. mse,huber")
    benchmem.add_option(ap)
    args = ap.parse_args(argv)
    benchmem.apply(args)

    global torch, F
    if args.no_torch:
        torch = F = None
    ll_threads = _ints(args.threads) if args.threads else [losslab.get_num_threads()]
    t_threads = _ints(args.torch_threads) if torch is not None else []
    if min(ll_threads + t_threads + [1]) < 1:
        ap.error("thread counts must be >= 1")
    blas_threads = max(ll_threads)
    limiter = threadpool_limits(limits=blas_threads) if threadpool_limits else None
    repeats = args.repeats or (5 if args.quick else 7)

    if args.quick:
        grid = [(1_000, 10), (100_000, 10), (1_000_000, 10)]  # N=1e6 for softmax-ce only
        dtypes = [np.float64]
    else:
        grid = [(n, c) for n in (1_000, 100_000, 1_000_000) for c in (10, 1000)]
        dtypes = [np.float64, np.float32]
    losses = list(LOSSLAB) if args.losses is None else args.losses.split(",")
    unknown = [name for name in losses if name not in LOSSLAB]
    if unknown:
        ap.error(f"unknown loss(es) {unknown}; choose from {', '.join(LOSSLAB)}")

    if threadpool_info:
        pools = threadpool_info()
        blas = ", ".join(f"{i.get('internal_api')} {i.get('num_threads')} threads" for i in pools)
    else:
        blas = "threadpoolctl not installed: NumPy threads not controlled"
    print(f"# losslab benchmark, {datetime.date.today().isoformat()}, {platform.node()}")
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average "
        f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}; python {platform.python_version()}, "
        f"numpy {np.__version__}, torch {torch.__version__ if torch else 'not installed'}"
    )
    t_list = ",".join(map(str, t_threads)) or "-"
    print(f"# threads: losslab {','.join(map(str, ll_threads))} (column thr; "
          f"losslab.set_num_threads); numpy/BLAS {blas_threads} ({blas}); "
          f"torch {t_list} (torch.set_num_threads); the naive NumPy runs on 1 thread")  # fmt: skip
    print(f"# median of at least {repeats} calls; losslab and torch: back-to-back runs per "
          f"thread count, losslab's then torch's, after a warm-up of up to {WARMUP_CALLS} calls "
          f"or {WARMUP_S} s; naive, read, r+w: once per round, interleaved, after one warm-up "
          "call")  # fmt: skip
    print("# memory: " + ("freed memory kept in the process (--keep-memory: mallopt, no mmap, "
          "no trim, one arena)" if args.keep_memory else "malloc's defaults (large arrays are "
          "fresh mmaps)"))  # fmt: skip
    print("# times in ms; ll/t= = losslab / torch at losslab's thread count (thr), "
          "ll/t2 = losslab / torch 2 threads,")  # fmt: skip
    print("# ll/read = losslab / x.sum(), ll/rw = losslab / x.copy()")
    tcols = "".join(f"{f'torch{k}':>9}" for k in t_threads)
    header = (
        f"{'loss':<12}{'dtype':<8}{'N':>8}{'C':>5} {'mode':<9}{'thr':>3}"
        f"{'losslab':>9}{'naive':>9}{tcols}{'read':>7}{'r+w':>7}"
        f"{'ll/t=':>7}{'ll/t2':>7}{'ll/read':>8}{'ll/rw':>7}"
    )
    print(header)
    print("-" * len(header))

    rng = np.random.default_rng(0)
    results: list[dict] = []
    skipped: list[str] = []
    for dtype in dtypes:
        for n, c in grid:
            mb = n * c * np.dtype(dtype).itemsize / 1e6
            if mb > args.max_mb:
                skipped.append(f"N={n:.0e} C={c} {np.dtype(dtype).name} ({mb:.0f} MB input)")
                continue
            for loss in losses:
                if args.quick and n == 1_000_000 and loss != "softmax-ce":
                    continue
                prob = make_problem(loss, n, c, dtype, rng)
                x = prob["x"]
                ll = LOSSLAB[loss]
                vg = losslab.value_and_grad(ll)
                kw = OPTIONS.get(loss, {})
                naive_f, naive_g = NAIVE[loss]
                fwd_t, bwd_t = torch_calls(loss, prob) if torch else (None, None)
                times = {}
                for mode, ll_fn, naive_fn, torch_fn in (
                    ("forward", partial(ll, *prob["args"], **kw), partial(naive_f, *prob["naive"]),
                     fwd_t),
                    ("fwd+grad", partial(vg, *prob["args"], **kw), partial(naive_g, *prob["naive"]),
                     bwd_t),
                ):  # fmt: skip
                    timers: dict[str, Timer] = {
                        "naive": (nothing, naive_fn),
                        "read": (nothing, x.sum),
                        "rw": (nothing, x.copy),
                    }
                    with np.errstate(all="ignore"):
                        times[mode] = interleaved_medians(timers, repeats)
                    # losslab and torch get the same protocol: at each thread count a run of
                    # back-to-back calls of their own, one right after the other. Switching the
                    # thread count between calls would time the wake-up of the thread pools
                    # (OpenMP's, or losslab's) rather than their steady state.
                    for k in sorted({*ll_threads, *t_threads}):
                        if k in ll_threads:
                            losslab.set_num_threads(k)
                            q1, med, q3 = quartiles_ms(ll_fn, repeats)
                            times[mode][f"ll{k}"], times[mode][f"ll{k}_iqr"] = med, (q1, q3)
                        if k in t_threads:
                            torch.set_num_threads(k)
                            q1, med, q3 = quartiles_ms(torch_fn, repeats)
                            times[mode][f"torch{k}"], times[mode][f"torch{k}_iqr"] = med, (q1, q3)
                losslab.set_num_threads(max(ll_threads))
                peak = peak_extra_bytes(partial(vg, *prob["args"], **kw))
                for mode, t in times.items():
                    base = t["read"] if mode == "forward" else t["rw"]
                    for k in ll_threads:
                        same = t.get(f"torch{k}", math.nan)
                        two = t.get("torch2", math.nan)
                        row = {
                            "loss": loss, "dtype": np.dtype(dtype).name, "N": n, "C": c,
                            "mode": mode, "thr": k, "losslab": t[f"ll{k}"], "naive": t["naive"],
                            "torch_same": same, "torch2": two, "read": t["read"], "rw": t["rw"],
                            "peak": peak, "nbytes": x.nbytes, "ll_iqr": t[f"ll{k}_iqr"],
                            "torch_same_iqr": t.get(f"torch{k}_iqr"),
                            "torch2_iqr": t.get("torch2_iqr"),
                        }  # fmt: skip
                        results.append(row)
                        tvals = "".join(f"{t[f'torch{j}']:>9.2f}" for j in t_threads)
                        print(
                            f"{loss:<12}{row['dtype']:<8}{n:>8}{c:>5} {mode:<9}{k:>3}"
                            f"{row['losslab']:>9.2f}{row['naive']:>9.2f}{tvals}"
                            f"{row['read']:>7.2f}{row['rw']:>7.2f}"
                            f"{row['losslab'] / same:>7.2f}{row['losslab'] / two:>7.2f}"
                            f"{row['losslab'] / t['read']:>8.1f}{row['losslab'] / base:>7.1f}",
                            flush=True,
                        )
                del prob
    losslab.set_num_threads(None)
    for s in skipped:
        print(f"# skipped (above --max-mb {args.max_mb:.0f}): {s}")

    print(f"\n# peak extra memory of losslab value_and_grad ({max(ll_threads)} threads; "
          "tracemalloc) vs input + gradient")  # fmt: skip
    seen = set()
    for r in results:
        key = (r["loss"], r["dtype"], r["N"], r["C"])
        if key in seen or r["N"] < 100_000:
            continue
        seen.add(key)
        ratio = r["peak"] / (2 * r["nbytes"])
        print(f"{r['loss']:<12}{r['dtype']:<8}{r['N']:>9}{r['C']:>6}  "
              f"peak {r['peak'] / 1e6:8.1f} MB = {ratio:.2f} x (input + gradient)")  # fmt: skip

    # --- targets -----------------------------------------------------------------------------
    print("\n# targets (reported, never fatal)")

    def verdict(ok: bool | None) -> str:
        return "n/a " if ok is None else ("PASS" if ok else "MISS")

    for k in ll_threads:
        key = [r for r in results if r["loss"] == "softmax-ce" and r["N"] == 1_000_000
               and r["C"] == 10 and r["dtype"] == "float64" and r["mode"] == "fwd+grad"
               and r["thr"] == k]  # fmt: skip
        if not key:
            print("n/a  softmax CE N=1e6 C=10 float64 was not measured")
            break
        r = key[0]
        ok_t = None if math.isnan(r["torch2"]) else r["losslab"] <= 0.5 * r["torch2"]
        half = 0.5 * r["torch2"]
        print(f"{verdict(ok_t)} softmax CE fwd+grad N=1e6 C=10 float64, losslab {k} thread(s): "
              f"{r['losslab']:.1f} ms <= 0.5 x torch (2 threads) {half:.1f} ms")  # fmt: skip
        ok_rw = r["losslab"] <= 4 * r["rw"]
        print(f"{verdict(ok_rw)} softmax CE fwd+grad N=1e6 C=10 float64, losslab {k} thread(s): "
              f"{r['losslab']:.1f} ms <= 4 x read+write pass {4 * r['rw']:.1f} ms")  # fmt: skip
    for k in ll_threads:
        for label, col in ((f"torch at the same thread count ({k})", "torch_same"),
                           ("torch with 2 threads", "torch2")):  # fmt: skip
            big = [r for r in results if r["N"] >= 100_000 and r["thr"] == k
                   and not math.isnan(r[col])]  # fmt: skip
            slower = [r for r in big if r["losslab"] > r[col]]
            print(f"{verdict(not slower if big else None)} no loss slower than {label} at "
                  f"N >= 1e5, losslab {k} thread(s) ({len(big) - len(slower)}/{len(big)} rows "
                  "faster)")  # fmt: skip
            for r in slower:
                # a tie within the run's own noise when the middle halves of the two runs'
                # calls overlap (losslab's first quartile below torch's third)
                apart = r["ll_iqr"][0] > r[f"{col}_iqr"][1]
                print(f"     slower: {r['loss']} {r['dtype']} N={r['N']} C={r['C']} "
                      f"{r['mode']}: {r['losslab']:.2f} ms vs {r[col]:.2f} ms "
                      f"({'quartiles apart' if apart else 'quartiles overlap'})")  # fmt: skip
    peaks = {(r["loss"], r["dtype"], r["N"], r["C"]): r for r in results if r["N"] >= 100_000}
    heavy = [r for r in peaks.values() if r["peak"] > 1.25 * 2 * r["nbytes"]]
    print(f"{verdict(not heavy if peaks else None)} peak extra memory <= about input + gradient "
          f"(1.25 x slack; {len(peaks) - len(heavy)}/{len(peaks)} problems)")  # fmt: skip
    for r in heavy:
        print(f"     over: {r['loss']} {r['dtype']} N={r['N']} C={r['C']}: "
              f"{r['peak'] / (2 * r['nbytes']):.2f} x")  # fmt: skip
    n32 = 100_000 if args.quick else 1_000_000
    ulps = float32_ulps(n32, rng)
    print(f"{verdict(ulps <= 16)} float32 softmax CE mean, N={n32:.0e}: {ulps:.1f} float32 "
          "ulps from the exact value (<= 16: pairwise summation, no BLAS shortcut)")  # fmt: skip
    t_imp = import_time()
    print(f"{verdict(t_imp < 0.2)} import losslab: {t_imp * 1e3:.0f} ms (best of 3 fresh "
          "interpreters, NumPy included) < 200 ms")  # fmt: skip
    if limiter is not None:
        limiter.restore_original_limits()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
    sys.exit(__import__("benchjson").run_writing_json(main))
