r"""SymPy forms of every differentiable losslab function, loaded on use.

``import losslab`` does not import this package (SymPy takes about half a second to import).
Each module mirrors a NumPy module (``symbolic/mse.py`` for ``losslab/mse.py``, ...) and states
the formula as SymPy sees it (per element, or per sample over :math:`k` classes), derives its
gradient with ``sympy.diff`` and lambdifies both for vectorised NumPy evaluation.  When the
hand-written NumPy gradient uses a closed form (``softmax - onehot``), the module states it and
:meth:`SymbolicLoss.verify` proves it equal to the derived gradient.

Examples
--------
>>> from losslab import symbolic
>>> form = symbolic.get("mse_loss")
>>> print(form.value, "->", form.gradient)
(x - y)**2 -> 2*x - 2*y
>>> form.verify()
{'derived gradient == closed form used by NumPy': True}
"""

from __future__ import annotations

import importlib

from ._core import SymbolicLoss

__all__ = ["SymbolicLoss", "available", "get"]


def _module_of(name: str) -> str | None:
    """The module of ``losslab.symbolic`` that holds the form of ``name``: the one named like the
    module that defines the function (``symbolic/huber.py`` for ``losslab/huber.py``), found
    through the gradient registry, so that a new differentiable function needs no entry here."""
    from .. import differentiable_functions

    fn = differentiable_functions().get(name)
    return None if fn is None else fn.__module__.rpartition(".")[2]


def _forms(module: str | None) -> dict[str, SymbolicLoss]:
    if module is None:
        return {}
    try:
        mod = importlib.import_module(f"{__name__}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{module}":
            raise
        return {}
    return getattr(mod, "FORMS", {})


def get(name: str) -> SymbolicLoss:
    """The symbolic form of the losslab function called ``name``.

    Raises
    ------
    KeyError
        If ``name`` has no symbolic form (yet).
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` is {name!r}, expected the name of a losslab function")
    forms = _forms(_module_of(name))
    if name not in forms:
        raise KeyError(
            f"`name` is {name!r}, which has no symbolic form; available: {', '.join(available())}"
        )
    return forms[name]


def available() -> list[str]:
    """Names of the losslab functions that have a symbolic form, sorted."""
    from .. import differentiable_functions

    return sorted(name for name in differentiable_functions() if name in _forms(_module_of(name)))
