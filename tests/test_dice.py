"""dice_loss and tversky_loss: the ratio, smoothing placement, per-sample or batch sums,
logits, gradient, and each library's convention as a parameter setting."""

from __future__ import annotations

import numpy as np
import pytest

import losslab

dice, tversky = losslab.dice_loss, losslab.tversky_loss
P = np.array([[0.9, 0.2, 0.7, 0.1], [0.3, 0.8, 0.6, 0.4]])
T = np.array([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]])


def ratio(p, t, smooth_nr, smooth_dr, axis):
    """1 - (2 I + s_nr) / (sum p + sum t + s_dr), straight from the definition."""
    inter = (p * t).sum(axis=axis)
    return 1 - (2 * inter + smooth_nr) / (p.sum(axis=axis) + t.sum(axis=axis) + smooth_dr)


def test_per_sample_and_batch_sums():
    np.testing.assert_allclose(dice(P, T, reduction="none"), ratio(P, T, 0, 0, 1), rtol=1e-15)
    assert dice(P, T) == pytest.approx(ratio(P, T, 0, 0, 1).mean(), rel=1e-15)
    assert dice(P, T, per_sample=False) == pytest.approx(ratio(P, T, 0, 0, None), rel=1e-15)
    assert dice(P, T, per_sample=False, reduction="none").shape == ()
    # (N, H, W): every axis but the first is summed
    p3, t3 = P.reshape(2, 2, 2), T.reshape(2, 2, 2)
    np.testing.assert_allclose(dice(p3, t3, reduction="none"), dice(P, T, reduction="none"))


@pytest.mark.parametrize(
    ("library", "kwargs", "smooth_nr", "smooth_dr", "axis"),
    [
        ("MONAI DiceLoss defaults", {"smooth_nr": 1e-5, "smooth_dr": 1e-5}, 1e-5, 1e-5, 1),
        ("Keras dice, axis=None", {"smooth_dr": 1e-7, "per_sample": False}, 0.0, 1e-7, None),
        ("optax binary_dice_loss smooth=1", {"smooth_nr": 2.0, "smooth_dr": 2.0}, 2.0, 2.0, 1),
    ],
)
def test_library_conventions_are_parameter_settings(library, kwargs, smooth_nr, smooth_dr, axis):
    expected = np.mean(ratio(P, T, smooth_nr, smooth_dr, axis))
    assert dice(P, T, **kwargs) == pytest.approx(expected, rel=1e-15), library


def test_optax_form_with_half_weights_is_dice_with_doubled_smoothing():
    # optax: 1 - (I + s) / (I + FP/2 + FN/2 + s)
    s = 1.0
    inter = (P * T).sum(axis=1)
    fp, fn = (P * (1 - T)).sum(axis=1), ((1 - P) * T).sum(axis=1)
    optax_form = 1 - (inter + s) / (inter + 0.5 * fp + 0.5 * fn + s)
    np.testing.assert_allclose(
        tversky(P, T, smooth_nr=s, smooth_dr=s, reduction="none"), optax_form, rtol=1e-15
    )
    np.testing.assert_allclose(
        dice(P, T, smooth_nr=2 * s, smooth_dr=2 * s, reduction="none"), optax_form, rtol=1e-15
    )


def test_tversky_weights_false_positives_with_alpha():
    p, t = np.array([[1.0, 1.0, 0.0]]), np.array([[1.0, 0.0, 1.0]])  # one FP, one FN
    only_fp = tversky(p, t, alpha=1.0, beta=0.0)
    only_fn = tversky(p, t, alpha=0.0, beta=1.0)
    assert only_fp == only_fn == pytest.approx(0.5)
    p2 = np.array([[1.0, 1.0, 1.0]])  # one FP, no FN
    assert tversky(p2, t, alpha=1.0, beta=0.0) == pytest.approx(1 / 3)
    assert tversky(p2, t, alpha=0.0, beta=1.0) == 0.0


def test_from_logits_applies_the_sigmoid():
    x = np.array([[2.0, -1.0, 0.5, -3.0], [-0.2, 1.5, 0.0, -0.7]])
    p = 1 / (1 + np.exp(-x))
    assert dice(x, T, from_logits=True) == pytest.approx(dice(p, T), rel=1e-15)
    g = losslab.grad(dice)(x, T, from_logits=True)
    np.testing.assert_allclose(g, losslab.grad(dice)(p, T) * p * (1 - p), rtol=1e-14)


def test_empty_masks_need_a_denominator_smoothing():
    zeros = np.zeros((1, 3))
    with pytest.raises(ValueError, match=r"^`smooth_dr`"):
        dice(zeros, zeros)
    assert dice(zeros, zeros, smooth_nr=1e-5, smooth_dr=1e-5) == 0.0
    assert dice(zeros, zeros, smooth_dr=1e-7) == 1.0  # Keras: an empty pair scores 1


