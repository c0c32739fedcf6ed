"""PyTorch parity for kl_div: values and autograd gradients (float64 rtol 1e-12, float32 2e-5)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.parity
TOL = {np.float64: {"rtol": 1e-12, "atol": 1e-15}, np.float32: {"rtol": 2e-5, "atol": 1e-7}}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("seed", range(8))
def test_kl_div(seed, reduction, log_target, dtype):
    rng = np.random.default_rng(seed)
    shape = [(5,), (3, 4), (2, 3, 4)][seed % 3]
    x = np.log(rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])).astype(dtype)
    t = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    t.reshape(-1)[0] = 0.0  # a zero target term (0 log 0)
    t = (np.log(t + 0.05) if log_target else t).astype(dtype)
    xt = torch.from_numpy(x.copy()).requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's 'mean' warning
        out = torch.nn.functional.kl_div(
            xt, torch.from_numpy(t), reduction=reduction, log_target=log_target
        )
    out.sum().backward()
    value, g = losslab.value_and_grad(losslab.kl_div)(
        x, t, reduction=reduction, log_target=log_target
    )
    np.testing.assert_allclose(value, out.detach().numpy(), **TOL[dtype])
    np.testing.assert_allclose(g, xt.grad.numpy(), **TOL[dtype])
    assert g.dtype == dtype
