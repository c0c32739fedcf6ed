"""PyTorch parity for ctc_loss: values and autograd gradients w.r.t. ``log_probs``.

Padded and concatenated targets, one sequence without the batch axis, repeated labels, empty
targets, impossible alignments (inf loss, NaN gradient) and ``zero_infinity``. float64: rtol
1e-12; float32: rtol 2e-5 (both sides round differently).
"""

from __future__ import annotations

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
from torchref import DTYPES, REDUCTIONS, TOL  # noqa: E402

F = torch.nn.functional
pytestmark = pytest.mark.parity


def _torch_ctc(lp, targets, in_len, tg_len, **kwargs):
    x = torch.from_numpy(lp.copy()).requires_grad_()
    out = F.ctc_loss(
        x,
        torch.as_tensor(targets),
        torch.as_tensor(in_len),
        torch.as_tensor(tg_len),
        **kwargs,
    )
    out.sum().backward()
    return out.detach().numpy(), x.grad.numpy()


def _case(seed, dtype):
    rng = np.random.default_rng(seed)
    n_frames, n, n_cls = int(rng.integers(1, 12)), int(rng.integers(1, 5)), int(rng.integers(2, 6))
    blank = int(rng.integers(0, n_cls)) if seed % 3 == 0 else 0
    z = rng.normal(scale=2.0, size=(n_frames, n, n_cls))
    lp = (z - np.log(np.exp(z).sum(-1, keepdims=True))).astype(dtype)
    others = np.array([k for k in range(n_cls) if k != blank])
    s_max = int(rng.integers(0, 6))
    targets = rng.choice(others, size=(n, max(s_max, 1)))
    tg_len = rng.integers(0, s_max + 1, size=n)
    in_len = rng.integers(1, n_frames + 1, size=n)
    return lp, targets, in_len, tg_len, blank


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("layout", ["padded", "concatenated", "unbatched"])
@pytest.mark.parametrize("seed", range(10))
def test_ctc_loss(seed, layout, zero_infinity, reduction, dtype):
    lp, targets, in_len, tg_len, blank = _case(seed, dtype)
    if layout == "concatenated":
        targets = np.concatenate([targets[i, : tg_len[i]] for i in range(len(tg_len))])
    elif layout == "unbatched":
        # torch wants exactly target_lengths labels here; losslab also accepts padding
        lp, targets, in_len, tg_len = lp[:, 0], targets[0, : tg_len[0]], in_len[0], tg_len[0]
    kwargs = {"blank": blank, "reduction": reduction, "zero_infinity": zero_infinity}
    want_v, want_g = _torch_ctc(lp, targets, in_len, tg_len, **kwargs)
    value, g = losslab.value_and_grad(losslab.ctc_loss)(lp, targets, in_len, tg_len, **kwargs)
    np.testing.assert_allclose(value, want_v, **TOL[dtype])
    np.testing.assert_allclose(g, want_g, **TOL[dtype])  # NaN where torch has NaN
    assert g.dtype == dtype and np.asarray(value).dtype == dtype
    plain = losslab.ctc_loss(lp, targets, in_len, tg_len, **kwargs)
    assert np.asarray(plain).tobytes() == np.asarray(value).tobytes()


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_impossible_alignment(zero_infinity):
    lp = np.log(np.full((3, 2, 3), 1 / 3))
    targets, in_len, tg_len = np.array([[1, 1, 2], [2, 2, 2]]), np.array([3, 3]), np.array([3, 2])
    kwargs = {"reduction": "none", "zero_infinity": zero_infinity}
    want_v, want_g = _torch_ctc(lp, targets, in_len, tg_len, **kwargs)
    value, g = losslab.value_and_grad(losslab.ctc_loss)(lp, targets, in_len, tg_len, **kwargs)
    assert np.isinf(want_v).any() != zero_infinity  # the case is impossible in torch too
    np.testing.assert_allclose(value, want_v, rtol=1e-12)
    np.testing.assert_allclose(g, want_g, rtol=1e-12, atol=1e-14)
