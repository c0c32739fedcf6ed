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
    """The module of ``losslab.symbolic`` that holds the form of ``name``, as the gradient
    registry lists it (:func:`losslab._registry.entries`), so a new differentiable function
    needs no entry here."""
    from .._registry import entries

    for entry in entries():
        if entry.name == name:
            return entry.symbolic.rpartition(".")[2]
    return None


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
    # checked at run time for untyped callers:
    if not isinstance(name, str):  # pyright: ignore[reportUnnecessaryIsInstance]
        raise TypeError(f"`name` is {name!r}, expected the name of a losslab function")
    forms = _forms(_module_of(name))
    if name not in forms:
        raise KeyError(
            f"`name` is {name!r}, which has no symbolic form; available: {', '.join(available())}"
        )
    return forms[name]


def available() -> list[str]:
    """Names of the losslab functions that have a symbolic form, sorted."""
    from .._registry import entries

    return sorted(e.name for e in entries() if e.name in _forms(e.symbolic.rpartition(".")[2]))
