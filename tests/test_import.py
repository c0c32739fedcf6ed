"""`import losslab` stays light: no SymPy, matplotlib, SciPy or torch, and a bounded import time.

The time bound here is a *regression guard* with generous slack (0.5 s of CPU time for NumPy and
losslab together, best of 3 fresh interpreters), not a performance claim: the 0.2 s wall-clock
target is measured and reported by ``bench/bench_losses.py``. CPU time (``process_time``) is
used because wall time on a loaded CI machine varies several-fold; an import that starts pulling
in SymPy (about 0.5 s) or torch (about 2 s) still trips the guard.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sympy", "matplotlib", "scipy", "torch", "mpmath", "pandas")

CODE = f"""
import json, sys, time
t0 = time.process_time()
import losslab
t1 = time.process_time()
print(json.dumps({{"seconds": t1 - t0, "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def _fresh_import() -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout)


def test_import_loads_no_heavy_module_and_is_quick():
    runs = [_fresh_import() for _ in range(3)]
    for run in runs:
        assert run["heavy"] == [], f"`import losslab` imported {run['heavy']}"
    best = min(run["seconds"] for run in runs)
    assert best < 0.5, f"`import losslab` took {best:.3f} s of CPU (best of 3), guard is 0.5 s"


def test_symbolic_layer_loads_only_on_use():
    code = "import sys, losslab; print('losslab.symbolic' in sys.modules, 'sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
