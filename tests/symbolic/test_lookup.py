"""The symbolic lookup is derived from the registry and the package's modules."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import losslab
from losslab import symbolic


def _form_modules():
    for info in pkgutil.iter_modules(symbolic.__path__):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"losslab.symbolic.{info.name}")


def test_every_form_of_every_module_is_found_by_get():
    stated = {
        name: form for mod in _form_modules() for name, form in getattr(mod, "FORMS", {}).items()
    }
    assert stated, "no symbolic module states a form"
    assert sorted(stated) == symbolic.available()
    for name, form in stated.items():
        assert symbolic.get(name) is form


def test_every_form_models_a_differentiable_function():
    functions = losslab.differentiable_functions()
    for name in symbolic.available():
        assert name in functions


def test_no_module_list_is_kept_by_hand():
    assert not hasattr(symbolic, "MODULES")


def test_latex_and_forms_import_in_any_order_without_a_cycle():
    for first, second in (
        ("classification", "latex"),
        ("latex", "classification"),
        ("softmax", "latex"),
    ):
        code = (
            f"import losslab.symbolic.{first}, losslab.symbolic.{second}; "
            "from losslab.symbolic.latex import check_text, markdown; "
            "print(markdown('mse_loss')[:8])"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith("Per elem")
