"""Every routed loss on the C path against the NumPy path: values and gradients for each
reduction, float64 and float32, sizes around the vector widths, the chunk and the block; bit for
bit where both paths do the same operations; float32 in, float32 out; float32 reductions equal
the sums of the element losses; which calls take the C path."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from kernel_cases import (
    CASE_IDS,
    CASES,
    DTYPES,
    F32,
    F64,
    LOGISTIC_FNS,
    PAIR_CASES,
    REDUCTIONS,
    _compare,
    _compare_to_numpy_float32,
    _terms,
    _upcast,
    assert_ulps_close,
    make_kl,
    make_pair,
    on_both_paths,
    on_c_path,
    on_path,
)

import losslab


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_value_agrees_with_numpy_path(case, reduction, dtype):
    rng = np.random.default_rng(zlib.crc32(f"{case.name} {reduction} {dtype}".encode()))
    for size in case.sizes:
        args, kwargs = case.make(rng, size, dtype)
        kw = {"reduction": reduction, **case.kwargs}
        c, n = on_both_paths(case.fn, *args, kernel=case.kernel, **kw, **kwargs)
        what = f"{case.name} value, size {size}"
        if dtype == F64 or _compare_to_numpy_float32(case):
            _compare(c, n, dtype, reduction, what, _terms(case, args))
        if dtype == F32:
            args64, kwargs64 = _upcast(args, kwargs)
            ref = on_path(None, case.fn, *args64, **kw, **kwargs64)
            _compare(c, ref, dtype, reduction, f"{what}, against float64", _terms(case, args))


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_value_and_grad_agree_with_numpy_path(case, reduction, dtype):
    rng = np.random.default_rng(zlib.crc32(f"{case.name} {reduction} {dtype} grad".encode()))
    vg = losslab.value_and_grad(case.fn)
    for size in case.sizes:
        args, kwargs = case.make(rng, size, dtype)
        kw = {"reduction": reduction, **case.kwargs}
        (cv, cg), (nv, ng) = on_both_paths(vg, *args, kernel=case.kernel, **kw, **kwargs)
        what = f"{case.name}, size {size}"
        assert cg.shape == ng.shape == args[0].shape
        magnitude = float(np.max(np.abs(ng))) if case.grad_cancels else 0.0
        if dtype == F64 or _compare_to_numpy_float32(case):
            _compare(cv, nv, dtype, reduction, f"{what}: value", _terms(case, args))
            assert_ulps_close(cg, ng, dtype, magnitude=magnitude, what=f"{what}: gradient")
        if dtype == F32:
            args64, kwargs64 = _upcast(args, kwargs)
            rv, rg = on_path(None, vg, *args64, **kw, **kwargs64)
            _compare(
                cv, rv, dtype, reduction, f"{what}: value, against float64", _terms(case, args)
            )
            assert_ulps_close(
                cg, rg, dtype, magnitude=magnitude, what=f"{what}: gradient, against float64"
            )


@pytest.mark.parametrize("case", PAIR_CASES, ids=[case.name for case in PAIR_CASES])
def test_shapes_and_non_contiguous_inputs(case):
    rng = np.random.default_rng(5)
    (x, t), kwargs = case.make(rng, 4 * 6 * 10, F64)
    x = x.reshape(4, 6, 10).transpose(2, 0, 1)  # (10, 4, 6), not C-contiguous
    t = t.reshape(10, 4, 6)
    kwargs = {k: w.reshape(10, 4, 6)[:, :, ::-1] for k, w in kwargs.items()}
    vg = losslab.value_and_grad(case.fn)
    for reduction in REDUCTIONS:
        (cv, cg), (nv, ng) = on_both_paths(
            vg, x, t, kernel="pair", reduction=reduction, **case.kwargs, **kwargs
        )
        assert np.shape(cv) == np.shape(nv)
        assert cg.shape == ng.shape == (10, 4, 6)
        _compare(cv, nv, F64, reduction, f"{case.name} {reduction}: value")
        magnitude = float(np.max(np.abs(ng))) if case.grad_cancels else 0.0
        assert_ulps_close(cg, ng, F64, magnitude=magnitude, what=f"{case.name}: gradient")
    # 0-d input
    c, n = on_both_paths(case.fn, x[0, 0, 0], t[0, 0, 0], kernel="pair", reduction="none")
    assert np.shape(c) == np.shape(n) == ()
    assert_ulps_close(c, n, F64, what=f"{case.name} 0-d")


@pytest.mark.parametrize(
    ("fn", "args", "kernel"),
    [
        (losslab.mse_loss, ([1e200, 1.0], [-1e200, 0.0]), "pair"),
        (losslab.mse_loss, (np.float32([1e20, 3e38]), np.float32([0.0, -3e38])), "pair"),
        # an element loss beyond float32's range (4e38) is inf, and so is every reduction of it
        (losslab.mse_loss, (np.float32([2e19, 1.0]), np.float32([0.0, 0.0])), "pair"),
        (losslab.l1_loss, ([1e308, 1.0], [-1e308, 0.0]), "pair"),
        (losslab.huber_loss, ([1e308, 0.5], [-1e308, 0.0]), "pair"),
        (losslab.smooth_l1_loss, (np.float32([3e38, 0.5]), np.float32([-3e38, 0.0])), "pair"),
        (losslab.binary_cross_entropy_with_logits, ([1e308, -1e308, 0.0], [0, 1, 0.5]), "pair"),
        (losslab.binary_cross_entropy_with_logits, ([1e308, -1e308], [1.0, 0.0]), "pair"),
        (losslab.soft_margin_loss, ([1e308, -1e308], [-1.0, -1.0]), "pair"),
        (losslab.soft_margin_loss, (np.float32([3e38, 100.0]), np.float32([-1, 1])), "pair"),
        (losslab.cross_entropy, ([[1e308, -1e308, 0.0]], [1]), "softmax_ce"),
        (losslab.cross_entropy, ([[1e308, -1e308, 0.0]], [0]), "softmax_ce"),
        (losslab.cross_entropy, (np.float32([[3e38, -3e38, 0.0]]), [1]), "softmax_ce"),
        (losslab.nll_loss, ([[1e308, -1e308, 0.0]], [1]), "nll"),
    ],
)
def test_values_at_the_ends_of_the_range_agree(fn, args, kernel):
    # overflow gives inf (no warning: warnings are errors) on both paths alike
    vg = losslab.value_and_grad(fn)
    args = tuple(np.asarray(a) for a in args)
    for reduction in REDUCTIONS:
        (cv, cg), (nv, ng) = on_both_paths(vg, *args, kernel=kernel, reduction=reduction)
        dtype = np.asarray(cg).dtype
        assert_ulps_close(cv, nv, dtype, what=f"{fn.__name__} {reduction}: value")
        assert_ulps_close(cg, ng, dtype, what=f"{fn.__name__} {reduction}: gradient")


def test_routing():
    """The documented calls take the C path; the others stay on NumPy."""
    x, t = np.linspace(-2, 2, 20), np.linspace(1, -1, 20)
    p = np.linspace(0, 1, 20)
    logits = np.linspace(-3, 3, 30).reshape(10, 3)
    labels = np.arange(10) % 3
    for fn, args, kwargs in [
        (losslab.mse_loss, (x, t), {}),
        (losslab.l1_loss, (x, t), {}),
        (losslab.huber_loss, (x, t), {}),
        (losslab.smooth_l1_loss, (x, t), {}),
        (losslab.binary_cross_entropy_with_logits, (x, p), {}),
        (losslab.soft_margin_loss, (x, np.sign(t + 0.01)), {}),
        (losslab.kl_div, (x, p), {}),
        (losslab.kl_div, (x, -p), {"log_target": True}),
    ]:
        on_c_path(fn, *args, kernel="pair", **kwargs)
    on_c_path(losslab.cross_entropy, logits, labels, kernel="softmax_ce")
    on_c_path(losslab.nll_loss, logits, labels, kernel="nll")
    # not (yet) compiled: weighted BCE with logits, label smoothing, class probabilities
    on_c_path(losslab.binary_cross_entropy_with_logits, x, p, weight=p, kernel=None)
    on_c_path(losslab.binary_cross_entropy_with_logits, x, p, pos_weight=p, kernel=None)
    on_c_path(losslab.cross_entropy, logits, labels, label_smoothing=0.1, kernel=None)
    probabilities = np.full((10, 3), 1 / 3)
    on_c_path(losslab.cross_entropy, logits, probabilities, kernel=None)


# ------------------------------------------------------------------------------------------------
# float32
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_float32_in_float32_out(case):
    rng = np.random.default_rng(9)
    args, kwargs = case.make(rng, 40001, F32)
    assert args[0].dtype == F32
    vg = losslab.value_and_grad(case.fn)
    for reduction in REDUCTIONS:
        value = on_c_path(
            case.fn, *args, kernel=case.kernel, reduction=reduction, **case.kwargs, **kwargs
        )
        v2, g = on_c_path(
            vg, *args, kernel=case.kernel, reduction=reduction, **case.kwargs, **kwargs
        )
        assert np.asarray(value).dtype == F32, (reduction, type(value))
        assert np.asarray(v2).dtype == F32, (reduction, type(v2))
        assert g.dtype == F32
        assert g.shape == args[0].shape
        if reduction != "none":
            assert isinstance(value, np.float32)
            assert isinstance(v2, np.float32)


def test_float32_with_integer_target_stays_float32():
    x = np.linspace(-1, 1, 1001, dtype=np.float32)
    t = np.arange(1001) % 3 - 1
    for fn in (losslab.mse_loss, losslab.l1_loss, losslab.huber_loss, losslab.soft_margin_loss):
        target = np.where(t >= 0, 1, -1) if fn is losslab.soft_margin_loss else t
        value, g = on_c_path(losslab.value_and_grad(fn), x, target, kernel="pair")
        assert isinstance(value, np.float32)
        assert g.dtype == F32


# The element-wise losses without exp/log1p do the same float32 (float64) operations in the same
# order on both paths: their element losses and all gradients are identical, bit for bit.
# Smooth L1 with a beta whose reciprocal is inexact differs: the C path multiplies by fl(1/beta)
# (a relative error of at most 2^-24 in float32, 2^-53 in float64, so at most 1 ulp of the
# exact quotient), NumPy divides by beta; two roundings of reals 1 ulp apart: at most 2 ulps.
EXACT_CASES = [
    case
    for case in PAIR_CASES
    if case.kernel == "pair"
    and case.fn not in (*LOGISTIC_FNS, losslab.kl_div)
    and case.name != "smooth_l1-beta0.1"
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", EXACT_CASES, ids=[case.name for case in EXACT_CASES])
def test_elements_and_gradients_equal_numpy_path_bit_for_bit(case, dtype):
    rng = np.random.default_rng(zlib.crc32(f"{case.name} {dtype} exact".encode()))
    vg = losslab.value_and_grad(case.fn)
    for size in (1, 15, 17, 33, 520, 4099, 70001):
        args, kwargs = case.make(rng, size, dtype)
        for reduction in REDUCTIONS:
            kw = {"reduction": reduction, **case.kwargs, **kwargs}
            (cv, cg), (nv, ng) = on_both_paths(vg, *args, kernel="pair", **kw)
            what = f"{case.name}, {reduction}, size {size}"
            if reduction == "none":
                np.testing.assert_array_equal(cv, nv, err_msg=f"{what}: value")
            np.testing.assert_array_equal(cg, ng, err_msg=f"{what}: gradient")


# The KL divergence takes its logarithms (exponentials, with log_target=True) from the kernels'
# own routines, NumPy from its own: their element losses may differ in the last bits (compared
# to a few ulps above). The gradient of the probability form, -p times the reduction's scale,
# is the same product on both paths.
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_kl_div_gradient_equals_numpy_path_bit_for_bit(dtype):
    rng = np.random.default_rng(41)
    vg = losslab.value_and_grad(losslab.kl_div)
    for size in (1, 17, 4099, 70001):
        (x, t), _ = make_kl(rng, size, dtype)
        for reduction in ("mean", "batchmean", "sum", "none"):
            (_, cg), (_, ng) = on_both_paths(vg, x, t, kernel="pair", reduction=reduction)
            np.testing.assert_array_equal(cg, ng, err_msg=f"size {size}, {reduction}")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_smooth_l1_with_inexact_reciprocal_within_two_ulps(dtype):
    rng = np.random.default_rng(17)
    for beta in (0.1, 0.3, 3.0, 7.0):
        for size in (17, 4099):
            (x, t), _ = make_pair(rng, size, dtype)
            c, n = on_both_paths(
                losslab.smooth_l1_loss, x, t, kernel="pair", reduction="none", beta=beta
            )
            np.testing.assert_array_max_ulp(c, n, maxulp=2, dtype=dtype)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_float32_reductions_are_the_sums_of_the_element_losses(case):
    """A float32 'sum' (unweighted 'mean') is the sum of the float32 element (row) losses that
    reduction='none' returns, accumulated in double, rounded once: within 1/2 ulp of the exact
    sum, up to the double's own error (n 2^-53 of the sum of the terms' magnitudes, far below
    1e-9 of it; the terms are >= 0 except the KL divergence's). Padding lanes that added
    anything (BCE's log 2 at x = t = 0, say) would show here."""
    rng = np.random.default_rng(zlib.crc32(f"{case.name} sums".encode()))
    sizes = (1, 7, 15, 17, 33, 520, 4099, 32769, 70001) if case.kernel == "pair" else case.sizes
    for size in sizes:
        args, kwargs = case.make(rng, size, F32)
        kw = {**case.kwargs, **kwargs}
        loss = on_c_path(case.fn, *args, kernel=case.kernel, reduction="none", **kw)
        if case.fn is not losslab.kl_div:
            assert np.all(loss >= 0)
        exact = math.fsum(loss.astype(np.float64).ravel().tolist())
        magnitude = math.fsum(np.abs(loss.astype(np.float64)).ravel().tolist())
        checks = [("sum", exact)]
        if not kwargs:  # a weighted 'mean' divides by a total weight instead
            checks.append(("mean", exact / loss.size))
        for reduction, expected in checks:
            value = on_c_path(case.fn, *args, kernel=case.kernel, reduction=reduction, **kw)
            assert isinstance(value, np.float32)
            half_ulp = 0.5 * float(np.spacing(np.float32(abs(expected))))
            scale = magnitude / loss.size if reduction == "mean" else magnitude
            assert abs(float(value) - expected) <= half_ulp + 1e-9 * scale, (
                case.name,
                reduction,
                size,
                float(value),
                expected,
            )


# BCE with logits and soft margin in float32 use expf and log1pf (each within 1 ulp). Measured
# over 3.6e7 random (x, target) pairs (x normal * 6, uniform in [-110, 110], and down to 1e-45):
# the C path is within 1.96 ulps (BCE) and 1.61 ulps (soft margin) of the exact element loss,
# the float32 NumPy path within 3.6 and 3.2 ulps, the two within 4 ulps of each other (2.9 eps
# relative, which the 4 eps of assert_ulps_close in the tests above covers: no tolerance there
# is loosened for float32). The bound here is the C path's own: 2 ulps of float32.
@pytest.mark.parametrize("fn", LOGISTIC_FNS, ids=lambda fn: fn.__name__)
def test_float32_logistic_losses_within_two_ulps_of_exact(fn):
    rng = np.random.default_rng(23)
    n = 100_001
    x = np.concatenate(
        [
            rng.standard_normal(n) * 6.0,
            rng.uniform(-110.0, 110.0, n),
            rng.uniform(-1.0, 1.0, n) * 10.0 ** rng.uniform(-45.0, 0.0, n),
        ]
    ).astype(np.float32)
    if fn is losslab.soft_margin_loss:
        t = rng.choice([-1.0, 1.0], x.size).astype(np.float32)
    else:
        t = rng.uniform(0.0, 1.0, x.size).astype(np.float32)
        t[::7], t[::11], t[::13] = 0.0, 1.0, 0.5
    c = on_c_path(fn, x, t, kernel="pair", reduction="none").astype(np.float64)
    exact = on_path(None, fn, x.astype(np.float64), t.astype(np.float64), reduction="none")
    spacing = np.maximum(np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64), 2**-149)
    ulps = np.abs(c - exact) / spacing
    worst = int(np.argmax(ulps))
    assert ulps[worst] <= 2.0, (
        f"{fn.__name__}(x={x[worst]!r}, target={t[worst]!r}) = {c[worst]!r}, exact "
        f"{exact[worst]!r}: {ulps[worst]:.3f} ulps"
    )


