"""The compiled kernels (``losslab._kernels``) and the C path of the losses.

* exp and log1p of the kernels (float64) and expf and log1pf (float32, 16 lanes) against mpmath:
  at most 1 ulp everywhere, exact at the edges;
* every routed loss on the C path against the NumPy path (values and gradients, each reduction,
  float64 and float32, sizes around the vector widths, the chunk and the 32 Ki block); bit for
  bit where both paths do the same operations; float32 reductions = sums of the element losses;
* the kernels' tails: nothing read or written outside the buffers, every element the same in a
  whole vector and in the padded tail, partial sums = sums of their blocks;
* bit-identical results for every thread count;
* NaN/inf: the same ValueError as on the NumPy path, inputs untouched (float64 and float32);
* float32 in, float32 out;
* at the end, regression tests for the bugs a review found (smooth L1 with a tiny beta, an
  ignored cross-entropy row with logits the float64 range apart), all fixed.

The module is skipped when the extension is not built, unless ``LOSSLAB_REQUIRE_KERNELS=1``
(set in CI), which makes a missing extension an error.
"""

from __future__ import annotations

import math
import os
import threading
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab
from losslab import _fast
from losslab._reduction import BLOCK

REQUIRE_ENV = "LOSSLAB_REQUIRE_KERNELS"

try:
    from losslab import _kernels
except ImportError as exc:
    if os.environ.get(REQUIRE_ENV, "").strip() not in ("", "0"):
        pytest.fail(
            f"{REQUIRE_ENV} is set but losslab._kernels cannot be imported: {exc}", pytrace=False
        )
    pytest.skip(f"losslab._kernels is not built: {exc}", allow_module_level=True)

F64, F32 = np.dtype(np.float64), np.dtype(np.float32)
DTYPES = [F64, F32]
REDUCTIONS = ["mean", "sum", "none"]
# Around the vector widths (4 or 8 doubles, 8 or 16 floats in the 256- and 512-bit builds), the
# chunk (512) and the block (32768); 520 is a chunk and a tail of 8; 70001 spans three blocks.
# All sizes but 8, 16 and 32768 end in a partial vector of either build.
SIZES = [1, 7, 8, 9, 15, 16, 17, 31, 33, 511, 513, 520, 4099, 32768, 32769, 70001]


# ------------------------------------------------------------------------------------------------
# Elementary functions against mpmath: exp, log1p (float64, 8 lanes) and expf, log1pf (float32,
# 16 lanes, evaluated in float32)
# ------------------------------------------------------------------------------------------------

DBL_MAX = float(np.finfo(np.float64).max)
FLT_MAX = float(np.finfo(np.float32).max)
FLT_TRUE_MIN = float(np.finfo(np.float32).smallest_subnormal)  # 2^-149
LANES = {F64: 8, F32: 16}  # the vector widths
LANES_F32 = LANES[F32]


def _ulp(ref: mpmath.mpf, dtype: np.dtype) -> mpmath.mpf:
    """The spacing of ``dtype`` in the binade of the real ``ref`` (the subnormal spacing, 2^-1074
    or 2^-149, at and below the subnormal range, so that a result 0 or the smallest subnormal is
    measured against the subnormal spacing)."""
    info = np.finfo(dtype)
    lowest = info.minexp - info.nmant  # -1074, -149
    if ref == 0:
        return mpmath.ldexp(1, lowest)
    _, e = mpmath.frexp(abs(ref))  # |ref| = m 2^e, 1/2 <= m < 1: binade 2^(e-1)
    return mpmath.ldexp(1, max(int(e) - 1 - info.nmant, lowest))


def _ulp_errors(
    kernel: Callable[[np.ndarray, np.ndarray], None],
    reference: Callable[[mpmath.mpf], mpmath.mpf],
    x: np.ndarray,
    dtype: np.dtype,
) -> tuple[np.ndarray, np.ndarray]:
    """``(out, errors in ulps of dtype)`` of ``kernel`` on ``x`` (as ``dtype``) against the
    50-digit ``reference``.

    A reference at or beyond the dtype's overflow threshold requires exactly ``inf`` (error 0 or
    inf).
    """
    info = np.finfo(dtype)
    x = np.ascontiguousarray(x, dtype)
    out = np.full_like(x, -12345.0)
    kernel(x, out)
    errors = np.empty(x.size)
    with mpmath.workdps(50):
        # reals from here round to inf: 2^1024 - 2^970 (float64), 2^128 - 2^103 (float32)
        overflow = mpmath.ldexp(1, info.maxexp) - mpmath.ldexp(1, info.maxexp - info.nmant - 2)
        for i, (xi, yi) in enumerate(zip(x.tolist(), out.tolist(), strict=True)):
            ref = reference(mpmath.mpf(xi))
            if ref >= overflow:
                errors[i] = 0.0 if yi == math.inf else math.inf
            elif not math.isfinite(yi):
                errors[i] = math.inf
            else:
                errors[i] = float(abs(mpmath.mpf(yi) - ref) / _ulp(ref, dtype))
    return out, errors


def _around(centers: list[float], dtype: np.dtype, steps: int = 3) -> np.ndarray:
    """Each center rounded to ``dtype`` and the ``steps`` values of ``dtype`` either side of it."""
    points = []
    for c in np.array(centers, dtype):
        around = [c]
        for _ in range(steps):
            around = [
                np.nextafter(around[0], dtype.type(-np.inf)),
                *around,
                np.nextafter(around[-1], dtype.type(np.inf)),
            ]
        points.extend(around)
    return np.array(points, dtype)


def _exp_random(rng: np.random.Generator) -> np.ndarray:
    ln2 = math.log(2.0)
    k = rng.integers(-1074, 1024, 500).astype(np.float64)
    return np.concatenate(
        [
            rng.uniform(-745.2, 709.8, 30000),  # the whole range, subnormal results included
            rng.uniform(-1.0, 1.0, 1500) * 10.0 ** rng.uniform(-320.0, 0.0, 1500),  # tiny |x|
            rng.uniform(-720.0, -700.0, 500),  # around the C code's switch at -700
            rng.uniform(695.0, 709.78, 500),  # around the switch at 700, near overflow
            rng.uniform(-745.14, -708.3, 1000),  # subnormal results
            (k + 0.5) * ln2 + rng.uniform(-1e-9, 1e-9, 500),  # the reduction's rounding points
            k * ln2,  # |r| ~ 0
        ]
    )


def _exp_edges() -> np.ndarray:
    """Points where the exponent handling changes, and a few ulps either side of each."""
    centers = [
        0.0,
        709.782712893384,  # log(DBL_MAX)
        709.78,
        700.0,
        -700.0,
        -708.3964185322641,  # log(2^-1022): the smallest normal result
        -744.4400719213812,  # log(2^-1074)
        -745.1332191019411,  # log(2^-1075): results below round to 0
        -745.0,
        0.5 * math.log(2.0),
        -0.5 * math.log(2.0),
    ]
    extra = [5e-324, -5e-324, 2.2250738585072014e-308, -1e-300, 1e-300, 1e-16, -1e-16]
    return np.concatenate([_around(centers, F64), np.array(extra, np.float64)])


