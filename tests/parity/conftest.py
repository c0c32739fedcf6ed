"""PyTorch parity tests: skipped when torch is absent, except in `nox -s parity` (and CI)."""

from __future__ import annotations

import os

import pytest

if os.environ.get("LOSSLAB_REQUIRE_TORCH"):
    import torch  # fail loudly: the parity session must never skip
else:
    torch = pytest.importorskip("torch")
