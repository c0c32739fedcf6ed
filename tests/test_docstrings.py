"""Every public function documents its formula and has a runnable example (the contract)."""

import inspect

import pytest

import losslab

PUBLIC = {name: getattr(losslab, name) for name in losslab.__all__}
# Tools whose docstring explains a procedure rather than a formula.
NO_FORMULA = {
    "differentiable_functions",
    "sample_batch",
    "iterate_minibatches",
    "set_num_threads",
    "get_num_threads",
    "show_config",
}


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_docstring_has_formula_and_example(name):
    doc = inspect.getdoc(PUBLIC[name]) or ""
    assert doc, f"{name} has no docstring"
    assert ">>> " in doc, f"{name}: no runnable example"
    assert "losslab" in doc.split("Examples", 1)[-1], f"{name}: example does not call losslab"
    if name not in NO_FORMULA and not inspect.isclass(PUBLIC[name]):
        assert any(m in doc for m in (".. math::", ":math:", "$")), f"{name}: no formula"


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_functions_have_type_hints(name):
    obj = PUBLIC[name]
    if inspect.isclass(obj):
        return
    sig = inspect.signature(obj)
    missing = [p for p in sig.parameters.values() if p.annotation is inspect.Parameter.empty]
    assert not missing, f"{name}: parameters without type hints: {[p.name for p in missing]}"
    assert sig.return_annotation is not inspect.Signature.empty, f"{name}: no return annotation"
