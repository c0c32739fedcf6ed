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

#: losslab function name -> module of ``losslab.symbolic`` that holds its form.
MODULES: dict[str, str] = {
    "mse_loss": "mse",
    "l1_loss": "l1",
    "huber_loss": "huber",
    "smooth_l1_loss": "huber",
    "softmax": "softmax",
    "log_softmax": "softmax",
    "sigmoid": "softmax",
    "log_sigmoid": "softmax",
    "cross_entropy": "cross_entropy",
    "nll_loss": "cross_entropy",
    "binary_cross_entropy": "binary_cross_entropy",
    "binary_cross_entropy_with_logits": "binary_cross_entropy",
    "multi_margin_loss": "margin",
    "hinge_embedding_loss": "margin",
    "soft_margin_loss": "margin",
    "hinge_loss": "margin",
    "kl_div": "kl_div",
    "entropy": "information",
    "kl_divergence": "information",
    "cross_entropy_pq": "information",
    "l1_penalty": "penalties",
    "l2_penalty": "penalties",
}


def _forms(module: str) -> dict[str, SymbolicLoss]:
    try:
        mod = importlib.import_module(f"{__name__}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{module}":
            raise
        return {}
    return mod.FORMS


def get(name: str) -> SymbolicLoss:
    """The symbolic form of the losslab function called ``name``.

    Raises
    ------
    KeyError
        If ``name`` has no symbolic form (yet).
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` is {name!r}, expected the name of a losslab function")
    forms = _forms(MODULES[name]) if name in MODULES else {}
    if name not in forms:
        raise KeyError(
            f"`name` is {name!r}, which has no symbolic form; available: {', '.join(available())}"
        )
    return forms[name]


def available() -> list[str]:
    """Names of the losslab functions that have a symbolic form, sorted."""
    names: set[str] = set()
    for module in sorted(set(MODULES.values())):
        names.update(_forms(module))
    return sorted(names)
