"""Every differentiable function (``losslab._registry.entries()``) on its valid call of the case
table (``tests/cases.py``): ``value_and_grad`` returns the function's own value, a gradient shaped
like each differentiable argument, float32 stays float32 and the inputs are left unchanged; for a
loss, ``reduction='sum'`` is the sum of ``reduction='none'``."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from cases import ROW_BY_NAME, draw, regimes

import losslab
from losslab import _registry

ENTRIES = _registry.entries()


def _float32(kwargs: dict) -> dict:
    return {
        k: a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a
        for k, a in kwargs.items()
    }


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_float16_is_computed_and_returned_in_float32(entry):
    kwargs = ROW_BY_NAME[entry.name].valid()
    half = {
        k: a.astype(np.float16) if isinstance(a, np.ndarray) and a.dtype == np.float64 else a
        for k, a in kwargs.items()
    }
    value = entry.function(**half)
    assert np.asarray(value).dtype == np.float32
    if entry.name not in ("entropy", "kl_divergence", "cross_entropy_pq"):
        # (float16-rounded distributions sum to 1 only within float16's tolerance)
        np.testing.assert_array_equal(value, entry.function(**_upcast(half)))
    for wrt in entry.wrt:
        g = losslab.grad(entry.function, wrt=wrt)(**half)
        assert np.asarray(g).dtype == np.float32, wrt


def _upcast(kwargs: dict) -> dict:
    return {
        k: a.astype(np.float32) if isinstance(a, np.ndarray) and a.dtype == np.float16 else a
        for k, a in kwargs.items()
    }


def test_every_differentiable_function_has_a_case_row():
    missing = [e.name for e in ENTRIES if e.name not in ROW_BY_NAME]
    assert not missing, f"differentiable functions without a row in tests/cases.py: {missing}"


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_value_and_grad_on_the_valid_call(entry, dtype):
    kwargs = ROW_BY_NAME[entry.name].valid()
    if dtype == np.float32:
        kwargs = _float32(kwargs)
    before = {k: a.copy() for k, a in kwargs.items() if isinstance(a, np.ndarray)}
    value = entry.function(**kwargs)
    for wrt in entry.wrt:
        v2, g = losslab.value_and_grad(entry.function, wrt=wrt)(**kwargs)
        np.testing.assert_array_equal(v2, value)
        assert np.shape(g) == np.shape(kwargs[wrt]), wrt
        assert np.all(np.isfinite(g)), wrt
        if dtype == np.float32:
            assert np.asarray(g).dtype == np.float32, wrt
            assert np.asarray(value).dtype == np.float32
        np.testing.assert_array_equal(losslab.grad(entry.function, wrt=wrt)(**kwargs), g)
    for k, a in before.items():
        np.testing.assert_array_equal(kwargs[k], a, err_msg=f"`{k}` was modified")


REDUCED = [e for e in ENTRIES if "reduction" in inspect.signature(e.function).parameters]


@pytest.mark.parametrize("entry", REDUCED, ids=[e.name for e in REDUCED])
def test_sum_is_the_sum_of_the_unreduced_losses(entry):
    kwargs = ROW_BY_NAME[entry.name].valid()
    none = entry.function(**{**kwargs, "reduction": "none"})
    total = entry.function(**{**kwargs, "reduction": "sum"})
    assert np.ndim(total) == 0
    assert total == pytest.approx(float(np.sum(none)), rel=1e-14, abs=1e-300)
    g_none = losslab.grad(entry.function)(**{**kwargs, "reduction": "none"})
    g_sum = losslab.grad(entry.function)(**{**kwargs, "reduction": "sum"})
    np.testing.assert_allclose(g_none, g_sum, rtol=1e-14, atol=0)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_input_regimes_are_valid_calls(entry):
    """Each input regime of the row (tests/cases.py) names only the function's parameters and is
    accepted by it; the accuracy, property and parity tests draw their inputs from these."""
    params = inspect.signature(entry.function).parameters
    for regime in regimes(entry.name):
        kwargs = draw(entry.name, regime)
        assert set(kwargs) <= set(params), (regime, set(kwargs) - set(params))
        assert np.all(np.isfinite(entry.function(**kwargs))), regime
