"""One way to get the gradient of any differentiable losslab function.

Each module registers its public function together with a private ``value_and_grad``
implementation that takes exactly the same arguments and returns ``(value, gradient)``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["differentiable_functions", "grad", "register", "value_and_grad"]


@dataclass(frozen=True)
class _Entry:
    fn: Callable[..., Any]
    wrt: str
    value_and_grad: Callable[..., tuple[Any, Any]]


_REGISTRY: dict[Callable[..., Any], _Entry] = {}


def register(
    fn: Callable[..., Any], *, wrt: str, value_and_grad: Callable[..., tuple[Any, Any]]
) -> None:
    """Declare that ``value_and_grad`` computes ``fn`` and its gradient with respect to ``wrt``."""
    params = inspect.signature(fn).parameters
    if wrt not in params:
        raise ValueError(f"`wrt` is {wrt!r}, which is not a parameter of {fn.__name__}")
    if inspect.signature(value_and_grad).parameters.keys() != params.keys():
        raise ValueError(f"value_and_grad for {fn.__name__} must take the same parameters")
    _REGISTRY[fn] = _Entry(fn, wrt, value_and_grad)


def _entry(fn: Callable[..., Any]) -> _Entry:
    try:
        return _REGISTRY[fn]
    except (KeyError, TypeError):
        names = ", ".join(sorted(e.fn.__name__ for e in _REGISTRY.values()))
        raise TypeError(
            f"`fn` is {fn!r}, which losslab cannot differentiate; expected one of: {names}"
        ) from None


def _call(entry: _Entry, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """Run the implementation; a call that does not fit ``fn``'s signature is reported as such.

    The check runs only after a TypeError, so a good call pays nothing for it.
    """
    try:
        return entry.value_and_grad(*args, **kwargs)
    except TypeError:
        try:
            inspect.signature(entry.fn).bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{entry.fn.__name__}(): {exc}") from None
        raise


def value_and_grad(fn: Callable[..., Any]) -> Callable[..., tuple[Any, Any]]:
    r"""Return a function computing :math:`\bigl(f(x),\ \nabla_x f(x)\bigr)` in one pass.

    The returned function has exactly ``fn``'s signature. The gradient is taken with respect to
    ``fn``'s prediction argument (``input`` for losses, ``w`` for penalties, ``q`` for
    :func:`~losslab.kl_divergence` and :func:`~losslab.cross_entropy_pq`, ``p`` for
    :func:`~losslab.entropy`, ``x`` for activations) and has that argument's shape. With
    ``reduction='none'`` it is the gradient of the *sum* of the unreduced values, as PyTorch's
    ``loss.sum().backward()`` gives.

    Parameters
    ----------
    fn : callable
        A differentiable losslab function (see :func:`differentiable_functions`).

    Returns
    -------
    callable
        ``f(*args, **kwargs) -> (value, gradient)``.

    Raises
    ------
    TypeError
        If ``fn`` is not a differentiable losslab function.

    Examples
    --------
    >>> import losslab
    >>> value, g = losslab.value_and_grad(losslab.mse_loss)([1.0, 2.0], [0.0, 0.0])
    >>> print(value, g)
    2.5 [1. 2.]
    """
    entry = _entry(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        return _call(entry, args, kwargs)

    wrapper.__name__ = f"value_and_grad({fn.__name__})"
    wrapper.__qualname__ = wrapper.__name__
    wrapper.wrt = entry.wrt  # type: ignore[attr-defined]
    return wrapper


def grad(fn: Callable[..., Any]) -> Callable[..., Any]:
    r"""Return the gradient function of a losslab loss, penalty, measure or activation.

    ``grad(f)(*args)`` equals ``value_and_grad(f)(*args)[1]``; it has ``f``'s signature and
    differentiates with respect to ``f``'s prediction argument (see :func:`value_and_grad`).

    Parameters
    ----------
    fn : callable
        A differentiable losslab function (see :func:`differentiable_functions`).

    Returns
    -------
    callable
        ``g(*args, **kwargs) -> gradient``, an array shaped like the differentiated argument.

    Examples
    --------
    The gradient of :math:`\frac1n\sum_i (x_i - y_i)^2` is :math:`\frac2n(x - y)`:

    >>> import losslab
    >>> print(losslab.grad(losslab.mse_loss)([1.0, 2.0], [0.0, 0.0]))
    [1. 2.]
    >>> print(losslab.grad(losslab.mse_loss)([1.0, 2.0], [0.0, 0.0], reduction="sum"))
    [2. 4.]
    """
    entry = _entry(fn)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _call(entry, args, kwargs)[1]

    wrapper.__name__ = f"grad({fn.__name__})"
    wrapper.__qualname__ = wrapper.__name__
    wrapper.wrt = entry.wrt  # type: ignore[attr-defined]
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


def wrt_of(fn: Callable[..., Any]) -> str:
    """Name of the argument that :func:`grad` differentiates ``fn`` with respect to."""
    return _entry(fn).wrt
