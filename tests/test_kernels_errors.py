"""Bad input on the C path: out-of-range labels and ignored rows in the row kernels, NaN/inf
reported with the NumPy path's message, and the edge cases of smooth L1's beta and of ignored
cross-entropy rows, on both paths."""

from __future__ import annotations

import inspect
import itertools
import math
from typing import Any

import numpy as np
import pytest
from cases import ROW_BY_NAME
from kernel_cases import (
    DTYPES,
    F32,
    F64,
    PAIR_CASES,
    REDUCTIONS,
    _kernels,
    assert_ulps_close,
    errors_on_both_paths,
    on_both_paths,
    on_path,
)

import losslab
from losslab import _registry
from losslab._reduction import BLOCK


def test_bad_labels_reported_by_the_kernels():
    """The row kernels check every label before reading with it, in each thread's blocks, and
    report the first row whose label is out of range (neither in [0, C) nor ignore_index)."""
    rows = 40 * BLOCK // 4
    x = np.zeros((rows, 4))
    part = np.empty(40)
    for where in (0, rows // 2, rows - 1):
        for bad in (-1, 4, 2**40, -100):
            y = np.zeros(rows, np.int64)
            y[where] = bad
            if where:
                y[where // 2] = -100  # an ignored row before it
            for threads in (1, 2):
                for ignore in (None, -100):
                    expected = -1 if ignore == bad else where
                    if ignore is None and where:
                        expected = where // 2  # -100 is a bad label too
                    args = (x, 4, y, None, 1.0, None, None, part, BLOCK // 4, threads, ignore)
                    assert _kernels.softmax_ce(False, *args)[2] == expected
                    nll_args = (x, 4, y, None, None, 1.0, None, None, part, BLOCK // 4)
                    assert _kernels.nll(False, *nll_args, threads, ignore)[2] == expected


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("threads", [1, 2])
def test_ignore_index_in_the_kernels_equals_weight_zero(dtype, threads):
    """Rows the kernels leave out (label == ignore_index) give exactly what rows of weight 0
    with label 0 give, which is how the NumPy path and the weighted path leave them out; the
    count of ignored rows is returned."""
    rng = np.random.default_rng(5)
    f32 = dtype == F32
    # ignore_index outside the classes, or one of them (0 is also the label of the lanes past
    # the last row in the kernels' vectors, which must not count as ignored)
    for c, ignore in ((3, -7), (10, -7), (40, -7), (10, 0), (10, 9)):
        block = BLOCK // c
        m = 3 * block + 17
        x = rng.standard_normal((m, c)).astype(dtype)
        y = rng.integers(0, c, m)
        ignored = (rng.uniform(size=m) < 0.2) | (y == ignore)
        ignored[block : 2 * block] = False  # one block without ignored rows
        y[block : 2 * block][y[block : 2 * block] == ignore] = (ignore + 1) % c
        y_ign = np.where(ignored, ignore, y)
        y_zero = np.where(ignored, 0, y)
        keep = (~ignored).astype(dtype)
        for name in ("softmax_ce", "nll"):
            weights = (None,) if name == "softmax_ce" else (None, None)
            ref_weights = (keep,) if name == "softmax_ce" else (keep, keep)
            outs = []
            for yy, ws, ign in ((y_ign, weights, ignore), (y_zero, ref_weights, None)):
                loss, grad = np.empty(m, dtype), np.empty((m, c), dtype)
                part = np.empty(-(-m // block))
                result = getattr(_kernels, name)(
                    f32, x, c, yy, *ws, 0.25, loss, grad, None, block, threads, ign
                )
                getattr(_kernels, name)(
                    f32, x, c, yy, *ws, 0.25, None, None, part, block, threads, ign
                )
                outs.append((result, loss.tobytes(), grad.tobytes(), part.tobytes()))
            (r_ign, *b_ign), (r_ref, *b_ref) = outs
            assert r_ign[1] == int(ignored.sum()) and r_ref[1] == 0
            assert r_ign[0] == r_ref[0] and r_ign[2] == r_ref[2] == -1
            assert b_ign == b_ref, f"{name} c={c} ignore={ignore}"


# ------------------------------------------------------------------------------------------------
# NaN and inf
# ------------------------------------------------------------------------------------------------


NAN_CASES = [case for case in PAIR_CASES if case.name not in ("smooth_l1-beta0",)]


# The C path flags a NaN/inf from the loss itself (and from x, t for the two logistic losses),
# then Python checks the inputs: every input, in a whole vector and in the zero-padded tail of
# each dtype (17: 16 + 1; 40: five whole float64 vectors, a float32 tail of 8; 1001: both tails).
NAN_SIZES = [(1, 0), (17, 16), (40, 36), (1001, 0), (1001, 500), (1001, 1000), (70001, 40000)]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", NAN_CASES, ids=[case.name for case in NAN_CASES])
def test_nonfinite_raises_like_numpy_path(case, dtype):
    rng = np.random.default_rng(3)
    vg = losslab.value_and_grad(case.fn)
    names = ("input", "target")
    for size, position in NAN_SIZES:
        (x, t), kwargs = case.make(rng, size, dtype)
        arrays = {"input": x, "target": t, **kwargs}
        for name in (*names, *kwargs):
            for bad, word in ((np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "inf")):
                modified = {k: a.copy() for k, a in arrays.items()}
                modified[name][position] = bad
                a, b = modified.pop("input"), modified.pop("target")
                for f in (case.fn, vg):
                    for reduction in ("mean", "none"):
                        c_msg, n_msg = errors_on_both_paths(
                            f, a, b, reduction=reduction, **case.kwargs, **modified
                        )
                        assert c_msg.startswith(f"`{name}` contains {word}"), (case.name, c_msg)
                        assert c_msg == n_msg


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_first_nonfinite_argument_is_reported(dtype):
    x = np.ones(100, dtype)
    t = np.zeros(100, dtype)
    x[97] = np.inf
    t[3] = np.nan
    for fn in (losslab.mse_loss, losslab.l1_loss, losslab.huber_loss, losslab.smooth_l1_loss):
        c_msg, n_msg = errors_on_both_paths(fn, x, t)
        assert c_msg == n_msg
        assert c_msg.startswith("`input` contains inf")
        c_msg, n_msg = errors_on_both_paths(fn, np.ones(100, dtype), t)
        assert c_msg == n_msg
        assert c_msg.startswith("`target` contains NaN")


@pytest.mark.parametrize("fn", [losslab.cross_entropy, losslab.nll_loss])
def test_nonfinite_logits_raise_like_numpy_path(fn):
    rng = np.random.default_rng(4)
    vg = losslab.value_and_grad(fn)
    for m, c in [(1, 3), (50, 10), (9000, 10), (3, 5000)]:
        x = rng.standard_normal((m, c))
        y = rng.integers(0, c, m)
        for bad, word in ((np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "inf")):
            for row in sorted({0, m // 2, m - 1}):
                xb = x.copy()
                xb[row, y[row]] = bad
                for f in (fn, vg):
                    c_msg, n_msg = errors_on_both_paths(f, xb, y)
                    assert c_msg == n_msg
                    assert c_msg.startswith(f"`input` contains {word}"), c_msg


def test_nll_reads_only_the_label_entries_on_both_paths():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((40, 6))
    y = rng.integers(0, 6, 40)
    x[np.arange(40), (y + 1) % 6] = np.nan  # never at a label
    copy = x.copy()
    vg = losslab.value_and_grad(losslab.nll_loss)
    for reduction in REDUCTIONS:
        (cv, cg), (nv, ng) = on_both_paths(vg, x, y, kernel="nll", reduction=reduction)
        if reduction == "none":
            np.testing.assert_array_equal(cv, nv)
        else:
            # the terms have both signs: both sums are within eps * sum|terms| of the exact one
            terms = -x[np.arange(40), y]
            exact = math.fsum(terms) / (40 if reduction == "mean" else 1)
            bound = 4 * np.finfo(F64).eps * np.abs(terms).sum()
            assert abs(cv - exact) <= bound and abs(nv - exact) <= bound, (cv, nv, exact)
        assert_ulps_close(cg, ng, F64, what="nll gradient")
    np.testing.assert_array_equal(x, copy)


@pytest.mark.parametrize("weight", [None, [1.0, 2.0, 0.5]], ids=["no-weight", "weight"])
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_nll_ignores_nonfinite_entries_of_ignored_rows_on_both_paths(bad, weight):
    # an ignored row's label (-100) stands for class 0 internally; its entry is never read
    x = np.log(np.full((4, 3), 1 / 3))
    x[1, 0] = bad
    y = np.array([2, -100, 1, 0])
    kwargs = {} if weight is None else {"weight": np.array(weight)}
    vg = losslab.value_and_grad(losslab.nll_loss)
    for reduction in REDUCTIONS:
        (cv, cg), (nv, ng) = on_both_paths(vg, x, y, kernel="nll", reduction=reduction, **kwargs)
        np.testing.assert_array_equal(cv, nv)
        np.testing.assert_array_equal(cg, ng)
        assert np.all(np.isfinite(cv))
        np.testing.assert_array_equal(cg[1], 0.0)


# ------------------------------------------------------------------------------------------------
# Extreme parameters: smooth L1 with a tiny beta, an ignored row with logits the range apart
# ------------------------------------------------------------------------------------------------


def _tiny_beta_pairs(dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    # 20 elements: a whole float32 vector and a tail of 4 (two float64 vectors and a tail of 4);
    # |x - t| in {0, 1, 2, 3}, so smooth L1 is |x - t| - beta/2, i.e. |x - t| to the last bit
    x = np.array([1.0, 0.0, 2.0, -3.0] * 5, dtype)
    return x, np.zeros_like(x)


@pytest.mark.parametrize(
    ("dtype", "beta"),
    [(F32, 1e-39), (F32, 2.9e-39), (F64, 1e-309)],
    ids=["float32-1e-39", "float32-2.9e-39", "float64-1e-309"],
)
def test_smooth_l1_with_a_tiny_beta_agrees_with_numpy_path(dtype, beta):
    """A beta whose reciprocal overflows (below 2^-1024 in float64, 2^-128 ~ 2.94e-39 in
    float32) takes the NumPy path, which never forms 1/beta: the loss is |x - t| - beta/2, i.e.
    |x - t|, as in PyTorch."""
    x, t = _tiny_beta_pairs(dtype)
    for reduction in ("none", "sum", "mean"):
        c, n = on_both_paths(
            losslab.smooth_l1_loss, x, t, kernel=None, reduction=reduction, beta=beta
        )
        expected = np.abs(x) if reduction == "none" else np.abs(x).sum(dtype=np.float64)
        if reduction == "mean":
            expected /= x.size
        assert_ulps_close(n, expected, dtype, what=f"NumPy path, {reduction}")
        assert_ulps_close(c, n, dtype, what=f"smooth_l1 beta={beta} {dtype}, {reduction}")


@pytest.mark.parametrize("module", [_kernels, None], ids=["C", "NumPy"])
def test_smooth_l1_with_a_beta_that_rounds_to_zero_is_l1(module):
    """A float32 beta that rounds to 0 (below 2^-150) gives the L1 loss on both paths, as
    beta=0 does and as in PyTorch (which also rounds beta to float), not NaN."""
    x, t = _tiny_beta_pairs(F32)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # float32(1/beta): inf
        value = on_path(module, losslab.smooth_l1_loss, x, t, reduction="none", beta=1e-46)
    np.testing.assert_array_equal(value, np.abs(x))


@pytest.mark.parametrize(
    ("dtype", "beta"), [(F32, 1e-39), (F64, 1e-309)], ids=["float32-1e-39", "float64-1e-309"]
)
@pytest.mark.parametrize("module", [_kernels, None], ids=["C", "NumPy"])
def test_smooth_l1_gradient_with_a_tiny_beta(module, dtype, beta):
    """With a beta whose reciprocal overflows the dtype, the derivative clip((x - t)/beta, -1,
    1) is sign(x - t) on both paths (PyTorch: sign(x - t)): neither inf where |x - t| >= beta nor
    NaN at x == t."""
    x, t = _tiny_beta_pairs(dtype)
    vg = losslab.value_and_grad(losslab.smooth_l1_loss)
    with np.errstate(over="ignore", invalid="ignore"):
        _, g = on_path(module, vg, x, t, reduction="sum", beta=beta)
    np.testing.assert_array_equal(g, np.sign(x))


@pytest.mark.parametrize("module", [_kernels, None], ids=["C", "NumPy"])
def test_cross_entropy_ignored_row_with_logits_the_range_apart(module):
    """An ignored row (label -100) adds 0 to the loss and gets a zero gradient on both paths,
    even when its class-0 logit lies more than the float64 range below the row's maximum
    (finite logits whose loss alone would be inf, and 0 * inf = NaN); PyTorch also returns 0
    for the row."""
    x = np.array([[-1e308, 1e308, 0.0], [1.0, 2.0, 3.0]])
    y = np.array([-100, 2])
    kept = float(np.log(np.exp(x[1] - 3.0).sum()))  # log(sum exp(x - max)) - (x_y - max)
    vg = losslab.value_and_grad(losslab.cross_entropy)
    with np.errstate(invalid="ignore"):
        rows = on_path(module, losslab.cross_entropy, x, y, reduction="none")
        total, g = on_path(module, vg, x, y, reduction="sum")
    np.testing.assert_allclose(rows, [0.0, kept], rtol=1e-15)
    np.testing.assert_allclose(total, kept, rtol=1e-15)
    np.testing.assert_array_equal(g[0], 0.0)


# ------------------------------------------------------------------------------------------------
# Two faults at once: both paths name the same one, in the order of losslab._validation
# ------------------------------------------------------------------------------------------------


def _outcome(module: Any, fn: Any, kwargs: dict[str, Any]) -> str:
    """``"TypeName: message"`` of the error ``fn(**kwargs)`` raises on a path (or "no error")."""
    try:
        on_path(module, fn, **kwargs)
    except (TypeError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return "no error"


REGISTERED_ROWS = [ROW_BY_NAME[e.name] for e in _registry.entries() if e.name in ROW_BY_NAME]


@pytest.mark.parametrize("row", REGISTERED_ROWS, ids=[row.name for row in REGISTERED_ROWS])
def test_two_faults_are_named_alike_on_both_paths(row):
    """Every pair of bad arguments of every registered function (a NaN input and a bad target,
    a bad target and a negative weight, ...) gets the same error on the C path and on the
    NumPy path."""
    fn = getattr(losslab, row.name)
    params = inspect.signature(fn).parameters
    differ = []
    for a, b in itertools.combinations(row.cases, 2):
        if a.arg == b.arg or a.extra or b.extra:
            continue
        kwargs = {**row.valid(), a.arg: a.value, b.arg: b.value}
        # also without the optional arrays (weights), which some kernels do not take
        optional = [k for k in kwargs if k not in (a.arg, b.arg) and params[k].default is None]
        bare = {k: value for k, value in kwargs.items() if k not in optional}
        for f in (fn, losslab.value_and_grad(fn)):
            for call in (kwargs, bare) if optional else (kwargs,):
                c_out, n_out = _outcome(_kernels, f, call), _outcome(None, f, call)
                if c_out != n_out:
                    what = f"{a.arg}={a.id} and {b.arg}={b.id} ({', '.join(call)})"
                    differ.append(f"{what}: C {c_out!r}, NumPy {n_out!r}")
    assert not differ, "\n".join(differ)
