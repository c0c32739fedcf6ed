"""Table-driven input validation for every public function in ``losslab.__all__``.

Each row gives a *valid call* (keyword arguments built fresh for every test) and the list of
bad-input cases that apply to that function. Every case checks, against the contract in
DEVELOPERS.md:

* the exception type (``ValueError`` or ``TypeError``);
* that the message starts with the offending argument's name in backticks (e.g. "`target`");
* that no NumPy ``RuntimeWarning`` escapes;
* that none of the caller's arrays was modified (compared with copies taken before the call).

Differentiable functions are also checked through ``losslab.value_and_grad``, which must validate
exactly like the function itself. ``test_every_public_function_has_a_row`` fails when a public
function has no row: add one when you add a function.

A case with ``xfail=reason`` is expected to fail (``strict``): the reason names what the
function does not check yet, and the mark goes when it does.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from cases import EXEMPT, ROW_BY_NAME, ROWS, Case, Row

import losslab


def _params() -> list[Any]:
    out = []
    for row in ROWS:
        diff = row.name in losslab.differentiable_functions()
        for case in row.cases:
            for via in ("call", "value_and_grad") if diff else ("call",):
                marks = []
                if case.xfail:
                    marks.append(pytest.mark.xfail(strict=True, reason=case.xfail))
                case_id = f"{row.name}-{case.arg}-{case.id}-{via}"
                out.append(pytest.param(row, case, via, id=case_id, marks=marks))
    return out


def _function(row: Row, via: str) -> Callable[..., Any]:
    fn = getattr(losslab, row.name)
    return losslab.value_and_grad(fn) if via == "value_and_grad" else fn


def _check_row_matches_signature(row: Row, kwargs: dict[str, Any]) -> None:
    params = inspect.signature(getattr(losslab, row.name)).parameters
    unknown = set(kwargs) - set(params)
    assert not unknown, f"row {row.name} uses {unknown}, not parameters of the function"


def _snapshot(kwargs: dict[str, Any]) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in kwargs.items() if isinstance(v, np.ndarray)}


def _assert_unchanged(kwargs: dict[str, Any], before: dict[str, np.ndarray]) -> None:
    for k, v in before.items():
        assert kwargs[k].dtype == v.dtype, f"`{k}` changed dtype"
        np.testing.assert_array_equal(kwargs[k], v, err_msg=f"`{k}` was modified")


def _call_quietly(fn: Callable[..., Any], kwargs: dict[str, Any]) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(**kwargs)
    return caught


@pytest.mark.parametrize(("row", "case", "via"), _params())
def test_bad_input(row: Row, case: Case, via: str) -> None:
    fn = _function(row, via)
    kwargs = row.valid()
    _check_row_matches_signature(row, {**kwargs, case.arg: None, **case.extra})
    kwargs.update(case.extra)
    kwargs[case.arg] = case.value
    before = _snapshot(kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(case.exc) as info:
            fn(**kwargs)
    runtime = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not runtime, f"RuntimeWarning escaped: {runtime[0].message}"
    message = str(info.value)
    name = case.names or case.arg
    assert message.startswith(f"`{name}`"), f"message does not start with `{name}`: {message!r}"
    _assert_unchanged(kwargs, before)


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_valid_call_is_quiet_and_leaves_inputs_alone(row: Row) -> None:
    """The valid call of every row works: this keeps every bad case a one-argument change."""
    fn = _function(row, "call")
    kwargs = row.valid()
    _check_row_matches_signature(row, kwargs)
    before = _snapshot(kwargs)
    caught = _call_quietly(fn, kwargs)
    assert not caught, f"warning on a valid call: {caught[0].message}"
    _assert_unchanged(kwargs, before)
    if row.name in losslab.differentiable_functions():
        caught = _call_quietly(losslab.value_and_grad(fn), kwargs)
        assert not caught
        _assert_unchanged(kwargs, before)


def test_every_public_function_has_a_row() -> None:
    missing = [
        name
        for name in losslab.__all__
        if callable(getattr(losslab, name)) and name not in ROW_BY_NAME and name not in EXEMPT
    ]
    assert not missing, f"public functions without a validation row: {missing}"


def test_every_row_names_a_public_function() -> None:
    unknown = [row.name for row in ROWS if row.name not in losslab.__all__]
    assert not unknown, f"rows of tests/cases.py for no public function: {unknown}"


def test_every_row_case_names_a_parameter() -> None:
    for row in ROWS:
        params = inspect.signature(getattr(losslab, row.name)).parameters
        for case in row.cases:
            assert case.arg in params, f"{row.name}: case {case.id} replaces unknown `{case.arg}`"


def _matrix(a: np.ndarray) -> np.matrix:
    with warnings.catch_warnings():  # np.matrix itself warns that it is on its way out
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        return np.matrix(a)


MATRIX_CASES = [
    pytest.param(row, name, id=f"{row.name}-{name}")
    for row in ROWS
    for name, a in row.valid().items()
    if isinstance(a, np.ndarray) and a.ndim <= 2
]


@pytest.mark.parametrize(("row", "name"), MATRIX_CASES)
def test_np_matrix_is_refused_naming_the_argument(row: Row, name: str) -> None:
    """An ``np.matrix`` argument is a TypeError naming it (the shared input check), as in
    scikit-learn: its ``*`` is the matrix product and it stays 2-D under reductions."""
    fn = _function(row, "call")
    kwargs = row.valid()
    kwargs[name] = _matrix(kwargs[name])
    with pytest.raises(TypeError, match=rf"^`{name}` is an np.matrix"):
        fn(**kwargs)


def _float32(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {
        k: a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a
        for k, a in kwargs.items()
    }


OPTION_CASES = [
    pytest.param(
        row,
        name,
        value,
        id=f"{row.name}-{name}-{value:g}",
    )
    for row in ROWS
    if "reduction" in (params := inspect.signature(getattr(losslab, row.name, len)).parameters)
    for name, p in params.items()
    if isinstance(p.default, float)
    for value in (1e39, 1e300, 1e-46)
]


@pytest.mark.parametrize(("row", "name", "value"), OPTION_CASES)
def test_float32_call_with_an_option_beyond_float32_range_is_quiet(
    row: Row, name: str, value: float
) -> None:
    """A float option (delta, beta, margin, eps, ...) beyond float32's range, or below its
    smallest subnormal, with float32 arrays: a result or a ValueError/TypeError naming the
    option, never a RuntimeWarning."""
    fn = _function(row, "call")
    kwargs = {**_float32(row.valid()), name: value}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fn(**kwargs)
        except (ValueError, TypeError) as exc:
            assert str(exc).startswith(f"`{name}`"), str(exc)
    runtime = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert not runtime, f"RuntimeWarning escaped: {runtime[0].message}"


EXTREME_XFAIL = {  # row: why it still warns
    "linear_cross_entropy": "float32 logits x @ W overflow in the matmul",
}


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(
            row,
            id=row.name,
            marks=[pytest.mark.xfail(strict=True, reason=EXTREME_XFAIL[row.name])]
            if row.name in EXTREME_XFAIL
            else [],
        )
        for row in ROWS
    ],
)
def test_extreme_values_give_a_result_or_an_error_never_a_warning(row: Row) -> None:
    """Each float array of the valid call scaled to the ends of the range (1e300, 1e154,
    3e38, 1e-40, 1e-160, 1e-300), in float64 and float32: a value (inf where the exact one is
    beyond the range) or a ValueError, never a RuntimeWarning, through the function and its
    ``value_and_grad``."""
    fn = _function(row, "call")
    calls = [fn]
    if row.name in losslab.differentiable_functions():
        calls.append(losslab.value_and_grad(fn))
    base = row.valid()
    names = [k for k, a in base.items() if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    warned = []
    for name in names:
        for dtype in (np.float64, np.float32):
            kwargs = _float32(base) if dtype == np.float32 else dict(base)
            for scale in (1e300, 1e154, 3e38, 1e-40, 1e-160, 1e-300):
                with np.errstate(over="ignore", under="ignore"):
                    moved = {
                        **kwargs,
                        name: (kwargs[name].astype(np.float64) * scale).astype(dtype),
                    }
                for f in calls:
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always")
                        try:
                            f(**moved)
                        except ValueError:
                            pass
                    for w in caught:
                        if issubclass(w.category, RuntimeWarning):
                            warned.append(f"{name} x {scale:g} {np.dtype(dtype)}: {w.message}")
    assert not warned, warned
