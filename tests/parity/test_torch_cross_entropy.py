"""PyTorch parity for cross_entropy and nll_loss: values and autograd gradients.

float64: rtol 1e-12 (both sides compute the same formulas; only summation order differs).
float32: rtol 2e-5 / atol 1e-6 on values and gradients (a few float32 ulps times log C and the
reduction length).
"""

from __future__ import annotations

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
from torchref import REDUCTIONS, TOL, torch_value_and_grad  # noqa: E402

F = torch.nn.functional
pytestmark = pytest.mark.parity


def _config(seed, dtype):
    rng = np.random.default_rng(seed)
    c = int(rng.integers(1, 13))
    shape_kind = seed % 3
    if shape_kind == 0:
        shape = (c,)
    elif shape_kind == 1:
        shape = (int(rng.integers(1, 9)), c)
    else:
        shape = (int(rng.integers(1, 5)), c, *rng.integers(1, 4, size=int(rng.integers(1, 3))))
    scale = float(rng.choice([0.1, 1.0, 10.0, 1e3]))
    x = (rng.normal(size=shape) * scale).astype(dtype)
    label_shape = shape[:0] + shape[1:] if len(shape) == 1 else (shape[0], *shape[2:])
    y = rng.integers(0, c, size=label_shape)
    return rng, x, y, c


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(24))
def test_cross_entropy_labels(seed, reduction, dtype):
    rng, x, y, c = _config(seed, dtype)
    kwargs = {"reduction": reduction}
    if seed % 4 == 1:
        kwargs["weight"] = rng.uniform(0.1, 3.0, size=c).astype(dtype)
    if seed % 5 in (1, 2):
        kwargs["label_smoothing"] = float(rng.uniform(0, 1))
    if seed % 2 and y.ndim and y.size > 1:
        y = y.copy()
        y.reshape(-1)[0] = -100 if seed % 3 else 2 % c
        kwargs["ignore_index"] = -100 if seed % 3 else 2 % c
    try:
        want_v, want_g = torch_value_and_grad(F.cross_entropy, x, y, **kwargs)
    except RuntimeError:  # pragma: no cover - torch rejects the configuration
        pytest.skip("torch rejects this configuration")
    if reduction == "mean" and not np.isfinite(want_v):
        with pytest.raises(ValueError, match="reduction='mean'"):
            losslab.cross_entropy(x, y, **kwargs)
        return
    value, g = losslab.value_and_grad(losslab.cross_entropy)(x, y, **kwargs)
    np.testing.assert_allclose(value, want_v, **TOL[dtype])
    np.testing.assert_allclose(g, want_g, **TOL[dtype])
    np.testing.assert_allclose(losslab.cross_entropy(x, y, **kwargs), value, rtol=0, atol=0)
    assert g.dtype == dtype and np.asarray(value).dtype == dtype


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(18))
def test_cross_entropy_probabilities(seed, reduction, dtype):
    rng, x, _, c = _config(seed, dtype)
    cax = 0 if x.ndim == 1 else 1
    t = rng.dirichlet(np.ones(c), size=x.size // c)  # rows of probabilities
    if x.ndim == 1:
        t = t[0]
    else:
        moved = (x.shape[0], *x.shape[2:], c)
        t = np.moveaxis(t.reshape(moved), -1, cax)
    t = np.ascontiguousarray(t).astype(dtype)
    kwargs = {"reduction": reduction}
    if seed % 3 == 1:
        kwargs["weight"] = rng.uniform(0.0, 2.0, size=c).astype(dtype)
    if seed % 2:
        kwargs["label_smoothing"] = float(rng.uniform(0, 1))
    want_v, want_g = torch_value_and_grad(F.cross_entropy, x, t, **kwargs)
    value, g = losslab.value_and_grad(losslab.cross_entropy)(x, t, **kwargs)
    np.testing.assert_allclose(value, want_v, **TOL[dtype])
    np.testing.assert_allclose(g, want_g, **TOL[dtype])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(12))
def test_nll_loss(seed, reduction):
    rng, x, y, c = _config(seed, np.float64)
    logp = losslab.log_softmax(x, axis=0 if x.ndim == 1 else 1)
    kwargs = {"reduction": reduction}
    if seed % 2:
        kwargs["weight"] = rng.uniform(0.1, 3.0, size=c)
    if seed % 3 == 2 and y.ndim and y.size > 1:
        y = y.copy()
        y.reshape(-1)[-1] = 7
        kwargs["ignore_index"] = 7
    want_v, want_g = torch_value_and_grad(F.nll_loss, logp, y, **kwargs)
    value, g = losslab.value_and_grad(losslab.nll_loss)(logp, y, **kwargs)
    np.testing.assert_allclose(value, want_v, rtol=1e-13, atol=0)
    np.testing.assert_allclose(g, want_g, rtol=1e-13, atol=0)


def test_all_ignored_mean_is_nan_in_torch_and_raises_here():
    x = np.zeros((2, 3))
    y = np.array([-100, -100])
    assert np.isnan(F.cross_entropy(torch.from_numpy(x), torch.from_numpy(y)).item())
    with pytest.raises(ValueError, match="every target equals ignore_index"):
        losslab.cross_entropy(x, y)


@pytest.mark.parametrize("scale", [1e4, -1e4])
def test_extreme_logits(scale):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 7)) * scale
    y = rng.integers(0, 7, size=50)
    want_v, want_g = torch_value_and_grad(F.cross_entropy, x, y, reduction="none")
    value, g = losslab.value_and_grad(losslab.cross_entropy)(x, y, reduction="none")
    # torch returns 0 for rows whose loss is below eps (log of 1 + tiny); we return the tiny loss
    np.testing.assert_allclose(value, want_v, rtol=1e-12, atol=1e-15)
    assert np.all(value >= 0)
    np.testing.assert_allclose(g, want_g, rtol=1e-12, atol=1e-15)