def _log1p_random(rng: np.random.Generator) -> np.ndarray:
    return np.concatenate(
        [
            10.0 ** rng.uniform(-323.5, 308.25, 15000),  # the whole range
            rng.uniform(0.0, 4.0, 8000),
            rng.uniform(0.4, 0.43, 500),  # around sqrt(2) - 1, where k changes
            rng.uniform(0.0, 1e-7, 500),
            2.0 ** rng.integers(1, 1024, 500) * rng.uniform(0.70, 0.72, 500) - 1.0,  # k switches
        ]
    )


# where log1p's k changes, 1 + x = 2^j sqrt(2) (float64 and float32 alike)
LOG1P_K_SWITCHES = [2.0**j * math.sqrt(2.0) - 1.0 for j in (0, 1, 30)]


def _log1p_edges() -> np.ndarray:
    centers = [*LOG1P_K_SWITCHES, 2.0**52 * math.sqrt(2.0), 1.0, 2.0**53, 2.0**54]
    centers += [1e300, 1e-300, 2.0**-53, 2.0**-1022]
    extra = [0.0, 5e-324, 1e-16, 0.41421356237309503, 0.4142135623730951, 3.0, DBL_MAX]
    return np.concatenate([_around(centers, F64, steps=1), np.array(extra, np.float64)])


def _expf_random(rng: np.random.Generator) -> np.ndarray:
    ln2 = math.log(2.0)
    k = rng.integers(-150, 129, 400).astype(np.float64)
    x = np.concatenate(
        [
            rng.uniform(-104.0, 89.0, 16000),  # the whole range, subnormal results and inf
            rng.uniform(-1.0, 1.0, 1500) * 10.0 ** rng.uniform(-45.0, 0.0, 1500),  # tiny |x|
            rng.uniform(-103.98, -87.3, 1500),  # subnormal results (and 0 below -103.97)
            rng.uniform(85.0, 88.7, 800),  # near overflow
            rng.uniform(88.7, 89.0, 400),  # across the overflow threshold 88.7228
            rng.uniform(-84.0, -76.0, 600),  # around the C code's switch at -80
            rng.uniform(76.0, 84.0, 600),  # around the switch at 80
            (k + 0.5) * ln2 + rng.uniform(-1e-5, 1e-5, 400),  # the reduction's rounding points
            k * ln2,  # |r| ~ 0
        ]
    )
    return x.astype(np.float32)


def _expf_edges() -> np.ndarray:
    centers = [
        0.0,
        88.72283935546875,  # log(FLT_MAX), rounded to float32 (its exp overflows)
        88.7228317,  # the largest float whose exp is finite
        80.0,
        -80.0,
        100.0,  # the clamps
        -110.0,
        -87.33654475055310,  # log(2^-126): the smallest normal result
        -103.27892990343185,  # log(2^-149)
        -103.97207708399179,  # log(2^-150): results below round to 0
        0.5 * math.log(2.0),
        -0.5 * math.log(2.0),
        1.0,
        -1.0,
    ]
    extra = [FLT_TRUE_MIN, -FLT_TRUE_MIN, 1.1754944e-38, 1e-30, -1e-30, 1e-8, -1e-8]
    return np.concatenate([_around(centers, F32), np.array(extra, np.float32)])


def _log1pf_random(rng: np.random.Generator) -> np.ndarray:
    j = rng.integers(1, 128, 500)
    x = np.concatenate(
        [
            10.0 ** rng.uniform(-45.8, 38.53, 9000),  # the whole range, subnormals included
            rng.uniform(0.0, 4.0, 5000),
            rng.uniform(0.4, 0.43, 500),  # around sqrt(2) - 1, where k changes
            rng.uniform(0.0, 1e-3, 1000),
            rng.uniform(0.0, 1e-7, 500),  # 1 + x rounds to 1 (or its neighbour)
            2.0**j * rng.uniform(0.70, 0.72, 500) - 1.0,  # k switches
            rng.uniform(2.0**23, 2.0**26, 500),  # around the switch at k = 25 (no correction)
        ]
    )
    x = x.astype(np.float32)
    return x[np.isfinite(x)]


def _log1pf_edges() -> np.ndarray:
    centers = [
        *LOG1P_K_SWITCHES,
        2.0**23 * math.sqrt(2.0),
        2.0**24 * math.sqrt(2.0),  # k = 24 / 25: the correction is dropped from here
        1.0,
        2.0**24,
        2.0**25,
        1e30,
        1e-30,
        2.0**-24,
        2.0**-126,
    ]
    extra = [0.0, FLT_TRUE_MIN, 2 * FLT_TRUE_MIN, 3.0, 1e38, FLT_MAX]
    return np.concatenate([_around(centers, F32), np.array(extra, np.float32)])


def _log_random(rng: np.random.Generator, dtype: np.dtype) -> np.ndarray:
    """Probabilities: the whole range of (0, 1], subnormals included, and around the reduction's
    switch at sqrt(2)/2 and at 1."""
    info = np.finfo(dtype)
    lowest = math.log10(float(info.smallest_subnormal))
    j = rng.integers(1, -info.minexp + info.nmant, 500)
    x = np.concatenate(
        [
            10.0 ** rng.uniform(lowest, 0.0, 15000),
            rng.uniform(0.0, 1.0, 10000),
            rng.uniform(0.69, 0.72, 1000),  # k changes at sqrt(2)/2
            1.0 - rng.uniform(0.0, 1e-3, 1000),  # log(x) ~ x - 1
            2.0**-j * rng.uniform(1.40, 1.43, 500),  # k switches, down to the subnormals
        ]
    ).astype(dtype)
    return x[(x > 0) & (x <= 1)]


def _log_edges(dtype: np.dtype) -> np.ndarray:
    info = np.finfo(dtype)
    centers = [math.sqrt(0.5), 0.5, 2.0**-10 * math.sqrt(2.0), float(info.tiny)]
    near_one = [np.nextafter(dtype.type(1.0), dtype.type(0.0)) - k * info.epsneg for k in range(3)]
    extra = [1.0, *near_one, float(info.smallest_subnormal), 2.0 * float(info.smallest_subnormal)]
    return np.concatenate([_around(centers, dtype), np.array(extra, dtype)])


@dataclass(frozen=True)
class Elementary:
    """An elementary function of the kernels, ``_kernels.<name>(x, out)`` on ``dtype`` arrays,
    with its 50-digit reference and its inputs: a random sample (drawn with ``seed``) and the
    edges of its evaluation."""

    name: str
    reference: Callable[[mpmath.mpf], mpmath.mpf]
    dtype: np.dtype
    random: Callable[[np.random.Generator], np.ndarray]
    seed: int
    edges: Callable[[], np.ndarray]

    @property
    def kernel(self) -> Callable[[np.ndarray, np.ndarray], None]:
        return getattr(_kernels, self.name)

    @property
    def lanes(self) -> int:
        return LANES[self.dtype]

    fill: float = 0.0  # a harmless input, beside the one under test (log: 1, not 0)

    @property
    def at_zero(self) -> float:
        return float(self.reference(mpmath.mpf(self.fill)))  # exp: 1, log1p and log: 0


