"""Shared by the kernel tests (tests/test_kernels_*.py): the compiled module (or a skip), running
a function on the C path or the NumPy path, ulp comparisons, and the table of routed losses
(:data:`CASES`) with their input generators.

Importing this module skips the importing test module when the extension is not built, unless
``LOSSLAB_REQUIRE_KERNELS=1`` (set in CI), which makes a missing extension an error.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import losslab
from losslab import _fast

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


def pair_target(kind, rng, n, dtype):
    """A valid target for the pair kernel ``kind`` (the kernels check its range): probabilities
    with some zeros for the KL divergence, log-probabilities with ``log_target``, signs for the
    soft margin, probabilities for BCE with logits, any real number otherwise."""
    if kind == "bce_logits":
        return rng.uniform(0.0, 1.0, n).astype(dtype)
    if kind == "soft_margin":
        return rng.choice([-1.0, 1.0], n).astype(dtype)
    if kind == "kl_div":
        t = rng.uniform(0.0, 1.0, n).astype(dtype)
        t[::5] = 0.0
        return t
    if kind == "kl_div_log":
        return -rng.exponential(2.0, n).astype(dtype)
    return (rng.standard_normal(n) * 3.0).astype(dtype)


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