# ------------------------------------------------------------------------------------------------
# Property: any finite float64 input
# ------------------------------------------------------------------------------------------------

BOUND = 1e6
_finite = st.floats(-BOUND, BOUND, allow_nan=False, allow_infinity=False)
_vectors = arrays(np.float64, st.integers(1, 100), elements=_finite)


@settings(max_examples=50, deadline=None, database=None)
@given(
    data=st.data(),
    x=_vectors,
    loss=st.sampled_from(["mse", "huber", "bce_logits"]),
    reduction=st.sampled_from(REDUCTIONS),
)
def test_property_c_path_equals_numpy_path(data, x, loss, reduction):
    n = x.size
    if loss == "bce_logits":
        fn = losslab.binary_cross_entropy_with_logits
        t = data.draw(arrays(np.float64, n, elements=st.floats(0.0, 1.0)), label="target")
        kwargs = {}
    else:
        fn = losslab.huber_loss if loss == "huber" else losslab.mse_loss
        t = data.draw(arrays(np.float64, n, elements=_finite), label="target")
        kwargs = (
            {"delta": data.draw(st.floats(1e-3, 1e3), label="delta")} if loss == "huber" else {}
        )
    c, numpy = on_both_paths(fn, x, t, kernel="pair", reduction=reduction, **kwargs)
    if reduction == "none":
        assert_ulps_close(c, numpy, F64, what=loss)
    else:
        np.testing.assert_allclose(float(c), float(numpy), rtol=1e-13, atol=0)
    (_, cg), (_, ng) = on_both_paths(
        losslab.value_and_grad(fn), x, t, kernel="pair", reduction=reduction, **kwargs
    )
    magnitude = float(np.max(np.abs(ng))) if loss == "bce_logits" else 0.0
    assert_ulps_close(cg, ng, F64, magnitude=magnitude, what=f"{loss} gradient")
