"""``--keep-memory`` for the benchmark scripts: make glibc's malloc keep freed memory in the
process, so that timed calls reuse pages already mapped and pay no page faults (see
``freed_memory.py`` for what those cost on a VM)."""

from __future__ import annotations

import argparse
import ctypes

M_TRIM_THRESHOLD, M_MMAP_MAX, M_ARENA_MAX = -1, -4, -8  # glibc's <malloc.h>


def keep_freed_memory() -> None:
    """Large blocks come from the heap instead of ``mmap`` (``M_MMAP_MAX`` 0), the heap is never
    trimmed, and all threads share one arena (a thread's own arena cannot grow past 64 MB
    without ``mmap``)."""
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError) as exc:
        raise SystemExit(f"--keep-memory needs glibc's mallopt: {exc}") from exc
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    for param, value in ((M_ARENA_MAX, 1), (M_MMAP_MAX, 0), (M_TRIM_THRESHOLD, 2**31 - 1)):
        if mallopt(param, value) != 1:
            raise SystemExit(f"--keep-memory: mallopt({param}, {value}) failed")


def add_option(ap: argparse.ArgumentParser) -> None:
    ap.add_argument(
        "--keep-memory",
        action="store_true",
        help="glibc: keep freed memory in the process, so timed calls pay no page faults",
    )


def apply(args: argparse.Namespace) -> None:
    if args.keep_memory:
        keep_freed_memory()
