"""PyTorch parity for the regression losses at their kinks (x == t, |x - t| == delta or beta) and
with an all-zero weight: values and autograd gradients, exactly. Random shapes, scales, weights
and residuals at the thresholds are the regimes of tests/cases.py, compared by
tests/parity/test_torch_cases.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
from torchref import torch_value_and_grad  # noqa: E402

F = torch.nn.functional
pytestmark = pytest.mark.parity


def test_kinks_explicitly():
    x = np.array([0.0, 1.0, -1.0, 2.0, -2.0])
    t = np.zeros(5)
    for name, kw in [
        ("l1_loss", {}),
        ("huber_loss", {"delta": 1.0}),
        ("huber_loss", {"delta": 2.0}),
        ("smooth_l1_loss", {"beta": 0.0}),
        ("smooth_l1_loss", {"beta": 2.0}),
    ]:
        want_v, want_g = torch_value_and_grad(getattr(F, name), x, t, reduction="none", **kw)
        value, g = losslab.value_and_grad(getattr(losslab, name))(x, t, reduction="none", **kw)
        np.testing.assert_array_equal(value, want_v)
        np.testing.assert_array_equal(g, want_g)


def test_l1_all_zero_weight_mean_is_nan_in_torch_and_raises_here():
    x, t, w = np.array([1.0, 2.0]), np.zeros(2), np.zeros(2)
    out = F.l1_loss(torch.from_numpy(x), torch.from_numpy(t), weight=torch.from_numpy(w))
    assert np.isnan(out.item())
    with pytest.raises(ValueError, match="`weight` sums to 0"):
        losslab.l1_loss(x, t, weight=w)
