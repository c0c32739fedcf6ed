"""PyTorch parity for l1_loss, huber_loss and smooth_l1_loss: values and autograd gradients.

float64: rtol 1e-12, atol 1e-14 (the same element formulas; the reductions may add in another
order). float32: rtol 2e-5, atol 1e-6 (a few float32 ulps times the reduction length).
Kinks (x == t, |x - t| == delta or beta) are built from exactly representable numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
from torchref import DTYPES, REDUCTIONS, TOL, torch_value_and_grad  # noqa: E402

F = torch.nn.functional
pytestmark = pytest.mark.parity


def _data(seed, dtype):
    rng = np.random.default_rng(seed)
    shape = tuple(int(s) for s in rng.integers(1, 7, size=int(rng.integers(1, 4))))
    scale = float(rng.choice([0.3, 1.0, 5.0, 100.0]))
    x = (rng.normal(size=shape) * scale).astype(dtype)
    t = (rng.normal(size=shape) * scale).astype(dtype)
    if x.size > 2:  # a kink at x == t
        t.reshape(-1)[1] = x.reshape(-1)[1]
    return rng, x, t


def _check(name, x, t, dtype, **kwargs):
    fn = getattr(losslab, name)
    want_v, want_g = torch_value_and_grad(getattr(F, name), x, t, **kwargs)
    value, g = losslab.value_and_grad(fn)(x, t, **kwargs)
    np.testing.assert_allclose(value, want_v, **TOL[dtype])
    np.testing.assert_allclose(g, want_g, **TOL[dtype])
    assert g.dtype == dtype and np.asarray(value).dtype == dtype
    assert np.asarray(fn(x, t, **kwargs)).tobytes() == np.asarray(value).tobytes()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(10))
def test_mse_loss(seed, reduction, dtype):
    rng, x, t = _data(seed, dtype)
    kwargs = {"reduction": reduction}
    if seed % 2:
        kwargs["weight"] = rng.uniform(0.0, 3.0, size=x.shape).astype(dtype)
    _check("mse_loss", x, t, dtype, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(10))
def test_l1_loss(seed, reduction, dtype):
    rng, x, t = _data(seed, dtype)
    kwargs = {"reduction": reduction}
    if seed % 2:
        kwargs["weight"] = rng.uniform(0.0, 3.0, size=x.shape).astype(dtype)
    _check("l1_loss", x, t, dtype, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(10))
def test_huber_loss(seed, reduction, dtype):
    rng, x, t = _data(seed, dtype)
    delta = float(rng.choice([0.25, 1.0, 2.0, 7.5]))
    if x.size > 3:  # exactly at the threshold
        t.reshape(-1)[2], x.reshape(-1)[2] = 0, delta
    kwargs = {"reduction": reduction, "delta": delta}
    if seed % 2:
        kwargs["weight"] = rng.uniform(0.0, 3.0, size=x.shape).astype(dtype)
    _check("huber_loss", x, t, dtype, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 3.0])
@pytest.mark.parametrize("seed", range(5))
def test_smooth_l1_loss(seed, beta, reduction, dtype):
    _, x, t = _data(seed, dtype)
    if x.size > 3:
        t.reshape(-1)[2], x.reshape(-1)[2] = 0, -beta  # exactly at -beta
    _check("smooth_l1_loss", x, t, dtype, reduction=reduction, beta=beta)


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
