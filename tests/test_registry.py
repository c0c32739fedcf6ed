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


def test_import_is_light():
    import subprocess
    import sys

    heavy = ("sympy", "matplotlib", "torch", "scipy")
    code = f"import sys, losslab; print(any(m in sys.modules for m in {heavy!r}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
