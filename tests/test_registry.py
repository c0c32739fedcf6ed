"""grad / value_and_grad: signatures, errors, the `wrt` argument and the list of entries."""

import importlib.util
import inspect

import numpy as np
import pytest

import losslab
from losslab import _registry


def test_grad_has_signature_of_function():
    for name, fn in losslab.differentiable_functions().items():
        g = losslab.grad(fn)
        assert inspect.signature(g) == inspect.signature(fn), name
        assert g.wrt in inspect.signature(fn).parameters


def test_grad_rejects_unknown_function():
    with pytest.raises(TypeError, match="cannot differentiate"):
        losslab.grad(print)


@pytest.mark.parametrize("make", [losslab.grad, losslab.value_and_grad])
def test_bad_call_names_the_public_function(make):
    with pytest.raises(TypeError, match=r"^mse_loss\(\): .*'reductio'"):
        make(losslab.mse_loss)([1.0], [0.0], reductio="sum")
    with pytest.raises(TypeError, match=r"^mse_loss\(\): too many positional arguments"):
        make(losslab.mse_loss)([1.0], [0.0], "sum", None, 5)


@pytest.mark.parametrize("make", [losslab.grad, losslab.value_and_grad])
def test_bad_call_missing_or_repeated_argument(make):
    with pytest.raises(TypeError, match=r"^mse_loss\(\): missing a required argument: 'target'"):
        make(losslab.mse_loss)([1.0])
    with pytest.raises(TypeError, match=r"^mse_loss\(\): multiple values for argument 'input'"):
        make(losslab.mse_loss)([1.0], [0.0], input=[2.0])


def test_arguments_by_position_or_keyword_give_the_same_result():
    x, t = [1.0, -2.0, 0.5], [0.0, 1.0, 1.0]
    vg = losslab.value_and_grad(losslab.huber_loss)
    calls = [
        vg(x, t, "sum", 0.5),
        vg(x, t, reduction="sum", delta=0.5),
        vg(input=x, target=t, delta=0.5, reduction="sum"),
        vg(x, target=t, reduction="sum", delta=0.5),
    ]
    for value, g in calls[1:]:
        assert value == calls[0][0]
        assert g.tolist() == calls[0][1].tolist()


def test_wrt_default_is_the_first_differentiable_argument():
    for e in _registry.entries():
        assert losslab.grad(e.function).wrt == e.wrt[0], e.name
        assert losslab.value_and_grad(e.function, wrt=e.wrt[0]).wrt == e.wrt[0], e.name


@pytest.mark.parametrize("make", [losslab.grad, losslab.value_and_grad])
def test_wrt_that_is_not_differentiable_is_a_value_error(make):
    with pytest.raises(ValueError, match=r"`wrt` is 'target', an argument mse_loss is not diff"):
        make(losslab.mse_loss, wrt="target")
    with pytest.raises(ValueError, match=r"`wrt` is 'inputs', which is not a parameter of mse"):
        make(losslab.mse_loss, wrt="inputs")


def test_a_second_registered_argument_is_chosen_by_wrt(monkeypatch):
    monkeypatch.setattr(_registry, "_REGISTRY", dict(_registry._REGISTRY))

    def scaled_sum(a, b, scale=2.0):
        return scale * (a * b).sum()

    def by_a(a, b, scale, need_grad=True):
        return scaled_sum(a, b, scale), scale * b

    def by_b(a, b, scale):
        return scaled_sum(a, b, scale), scale * a

    _registry.register(scaled_sum, wrt="a", value_and_grad=by_a)
    _registry.register(scaled_sum, wrt="b", value_and_grad=by_b)
    a, b = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    assert losslab.grad(scaled_sum)(a, b).tolist() == [6.0, 10.0]
    assert losslab.grad(scaled_sum, wrt="b")(a, b, scale=3.0).tolist() == [3.0, 6.0]
    value, g = losslab.value_and_grad(scaled_sum, wrt="b")(a, b)
    assert (value, g.tolist()) == (26.0, [2.0, 4.0])
    assert [e.wrt for e in _registry.entries() if e.name == "scaled_sum"] == [("a", "b")]
    with pytest.raises(ValueError, match=r"expected one of: 'a', 'b'"):
        losslab.grad(scaled_sum, wrt="scale")


def test_register_rejects_a_core_that_does_not_take_every_argument(monkeypatch):
    monkeypatch.setattr(_registry, "_REGISTRY", dict(_registry._REGISTRY))

    def f(x, y=1.0):
        return x * y

    with pytest.raises(ValueError, match=r"missing: \['y'\]"):
        _registry.register(f, wrt="x", value_and_grad=lambda x: (x, x))
    with pytest.raises(ValueError, match=r"extra: \['z'\]"):
        _registry.register(f, wrt="x", value_and_grad=lambda x, y, z: (x, x))
    with pytest.raises(ValueError, match="not a parameter of f"):
        _registry.register(f, wrt="z", value_and_grad=lambda x, y: (x, y))


def test_entries_list_every_differentiable_function_once():
    listed = _registry.entries()
    assert [e.name for e in listed] == list(losslab.differentiable_functions())
    for e in listed:
        assert getattr(losslab, e.name) is e.function
        assert e.module == e.function.__module__
        params = inspect.signature(e.function).parameters
        assert set(e.wrt) <= set(params), e.name
        assert importlib.util.find_spec(e.symbolic) is not None, e.symbolic
