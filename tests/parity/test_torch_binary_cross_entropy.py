"""PyTorch parity for binary_cross_entropy and binary_cross_entropy_with_logits at the edges:
the probability form at its clamp, the logits form at +-1e4 (random shapes, hard and soft
targets, broadcast weights and ``pos_weight`` are the regimes of tests/cases.py, compared by
tests/parity/test_torch_cases.py).

Values and autograd gradients. float64: rtol 1e-12, atol 1e-14 (for the logits form the two
sides use different but equally stable formulas; PyTorch's loses relative accuracy where the loss
is below ~1e-14, hence the absolute part). float32: rtol 2e-5, atol 1e-6.
The probability form is compared at the clamp (inputs exactly 0 and 1) and with PyTorch's
gradient floor 1e-12.
"""

from __future__ import annotations

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
from torchref import DTYPES, TOL, torch_value_and_grad  # noqa: E402

F = torch.nn.functional
pytestmark = pytest.mark.parity


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_at_the_clamp(dtype):
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 1 - 1e-7, 0.5, 1e-13], dtype=dtype)
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.3, 0.0], dtype=dtype)
    want_v, want_g = torch_value_and_grad(F.binary_cross_entropy, x, t, reduction="none")
    value, g = losslab.value_and_grad(losslab.binary_cross_entropy)(x, t, reduction="none")
    np.testing.assert_allclose(value, want_v, rtol=TOL[dtype]["rtol"], atol=0)
    np.testing.assert_allclose(g, want_g, rtol=TOL[dtype]["rtol"], atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_logits_extremes(dtype):
    x = np.array([-1e4, -1e4, 1e4, 1e4, -30.0, 30.0, -30.0, 30.0, 0.0], dtype=dtype)
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.5], dtype=dtype)
    pw = np.array([2.0], dtype=dtype)
    fn = F.binary_cross_entropy_with_logits
    want_v, want_g = torch_value_and_grad(fn, x, t, reduction="none", pos_weight=pw)
    fn = losslab.binary_cross_entropy_with_logits
    value, g = losslab.value_and_grad(fn)(x, t, reduction="none", pos_weight=pw)
    assert np.isfinite(value).all() and np.isfinite(g).all()
    np.testing.assert_allclose(value, want_v, **TOL[dtype])
    np.testing.assert_allclose(g, want_g, **TOL[dtype])
