"""The symbolic forms: coverage of the registry, proofs, and the three-way check per loss."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

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


class HypothesisRNG:
    """The ``numpy.random.Generator`` methods the forms' samplers use, drawn by Hypothesis.

    Every array a sampler builds (inputs, targets, weights, distributions) is drawn element by
    element from Hypothesis strategies, so a failure shrinks to a small, simple counterexample.
    """

    def __init__(self, data):
        self.data = data

    def integers(self, low, high, size=None):
        elements = st.integers(int(low), int(high) - 1)
        if size is None:
            return self.data.draw(elements)
        return self.data.draw(hnp.arrays(np.int64, size, elements=elements))

    def uniform(self, low, high, size=None):
        elements = st.floats(float(low), float(high), allow_subnormal=False)
        if size is None:
            return self.data.draw(elements)
        return self.data.draw(hnp.arrays(np.float64, size, elements=elements))

    def choice(self, options):
        return self.data.draw(st.sampled_from(list(options)))


# Tolerances are those of losslab.gradcheck (stated in its module docstring): rounding
# comparisons at 64 eps of the result dtype (values: plus the size of cancelling terms),
# central differences at a Richardson estimate of the truncation error plus 8 eps |f| / (2h),
# complex step at 64 eps of float64.  64 eps leaves room for the few dozen roundings of a
# log-sum-exp or a reduction over at most a few dozen elements; the Richardson term is
# measured from function values only, so a wrong gradient cannot widen its own tolerance.
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(data=st.data())
def test_three_way_check_at_hypothesis_points(name, dtype, data):
    form = symbolic.get(name)
    try:
        arguments = form.sample(HypothesisRNG(data), np.dtype(dtype))
    except RuntimeError:  # every draw was near a kink
        reject()
    report = gradcheck(name, kwargs=arguments, raise_exception=False)
    assert report.ok, str(report)
    assert report.dtype == dtype


@pytest.mark.parametrize("name", NAMES)
def test_random_points_by_seed(name):
    for seed in range(3):
        for dtype in (np.float64, np.float32):
            report = gradcheck(name, dtype=dtype, seed=seed, raise_exception=False)
            assert report.ok, str(report)


# Registered functions whose symbolic form is still to be written.  This set must shrink, never
# grow: a newly registered function without a form fails the test below.
MISSING: set[str] = {
    # their SymPy forms are proved in tests/test_ctc.py, test_embedding.py and
    # test_linear_cross_entropy.py, not yet as SymbolicLoss records
    "cosine_embedding_loss",
    "ctc_loss",
    "linear_cross_entropy",
    "margin_ranking_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
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
