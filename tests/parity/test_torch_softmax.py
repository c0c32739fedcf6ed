"""PyTorch parity for softmax, log_softmax, sigmoid, log_sigmoid: values and autograd gradients of
the sum (float64 rtol 1e-13; float32 rtol 1e-5). losslab's softmax gradient is exactly 0, torch's
is rounding noise, so it is compared with an absolute tolerance."""

from __future__ import annotations

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
F = torch.nn.functional
pytestmark = pytest.mark.parity
TOL = {np.float64: {"rtol": 1e-13, "atol": 1e-300}, np.float32: {"rtol": 1e-5, "atol": 1e-30}}


def _torch(fn, x):
    xt = torch.from_numpy(x.copy()).requires_grad_()
    out = fn(xt)
    out.sum().backward()
    return out.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_family(axis, scale, dtype):
    x = (np.random.default_rng(0).normal(size=(4, 5, 3)) * scale).astype(dtype)
    for ours, theirs in [(losslab.softmax, F.softmax), (losslab.log_softmax, F.log_softmax)]:
        want_v, want_g = _torch(lambda t, f=theirs: f(t, dim=axis), x)
        value, g = losslab.value_and_grad(ours)(x, axis=axis)
        np.testing.assert_allclose(value, want_v, rtol=TOL[dtype]["rtol"], atol=1e-6 * scale)
        atol = 10 * np.finfo(dtype).eps * x.shape[axis]
        np.testing.assert_allclose(g, want_g, rtol=TOL[dtype]["rtol"], atol=atol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_family(dtype):
    x = np.concatenate([np.linspace(-50, 50, 41), [-1e4, 1e4, 0.0]]).astype(dtype)
    for ours, theirs in [(losslab.sigmoid, torch.sigmoid), (losslab.log_sigmoid, F.logsigmoid)]:
        want_v, want_g = _torch(theirs, x)
        value, g = losslab.value_and_grad(ours)(x)
        np.testing.assert_allclose(value, want_v, **TOL[dtype])
        # torch's sigmoid gradient s * (1 - s) has an absolute error of ~eps for large x, where
        # ours (e^-|x| / (1 + e^-|x|)^2) is accurate: compare to an absolute 2 eps.
        np.testing.assert_allclose(g, want_g, rtol=TOL[dtype]["rtol"], atol=2 * np.finfo(dtype).eps)