EXP = Elementary("exp", mpmath.exp, F64, _exp_random, 20260, _exp_edges)
LOG1P = Elementary("log1p", mpmath.log1p, F64, _log1p_random, 20261, _log1p_edges)
EXPF = Elementary("expf", mpmath.exp, F32, _expf_random, 20262, _expf_edges)
LOG1PF = Elementary("log1pf", mpmath.log1p, F32, _log1pf_random, 20263, _log1pf_edges)
LOG = Elementary(
    "log", mpmath.log, F64, lambda rng: _log_random(rng, F64), 20264, lambda: _log_edges(F64), 1.0
)
LOGF = Elementary(
    "logf", mpmath.log, F32, lambda rng: _log_random(rng, F32), 20265, lambda: _log_edges(F32), 1.0
)
ELEMENTARY = [EXP, LOG1P, EXPF, LOG1PF, LOG, LOGF]
ELEMENTARY_IDS = [fn.name for fn in ELEMENTARY]


@pytest.mark.parametrize("inputs", ["random", "edges"])
@pytest.mark.parametrize("fn", ELEMENTARY, ids=ELEMENTARY_IDS)
def test_elementary_within_one_ulp(fn, inputs):
    x = fn.random(np.random.default_rng(fn.seed)) if inputs == "random" else fn.edges()
    out, errors = _ulp_errors(fn.kernel, fn.reference, x, fn.dtype)
    worst = int(np.argmax(errors))
    assert errors[worst] <= 1.0, (
        f"{fn.name}({x[worst]!r} = {float(x[worst]).hex()}) = {out[worst]!r}: "
        f"{errors[worst]:.3f} ulp from the correctly rounded result"
    )
    if fn is EXPF and inputs == "random":
        # the sample really covers the subnormal results and the overflow
        assert np.count_nonzero((out > 0) & (out < np.finfo(np.float32).tiny)) > 500
        assert np.count_nonzero(out == np.inf) > 100


# (x, the correctly rounded result), grouped by result
EXACT_VALUES = {
    EXP: [
        *[(x, 1.0) for x in (0.0, -0.0, 5e-324, -5e-324, 1e-300, -1e-300, 1e-17)],
        *[(x, math.inf) for x in (709.79, 710.0, 1000.0, 1100.5, 1e300, DBL_MAX, math.inf)],
        *[(x, 0.0) for x in (-745.2, -746.0, -1000.0, -1100.5, -1e300, -DBL_MAX, -math.inf)],
        (-745.0, 5e-324),
        (-744.5, 5e-324),
    ],
    LOG1P: [
        *[(x, x) for x in (0.0, 5e-324, 1e-300, 2.2250738585072014e-308, 1e-17)],
        (1.0, math.log(2.0)),
        (1e300, float(mpmath.log1p(mpmath.mpf(1e300)))),
    ],
    EXPF: [
        *[(x, 1.0) for x in (0.0, -0.0, FLT_TRUE_MIN, -FLT_TRUE_MIN, 1e-30, -1e-30, 1e-8, -1e-8)],
        *[(x, math.inf) for x in (88.72283935546875, 89.0, 100.0, 100.5, 1000.0, 1e38, FLT_MAX)],
        (math.inf, math.inf),
        *[(x, 0.0) for x in (-104.0, -110.0, -110.5, -1000.0, -1e38, -FLT_MAX, -math.inf)],
        (-103.5, FLT_TRUE_MIN),
        (-102.5, 2 * FLT_TRUE_MIN),
    ],
    LOG1PF: [
        *[(x, x) for x in (0.0, FLT_TRUE_MIN, 2.0**-126, 1e-30, 2.0**-25)],
        (1.0, math.log(2.0)),
        (FLT_MAX, float(mpmath.log1p(mpmath.mpf(FLT_MAX)))),
    ],
    LOG: [
        (1.0, 0.0),
        *[(2.0**-k, -k * math.log(2.0)) for k in (1, 2, 1022, 1074)],
        (0.1, math.log(0.1)),
    ],
    LOGF: [
        (1.0, 0.0),
        *[(2.0**-k, float(np.float32(-k * math.log(2.0)))) for k in (1, 2, 126, 149)],
    ],
}


@pytest.mark.parametrize(
    ("fn", "x", "expected"),
    [
        pytest.param(fn, x, expected, id=f"{fn.name}-{x}-{expected}")
        for fn, values in EXACT_VALUES.items()
        for x, expected in values
    ],
)
def test_elementary_exact_values(fn, x, expected):
    # in each lane of two whole vectors and in the zero-padded tail: 17 positions for float64,
    # 33 for float32; every other element is 0
    n = 2 * fn.lanes + 1
    for pos in range(n):
        xs = np.full(n, fn.fill, fn.dtype)
        xs[pos] = x
        out = np.empty_like(xs)
        fn.kernel(xs, out)
        assert out[pos] == fn.dtype.type(expected), (x, pos, out[pos])
        assert out[pos] != 0 or math.copysign(1.0, out[pos]) > 0  # never -0.0
        assert np.all(np.delete(out, pos) == fn.at_zero)


def test_exp_nan_propagates():
    xs = np.array([1.0, np.nan, -np.nan, 2.0, np.nan, 0.0, np.nan, 3.0, np.nan])
    out = np.empty_like(xs)
    _kernels.exp(xs, out)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(xs))
    finite = ~np.isnan(xs)
    np.testing.assert_array_max_ulp(out[finite], np.exp(xs[finite]), maxulp=1)


def test_expf_nan_propagates():
    n = 2 * LANES_F32 + 5
    for pos in range(n):
        xs = np.linspace(-3.0, 3.0, n).astype(np.float32)
        xs[pos] = np.nan
        out = np.empty_like(xs)
        _kernels.expf(xs, out)
        np.testing.assert_array_equal(np.isnan(out), np.isnan(xs))


@pytest.mark.parametrize("fn", ELEMENTARY, ids=ELEMENTARY_IDS)
def test_elementary_results_do_not_depend_on_the_position(fn):
    # the same values through whole vectors and through the zero-padded tail, at every lane
    values = fn.edges()
    ref = np.empty_like(values)
    fn.kernel(values, ref)
    for shift in range(1, fn.lanes + 1):
        padded = np.concatenate([np.full(shift, fn.fill, fn.dtype), values])
        out = np.empty_like(padded)
        fn.kernel(padded, out)
        np.testing.assert_array_equal(out[shift:], ref)


@pytest.mark.parametrize("fn", ELEMENTARY, ids=ELEMENTARY_IDS)
def test_elementary_kernels_write_only_their_output(fn):
    # every length up to three vectors of floats: the tail is written element by element
    for n in [*range(0, 3 * LANES_F32 + 2), 100, 1001]:
        x = np.full(n, 0.5, fn.dtype)
        out_big = np.full(n + 2 * LANES_F32, -7.0, fn.dtype)
        out = out_big[LANES_F32 : LANES_F32 + n]
        fn.kernel(x, out)
        expected = np.empty(n, fn.dtype)
        fn.kernel(np.full(n, 0.5, fn.dtype), expected)
        np.testing.assert_array_equal(out, expected)
        assert np.all(np.delete(out_big, np.arange(LANES_F32, LANES_F32 + n)) == -7.0), n


# ------------------------------------------------------------------------------------------------
# Running a function on each path
# ------------------------------------------------------------------------------------------------


_NTHREADS_ARG = {"pair": 11, "softmax_ce": 10, "nll": 11}  # where each kernel takes nthreads


