"""The element-wise engine: every loss of ``(input, target)`` pairs runs through here.

A loss module states its math (a NumPy block kernel and, when it has one, the name of its
compiled kernel), its options and its docstring; this module does the rest:

* :func:`prepare` converts and checks ``input``, ``target`` and the optional weights, and
  casts them to the result dtype;
* :func:`run` evaluates the loss and its gradient block by block, on the compiled kernel of
  :mod:`losslab._fast` or on NumPy (:func:`losslab._reduction.blocked_elementwise`), applies
  the weights and reduces;
* :func:`use_kernel` is the one place that chooses between the two.

The NaN/inf protocol: when a compiled kernel runs, :func:`prepare` leaves NaN/inf (and the
target's range, ``check_target``) to the kernel, which finds them in its pass; the same
Python checks then raise the same errors afterwards, so both paths give the same messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from . import _fast
from . import _reduction as r
from . import _validation as v
from ._types import FloatDType, ValueAndGrad

__all__ = ["Pair", "pair_loss", "prepare", "run", "use_kernel"]

#: ``kernel(blocks, loss, grad)``: writes the element losses of the 1-D ``blocks`` (``x``,
#: ``t``, then any extra arrays, then the weight) into ``loss`` and, when ``grad`` is not None,
#: their derivatives into ``grad``. It never applies the weight: :func:`run` does.
BlockKernel = r.Kernel

#: A check of the (converted, same-shape) target that raises a ValueError naming it.
TargetCheck = Callable[[np.ndarray], None]


def use_kernel(kind: str | None) -> bool:
    """True when the compiled kernel ``kind`` (a key of :data:`losslab._fast.PAIR_KINDS`)
    runs instead of the NumPy block kernel; False for ``kind=None`` or without the kernels."""
    return kind is not None and _fast.active()


@dataclass(frozen=True)
class Pair:
    """Checked arrays of an element-wise loss, all of ``dtype`` and ``x``'s shape.

    ``extras`` are further same-shape arrays the kernel reads (e.g. ``pos_weight``);
    ``weight`` multiplies the element losses and derivatives (None: no weight). ``fast`` says
    that :func:`prepare` left NaN/inf and ``check_target`` to a compiled kernel.
    """

    x: np.ndarray
    t: np.ndarray
    extras: tuple[np.ndarray, ...]
    weight: np.ndarray | None
    dtype: FloatDType
    fast: bool
    check_target: TargetCheck | None
    check_in_blocks: bool

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        """``(x, t, *extras[, weight])``, the blocks a kernel receives."""
        tail = () if self.weight is None else (self.weight,)
        return (self.x, self.t, *self.extras, *tail)


def _weight(weight: Any, name: str, x: np.ndarray, *, broadcast: bool, finite: bool) -> np.ndarray:
    """A non-negative weight of ``x``'s shape (or, with ``broadcast``, one that broadcasts to
    it, not the other way round)."""
    w = v.as_float_array(weight, name, int_as=x.dtype, allow_nonfinite=not finite)
    if broadcast:
        try:
            ok = np.broadcast_shapes(w.shape, x.shape) == x.shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"`{name}` has shape {w.shape}, expected a shape that broadcasts to {x.shape} "
                "(the shape of `input`)"
            )
    else:
        v.check_same_shape(x, w, "input", name)
    v.check_nonnegative(w, name)
    return w


def prepare(
    input: Any,
    target: Any,
    reduction: Any,
    *,
    kind: str | None = None,
    weight: Any = None,
    extras: dict[str, Any] | None = None,
    broadcast: bool = False,
    check_target: TargetCheck | None = None,
    check_in_blocks: bool = False,
    reductions: tuple[str, ...] = v.REDUCTIONS,
) -> Pair:
    """Convert and check an element-wise pair, its optional ``weight`` and ``extras``.

    ``input`` and ``target`` must have the same shape; ``weight`` and the ``extras`` (by
    argument name; None values are left out) are non-negative and of that shape, or broadcast
    to it with ``broadcast=True``. ``check_target`` runs on the target before the reduction is
    checked (or on each block of it, ``check_in_blocks``, inside the pass); with the compiled
    kernel ``kind`` it runs only if the kernel reports a problem. The result dtype is float32
    only if every array is float32 (integers follow ``input``).
    """
    fast = use_kernel(kind)
    x = v.as_float_array(input, "input", allow_nonfinite=fast)
    t = v.as_float_array(target, "target", int_as=x.dtype, allow_nonfinite=fast)
    v.check_same_shape(x, t, "input", "target")
    if check_target is not None and not fast and not check_in_blocks:
        check_target(t)
    v.check_reduction(reduction, reductions)
    named = {k: a for k, a in (extras or {}).items() if a is not None}
    if weight is not None:
        named["weight"] = weight
    checked = {k: _weight(a, k, x, broadcast=broadcast, finite=not fast) for k, a in named.items()}
    dtype = v.result_dtype(x, t, *checked.values())
    cast = {k: np.broadcast_to(a.astype(dtype, copy=False), x.shape) for k, a in checked.items()}
    w = cast.pop("weight", None)
    return Pair(
        x.astype(dtype, copy=False),
        t.astype(dtype, copy=False),
        tuple(cast.values()),
        w,
        dtype,
        fast,
        check_target,
        check_in_blocks,
    )


def total_weight(pair: Pair) -> float:
    """The sum of the weights (a weighted 'mean' divides by it); a ValueError if it is 0."""
    assert pair.weight is not None  # only a weighted loss divides by its total weight
    total = pair.dtype.type(pair.weight.sum(dtype=pair.dtype))
    if total == 0:
        raise ValueError(
            "`weight` sums to 0; reduction='mean' divides by the total weight, expected a "
            "positive sum"
        )
    return float(total)


def _recheck(pair: Pair) -> None:
    """After a compiled kernel reported a problem (or before NumPy runs on arrays that were
    not checked): raise the NumPy path's error."""
    if pair.check_target is not None:
        pair.check_target(pair.t)
    for a, name in zip(pair.arrays, ("input", "target", "weight"), strict=False):
        v.check_finite(a, name)


