"""PyTorch parity for poisson_nll_loss: values and autograd gradients, every option."""

from __future__ import annotations

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
from torchref import DTYPES, REDUCTIONS, TOL, torch_value_and_grad  # noqa: E402

F = torch.nn.functional
pytestmark = pytest.mark.parity


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("eps", [1e-8, 0.25])
def test_poisson_nll_loss(eps, log_input, full, reduction, dtype):
    rng = np.random.default_rng(int(log_input) + 2 * int(full))
    x = rng.uniform(-3, 3, (4, 5)) if log_input else rng.uniform(0.05, 4, (4, 5))
    t = rng.integers(0, 7, (4, 5)).astype(float)
    t[0, :4] = [0.5, 1.0, 1.5, 2.5]  # around the Stirling threshold, and non-integer counts
    x, t = x.astype(dtype), t.astype(dtype)
    kw = {"log_input": log_input, "full": full, "eps": eps, "reduction": reduction}
    ref_v, ref_g = torch_value_and_grad(F.poisson_nll_loss, x, torch.from_numpy(t), **kw)
    value, g = losslab.value_and_grad(losslab.poisson_nll_loss)(x, t, **kw)
    np.testing.assert_allclose(value, ref_v, **TOL[dtype])
    np.testing.assert_allclose(g, ref_g, **TOL[dtype])
    assert np.asarray(value).dtype == dtype and g.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_poisson_overflow_and_zero_rate(dtype):
    # e^x beyond the dtype's range is inf on both sides; a count at rate 0 with eps = 0 is inf.
    x = np.array([100.0, 800.0, 0.0], dtype=dtype)
    t = np.array([1.0, 1.0, 2.0], dtype=dtype)
    np.testing.assert_array_equal(
        losslab.poisson_nll_loss(x, t, reduction="none"),
        F.poisson_nll_loss(torch.from_numpy(x), torch.from_numpy(t), reduction="none").numpy(),
    )
    kw = {"log_input": False, "eps": 0.0, "reduction": "none"}
    ours = losslab.poisson_nll_loss(x[2:], t[2:], **kw)
    theirs = F.poisson_nll_loss(torch.from_numpy(x[2:]), torch.from_numpy(t[2:]), **kw)
    np.testing.assert_array_equal(ours, theirs.numpy())
