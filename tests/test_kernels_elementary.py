"""The kernels' own exp, log1p and log (float64) and expf, log1pf and logf (float32) against
mpmath: at most 1 ulp from the correctly rounded result everywhere, exact at the edges, the same
in every lane and position, and writing only their output."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import numpy as np
import pytest
from kernel_cases import (
    F32,
    F64,
    _kernels,
)

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