class _Spy:
    """The kernel module, counting the calls of each of its functions (thread-safe)."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.threads: dict[str, list[int]] = {}  # the nthreads argument of each call

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._module, name)
        if not callable(attr):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.calls[name] += 1
                if name in _NTHREADS_ARG:
                    self.threads.setdefault(name, []).append(args[_NTHREADS_ARG[name]])
            return attr(*args, **kwargs)

        return counted


def on_path(module: Any, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` with ``module`` as the kernels (None: NumPy), restored after."""
    previous = _fast.use_kernels(module)
    try:
        return fn(*args, **kwargs)
    finally:
        _fast.use_kernels(previous)


def on_c_path(fn: Callable[..., Any], *args: Any, kernel: str | None, **kwargs: Any) -> Any:
    """``fn`` on the C path; asserts that it called ``_kernels.<kernel>`` (None: no kernel)."""
    spy = _Spy(_kernels)
    result = on_path(spy, fn, *args, **kwargs)
    if kernel is None:
        assert not spy.calls, f"unexpected kernel calls {dict(spy.calls)}"
    else:
        assert spy.calls[kernel] > 0, f"the C path did not call _kernels.{kernel}"
    return result


def on_both_paths(
    fn: Callable[..., Any], *args: Any, kernel: str | None, **kwargs: Any
) -> tuple[Any, Any]:
    """``(C path result, NumPy path result)``; the inputs must be left untouched by both."""
    copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    c = on_c_path(fn, *args, kernel=kernel, **kwargs)
    for a, copy in zip(args, copies, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, copy, err_msg="the C path modified an input")
    numpy = on_path(None, fn, *args, **kwargs)
    return c, numpy


@pytest.fixture
def both_paths():
    """``run(fn, *args, kernel=name, **kwargs) -> (C result, NumPy result)``."""
    original = _fast.kernels
    yield on_both_paths
    assert _fast.kernels is original


