"""PyTorch parity for multi_margin_loss (on quarter-integers: many hinge terms exactly at the
kink, a single (C,) sample, class weights), hinge_loss and soft_margin_loss where PyTorch
overflows. hinge_embedding_loss and soft_margin_loss on random shapes, scales and kinks are the
regimes of tests/cases.py, compared by tests/parity/test_torch_cases.py.

Values and autograd gradients. float64: rtol 1e-12, atol 1e-14; float32: rtol 2e-5, atol 1e-6.
``hinge_loss`` has no PyTorch function; it is compared with ``F.relu(margin - target * input)``.
Beyond PyTorch's overflow, it returns inf / NaN for soft_margin_loss and losslab the finite limit.
"""

from __future__ import annotations

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
from torchref import DTYPES, REDUCTIONS, TOL, torch_value_and_grad  # noqa: E402

F = torch.nn.functional
pytestmark = pytest.mark.parity


def _compare(fn, want, x, *args, dtype, **kwargs):
    want_v, want_g = want
    value, g = losslab.value_and_grad(fn)(x, *args, **kwargs)
    np.testing.assert_allclose(value, want_v, **TOL[dtype])
    np.testing.assert_allclose(g, want_g, **TOL[dtype])
    assert g.dtype == dtype and np.asarray(value).dtype == dtype
    assert np.asarray(fn(x, *args, **kwargs)).tobytes() == np.asarray(value).tobytes()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("seed", range(8))
def test_multi_margin_loss(seed, p, reduction, dtype):
    rng = np.random.default_rng(seed)
    n, c = int(rng.integers(1, 8)), int(rng.integers(2, 7))
    # quarter-integers: many hinge terms land exactly on the kink margin - x_y + x_j == 0
    x = (rng.integers(-8, 9, size=(n, c)) / 4).astype(dtype)
    y = rng.integers(0, c, size=n)
    kwargs = {"p": p, "margin": float(rng.choice([1.0, 0.5, 2.0, -0.25])), "reduction": reduction}
    if seed % 2:
        kwargs["weight"] = rng.uniform(0.0, 3.0, size=c).astype(dtype)
    if seed == 0:  # a single sample, shape (C,)
        x, y = x[0], y[0]
    want = torch_value_and_grad(F.multi_margin_loss, x, np.asarray(y), **kwargs)
    _compare(losslab.multi_margin_loss, want, x, y, dtype=dtype, **kwargs)


def test_soft_margin_where_torch_overflows():
    x, y = np.array([-1e4, 800.0]), np.array([1.0, -1.0])
    want_v, want_g = torch_value_and_grad(F.soft_margin_loss, x, y, reduction="none")
    assert np.isinf(want_v).all() and np.isnan(want_g).all()  # PyTorch's direct log(1 + exp)
    value, g = losslab.value_and_grad(losslab.soft_margin_loss)(x, y, reduction="none")
    np.testing.assert_array_equal(value, [1e4, 800.0])
    np.testing.assert_array_equal(g, [-1.0, 1.0])


def _torch_hinge(x, y, margin=1.0, reduction="mean"):
    out = F.relu(margin - y * x)
    return {"mean": out.mean, "sum": out.sum, "none": lambda: out}[reduction]()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(6))
def test_hinge_loss(seed, reduction, dtype):
    rng = np.random.default_rng(120 + seed)
    shape = tuple(int(s) for s in rng.integers(1, 6, size=int(rng.integers(1, 4))))
    x = (rng.integers(-12, 13, size=shape) / 4).astype(dtype)  # some y x == margin
    y = rng.choice([-1.0, 1.0], size=shape).astype(dtype)
    kwargs = {"margin": float(rng.choice([1.0, 0.5])), "reduction": reduction}
    want = torch_value_and_grad(_torch_hinge, x, y, **kwargs)
    _compare(losslab.hinge_loss, want, x, y, dtype=dtype, **kwargs)


def test_multi_margin_weight_after_the_power():
    # PyTorch's docs put w[y] inside the max(...)^p; its kernel multiplies afterwards.
    x, y, w = np.array([[0.1, 0.2, 0.4, 0.8]]), np.array([3]), np.array([1.0, 2.0, 3.0, 4.0])
    want_v, _ = torch_value_and_grad(F.multi_margin_loss, x, y, p=2, weight=w)
    assert losslab.multi_margin_loss(x, y, p=2, weight=w) == pytest.approx(want_v, rel=1e-14)
    inside = np.sum(np.maximum(0, 4.0 * (1 - 0.8 + x[0, :3])) ** 2) / 4
    assert abs(want_v - inside) > 1.0
