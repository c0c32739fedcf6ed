"""PyTorch parity for binary_cross_entropy and binary_cross_entropy_with_logits.

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
from torchref import DTYPES, REDUCTIONS, TOL, torch_value_and_grad  # noqa: E402

F = torch.nn.functional
pytestmark = pytest.mark.parity


def _shape(rng):
    return tuple(int(s) for s in rng.integers(1, 6, size=int(rng.integers(1, 4))))


def _weights(rng, seed, shape, dtype):
    """A weight that broadcasts to ``shape``: full, trailing axis only, or a scalar-like (1,)."""
    kind = seed % 3
    wshape = shape if kind == 0 else shape[-1:] if kind == 1 else (1,)
    return rng.uniform(0.0, 3.0, size=wshape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(12))
def test_binary_cross_entropy(seed, reduction, dtype):
    rng = np.random.default_rng(seed)
    shape = _shape(rng)
    x = rng.uniform(0.02, 0.98, size=shape).astype(dtype)
    t = (rng.uniform(size=shape) if seed % 2 else rng.integers(0, 2, size=shape)).astype(dtype)
    kwargs = {"reduction": reduction}
    if seed % 4 >= 2:
        kwargs["weight"] = _weights(rng, seed, shape, dtype)
    want_v, want_g = torch_value_and_grad(F.binary_cross_entropy, x, t, **kwargs)
    value, g = losslab.value_and_grad(losslab.binary_cross_entropy)(x, t, **kwargs)
    np.testing.assert_allclose(value, want_v, **TOL[dtype])
    np.testing.assert_allclose(g, want_g, **TOL[dtype])
    assert g.dtype == dtype and np.asarray(value).dtype == dtype
    assert losslab.binary_cross_entropy(x, t, **kwargs).tobytes() == np.asarray(value).tobytes()


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_at_the_clamp(dtype):
    x = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 1 - 1e-7, 0.5, 1e-13], dtype=dtype)
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.3, 0.0], dtype=dtype)
    want_v, want_g = torch_value_and_grad(F.binary_cross_entropy, x, t, reduction="none")
    value, g = losslab.value_and_grad(losslab.binary_cross_entropy)(x, t, reduction="none")
    np.testing.assert_allclose(value, want_v, rtol=TOL[dtype]["rtol"], atol=0)
    np.testing.assert_allclose(g, want_g, rtol=TOL[dtype]["rtol"], atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(16))
def test_binary_cross_entropy_with_logits(seed, reduction, dtype):
    rng = np.random.default_rng(100 + seed)
    shape = _shape(rng)
    scale = float(rng.choice([0.1, 1.0, 5.0, 40.0]))
    x = (rng.normal(size=shape) * scale).astype(dtype)
    t = (rng.uniform(size=shape) if seed % 2 else rng.integers(0, 2, size=shape)).astype(dtype)
    kwargs = {"reduction": reduction}
    if seed % 4 >= 2:
        kwargs["weight"] = _weights(rng, seed, shape, dtype)
    if seed % 3 == 1:
        kwargs["pos_weight"] = rng.uniform(0.0, 4.0, size=shape[-1:]).astype(dtype)
    want_v, want_g = torch_value_and_grad(F.binary_cross_entropy_with_logits, x, t, **kwargs)
    fn = losslab.binary_cross_entropy_with_logits
    value, g = losslab.value_and_grad(fn)(x, t, **kwargs)
    np.testing.assert_allclose(value, want_v, **TOL[dtype])
    np.testing.assert_allclose(g, want_g, **TOL[dtype])
    assert g.dtype == dtype and np.asarray(value).dtype == dtype
    assert fn(x, t, **kwargs).tobytes() == np.asarray(value).tobytes()


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
