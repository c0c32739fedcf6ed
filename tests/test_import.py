"""`import losslab` stays light: it loads no SymPy, matplotlib, SciPy or torch.

How long the import takes is a performance figure, so it is measured and reported by
``bench/bench_losses.py`` (target: under 0.2 s), never asserted by a timed unit test.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sympy", "matplotlib", "scipy", "torch", "mpmath", "pandas")

CODE = f"""
import json, sys
import losslab
print(json.dumps({{"heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def _fresh_import() -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, check=True, timeout=60
    )
    return json.loads(out.stdout)


def test_import_loads_no_heavy_module():
    heavy = _fresh_import()["heavy"]
    assert heavy == [], f"`import losslab` imported {heavy}"


def test_symbolic_layer_loads_only_on_use():
    code = "import sys, losslab; print('losslab.symbolic' in sys.modules, 'sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
