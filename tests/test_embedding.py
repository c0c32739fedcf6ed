"""Pair and triplet losses: gradients by central differences, validation, dtypes."""

from __future__ import annotations

import numpy as np
import pytest

import losslab

CASES = [
    ("margin_ranking_loss", 2, ("input1", "input2"), {"margin": 0.3}),
    ("cosine_embedding_loss", 2, ("input1", "input2"), {"margin": 0.1}),
    ("triplet_margin_loss", 3, ("anchor", "positive", "negative"), {"p": 3.0, "swap": True}),
    ("triplet_margin_with_distance_loss", 3, ("anchor", "positive", "negative"), {"swap": True}),
]


def _arrays(name, count, rng):
    if name == "margin_ranking_loss":
        return [rng.normal(size=5), rng.normal(size=5), rng.choice([-1.0, 1.0], 5)]
    arrays = list(rng.normal(size=(count, 5, 3)))
    if count == 2:
        arrays.append(rng.choice([-1.0, 1.0], 5))
    return arrays


@pytest.mark.parametrize(("name", "count", "wrts", "kw"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_gradients_match_differences(name, count, wrts, kw, reduction):
    rng = np.random.default_rng(7)
    fn = getattr(losslab, name)
    arrays = _arrays(name, count, rng)
    for i, wrt in enumerate(wrts):
        g = losslab.grad(fn, wrt=wrt)(*arrays, reduction=reduction, **kw)
        num = np.zeros_like(arrays[i])
        for idx in np.ndindex(arrays[i].shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[i][idx] += 1e-6
            minus[i][idx] -= 1e-6
            num[idx] = (
                np.sum(fn(*plus, reduction=reduction, **kw))
                - np.sum(fn(*minus, reduction=reduction, **kw))
            ) / 2e-6
        np.testing.assert_allclose(g, num, atol=1e-7)


@pytest.mark.parametrize(("name", "count", "wrts", "kw"), CASES, ids=[c[0] for c in CASES])
def test_float32_stays_float32_and_inputs_untouched(name, count, wrts, kw):
    arrays = [a.astype(np.float32) for a in _arrays(name, count, np.random.default_rng(1))]
    before = [a.copy() for a in arrays]
    value, g = losslab.value_and_grad(getattr(losslab, name))(*arrays, **kw)
    assert value.dtype == np.float32 and g.dtype == np.float32
    for a, b in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("wrt", ["anchor", "positive", "negative"])
def test_triplet_p_below_1_with_a_zero_difference_takes_subgradient_0(wrt):
    # u = anchor - positive has a zero coordinate: d|u_0|^p/du_0 is infinite there, and the
    # subgradient 0 is used (as PyTorch's norm backward masks it)
    a, pos, neg = np.array([[0.0, 1.0]]), np.array([[0.0, 3.0]]), np.array([[2.0, 2.0]])
    kw = {"margin": 10.0, "p": 0.5, "eps": 0.0}
    fn = losslab.value_and_grad(losslab.triplet_margin_loss, wrt=wrt)
    value, g = fn(a, pos, neg, **kw)

    def dd(u):  # gradient of ||u||_p with respect to u, 0 where u_i = 0
        d = (np.abs(u) ** 0.5).sum() ** 2.0
        nz = u != 0
        out = np.zeros_like(u)
        out[nz] = np.sign(u[nz]) * np.abs(u[nz]) ** -0.5 * d**0.5
        return out

    g_ap, g_an = dd(a - pos), dd(a - neg)
    expected = {"anchor": g_ap - g_an, "positive": -g_ap, "negative": g_an}[wrt]
    assert value == pytest.approx(2.0 - (2**0.5 + 1) ** 2 + 10.0, rel=1e-12)
    np.testing.assert_allclose(g, expected, rtol=1e-12)
    assert np.isfinite(g).all()


def test_custom_distance():
    a, p, n = np.zeros((1, 2)), np.array([[3.0, 4.0]]), np.array([[6.0, 8.0]])

    def l1(x, y):
        return np.abs(x - y).sum(-1)

    # L1: d(a, p) = 7, d(a, n) = 14, so 7 - 14 + 10 = 3; the default L2 gives 5 - 10 + 10 = 5
    value = losslab.triplet_margin_with_distance_loss(a, p, n, distance_function=l1, margin=10.0)
    default = losslab.triplet_margin_with_distance_loss(a, p, n, margin=10.0)
    assert value == pytest.approx(3.0, rel=1e-12)
    assert default == pytest.approx(5.0, rel=1e-12)
    with pytest.raises(TypeError, match=r"^`distance_function`"):
        losslab.grad(losslab.triplet_margin_with_distance_loss)(a, p, n, distance_function=l1)


@pytest.mark.parametrize(
    ("call", "exc", "name"),
    [
        (lambda: losslab.margin_ranking_loss([1.0], [1.0, 2.0], [1]), ValueError, "input2"),
        (lambda: losslab.margin_ranking_loss([1.0], [1.0], [0]), ValueError, "target"),
        (lambda: losslab.margin_ranking_loss([1.0], [1.0], [1], margin="a"), TypeError, "margin"),
        (lambda: losslab.cosine_embedding_loss([[1.0]], [[1.0]], [2]), ValueError, "target"),
        (lambda: losslab.cosine_embedding_loss([True], [1.0], 1), TypeError, "input1"),
        (lambda: losslab.triplet_margin_loss([1.0], [1.0], [1.0], p=0), ValueError, "p"),
        (lambda: losslab.triplet_margin_loss([1.0], [1.0], [1.0], swap=1), TypeError, "swap"),
        (lambda: losslab.triplet_margin_loss([1.0], [1.0], [np.nan]), ValueError, "negative"),
        (
            lambda: losslab.triplet_margin_with_distance_loss([1.0], [1.0], [1.0], reduction="x"),
            ValueError,
            "reduction",
        ),
    ],
)
def test_bad_input(call, exc, name):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value).startswith(f"`{name}`"), str(info.value)


def test_sympy_gradients_are_the_closed_forms():
    pytest.importorskip("sympy")
    from losslab.symbolic import embedding as sym

    proofs = sym.proofs()
    assert proofs and all(proofs.values()), proofs


@pytest.mark.parametrize("p", [0.5, 1.0, 2.0, 3.0])
def test_triplet_distances_where_the_powers_leave_the_range(p):
    # |u|^p overflows (1e300) or underflows (1e-200) where the distance does not: the distances
    # are computed scaled by the largest |u_i|, against mpmath, with no warning
    import mpmath

    anchor = np.array([[1e300, -1e300, 0.0], [1e-200, 2e-200, 0.0], [1.0, 2.0, 3.0]])
    zeros = np.zeros_like(anchor)
    with mpmath.workdps(50):
        ref = [
            mpmath.fsum(abs(mpmath.mpf(float(v))) ** p for v in row) ** (1 / mpmath.mpf(p))
            for row in anchor
        ]
        expected = [float(r) for r in ref]
    # negative = anchor and margin 0: the loss is the distance d(anchor, 0)
    kw = {"p": p, "eps": 0.0, "margin": 0.0}
    value = losslab.triplet_margin_loss(anchor, zeros, anchor, reduction="none", **kw)
    np.testing.assert_allclose(value, expected, rtol=4e-16)
    g = losslab.grad(losslab.triplet_margin_loss)(anchor, zeros, anchor, **kw)
    assert np.all(np.isfinite(g))


@pytest.mark.parametrize("scale", [1e300, 1e200, 1e154])
def test_cosine_of_rows_whose_squares_leave_the_range(scale):
    # the cosine does not depend on the rows' scale (eps = 1e-12 aside, negligible here): the
    # loss is that of the unscaled rows and the gradient 1/scale times theirs, with no warning
    x1 = np.array([[1.0, 2.0, 3.0], [1.0, -2.0, 0.5]])
    x2 = np.array([[2.0, 1.0, 0.0], [3.0, 1.0, 1.0]])
    y = np.array([1, -1])
    fn = losslab.cosine_embedding_loss
    ref = fn(x1 * 1e3, x2 * 1e3, y, reduction="none")
    ref_g = losslab.grad(fn)(x1 * 1e3, x2 * 1e3, y, reduction="none") * 1e3
    np.testing.assert_allclose(fn(x1 * scale, x2 * scale, y, reduction="none"), ref, rtol=4e-16)
    g = losslab.grad(fn)(x1 * scale, x2 * scale, y, reduction="none")
    np.testing.assert_allclose(g * scale, ref_g, rtol=1e-15)
