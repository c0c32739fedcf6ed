"""The benchmark scripts run (smoke runs in fresh interpreters; their timings are not checked:
timings are reported by the scripts, never asserted by a unit test)."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
GLIBC = platform.libc_ver()[0] == "glibc"  # --keep-memory calls glibc's mallopt


def run(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("keep", [False, True] if GLIBC else [False])
def test_bench_losses_quick_run(keep):
    flags = ["--keep-memory"] if keep else []
    out = run(str(BENCH / "bench_losses.py"), "--quick", "--no-torch", "--losses", "mse", *flags)
    memory = "freed memory kept in the process" if keep else "malloc's defaults"
    assert f"# memory: {memory}" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("mse ")]
    assert {(r[2], r[4]) for r in rows} >= {("1000", "forward"), ("100000", "fwd+grad")}
    assert "import losslab:" in out


def test_freed_memory_runs():
    out = run(str(BENCH / "freed_memory.py"), "--pause", "0", "--calls", "1")
    assert "# virtio balloon: " in out
    calls = [line for line in out.splitlines() if line.startswith(("x.copy()", "losslab "))]
    assert len(calls) == 3
