"""The symbolic forms: coverage of the registry, proofs, and the three-way check per loss."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import losslab
from losslab import symbolic
from losslab.gradcheck import gradcheck

NAMES = symbolic.available()


def test_available_forms_are_registered_functions():
    registered = losslab.differentiable_functions()
    assert "mse_loss" in NAMES
    for name in NAMES:
        form = symbolic.get(name)
        assert form.name == name and name in registered
        assert form.wrt == losslab.grad(registered[name]).wrt


def test_get_unknown():
    with pytest.raises(KeyError, match="no symbolic form"):
        symbolic.get("no_such_loss")
    with pytest.raises(TypeError, match="`name`"):
        symbolic.get(3)


@pytest.mark.parametrize("name", NAMES)
def test_identities_are_proved(name):
    proofs = symbolic.get(name).verify()
    assert all(proofs.values()), proofs


# Tolerances are those of losslab.gradcheck (stated in its module docstring): rounding
# comparisons at 64 eps of the result dtype, central differences at a Richardson estimate of
# the truncation error plus 8 eps |f| / (2h), complex step at 64 eps of float64.
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1))
def test_three_way_check_at_random_points(name, dtype, seed):
    report = gradcheck(name, dtype=dtype, seed=seed, raise_exception=False)
    assert report.ok, str(report)
    assert report.dtype == dtype
