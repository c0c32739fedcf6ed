"""PyTorch parity tests: skipped when torch is absent, except in `nox -s parity` (and CI)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The case table (tests/cases.py) holds the inputs of test_torch_cases.py.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

if os.environ.get("LOSSLAB_REQUIRE_TORCH"):
    import torch  # fail loudly: the parity session must never skip
else:
    torch = pytest.importorskip("torch")