def errors_on_both_paths(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[str, str]:
    """The messages of the ValueErrors raised by ``fn`` on the C path and on the NumPy path."""
    copies = [np.array(a, copy=True) for a in args]
    messages = []
    for module in (_kernels, None):
        with pytest.raises(ValueError) as info:
            on_path(module, fn, *args, **kwargs)
        messages.append(str(info.value))
        for a, copy in zip(args, copies, strict=True):
            np.testing.assert_array_equal(np.asarray(a), copy, err_msg="an input was modified")
    return messages[0], messages[1]


def assert_ulps_close(
    actual: Any,
    expected: Any,
    dtype: np.dtype,
    *,
    k: float = 4.0,
    magnitude: float = 0.0,
    what: str = "",
) -> None:
    """``|actual - expected| <= k eps (max(|expected|, magnitude))`` element-wise, with the
    dtype's eps; ``magnitude`` (a number, or an array of ``expected``'s shape) bounds the terms
    of an expression that may cancel."""
    a = np.asarray(actual, np.float64)
    e = np.asarray(expected, np.float64)
    assert a.shape == e.shape, (what, a.shape, e.shape)
    info = np.finfo(dtype)
    magnitude = np.broadcast_to(np.asarray(magnitude, np.float64), e.shape)
    tol = k * info.eps * np.maximum(np.abs(e), magnitude) + k * info.smallest_subnormal
    same = (a == e) | (np.isnan(a) & np.isnan(e))
    with np.errstate(invalid="ignore"):
        err = np.where(same, 0.0, np.abs(a - e))
    finite = np.isfinite(a) & np.isfinite(e)
    bad = ~same & ~(finite & (err <= tol))
    if bad.any():
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(finite, err / tol, np.inf)
            i = np.unravel_index(int(np.argmax(np.where(bad, ratio, -1.0))), a.shape)
            eps_units = err[i] / (info.eps * max(abs(e[i]), magnitude[i], info.tiny))
        raise AssertionError(
            f"{what}: {np.count_nonzero(bad)} of {a.size} elements differ by more than "
            f"{k} eps; worst at {i}: C {a[i]!r}, NumPy {e[i]!r}"
            + (f" ({eps_units:.2f} eps)" if finite[i] else "")
        )


# ------------------------------------------------------------------------------------------------
# The routed losses
# ------------------------------------------------------------------------------------------------


def _pairs(rng: np.random.Generator, n: int, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    x = rng.standard_normal(n) * 3.0
    t = rng.standard_normal(n) * 3.0
    t[::17] = x[::17]  # ties: derivative 0 for L1
    t[5::23] = x[5::23] - 1.0  # |x - t| at Huber's delta (exactly in float64)
    return x.astype(dtype), t.astype(dtype)


def _logits(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.standard_normal(n) * 4.0
    x[::29] *= 200.0  # e^-|x| far below the range
    x[::31] = 0.0
    x[3::37] = rng.uniform(-1e-8, 1e-8, x[3::37].size)
    return x


def _weights(rng: np.random.Generator, n: int, dtype: np.dtype) -> np.ndarray:
    w = rng.uniform(0.0, 2.0, n)
    w[::13] = 0.0
    w[0] = 1.0  # a non-zero total for 'mean'
    return w.astype(dtype)


def make_pair(rng, n, dtype):
    return _pairs(rng, n, dtype), {}


def make_pair_weighted(rng, n, dtype):
    return _pairs(rng, n, dtype), {"weight": _weights(rng, n, dtype)}


def make_bce(rng, n, dtype):
    t = rng.uniform(0.0, 1.0, n)
    t[::7] = 0.0
    t[::11] = 1.0
    t[::19] = 0.5
    return (_logits(rng, n).astype(dtype), t.astype(dtype)), {}


def make_signed(rng, n, dtype):
    t = rng.choice([-1.0, 1.0], n)
    return (_logits(rng, n).astype(dtype), t.astype(dtype)), {}


def make_kl(rng, n, dtype):
    x = rng.standard_normal(n) * 3.0 - 2.0  # log q (any finite value is accepted)
    t = rng.uniform(0.0, 1.0, n)
    t[::7] = 0.0  # 0 log 0 = 0
    t[::11] = 1.0
    x[5::13] = -np.abs(x[5::13])
    t[5::13] = np.exp(x[5::13])  # p = q: log p - x cancels
    t[6::17] = 10.0 ** rng.uniform(-320.0, -300.0, t[6::17].size)  # subnormal in float64
    return (x.astype(dtype), t.astype(dtype)), {}


def make_kl_log(rng, n, dtype):
    x = rng.standard_normal(n) * 3.0 - 2.0
    t = -rng.exponential(2.0, n)
    t[::11] = 0.0
    x[3::13] = -np.abs(x[3::13])
    t[3::13] = x[3::13]
    t[4::29] = -800.0  # e^t underflows to 0
    return (x.astype(dtype), t.astype(dtype)), {}


def _rows(rng, n, c, dtype, *, log_probabilities=False, shape_3d=False):
    m = max(1, n // c)
    x = rng.standard_normal((m, c)) * 3.0
    y = rng.integers(0, c, m)
    rows = np.arange(m)
    x[rows[::5], y[::5]] += 40.0  # confident rows
    x[rows[1::7], y[1::7]] -= 40.0  # hopeless rows
    if log_probabilities:
        x = (
            x
            - np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True))
            - x.max(1, keepdims=True)
        )
    if shape_3d and m >= 3:
        d = 3
        m3 = m // d
        x = x[: m3 * d].reshape(m3, d, c).transpose(0, 2, 1).copy()  # (N, C, d)
        y = y[: m3 * d].reshape(m3, d)
    return x.astype(dtype), y


def make_ce(c, *, weight=False, ignore=False, shape_3d=False, log_probabilities=False):
    def make(rng, n, dtype):
        x, y = _rows(rng, n, c, dtype, log_probabilities=log_probabilities, shape_3d=shape_3d)
        kwargs = {}
        if weight:
            kwargs["weight"] = rng.uniform(0.1, 2.0, c).astype(dtype)
        if ignore:
            y = y.copy()
            y.reshape(-1)[1::4] = -100
            if (y != -100).sum() == 0:
                y.reshape(-1)[0] = 0
        return (x, y), kwargs

    return make


@dataclass(frozen=True)
class Case:
    name: str
    fn: Callable[..., Any]
    make: Callable[..., tuple[tuple[np.ndarray, ...], dict[str, Any]]]
    kernel: str  # the function of _kernels the C path calls
    kwargs: dict[str, Any] = field(default_factory=dict)
    grad_cancels: bool = False  # the derivative is a difference of terms up to its maximum
    sizes: tuple[int, ...] = tuple(SIZES)
    # the element losses are differences that may cancel: the magnitudes of their terms
    terms: Callable[..., np.ndarray] | None = None


def kl_terms(x, t, *, log_target=False):
    """|p log p| + |p x| for each element p (log p - x) of the KL divergence."""
    x, t = np.asarray(x, np.float64), np.asarray(t, np.float64)
    if log_target:
        p, logp = np.exp(t), t
    else:
        p, logp = t, np.log(t, out=np.zeros_like(t), where=t > 0)
    return p * (np.abs(logp) + np.abs(x))


CE_SIZES = (1, 9, 513, 4099, 32769, 70001)
CASES = [
    Case("mse", losslab.mse_loss, make_pair, "pair"),
    Case("mse-weight", losslab.mse_loss, make_pair_weighted, "pair"),
    Case("l1", losslab.l1_loss, make_pair, "pair"),
    Case("l1-weight", losslab.l1_loss, make_pair_weighted, "pair"),
    Case("huber", losslab.huber_loss, make_pair, "pair"),
    Case("huber-delta-weight", losslab.huber_loss, make_pair_weighted, "pair", {"delta": 0.37}),
    Case("smooth_l1", losslab.smooth_l1_loss, make_pair, "pair"),
    Case("smooth_l1-beta", losslab.smooth_l1_loss, make_pair, "pair", {"beta": 0.25}),
    # 1/beta is not exact: the C path multiplies by it, the NumPy path divides by beta
    Case("smooth_l1-beta0.1", losslab.smooth_l1_loss, make_pair, "pair", {"beta": 0.1}),
    Case("smooth_l1-beta0", losslab.smooth_l1_loss, make_pair, "pair", {"beta": 0.0}),
    Case("bce_logits", losslab.binary_cross_entropy_with_logits, make_bce, "pair", {}, True),
    Case("soft_margin", losslab.soft_margin_loss, make_signed, "pair"),
    Case("kl_div", losslab.kl_div, make_kl, "pair", terms=kl_terms),
    Case(
        "kl_div-log_target",
        losslab.kl_div,
        make_kl_log,
        "pair",
        {"log_target": True},
        terms=lambda x, t: kl_terms(x, t, log_target=True),
    ),
    Case("cross_entropy", losslab.cross_entropy, make_ce(10), "softmax_ce", sizes=CE_SIZES),
    Case("cross_entropy-c1", losslab.cross_entropy, make_ce(1), "softmax_ce", sizes=(1, 9, 513)),
    Case(
        "cross_entropy-weight-ignore",
        losslab.cross_entropy,
        make_ce(7, weight=True, ignore=True),
        "softmax_ce",
        sizes=CE_SIZES,
    ),
    Case(
        "cross_entropy-wide",
        losslab.cross_entropy,
        make_ce(5000),
        "softmax_ce",
        sizes=(5000, 70001),
    ),
    Case(
        "cross_entropy-3d",
        losslab.cross_entropy,
        make_ce(4, shape_3d=True),
        "softmax_ce",
        sizes=(12, 4099, 70001),
    ),
    Case("nll", losslab.nll_loss, make_ce(10, log_probabilities=True), "nll", sizes=CE_SIZES),
    Case(
        "nll-weight-ignore",
        losslab.nll_loss,
        make_ce(7, weight=True, ignore=True, log_probabilities=True),
        "nll",
        sizes=CE_SIZES,
    ),
    Case(
        "nll-3d",
        losslab.nll_loss,
        make_ce(4, shape_3d=True, log_probabilities=True),
        "nll",
        sizes=(12, 4099),
    ),
]
CASE_IDS = [case.name for case in CASES]
PAIR_CASES = [case for case in CASES if case.kernel == "pair"]
LOGISTIC_FNS = (losslab.binary_cross_entropy_with_logits, losslab.soft_margin_loss)


def _compare(c, n, dtype, reduction, what, terms=None):
    """A C path value ``c`` against a NumPy path value ``n``, in units of ``dtype``; ``terms``:
    the magnitudes of the terms of each element loss, where they may cancel."""
    if reduction == "none":
        assert_ulps_close(c, n, dtype, magnitude=0.0 if terms is None else terms, what=what)
    else:
        rtol = 1e-13 if dtype == F64 else 1e-6
        scale = abs(float(n))
        if terms is not None:
            scale = max(scale, float(np.sum(terms)) / (terms.size if reduction == "mean" else 1))
        assert abs(float(c) - float(n)) <= rtol * scale, (what, float(c), float(n), scale)


def _terms(case, args):
    return None if case.terms is None else case.terms(*args)


def _upcast(args, kwargs):
    args = tuple(a.astype(np.float64) if a.dtype == F32 else a for a in args)
    kwargs = {k: w.astype(np.float64) for k, w in kwargs.items()}
    return args, kwargs


# The softmax cross-entropy on the NumPy path in float32 rounds x - max(x) to float32, an error
# of up to |x - max(x)| eps / 2 in the exponent, while the C path subtracts in float64: in
# float32 it is compared with the NumPy path in float64 on the same values (the C path rounds a
# float64 result once), not with the less accurate float32 NumPy path.
def _compare_to_numpy_float32(case):
    return case.kernel != "softmax_ce"


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_value_agrees_with_numpy_path(both_paths, case, reduction, dtype):
    rng = np.random.default_rng(zlib.crc32(f"{case.name} {reduction} {dtype}".encode()))
    for size in case.sizes:
        args, kwargs = case.make(rng, size, dtype)
        kw = {"reduction": reduction, **case.kwargs}
        c, n = both_paths(case.fn, *args, kernel=case.kernel, **kw, **kwargs)
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
def test_value_and_grad_agree_with_numpy_path(both_paths, case, reduction, dtype):
    rng = np.random.default_rng(zlib.crc32(f"{case.name} {reduction} {dtype} grad".encode()))
    vg = losslab.value_and_grad(case.fn)
    for size in case.sizes:
        args, kwargs = case.make(rng, size, dtype)
        kw = {"reduction": reduction, **case.kwargs}
        (cv, cg), (nv, ng) = both_paths(vg, *args, kernel=case.kernel, **kw, **kwargs)
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
def test_shapes_and_non_contiguous_inputs(both_paths, case):
    rng = np.random.default_rng(5)
    (x, t), kwargs = case.make(rng, 4 * 6 * 10, F64)
    x = x.reshape(4, 6, 10).transpose(2, 0, 1)  # (10, 4, 6), not C-contiguous
    t = t.reshape(10, 4, 6)
    kwargs = {k: w.reshape(10, 4, 6)[:, :, ::-1] for k, w in kwargs.items()}
    vg = losslab.value_and_grad(case.fn)
    for reduction in REDUCTIONS:
        (cv, cg), (nv, ng) = both_paths(
            vg, x, t, kernel="pair", reduction=reduction, **case.kwargs, **kwargs
        )
        assert np.shape(cv) == np.shape(nv)
        assert cg.shape == ng.shape == (10, 4, 6)
        _compare(cv, nv, F64, reduction, f"{case.name} {reduction}: value")
        magnitude = float(np.max(np.abs(ng))) if case.grad_cancels else 0.0
        assert_ulps_close(cg, ng, F64, magnitude=magnitude, what=f"{case.name}: gradient")
    # 0-d input
    c, n = both_paths(case.fn, x[0, 0, 0], t[0, 0, 0], kernel="pair", reduction="none")
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
# Thread counts
# ------------------------------------------------------------------------------------------------


THREAD_CASES = [
    case
    for case in CASES
    if case.name
    in (
        "mse-weight",
        "huber",
        "smooth_l1-beta",
        "bce_logits",
        "soft_margin",
        "l1",
        "kl_div",
        "cross_entropy",
        "nll",
    )
]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", THREAD_CASES, ids=[case.name for case in THREAD_CASES])
def test_bit_identical_for_every_thread_count(case, dtype):
    rng = np.random.default_rng(11)
    args, kwargs = case.make(rng, 1_100_003, dtype)  # 33.6 blocks; a partial vector at the end
    vg = losslab.value_and_grad(case.fn)
    results = {}
    try:
        for threads in (1, 2, 3):
            losslab.set_num_threads(threads)
            for reduction in ("mean", "none"):
                spy = _Spy(_kernels)
                value, g = on_path(spy, vg, *args, reduction=reduction, **case.kwargs, **kwargs)
                results[threads, reduction] = (np.asarray(value).tobytes(), g.tobytes())
                # one call, which shares the blocks among the extension's threads
                assert spy.threads == {case.kernel: [threads]}, spy.threads
    finally:
        losslab.set_num_threads(None)
    for threads in (2, 3):
        for reduction in ("mean", "none"):
            one, many = results[1, reduction], results[threads, reduction]
            assert one[0] == many[0], f"{case.name} {reduction}: value, {threads} threads"
            assert one[1] == many[1], f"{case.name} {reduction}: gradient, {threads} threads"


def test_pool_workers_take_tasks():
    """With 2 threads the extension's pool workers really run some of the blocks (a worker the
    OS wakes late may miss a call, so a few calls are allowed)."""
    x = np.linspace(-3.0, 3.0, 64 * BLOCK)
    t = np.zeros_like(x)
    part = np.empty(64)
    before = _kernels.worker_tasks()
    for _ in range(50):
        assert _kernels.pair(0, False, x, t, None, 0.0, None, None, 1.0, part, BLOCK, 2)
        if _kernels.worker_tasks() > before:
            break
    assert _kernels.worker_tasks() > before
    one = part.copy()
    after = _kernels.worker_tasks()
    assert _kernels.pair(0, False, x, t, None, 0.0, None, None, 1.0, part, BLOCK, 1)
    assert _kernels.worker_tasks() == after  # one thread: no worker takes part
    assert part.tobytes() == one.tobytes()


def test_concurrent_calls_from_python_threads():
    """Python threads that call the kernels at the same time (the GIL is released) share one
    pool: a call that finds it busy runs alone. Every call gets the single-threaded bits."""
    rng = np.random.default_rng(17)
    x = rng.standard_normal((24 * BLOCK // 8, 8))
    y = rng.integers(0, 8, x.shape[0])
    vg = losslab.value_and_grad(losslab.cross_entropy)
    losslab.set_num_threads(1)
    try:
        expected = vg(x, y)
        losslab.set_num_threads(2)
        results: list[Any] = []
        lock = threading.Lock()

        def call() -> None:
            for _ in range(5):
                value, grad = vg(x, y)
                with lock:
                    results.append((value, grad))

        workers = [threading.Thread(target=call) for _ in range(4)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    finally:
        losslab.set_num_threads(None)
    assert len(results) == 20
    for value, grad in results:
        assert value == expected[0] and grad.tobytes() == expected[1].tobytes()


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


def test_nll_reads_only_the_label_entries_on_both_paths(both_paths):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((40, 6))
    y = rng.integers(0, 6, 40)
    x[np.arange(40), (y + 1) % 6] = np.nan  # never at a label
    copy = x.copy()
    vg = losslab.value_and_grad(losslab.nll_loss)
    for reduction in REDUCTIONS:
        (cv, cg), (nv, ng) = both_paths(vg, x, y, kernel="nll", reduction=reduction)
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
def test_nll_ignores_nonfinite_entries_of_ignored_rows_on_both_paths(both_paths, bad, weight):
    # an ignored row's label (-100) stands for class 0 internally; its entry is never read
    x = np.log(np.full((4, 3), 1 / 3))
    x[1, 0] = bad
    y = np.array([2, -100, 1, 0])
    kwargs = {} if weight is None else {"weight": np.array(weight)}
    vg = losslab.value_and_grad(losslab.nll_loss)
    for reduction in REDUCTIONS:
        (cv, cg), (nv, ng) = both_paths(vg, x, y, kernel="nll", reduction=reduction, **kwargs)
        np.testing.assert_array_equal(cv, nv)
        np.testing.assert_array_equal(cg, ng)
        assert np.all(np.isfinite(cv))
        np.testing.assert_array_equal(cg[1], 0.0)


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
def test_elements_and_gradients_equal_numpy_path_bit_for_bit(both_paths, case, dtype):
    rng = np.random.default_rng(zlib.crc32(f"{case.name} {dtype} exact".encode()))
    vg = losslab.value_and_grad(case.fn)
    for size in (1, 15, 17, 33, 520, 4099, 70001):
        args, kwargs = case.make(rng, size, dtype)
        for reduction in REDUCTIONS:
            kw = {"reduction": reduction, **case.kwargs, **kwargs}
            (cv, cg), (nv, ng) = both_paths(vg, *args, kernel="pair", **kw)
            what = f"{case.name}, {reduction}, size {size}"
            if reduction == "none":
                np.testing.assert_array_equal(cv, nv, err_msg=f"{what}: value")
            np.testing.assert_array_equal(cg, ng, err_msg=f"{what}: gradient")


# The KL divergence takes its logarithms (exponentials, with log_target=True) from the kernels'
# own routines, NumPy from its own: their element losses may differ in the last bits (compared
# to a few ulps above). The gradient of the probability form, -p times the reduction's scale,
# is the same product on both paths.
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_kl_div_gradient_equals_numpy_path_bit_for_bit(both_paths, dtype):
    rng = np.random.default_rng(41)
    vg = losslab.value_and_grad(losslab.kl_div)
    for size in (1, 17, 4099, 70001):
        (x, t), _ = make_kl(rng, size, dtype)
        for reduction in ("mean", "batchmean", "sum", "none"):
            (_, cg), (_, ng) = both_paths(vg, x, t, kernel="pair", reduction=reduction)
            np.testing.assert_array_equal(cg, ng, err_msg=f"size {size}, {reduction}")


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_smooth_l1_with_inexact_reciprocal_within_two_ulps(both_paths, dtype):
    rng = np.random.default_rng(17)
    for beta in (0.1, 0.3, 3.0, 7.0):
        for size in (17, 4099):
            (x, t), _ = make_pair(rng, size, dtype)
            c, n = both_paths(
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
# The kernels' tails: what they read and write
# ------------------------------------------------------------------------------------------------

PAD = 24  # guard elements either side of each buffer
SENTINEL = -7.0  # around the outputs (NaN around the inputs)
PAIR_PARAMS = {"mse": 0.0, "l1": 0.0, "huber": 0.37, "smooth_l1": 0.25}
TAIL_SIZES = [*range(0, 50), 511, 512, 513, 527, 1000, 1041]


def _guarded(values: np.ndarray, fill: float) -> tuple[np.ndarray, np.ndarray]:
    """``(big, view)``: ``view`` (contiguous, ``values``) inside ``big``, surrounded by ``fill``."""
    big = np.full(values.size + 2 * PAD, fill, values.dtype)
    view = big[PAD : PAD + values.size]
    view[...] = values
    return big, view


def _guards_intact(big: np.ndarray, n: int, fill: float) -> bool:
    outside = np.concatenate([big[:PAD], big[PAD + n :]])
    return bool(np.all(outside == fill) if not math.isnan(fill) else np.all(np.isnan(outside)))


class _GuardedOutputs:
    """A kernel's outputs, each surrounded by SENTINEL: ``loss`` (``n_loss`` elements or rows),
    ``grad`` (``n_grad``) and ``partial``, a float64 sum per ``block`` of losses."""

    def __init__(self, dtype: np.dtype, n_loss: int, n_grad: int, block: int) -> None:
        self.block = block
        self._loss_big, self.loss = _guarded(np.zeros(n_loss, dtype), SENTINEL)
        self._grad_big, self.grad = _guarded(np.zeros(n_grad, dtype), SENTINEL)
        self._partial_big, self.partial = _guarded(np.zeros(-(-n_loss // block)), SENTINEL)

    def check(self, what: str, *, abs_tol: float = 0.0) -> None:
        """Nothing written outside the outputs; each partial sum is the sum of its block's
        losses (to 1e-12 relative, or ``abs_tol``)."""
        for big, view, name in (
            (self._loss_big, self.loss, "loss"),
            (self._grad_big, self.grad, "grad"),
            (self._partial_big, self.partial, "partial"),
        ):
            assert _guards_intact(big, view.size, SENTINEL), f"{what}: wrote outside `{name}`"
        block = self.block
        for k, part in enumerate(self.partial.tolist()):
            terms = self.loss[k * block : (k + 1) * block].astype(np.float64).tolist()
            assert math.isclose(part, math.fsum(terms), rel_tol=1e-12, abs_tol=abs_tol), (what, k)


def _pair_inputs(kind: str, n: int, dtype: np.dtype) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 3.0).astype(dtype)
    if kind == "bce_logits":
        t = rng.uniform(0.0, 1.0, n).astype(dtype)
    elif kind == "soft_margin":
        t = rng.choice([-1.0, 1.0], n).astype(dtype)
    elif kind == "kl_div":
        t = rng.uniform(0.0, 1.0, n).astype(dtype)
        t[::5] = 0.0
    elif kind == "kl_div_log":
        t = -rng.exponential(2.0, n).astype(dtype)
    else:
        t = (rng.standard_normal(n) * 3.0).astype(dtype)
    return x, t, rng.uniform(0.0, 2.0, n).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("kind", list(_fast.PAIR_KINDS))
def test_pair_kernel_reads_and_writes_only_its_buffers(kind, dtype):
    """Every length up to three float32 vectors (and around a chunk): the inputs are surrounded
    by NaN (a read beyond them would make the flag False or an output NaN), the outputs by a
    sentinel (a write beyond them would change it); each element's loss and derivative are
    those of the same element in a longer input (whole vector or zero-padded tail alike), and
    each partial sum is the sum of its block's element losses, also for blocks that are not a
    whole number of vectors."""
    code, f32 = _fast.PAIR_KINDS[kind], dtype == F32
    param = PAIR_PARAMS.get(kind, 0.0)
    weighted = kind in PAIR_PARAMS
    n_max = max(TAIL_SIZES)
    xr, tr, wr = _pair_inputs(kind, n_max, dtype)
    ref_loss, ref_grad = np.empty(n_max, dtype), np.empty(n_max, dtype)
    w_ref = wr if weighted else None
    assert _kernels.pair(code, f32, xr, tr, w_ref, param, ref_loss, ref_grad, 0.5, None, BLOCK)
    assert np.all(np.isfinite(ref_loss)) and np.all(np.isfinite(ref_grad))
    for n in TAIL_SIZES:
        _, x = _guarded(xr[:n], np.nan)
        _, t = _guarded(tr[:n], np.nan)
        w = _guarded(wr[:n], np.nan)[1] if weighted else None
        for block in (BLOCK, 100, 37):
            out = _GuardedOutputs(dtype, n, n, block)
            what = f"{kind} {dtype} n={n} block={block}"
            assert _kernels.pair(
                code, f32, x, t, w, param, out.loss, out.grad, 0.5, out.partial, block
            ), what
            out.check(what)
            np.testing.assert_array_equal(out.loss, ref_loss[:n], err_msg=what)
            np.testing.assert_array_equal(out.grad, ref_grad[:n], err_msg=what)
        # the sums alone (no per-element output, no derivative): the same partial sums
        part_big, part = _guarded(np.zeros(-(-n // BLOCK)), SENTINEL)
        assert _kernels.pair(code, f32, x, t, w, param, None, None, 1.0, part, BLOCK)
        assert _guards_intact(part_big, part.size, SENTINEL)
        if n:
            terms = ref_loss[:n].astype(np.float64).tolist()
            assert math.isclose(part[0], math.fsum(terms), rel_tol=1e-12), (kind, n)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_row_kernels_read_and_write_only_their_buffers(dtype):
    f32 = dtype == F32
    rng = np.random.default_rng(29)
    for c in (1, 2, 3, 7, 9, 31, 33, 4097):
        for m in (1, 2, 5, 17):
            xv = rng.standard_normal(m * c).astype(dtype)
            y = rng.integers(0, c, m).astype(np.int64)
            f = rng.uniform(0.5, 2.0, m).astype(dtype)
            what = f"{dtype} m={m} c={c}"
            ref_loss = np.empty(m, dtype)
            ref_grad = np.empty(m * c, dtype)
            result = _kernels.softmax_ce(f32, xv, c, y, f, 0.5, ref_loss, ref_grad, None, 1)
            assert result == (True, 0, -1), what
            assert np.all(np.isfinite(ref_loss)) and np.all(np.isfinite(ref_grad)), what
            # softmax cross-entropy: NaN around the rows, sentinels around the outputs
            _, x = _guarded(xv, np.nan)
            for block in (1, 2, 3, 4096):
                out = _GuardedOutputs(dtype, m, m * c, block)
                assert _kernels.softmax_ce(
                    f32, x, c, y, f, 0.5, out.loss, out.grad, out.partial, block
                ) == (True, 0, -1), what
                out.check(what)
                np.testing.assert_array_equal(out.loss, ref_loss, err_msg=what)
                np.testing.assert_array_equal(out.grad, ref_grad, err_msg=what)
            # nll: the same; only the label entries are read (NaN everywhere else)
            labels = np.arange(m) * c + y
            xn = np.full(m * c, np.nan, dtype)
            xn[labels] = xv[labels]
            _, x = _guarded(xn, np.nan)
            keep = (np.arange(m) % 3 != 1).astype(dtype)
            picked = xv[labels].astype(np.float64)
            expected = np.where(keep != 0, -(f.astype(np.float64) * picked), 0.0).astype(dtype)
            for block in (1, 2, 3, 4096):
                out = _GuardedOutputs(dtype, m, m * c, block)
                first = _kernels.nll(
                    f32, x, c, y, f, keep, 0.5, out.loss, out.grad, out.partial, block
                )
                assert first == (-1, 0, -1), what
                out.check(what, abs_tol=1e-300)
                np.testing.assert_array_equal(out.loss, expected, err_msg=what)


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


# ------------------------------------------------------------------------------------------------
# Review findings: regression tests for bugs found in review (fixed; each docstring says how)
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
def test_smooth_l1_with_a_tiny_beta_agrees_with_numpy_path(both_paths, dtype, beta):
    """The reciprocal of a beta below 2^-1024 (float64) or 2^-128 (float32, ~2.94e-39)
    overflows; the kernels multiply by 1/beta, so such a beta takes a NumPy path that never
    forms it (once a bug: inf and NaN where PyTorch gives |x - t|)."""
    x, t = _tiny_beta_pairs(dtype)
    for reduction in ("none", "sum", "mean"):
        c, n = both_paths(losslab.smooth_l1_loss, x, t, kernel=None, reduction=reduction, beta=beta)
        expected = np.abs(x) if reduction == "none" else np.abs(x).sum(dtype=np.float64)
        if reduction == "mean":
            expected /= x.size
        assert_ulps_close(n, expected, dtype, what=f"NumPy path, {reduction}")
        assert_ulps_close(c, n, dtype, what=f"smooth_l1 beta={beta} {dtype}, {reduction}")


@pytest.mark.parametrize("module", [_kernels, None], ids=["C", "NumPy"])
def test_smooth_l1_with_a_beta_that_rounds_to_zero_is_l1(module):
    """Bug (huber.py, _smooth_l1): the switch to L1 tests the Python ``beta == 0``, but the loss
    uses ``dtype.type(beta)``: in float32 a beta below 2^-150 (1e-46, say) becomes 0 and
    smooth L1 computes 0 * (1/0) (C path) or 0 / 0 (NumPy path), NaN everywhere, where PyTorch
    2.13 (which also rounds beta to float) and beta=0 give the L1 loss."""
    x, t = _tiny_beta_pairs(F32)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # float32(1/beta): inf
        value = on_path(module, losslab.smooth_l1_loss, x, t, reduction="none", beta=1e-46)
    np.testing.assert_array_equal(value, np.abs(x))


@pytest.mark.parametrize(
    ("dtype", "beta"), [(F32, 1e-39), (F64, 1e-309)], ids=["float32-1e-39", "float64-1e-309"]
)
@pytest.mark.parametrize("module", [_kernels, None], ids=["C", "NumPy"])
def test_smooth_l1_gradient_with_a_tiny_beta(module, dtype, beta):
    """Bug (huber.py, _smooth_l1 ``grad_factor=1.0 / b``, on both paths): the derivative
    clip((x - t)/beta, -1, 1) is computed as min(|x - t|, beta) * (1/beta), and 1/beta
    overflows the dtype (float32(1e39), 1/1e-309): inf where |x - t| >= beta, NaN at x == t,
    instead of sign(x - t) (PyTorch 2.13: sign(x - t))."""
    x, t = _tiny_beta_pairs(dtype)
    vg = losslab.value_and_grad(losslab.smooth_l1_loss)
    with np.errstate(over="ignore", invalid="ignore"):
        _, g = on_path(module, vg, x, t, reduction="sum", beta=beta)
    np.testing.assert_array_equal(g, np.sign(x))


@pytest.mark.parametrize("module", [_kernels, None], ids=["C", "NumPy"])
def test_cross_entropy_ignored_row_with_logits_the_range_apart(module):
    """Bug (_kernels.c, DEFINE_SOFTMAX_CE ``fw[r0 + i] * lrow[i]``; cross_entropy.py,
    _softmax_ce_rows ``np.multiply(fb, nll)``): an ignored row stands for class 0 with weight
    f = 0, and its loss is computed anyway; when its class-0 logit is more than the float64
    range below the row's maximum (finite logits, no ValueError), that loss is inf and
    0 * inf = NaN: the row's 'none' loss and every reduction are NaN. PyTorch 2.13 returns 0
    for the row (0.4076 for the batch below), as for any ignored row."""
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


def test_the_512_bit_build_agrees_with_the_portable_one():
    """``_kernels512`` (used on CPUs with AVX-512) and ``_kernels`` (256-bit, everywhere else)
    are the same source with a different vector width: only the order of the partial sums
    differs, so they agree to a few ulps; ``_fast`` picks the wide one exactly when it suits."""
    try:
        from losslab import _kernels512 as wide
    except ImportError as exc:
        if os.environ.get(REQUIRE_ENV, "").strip() not in ("", "0"):
            pytest.fail(f"{REQUIRE_ENV} is set but losslab._kernels512 is not built: {exc}")
        pytest.skip(f"losslab._kernels512 is not built: {exc}")
    assert (_fast.kernels is wide) == (
        os.environ.get(_fast.ENV_VAR, "") in ("", "0") and wide.preferred()
    )
    rng = np.random.default_rng(512)
    x, t = rng.standard_normal(70_001), rng.standard_normal(70_001)
    logits, labels = rng.standard_normal((3_001, 10)), rng.integers(0, 10, 3_001)
    for fn, args in [
        (losslab.mse_loss, (x, t)),
        (losslab.huber_loss, (x, t)),
        (losslab.binary_cross_entropy_with_logits, (x, rng.random(70_001))),
        (losslab.cross_entropy, (logits, labels)),
        (losslab.nll_loss, (logits, labels)),
    ]:
        for dtype in (np.float64, np.float32):
            cast = tuple(a.astype(dtype) if a.dtype.kind == "f" else a for a in args)
            values = []
            for module in (_kernels, wide):
                previous = _fast.use_kernels(module)
                try:
                    values.append(losslab.value_and_grad(fn)(*cast))
                finally:
                    _fast.use_kernels(previous)
            (v256, g256), (v512, g512) = values
            eps = np.finfo(dtype).eps
            assert abs(v256 - v512) <= 4 * eps * abs(v256), (fn.__name__, dtype)
            np.testing.assert_allclose(g256, g512, rtol=4 * eps, atol=4 * eps * np.abs(g256).max())
