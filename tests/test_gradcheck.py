"""losslab.gradcheck: the three-way check passes on right gradients and catches wrong ones."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import losslab
from losslab import _registry
from losslab.gradcheck import GradcheckError, gradcheck


def _break_gradient(monkeypatch, fn, factor):
    """Replace the hand-written gradient of ``fn`` by ``factor`` times itself."""
    entry = _registry._REGISTRY[fn]
    good = entry.value_and_grad

    def bad(*args, **kwargs):
        value, g = good(*args, **kwargs)
        return value, g * factor

    import inspect

    bad.__signature__ = inspect.signature(good)
    import dataclasses

    monkeypatch.setitem(_registry._REGISTRY, fn, dataclasses.replace(entry, value_and_grad=bad))


def test_report_at_a_given_point():
    report = gradcheck(losslab.mse_loss, ([0.5, -1.0, 2.0], [0.0, 0.0, 1.0]))
    assert report.ok
    assert report.name == "mse_loss" and report.wrt == "input"
    assert set(report.gradients) == {"numpy", "symbolic", "central", "complex_step"}
    assert report.worst_error.shape == (3,)
    np.testing.assert_allclose(report.gradients["symbolic"], [1 / 3, -2 / 3, 2 / 3], rtol=1e-15)
    # Complex step is exact to rounding; central differences to about eps**(2/3).
    assert report.worst()["symbolic vs complex step"][0] <= 4 * np.finfo(float).eps
    assert report.worst()["numpy vs central"][0] < 1e-8
    assert "ok" in str(report)


def test_random_point_and_dtype():
    report = gradcheck("mse_loss", dtype=np.float32, seed=3)
    assert report.dtype == np.float32
    assert report.ok


@pytest.mark.parametrize("factor", [1.01, -1.0, 0.5])
def test_wrong_hand_gradient_is_caught(monkeypatch, factor):
    _break_gradient(monkeypatch, losslab.mse_loss, factor)
    with pytest.raises(GradcheckError, match="FAILED"):
        gradcheck(losslab.mse_loss, ([0.5, -1.0, 2.0], [0.0, 0.0, 1.0]))
    report = gradcheck(losslab.mse_loss, ([0.5, -1.0, 2.0], [0.0, 0.0, 1.0]), raise_exception=False)
    assert not report.ok
    for key in ("numpy vs symbolic", "numpy vs central"):
        err, tol, _ = report.worst()[key]
        assert err > tol, key


def test_wrong_hand_gradient_is_caught_in_float32(monkeypatch):
    _break_gradient(monkeypatch, losslab.mse_loss, 1.01)
    report = gradcheck("mse_loss", dtype=np.float32, seed=1, raise_exception=False)
    assert not report.ok
    err, tol, _ = report.worst()["numpy vs central"]
    assert err > tol


def test_wrong_symbolic_form_is_caught(monkeypatch):
    import dataclasses

    import sympy as sp

    from losslab import symbolic
    from losslab.symbolic import mse
    from losslab.symbolic._core import derive, lambdify, reduce_elementwise

    wrong = (mse.x - mse.y) ** 2 + mse.x / 100  # a drifted formula
    f, df = lambdify((mse.x, mse.y), wrong), lambdify((mse.x, mse.y), derive(wrong, mse.x))

    def evaluate(a):
        x, t = np.asarray(a["input"]), np.asarray(a["target"], dtype=float)
        return reduce_elementwise(f(x, t), df(x, t), a["reduction"])

    form = dataclasses.replace(
        mse.MSE_LOSS, value=wrong, gradient=sp.diff(wrong, mse.x), evaluate=evaluate
    )
    monkeypatch.setitem(mse.FORMS, "mse_loss", form)
    assert symbolic.get("mse_loss") is form
    report = gradcheck("mse_loss", raise_exception=False)
    assert not report.ok
    assert (
        report.worst()["value: numpy vs symbolic"][0]
        > report.worst()["value: numpy vs symbolic"][1]
    )
    assert report.worst()["numpy vs symbolic"][0] > report.worst()["numpy vs symbolic"][1]


def test_bad_fn():
    with pytest.raises(TypeError, match="`fn`"):
        gradcheck(print)
    with pytest.raises(ValueError, match="`fn`"):
        gradcheck("no_such_loss")


def test_import_of_gradcheck_does_not_load_sympy():
    code = (
        "import sys, losslab, losslab.gradcheck; "
        "from losslab.gradcheck import gradcheck; print('sympy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cross_entropy_with_many_classes_is_checked_quickly():
    import time

    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(4, 50)), rng.integers(0, 50, 4)
    start = time.perf_counter()
    for fn, kwargs in ((losslab.cross_entropy, {"label_smoothing": 0.1}), (losslab.nll_loss, {})):
        assert gradcheck(fn, (x, t), kwargs).ok
    assert time.perf_counter() - start < 30  # a form per class count took minutes


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_with_logits_beyond_exp_range(smoothing):
    x = np.array([[800.0, -900.0, 0.0], [1000.0, 999.0, -1000.0]])
    report = gradcheck(losslab.cross_entropy, (x, np.array([1, 0])), {"label_smoothing": smoothing})
    assert report.ok
    assert np.all(np.isfinite(report.gradients["symbolic"]))


@pytest.mark.parametrize(
    "name", ["softmax", "log_softmax", "sigmoid", "log_sigmoid", "binary_cross_entropy_with_logits"]
)
def test_logits_beyond_exp_range_are_decided_or_undecided_not_failed(name):
    import warnings

    x = np.array([[800.0, -900.0, 0.0], [1000.0, 999.0, -1000.0]])
    args = (x, np.full_like(x, 0.5)) if name.startswith("binary") else (x,)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = gradcheck(getattr(losslab, name), args)
    assert report.ok
    if name in ("softmax", "log_softmax"):  # their reference is computed stably
        assert not report.undecided
    else:
        assert sum(report.undecided.values()) > 0
        assert "cannot decide" in str(report)


@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_with_many_classes_is_checked_quickly(p):
    import time

    rng = np.random.default_rng(1)
    x, t = rng.normal(size=(4, 50)), rng.integers(0, 50, 4)
    kwargs = {"p": p, "margin": 0.7, "weight": rng.uniform(0.1, 2, 50)}
    losslab.multi_margin_loss(x, t, **kwargs)  # the form for K classes is built once
    start = time.perf_counter()
    assert gradcheck(losslab.multi_margin_loss, (x, t), kwargs).ok
    assert time.perf_counter() - start < 30  # a form per class count took minutes
