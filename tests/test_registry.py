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
