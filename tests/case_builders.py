"""The building blocks of the case table (``tests/cases.py``): a bad-input ``Case``, a ``Row``
(one public function: its valid call, its cases, its input regimes), and the families of cases
that every argument of a kind must reject (real arrays, probabilities, distributions, class
labels, weights, reductions, numbers, axes, integers)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from case_inputs import Regime


@dataclass
class Case:
    id: str
    arg: str  # the argument replaced by ``value``
    value: Any
    exc: type[Exception] | tuple[type[Exception], ...]
    names: str | None = None  # argument the message must start with (default: ``arg``)
    extra: dict[str, Any] = field(default_factory=dict)  # other arguments to change
    xfail: str | None = None


@dataclass
class Row:
    name: str
    valid: Callable[[], dict[str, Any]]
    cases: list[Case]
    note: str = ""
    inputs: dict[str, Regime] | None = None  # named input regimes (see the module docstring)


def _with(a: np.ndarray, index: tuple[int, ...], value: float) -> np.ndarray:
    b = a.copy()
    b[index] = value
    return b


def _first(a: np.ndarray) -> tuple[int, ...]:
    return (0,) * a.ndim


def array_cases(arg: str, base: np.ndarray, *, paired: bool = True) -> list[Case]:
    """Cases every real-valued array argument must reject. ``paired``: its shape must match
    another argument's, so a different shape is an error."""
    i0 = _first(base)
    cases = [
        Case("ragged", arg, [[1.0], [1.0, 2.0]], ValueError),
        Case("empty", arg, np.empty((0, *base.shape[1:])), ValueError),
        Case("nan", arg, _with(base, i0, np.nan), ValueError),
        Case("inf", arg, _with(base, i0, np.inf), ValueError),
        Case("-inf", arg, _with(base, i0, -np.inf), ValueError),
        Case("bool", arg, np.ones(base.shape, dtype=bool), TypeError),
        Case("complex", arg, base.astype(complex), TypeError),
        Case("object", arg, base.astype(object), TypeError),
        Case("str-array", arg, np.full(base.shape, "a"), TypeError),
        Case("str", arg, "abc", TypeError),
    ]
    if paired:
        wrong = np.concatenate([base, base[..., :1]], axis=-1)
        cases.append(Case("wrong-shape", arg, wrong, ValueError))
    return cases


def prob_cases(arg: str, base: np.ndarray, *, paired: bool = True) -> list[Case]:
    i0 = _first(base)
    return [
        *array_cases(arg, base, paired=paired),
        Case("below-0", arg, _with(base, i0, -0.1), ValueError),
        Case("above-1", arg, _with(base, i0, 1.1), ValueError),
    ]


def dist_cases(arg: str, base: np.ndarray, *, paired: bool = True) -> list[Case]:
    """Rows must also sum to 1 (along the last axis)."""
    return [
        *prob_cases(arg, base, paired=paired),
        Case("row-sum-not-1", arg, base * 0.5, ValueError),
    ]


def label_cases(arg: str, base: np.ndarray, n_classes: int) -> list[Case]:
    return [
        Case("ragged", arg, [[1], [1, 2]], ValueError),
        Case("out-of-range-high", arg, _with(base, _first(base), n_classes), ValueError),
        Case("out-of-range-negative", arg, _with(base, _first(base), -1), ValueError),
        # A float dtype is a TypeError (a float target means probabilities); a ValueError is
        # accepted too.
        Case("non-integer", arg, base + 0.5, (TypeError, ValueError)),
        Case("bool", arg, np.ones(base.shape, dtype=bool), TypeError),
        Case("complex", arg, base.astype(complex), TypeError),
        Case("str-array", arg, np.full(base.shape, "a"), TypeError),
        Case("wrong-shape", arg, np.concatenate([base, base[:1]]), ValueError),
    ]


def weight_cases(arg: str, base: np.ndarray) -> list[Case]:
    return [
        *array_cases(arg, base),
        Case("negative", arg, _with(base, _first(base), -1.0), ValueError),
    ]


def reduction_cases(extra_ok: tuple[str, ...] = ()) -> list[Case]:
    return [
        Case("unknown", "reduction", "avg", ValueError),
        Case("uppercase", "reduction", "MEAN", ValueError),
        Case("none-object", "reduction", None, ValueError),
        Case("not-a-str", "reduction", 1, ValueError),
    ]


def number_cases(arg: str, *, allow_zero: bool) -> list[Case]:
    cases = [
        Case("negative", arg, -1.0, ValueError),
        Case("nan", arg, float("nan"), ValueError),
        Case("inf", arg, float("inf"), ValueError),
        Case("str", arg, "1", TypeError),
        Case("bool", arg, True, TypeError),
        Case("complex", arg, 1j, TypeError),
    ]
    if not allow_zero:
        cases.append(Case("zero", arg, 0.0, ValueError))
    return cases


def axis_cases(arg: str, ndim: int) -> list[Case]:
    return [
        Case("out-of-range", arg, ndim, ValueError),
        Case("out-of-range-negative", arg, -ndim - 1, ValueError),
        Case("float", arg, 1.0, TypeError),
        Case("str", arg, "1", TypeError),
    ]


def int_cases(arg: str) -> list[Case]:
    return [
        Case("float", arg, 1.5, TypeError),
        Case("str", arg, "1", TypeError),
        Case("bool", arg, True, TypeError),
    ]
