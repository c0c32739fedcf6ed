import inspect

import pytest

import losslab


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
