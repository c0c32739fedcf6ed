"""One way to get the gradient of any differentiable losslab function, and the list of them.

Each module registers its public functions beside them::

    _registry.register(mse_loss, wrt="input", value_and_grad=partial(_mse, need_grad=True))

``value_and_grad`` is called with *every* parameter of the public function by name, defaults
applied (``inspect.BoundArguments.arguments``), and returns ``(value, gradient)``, the gradient
with respect to ``wrt``. The public signature is stated once, on the public function. A
function with several differentiable arguments is registered once per argument; the first
registered is the default of :func:`grad` and :func:`value_and_grad`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Registered",
    "differentiable_functions",
    "entries",
    "grad",
    "register",
    "value_and_grad",
]

_POSITIONAL_OR_KEYWORD = inspect.Parameter.POSITIONAL_OR_KEYWORD


def _caller(
    fn: Callable[..., Any], core: Callable[..., tuple[Any, Any]]
) -> Callable[..., tuple[Any, Any]]:
    """``core`` called with ``fn``'s arguments bound by name (defaults applied); a call that
    does not fit ``fn``'s signature raises ``fn``'s TypeError."""
    sig = inspect.signature(fn)
    names = tuple(sig.parameters)
    known = frozenset(names)
    defaults = {k: p.default for k, p in sig.parameters.items() if p.default is not p.empty}
    simple = all(p.kind is _POSITIONAL_OR_KEYWORD for p in sig.parameters.values())

    def call(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        if simple and len(args) <= len(names):  # the fast path of Signature.bind
            arguments = dict(defaults)
            arguments.update(zip(names, args, strict=False))
            if not kwargs or (kwargs.keys() <= known and not kwargs.keys() & names[: len(args)]):
                arguments.update(kwargs)
                if len(arguments) == len(names):
                    return core(**arguments)
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{fn.__name__}(): {exc}") from None
        bound.apply_defaults()
        return core(**bound.arguments)

    call.__signature__ = sig  # type: ignore[attr-defined]
    return call


@dataclass(frozen=True)
class _Entry:
    """``value_and_grad`` takes ``fn``'s arguments as ``fn`` does and differentiates with
    respect to ``wrt`` (the default); ``others`` does the same for further arguments."""

    fn: Callable[..., Any]
    wrt: str
    value_and_grad: Callable[..., tuple[Any, Any]]
    others: dict[str, Callable[..., tuple[Any, Any]]] = field(
        default_factory=dict[str, Callable[..., tuple[Any, Any]]]
    )
    symbolic: str = ""

    def for_argument(self, wrt: str | None) -> tuple[str, Callable[..., tuple[Any, Any]]]:
        if wrt is None or wrt == self.wrt:
            return self.wrt, self.value_and_grad
        if wrt in self.others:
            return wrt, self.others[wrt]
        name = self.fn.__name__
        if wrt not in inspect.signature(self.fn).parameters:
            problem = f"which is not a parameter of {name}"
        else:
            problem = f"an argument {name} is not differentiable with respect to"
        choices = ", ".join(repr(w) for w in (self.wrt, *self.others))
        raise ValueError(f"`wrt` is {wrt!r}, {problem}; expected one of: {choices}")


_REGISTRY: dict[Callable[..., Any], _Entry] = {}


def register(
    fn: Callable[..., Any],
    *,
    wrt: str,
    value_and_grad: Callable[..., tuple[Any, Any]],
    symbolic: str | None = None,
) -> None:
    """Declare that ``value_and_grad(**arguments)`` computes ``fn`` and its gradient with
    respect to the argument ``wrt``.

    ``arguments`` holds every parameter of ``fn`` by name, defaults applied, so
    ``value_and_grad`` must accept each of them by keyword (other parameters need defaults,
    e.g. ``functools.partial(_core, need_grad=True)``). Registering ``fn`` again with another
    ``wrt`` adds a differentiable argument; the first one registered is the default.
    ``symbolic`` is the module of :mod:`losslab.symbolic` that holds ``fn``'s SymPy form (by
    default the one named like ``fn``'s module: ``symbolic/mse.py`` for ``losslab/mse.py``).
    """
    params = inspect.signature(fn).parameters
    if wrt not in params:
        raise ValueError(f"`wrt` is {wrt!r}, which is not a parameter of {fn.__name__}")
    accepted = inspect.signature(value_and_grad).parameters
    kinds = {p.kind for p in accepted.values()}
    missing = (
        [] if inspect.Parameter.VAR_KEYWORD in kinds else [k for k in params if k not in accepted]
    )
    extra = [
        k
        for k, p in accepted.items()
        if k not in params
        and p.default is p.empty
        and p.kind in (_POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    if missing or extra:
        raise ValueError(
            f"`value_and_grad` for {fn.__name__} must take every parameter of {fn.__name__} by "
            f"name and no other without a default (missing: {missing}, extra: {extra})"
        )
    call = _caller(fn, value_and_grad)
    entry = _REGISTRY.get(fn)
    if entry is None:
        module = fn.__module__.rpartition(".")[2]
        where = symbolic or f"losslab.symbolic.{module}"
        _REGISTRY[fn] = _Entry(fn, wrt, call, {}, where)
    elif wrt != entry.wrt:
        entry.others[wrt] = call


def _entry(fn: Callable[..., Any]) -> _Entry:
    try:
        return _REGISTRY[fn]
    except (KeyError, TypeError):
        names = ", ".join(sorted(e.fn.__name__ for e in _REGISTRY.values()))
        raise TypeError(
            f"`fn` is {fn!r}, which losslab cannot differentiate; expected one of: {names}"
        ) from None


def value_and_grad(
    fn: Callable[..., Any], wrt: str | None = None
) -> Callable[..., tuple[Any, Any]]:
    r"""Return a function computing :math:`\bigl(f(x),\ \nabla_x f(x)\bigr)` in one pass.

    The returned function has exactly ``fn``'s signature. The gradient is taken with respect to
    the argument ``wrt``, by default ``fn``'s prediction argument (``input`` for losses, ``w``
    for penalties, ``q`` for :func:`~losslab.kl_divergence` and
    :func:`~losslab.cross_entropy_pq`, ``p`` for :func:`~losslab.entropy`, ``x`` for
    activations), and has that argument's shape. With ``reduction='none'`` it is the gradient
    of the *sum* of the unreduced values, as PyTorch's ``loss.sum().backward()`` gives.

    Parameters
    ----------
    fn : callable
        A differentiable losslab function (see :func:`differentiable_functions`).
    wrt : str, optional
        The name of the argument to differentiate with respect to; one of ``fn``'s
        differentiable arguments (:func:`losslab._registry.entries` lists them). Default: the
        first of them, the prediction argument.

    Returns
    -------
    callable
        ``f(*args, **kwargs) -> (value, gradient)``; its ``wrt`` attribute names the argument.

    Raises
    ------
    TypeError
        If ``fn`` is not a differentiable losslab function.
    ValueError
        If ``wrt`` is not an argument ``fn`` can be differentiated with respect to.

    Examples
    --------
    >>> import losslab
    >>> value, g = losslab.value_and_grad(losslab.mse_loss)([1.0, 2.0], [0.0, 0.0])
    >>> print(value, g)
    2.5 [1. 2.]
    >>> losslab.value_and_grad(losslab.mse_loss, wrt="input").wrt
    'input'
    """
    name, call = _entry(fn).for_argument(wrt)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        return call(*args, **kwargs)

    wrapper.__name__ = f"value_and_grad({fn.__name__})"
    wrapper.__qualname__ = wrapper.__name__
    # a function attribute, which neither checker models
    wrapper.wrt = name  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    return wrapper


def grad(fn: Callable[..., Any], wrt: str | None = None) -> Callable[..., Any]:
    r"""Return the gradient function of a losslab loss, penalty, measure or activation.

    ``grad(f)(*args)`` equals ``value_and_grad(f)(*args)[1]``; it has ``f``'s signature and
    differentiates with respect to ``wrt``, by default ``f``'s prediction argument (see
    :func:`value_and_grad`).

    Parameters
    ----------
    fn : callable
        A differentiable losslab function (see :func:`differentiable_functions`).
    wrt : str, optional
        The argument to differentiate with respect to (see :func:`value_and_grad`).

    Returns
    -------
    callable
        ``g(*args, **kwargs) -> gradient``, an array shaped like the differentiated argument;
        its ``wrt`` attribute names the argument.

    Raises
    ------
    TypeError
        If ``fn`` is not a differentiable losslab function.
    ValueError
        If ``wrt`` is not an argument ``fn`` can be differentiated with respect to.

    Examples
    --------
    The gradient of :math:`\frac1n\sum_i (x_i - y_i)^2` is :math:`\frac2n(x - y)`:

    >>> import losslab
    >>> print(losslab.grad(losslab.mse_loss)([1.0, 2.0], [0.0, 0.0]))
    [1. 2.]
    >>> print(losslab.grad(losslab.mse_loss)([1.0, 2.0], [0.0, 0.0], reduction="sum"))
    [2. 4.]
    """
    name, call = _entry(fn).for_argument(wrt)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return call(*args, **kwargs)[1]

    wrapper.__name__ = f"grad({fn.__name__})"
    wrapper.__qualname__ = wrapper.__name__
    # a function attribute, which neither checker models
    wrapper.wrt = name  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue]
    return wrapper


def differentiable_functions() -> dict[str, Callable[..., Any]]:
    """Every public function that :func:`grad` accepts, by name.

    Examples
    --------
    >>> import losslab
    >>> "cross_entropy" in losslab.differentiable_functions()
    True
    """
    return {e.fn.__name__: e.fn for e in _REGISTRY.values()}


@dataclass(frozen=True)
class Registered:
    """One differentiable function as :func:`entries` lists it.

    ``module`` is the losslab module that defines it (``"losslab.mse"``), ``wrt`` its
    differentiable arguments (the default first) and ``symbolic`` the module of
    :mod:`losslab.symbolic` that holds its SymPy form, under the function's ``name``.
    """

    name: str
    function: Callable[..., Any]
    module: str
    wrt: tuple[str, ...]
    symbolic: str


def entries() -> list[Registered]:
    """Every registered function, in registration order (module by module, as
    ``losslab/__init__.py`` imports them).

    The one list the symbolic lookup, the API pages and the test tables derive from.

    Examples
    --------
    >>> from losslab import _registry
    >>> [(e.module, e.wrt, e.symbolic) for e in _registry.entries() if e.name == "mse_loss"]
    [('losslab.mse', ('input',), 'losslab.symbolic.mse')]
    """
    return [
        Registered(e.fn.__name__, e.fn, e.fn.__module__, (e.wrt, *e.others), e.symbolic)
        for e in _REGISTRY.values()
    ]
