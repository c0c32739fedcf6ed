"""PyTorch parity for cosine_embedding_loss, margin_ranking_loss, triplet_margin_loss and
triplet_margin_with_distance_loss: values and the autograd gradient of every data argument."""

from __future__ import annotations

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
from torchref import DTYPES, REDUCTIONS, TOL  # noqa: E402

F = torch.nn.functional
pytestmark = pytest.mark.parity


def _check(name, arrays, wrts, dtype, **kwargs):
    ts = [torch.from_numpy(np.array(a)).requires_grad_(i < len(wrts)) for i, a in enumerate(arrays)]
    out = getattr(F, name)(*ts, **kwargs)
    out.sum().backward()
    fn = getattr(losslab, name)
    for i, wrt in enumerate(wrts):
        value, g = losslab.value_and_grad(fn, wrt=wrt)(*arrays, **kwargs)
        np.testing.assert_allclose(value, out.detach().numpy(), **TOL[dtype])
        np.testing.assert_allclose(g, ts[i].grad.numpy(), **TOL[dtype])
        assert g.dtype == dtype and np.asarray(value).dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("seed", range(4))
def test_pair_losses(seed, reduction, dtype):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=(2, 6, 3)).astype(dtype)
    y = rng.choice([-1.0, 1.0], 6).astype(dtype)
    margin = float(rng.choice([0.0, 0.2, -0.1]))
    kw = {"margin": margin, "reduction": reduction}
    _check("margin_ranking_loss", [x1[:, 0], x2[:, 0], y], ["input1", "input2"], dtype, **kw)
    _check("cosine_embedding_loss", [x1, x2, y], ["input1", "input2"], dtype, **kw)
    if seed == 0:  # one sample
        _check("cosine_embedding_loss", [x1[0], x2[0], y[0]], ["input1", "input2"], dtype, **kw)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_triplet_losses(p, swap, reduction, dtype):
    rng = np.random.default_rng(int(p) + 10 * swap)
    a, pos, neg = rng.normal(size=(3, 7, 4)).astype(dtype)
    names = ["anchor", "positive", "negative"]
    kw = {"margin": 1.5, "swap": swap, "reduction": reduction}
    _check("triplet_margin_loss", [a, pos, neg], names, dtype, p=p, **kw)
    _check("triplet_margin_with_distance_loss", [a, pos, neg], names, dtype, **kw)
