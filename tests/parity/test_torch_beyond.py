"""Parity of the losses beyond torch.nn.functional with their reference code written in torch:
torchvision.ops.sigmoid_focal_loss (its source, line by line), log-cosh, the pinball loss and the
Dice/Tversky ratios, values and autograd gradients in float64 and float32."""

from __future__ import annotations

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
from torchref import DTYPES, REDUCTIONS, TOL, torch_value_and_grad  # noqa: E402

F = torch.nn.functional
pytestmark = pytest.mark.parity


def torchvision_sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0, reduction="none"):
    """torchvision.ops.sigmoid_focal_loss (torchvision 0.2x), as published."""
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    if reduction == "mean":
        loss = loss.mean()
    elif reduction == "sum":
        loss = loss.sum()
    return loss


def _compare(ours, theirs, dtype):
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), **TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2.0), (-1.0, 2.0), (0.5, 1.5), (0.9, 0.0)])
def test_sigmoid_focal_loss(alpha, gamma, reduction, dtype):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(4, 6)) * 3).astype(dtype)
    t = rng.uniform(size=(4, 6))
    t[:2] = np.round(t[:2])
    t = t.astype(dtype)
    kw = {"alpha": alpha, "gamma": gamma, "reduction": reduction}
    ours = losslab.value_and_grad(losslab.sigmoid_focal_loss)(x, t, **kw)
    theirs = torch_value_and_grad(torchvision_sigmoid_focal_loss, x, t, **kw)
    _compare(ours, theirs, dtype)


def _reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_log_cosh_loss(reduction, dtype):
    rng = np.random.default_rng(1)
    x, y = (rng.normal(size=(3, 7)) * 5).astype(dtype), rng.normal(size=(3, 7)).astype(dtype)
    ours = losslab.value_and_grad(losslab.log_cosh_loss)(x, y, reduction=reduction)
    theirs = torch_value_and_grad(
        lambda a, b: _reduce(torch.log(torch.cosh(a - b)), reduction), x, y
    )
    _compare(ours, theirs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("alpha", [0.1, 0.5, 0.9])
def test_pinball_loss(alpha, reduction, dtype):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(3, 7)).astype(dtype), rng.normal(size=(3, 7)).astype(dtype)
    ours = losslab.value_and_grad(losslab.pinball_loss)(x, y, alpha=alpha, reduction=reduction)

    def pinball(a, b):
        r = b - a
        return _reduce(torch.maximum(alpha * r, (alpha - 1) * r), reduction)

    _compare(ours, torch_value_and_grad(pinball, x, y), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("per_sample", [True, False])
@pytest.mark.parametrize("from_logits", [False, True])
def test_dice_and_tversky(from_logits, per_sample, reduction, dtype):
    rng = np.random.default_rng(3)
    x = rng.uniform(0.05, 0.95, size=(3, 2, 4)) if not from_logits else rng.normal(size=(3, 2, 4))
    x = x.astype(dtype)
    t = np.round(rng.uniform(size=(3, 2, 4))).astype(dtype)
    dims = (1, 2) if per_sample else (0, 1, 2)
    for a, b, name in ((0.5, 0.5, "dice_loss"), (0.3, 0.7, "tversky_loss")):
        kw = {"smooth_nr": 1e-5, "smooth_dr": 1e-5, "per_sample": per_sample}
        kw.update(from_logits=from_logits, reduction=reduction)
        if name == "tversky_loss":
            kw.update(alpha=a, beta=b)
        ours = losslab.value_and_grad(getattr(losslab, name))(x, t, **kw)

        dice = name == "dice_loss"

        def tversky(z, tt, a=a, b=b, coef=2.0 if dice else 1.0, scale=2.0 if dice else 1.0):
            p = torch.sigmoid(z) if from_logits else z
            inter = (p * tt).sum(dim=dims)
            fp, fn = (p * (1 - tt)).sum(dim=dims), ((1 - p) * tt).sum(dim=dims)
            # Dice: 2I + 2 (FP + FN)/2 = sum p + sum t
            den = coef * inter + scale * (a * fp + b * fn) + 1e-5
            return _reduce(1 - (coef * inter + 1e-5) / den, reduction)

        _compare(ours, torch_value_and_grad(tversky, x, t), dtype)
