"""PyTorch parity for multilabel_margin_loss (-1 padding, repeated classes) and
multilabel_soft_margin_loss (with and without weight): values and autograd gradients."""

from __future__ import annotations

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
from torchref import DTYPES, REDUCTIONS, TOL, torch_value_and_grad  # noqa: E402

F = torch.nn.functional
pytestmark = pytest.mark.parity


def _targets(rng, n, c):
    t = rng.integers(-1, c, (n, c))
    for i in range(n):
        k = int(rng.integers(0, c + 1))
        t[i, :k] = rng.integers(0, c, k)  # repeats allowed: they count twice
        if k < c:
            t[i, k] = -1
    return t


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("single", [False, True])
def test_multilabel_margin_loss(single, seed, reduction, dtype):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(6, 5)).astype(dtype)
    t = _targets(rng, 6, 5)
    if single:
        x, t = x[0], t[0]
    ref_v, ref_g = torch_value_and_grad(F.multilabel_margin_loss, x, torch.from_numpy(t),
                                        reduction=reduction)  # fmt: skip
    value, g = losslab.value_and_grad(losslab.multilabel_margin_loss)(x, t, reduction=reduction)
    np.testing.assert_allclose(value, ref_v, **TOL[dtype])
    np.testing.assert_allclose(g, ref_g, **TOL[dtype])
    assert np.shape(value) == np.shape(ref_v) and g.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("single", [False, True])
def test_multilabel_soft_margin_loss(single, weighted, reduction, dtype):
    rng = np.random.default_rng(int(weighted) + 2 * int(single))
    x = (rng.normal(size=(6, 5)) * 4).astype(dtype)
    t = rng.integers(0, 2, (6, 5)).astype(dtype)
    w = rng.uniform(0, 2, 5).astype(dtype) if weighted else None
    if single:
        x, t = x[0], t[0]
    kw = {"reduction": reduction}
    tw = {"weight": torch.from_numpy(w)} if weighted else {}
    ref_v, ref_g = torch_value_and_grad(F.multilabel_soft_margin_loss, x, torch.from_numpy(t),
                                        **tw, **kw)  # fmt: skip
    value, g = losslab.value_and_grad(losslab.multilabel_soft_margin_loss)(x, t, weight=w, **kw)
    np.testing.assert_allclose(value, ref_v, **TOL[dtype])
    np.testing.assert_allclose(g, ref_g, **TOL[dtype])
    assert np.shape(value) == np.shape(ref_v) and g.dtype == dtype


def test_out_of_range_after_padding_is_an_error_on_both_sides():
    x, t = np.zeros((1, 4)), np.array([[0, -1, 7, 1]])
    with pytest.raises(RuntimeError, match="out of range"):
        F.multilabel_margin_loss(torch.from_numpy(x), torch.from_numpy(t))
    with pytest.raises(ValueError, match=r"^`target`"):
        losslab.multilabel_margin_loss(x, t)
