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


# Registered functions whose symbolic form is still to be written.  This set must shrink, never
# grow: a newly registered function without a form fails the test below.
MISSING = {
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "nll_loss",
    "entropy",
    "kl_divergence",
    "cross_entropy_pq",
    "huber_loss",
    "smooth_l1_loss",
    "multi_margin_loss",
    "hinge_embedding_loss",
    "soft_margin_loss",
    "hinge_loss",
    "kl_div",
}


def test_every_differentiable_function_has_a_symbolic_form():
    registered = set(losslab.differentiable_functions())
    without = registered - set(NAMES)
    assert without <= MISSING, f"registered without a symbolic form: {sorted(without - MISSING)}"
    assert not (MISSING & set(NAMES)), "has a form now: remove from MISSING"


@pytest.mark.parametrize(
    ("name", "args", "expected"),
    [
        ("l1_loss", ([0.0, 1.0, 2.0], [0.0, 1.5, 2.0]), [0.0, -1 / 3, 0.0]),
        ("l1_penalty", ([0.0, 1.0, -2.0],), [0.0, 1.0, -1.0]),
    ],
)
def test_kinks_get_the_documented_subgradient(name, args, expected):
    report = gradcheck(name, args)
    at_kink = report.at_kink
    assert at_kink.sum() == sum(np.asarray(args[0]) == np.asarray(args[1] if len(args) > 1 else 0))
    np.testing.assert_array_equal(report.gradients["numpy"], expected)
    np.testing.assert_array_equal(report.gradients["symbolic"], expected)
    assert np.isnan(report.gradients["central"][at_kink]).all()  # not differenced