@pytest.mark.parametrize("fn", [dice, tversky])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("per_sample", [True, False])
def test_gradient_matches_central_difference(fn, reduction, per_sample):
    rng = np.random.default_rng(4)
    p, t = rng.uniform(0.1, 0.9, size=(3, 5)), rng.uniform(size=(3, 5))
    kw = {"smooth_nr": 0.1, "smooth_dr": 0.2, "per_sample": per_sample, "reduction": reduction}
    g = losslab.grad(fn)(p, t, **kw)
    h = 1e-6
    num = np.zeros_like(p)
    for k in np.ndindex(p.shape):
        up, dn = p.copy(), p.copy()
        up[k] += h
        dn[k] -= h
        num[k] = (np.sum(fn(up, t, **kw)) - np.sum(fn(dn, t, **kw))) / (2 * h)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-10)


def test_float32_stays_float32():
    v, g = losslab.value_and_grad(dice)(P.astype(np.float32), T.astype(np.float32))
    assert v.dtype == np.float32 and g.dtype == np.float32
    assert dice(P.astype(np.float32), T, reduction="none").dtype == np.float64  # promotion


@pytest.mark.parametrize(
    ("kw", "exc", "name"),
    [
        ({"input": P + 0.5}, ValueError, "input"),
        ({"target": T * 2}, ValueError, "target"),
        ({"smooth_nr": -1.0}, ValueError, "smooth_nr"),
        ({"smooth_dr": "1"}, TypeError, "smooth_dr"),
        ({"per_sample": 1}, TypeError, "per_sample"),
        ({"from_logits": "yes"}, TypeError, "from_logits"),
        ({"input": 0.5, "target": 1.0}, ValueError, "input"),
    ],
)
def test_bad_input_names_the_argument(kw, exc, name):
    args = {"input": P, "target": T, **kw}
    with pytest.raises(exc, match=rf"^`{name}`"):
        dice(**args)
    with pytest.raises(exc, match=rf"^`{name}`"):
        tversky(**args)
    with pytest.raises(ValueError, match=r"^`alpha`"):
        tversky(P, T, alpha=-0.5)


def test_huge_weights_give_the_ratio_without_overflow():
    # alpha FP + beta FN is 2e308, beyond the range; the ratio itself is 0 (loss 1).
    p, t = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, grad = losslab.value_and_grad(tversky)(p, t, alpha=1e308, beta=1e308)
        assert value == 1.0
        assert np.isfinite(grad).all()
        p2 = np.array([[0.5, 0.5]])
        big = tversky(p2, np.array([[1.0, 0.0]]), alpha=1e308, beta=1e308)
    # TP 0.5, FP 0.5, FN 0.5: 1 - 0.5 / (0.5 + 1e308) == 1
    assert big == 1.0
    small = tversky(P, T, alpha=3.0, beta=5.0, reduction="none")
    tp, fp, fn = (P * T).sum(1), (P * (1 - T)).sum(1), ((1 - P) * T).sum(1)
    np.testing.assert_array_equal(small, 1 - tp / (tp + 3.0 * fp + 5.0 * fn))


@pytest.mark.parametrize(
    ("p", "t", "kw", "reason"),
    [
        ([[0.0, 0.0]], [[0.0, 0.0]], {}, "`input` and `target` are both all 0"),
        ([[0.2, 0.5]], [[0.0, 0.0]], {"alpha": 0.0}, "`alpha` is 0 and `target` is all 0"),
        ([[0.0, 0.0]], [[1.0, 0.0]], {"beta": 0.0}, "`beta` is 0 and `input` is all 0"),
        ([[0.2, 0.5]], [[0.0, 0.0]], {"alpha": 0.0, "beta": 0.0}, "`alpha` and `beta` are 0"),
        ([[0.0, 0.5]], [[1.0, 0.0]], {"alpha": 0.0, "beta": 0.0}, "do not overlap"),
    ],
)
def test_zero_denominator_says_why(p, t, kw, reason):
    with pytest.raises(ValueError, match=r"^`smooth_dr` is 0") as info:
        tversky(np.array(p), np.array(t), **kw)
    assert reason in str(info.value)
    assert "foreground" not in str(info.value)


@pytest.mark.parametrize("fn", [dice, tversky])
def test_docstring_sections_start_after_a_blank_line(fn):
    lines = fn.__doc__.splitlines()
    for k in range(2, len(lines)):
        if set(lines[k].strip()) == {"-"} and len(lines[k].strip()) >= 3:
            assert not lines[k - 2].strip(), lines[k - 1]  # NumPy format: a blank line first
