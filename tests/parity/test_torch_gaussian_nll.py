"""PyTorch parity for gaussian_nll_loss: values and the autograd gradients of input, target
and var, for every var shape torch broadcasts, with the clamp active and not."""

from __future__ import annotations

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
from torchref import DTYPES, REDUCTIONS, TOL  # noqa: E402

F = torch.nn.functional
pytestmark = pytest.mark.parity

VAR_SHAPES = [(3, 4, 2), (3, 4), (3, 4, 1), (3, 1, 2), (1, 4, 2), "float"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("full", [False, True])
@pytest.mark.parametrize("eps", [1e-6, 0.3])
@pytest.mark.parametrize("var_shape", VAR_SHAPES, ids=str)
def test_gaussian_nll_loss(var_shape, eps, full, reduction, dtype):
    rng = np.random.default_rng(len(str(var_shape)))
    x, t = rng.normal(size=(2, 3, 4, 2)).astype(dtype)
    if var_shape == "float":
        var, var_t = 0.25, 0.25
    else:
        var = rng.uniform(0.0, 2.0, var_shape).astype(dtype)
        var.flat[0] = 0.0  # clamped to eps
        var_t = torch.from_numpy(var.copy()).requires_grad_()
    xt = torch.from_numpy(x.copy()).requires_grad_()
    tt = torch.from_numpy(t.copy()).requires_grad_()
    out = F.gaussian_nll_loss(xt, tt, var_t, full=full, eps=eps, reduction=reduction)
    out.sum().backward()
    kw = {"full": full, "eps": eps, "reduction": reduction}
    refs = {"input": xt.grad, "target": tt.grad}
    if var_shape != "float":
        refs["var"] = var_t.grad
    for wrt, ref in refs.items():
        value, g = losslab.value_and_grad(losslab.gaussian_nll_loss, wrt=wrt)(x, t, var, **kw)
        np.testing.assert_allclose(value, out.detach().numpy(), **TOL[dtype])
        # d/d var at a clamped 0 is of size 1/eps^2: compare relative to the largest entry.
        scale = float(np.abs(ref.numpy()).max())
        np.testing.assert_allclose(
            g, ref.numpy(), rtol=TOL[dtype]["rtol"], atol=TOL[dtype]["rtol"] * scale
        )
        assert np.asarray(value).dtype == dtype and g.dtype == dtype


def test_negative_var_is_an_error_on_both_sides():
    x = np.zeros(3)
    with pytest.raises(ValueError, match="var"):
        F.gaussian_nll_loss(
            torch.from_numpy(x), torch.from_numpy(x), torch.tensor([1.0, -1.0, 1.0])
        )
    with pytest.raises(ValueError, match=r"^`var`"):
        losslab.gaussian_nll_loss(x, x, [1.0, -1.0, 1.0])
