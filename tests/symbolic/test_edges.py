"""Kinks and domain edges, placed on purpose: the documented subgradients and edge rules of the
symbolic forms agree with the NumPy gradients (and, where PyTorch has the loss, with autograd)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from losslab import symbolic
from losslab.gradcheck import gradcheck

# (name, kwargs, expected gradient, entries at a kink).  The expected gradients are the
# documented subgradients, derived by hand from the definitions, not computed by losslab.
KINKS = [
    # hinge: 0 at y x = margin (H(0) = 0); entries 0 and 2 sit on the kink.
    (
        "hinge_loss",
        {"input": [1.0, 0.5, -1.0], "target": [1, 1, -1], "reduction": "sum"},
        [0.0, -1.0, 0.0],
        [True, False, True],
    ),
    # hinge embedding: -1 at x = margin for y = -1 (clamp_min passes the gradient).
    (
        "hinge_embedding_loss",
        {"input": [1.0, 0.5, 1.0], "target": [-1, -1, 1], "reduction": "sum"},
        [-1.0, -1.0, 1.0],
        [True, False, False],
    ),
    # multi-margin: z = 1 - x_0 + x_1 = 0 exactly, z for class 2 < 0: no active term.
    (
        "multi_margin_loss",
        {"input": [[1.0, 0.0, -3.0]], "target": [0], "reduction": "sum"},
        [[0.0, 0.0, 0.0]],
        [[True, True, False]],
    ),
    # Huber at |r| = delta: both pieces give +-delta.
    (
        "huber_loss",
        {"input": [1.0, -1.0, 0.25], "target": [0.0, 0.0, 0.0], "reduction": "sum"},
        [1.0, -1.0, 0.25],
        [True, True, False],
    ),
    # smooth L1 with beta = 0 is |r|: sign(0) = 0.
    (
        "smooth_l1_loss",
        {"input": [1.0, 0.0], "target": [0.0, 0.0], "reduction": "sum", "beta": 0.0},
        [1.0, 0.0],
        [False, True],
    ),
]


@pytest.mark.parametrize(("name", "kwargs", "expected", "kinks"), KINKS)
def test_documented_subgradient_at_kinks(name, kwargs, expected, kinks):
    report = gradcheck(name, kwargs=kwargs)
    np.testing.assert_array_equal(report.at_kink, kinks)
    np.testing.assert_array_equal(report.gradients["numpy"], expected)
    np.testing.assert_array_equal(report.gradients["symbolic"], expected)
    assert np.isnan(report.gradients["central"][np.asarray(kinks)]).all()


@pytest.mark.parametrize(("name", "kwargs", "expected", "kinks"), KINKS)
def test_kink_subgradients_match_torch(name, kwargs, expected, kinks):
    torch = pytest.importorskip("torch")
    functional = torch.nn.functional
    x = torch.tensor(kwargs["input"], dtype=torch.float64, requires_grad=True)
    target = torch.tensor(kwargs["target"], dtype=torch.float64)
    if name == "hinge_loss":  # no torch loss: the relu formulation the docstring names
        loss = functional.relu(1.0 - target * x).sum()
    elif name == "multi_margin_loss":
        loss = functional.multi_margin_loss(x, target.long(), reduction="sum")
    else:
        extra = {k: v for k, v in kwargs.items() if k not in ("input", "target")}
        loss = getattr(functional, name)(x, target, **extra)
    loss.backward()
    np.testing.assert_array_equal(symbolic.get(name).value_and_grad(**kwargs)[1], x.grad.numpy())


def test_bce_clamp_and_gradient_floor_at_the_domain_edges():
    # x = 0 with y = 1 and x = 1 with y = 0: -log 0 clamped to 100; x = 1e-50: -log x = 115
    # clamped to 100; x = 0 with y = 0: 0 log 0 = 0; x = 1e-13: x(1 - x) below the 1e-12 floor.
    kwargs = {
        "input": [0.0, 1.0, 1e-50, 0.0, 1e-13, 0.5],
        "target": [1.0, 0.0, 1.0, 0.0, 1.0, 1.0],
        "reduction": "none",
    }
    report = gradcheck("binary_cross_entropy", kwargs=kwargs)
    np.testing.assert_array_equal(report.at_kink, [True, True, True, True, True, False])
    value, g = symbolic.get("binary_cross_entropy").value_and_grad(**kwargs)
    np.testing.assert_array_equal(value[:4], [100.0, 100.0, 100.0, 0.0])
    assert value[4] == pytest.approx(-np.log(1e-13), rel=1e-15)  # clamp inactive
    floor = float(np.float32(1e-12))
    np.testing.assert_array_equal(
        g[:5], np.array([-1.0, 1.0, -1.0 + 1e-50, 0.0, -1.0 + 1e-13]) / floor
    )
    assert g[5] == -2.0  # (x - y) / (x (1 - x)) at 1/2


def test_information_measures_at_the_domain_edges():
    # entropy: 0 log 0 = 0 and dH/dp -> +inf at p = 0 (base 2 > 1).
    report = gradcheck("entropy", kwargs={"p": [0.0, 0.25, 0.75], "base": 2.0})
    assert report.ok and report.at_kink[0]
    assert report.gradients["symbolic"][0] == np.inf
    # KL and cross-entropy: q = 0 < p gives +inf with gradient -inf; p = 0 gives 0.
    for name in ("kl_divergence", "cross_entropy_pq"):
        report = gradcheck(name, kwargs={"p": [0.5, 0.5, 0.0], "q": [0.0, 0.5, 0.5]})
        assert report.ok, str(report)
        value, g = symbolic.get(name).value_and_grad(p=[0.5, 0.5, 0.0], q=[0.0, 0.5, 0.5])
        assert value == np.inf
        assert g[0] == -np.inf and g[2] == 0.0
    # kl_div: a zero target probability contributes exactly 0.
    value, g = symbolic.get("kl_div").value_and_grad([-1.0, -2.0], [0.0, 1.0], reduction="sum")
    assert value == pytest.approx(2.0, rel=1e-15) and list(g) == [0.0, -1.0]


def test_one_hot_distribution_has_no_direction_on_the_simplex():
    # p = (1, 0): the zero cannot decrease, so no entry is differenced; both are reported.
    report = gradcheck("entropy", kwargs={"p": [1.0, 0.0]})
    assert report.ok
    assert report.at_kink.all()


def test_simplex_differences_catch_a_wrong_gradient(monkeypatch):
    import inspect

    import losslab
    from losslab import _registry

    entry = _registry._REGISTRY[losslab.kl_divergence]

    def bad(*args, **kwargs):
        value, g = entry.value_and_grad(*args, **kwargs)
        return value, g * np.array([1.0, 1.05, 1.0])

    bad.__signature__ = inspect.signature(entry.value_and_grad)
    monkeypatch.setitem(
        _registry._REGISTRY,
        losslab.kl_divergence,
        dataclasses.replace(entry, value_and_grad=bad),
    )
    report = gradcheck(
        "kl_divergence", kwargs={"p": [0.2, 0.3, 0.5], "q": [0.3, 0.3, 0.4]}, raise_exception=False
    )
    assert not report.ok
    for key in ("numpy vs symbolic", "numpy vs central"):
        err, tol, _ = report.worst()[key]
        assert err > tol, key