def run(
    pair: Pair,
    kernel: BlockKernel,
    reduction: str,
    *,
    need_grad: bool,
    kind: str | None = None,
    param: float = 0.0,
    denominator: float | None = None,
    grad_factor: float = 1.0,
) -> ValueAndGrad:
    """Evaluate the loss of ``pair`` and (``need_grad``) its gradient, then reduce.

    Runs the compiled kernel ``kind`` (with ``param``, e.g. Huber's delta) when ``pair`` was
    prepared for it, else ``kernel`` block by block. Returns ``(value, grad)`` as
    :func:`losslab._reduction.blocked_elementwise` does: 'mean' divides by ``denominator``
    (the number of elements by default) and the gradient is multiplied by ``grad_factor`` and
    the reduction's scale. Passing ``kind=None`` for a pair prepared with a kernel runs NumPy
    on it after the checks the kernel would have made.
    """
    if pair.fast and kind is not None:
        return _fast.pair(
            kind,
            pair.arrays,
            pair.dtype,
            reduction,
            need_grad=need_grad,
            param=param,
            denominator=denominator,
            grad_factor=grad_factor,
            recheck=None if pair.check_target is None else partial(pair.check_target, pair.t),
        )
    if pair.fast:
        _recheck(pair)
    block_kernel = kernel
    if pair.weight is not None or (pair.check_in_blocks and pair.check_target is not None):
        block_kernel = _wrapped(kernel, pair)
    return r.blocked_elementwise(
        block_kernel,
        pair.arrays,
        pair.x.shape,
        pair.dtype,
        reduction,
        need_grad=need_grad,
        grad_factor=grad_factor,
        denominator=denominator,
    )


def _wrapped(kernel: BlockKernel, pair: Pair) -> BlockKernel:
    """``kernel`` with the target checked per block first and the weight applied after."""
    check = pair.check_target if pair.check_in_blocks else None
    weighted = pair.weight is not None

    def block_kernel(blocks: list[np.ndarray], loss: np.ndarray, grad: np.ndarray | None) -> None:
        if check is not None:
            check(blocks[1])
        kernel(blocks, loss, grad)
        if weighted:
            loss *= blocks[-1]
            if grad is not None:
                grad *= blocks[-1]

    return block_kernel


def pair_loss(
    kernel: BlockKernel,
    input: Any,
    target: Any,
    reduction: str,
    *,
    need_grad: bool,
    kind: str | None = None,
    weight: Any = None,
    mean_over_weight: bool = False,
    grad_factor: float = 1.0,
    check_target: TargetCheck | None = None,
    check_in_blocks: bool = False,
) -> ValueAndGrad:
    """:func:`prepare` then :func:`run`, for a loss with no option that depends on the dtype.

    With ``mean_over_weight`` a weighted 'mean' divides by the total weight (PyTorch's
    ``mse_loss`` and ``l1_loss``), else by the number of elements.
    """
    pair = prepare(
        input,
        target,
        reduction,
        kind=kind,
        weight=weight,
        check_target=check_target,
        check_in_blocks=check_in_blocks,
    )
    denominator = None
    if mean_over_weight and pair.weight is not None and reduction == "mean":
        denominator = total_weight(pair)
    return run(
        pair,
        kernel,
        reduction,
        need_grad=need_grad,
        kind=kind,
        denominator=denominator,
        grad_factor=grad_factor,
    )
