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
With several faults both paths name the same one, in the order of :mod:`losslab._validation`:
first what does not read the values (types, shapes, the options), then the values argument by
argument (``input``, ``target``, ``weight``, then the extras), NaN/inf before the range.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _fast
from . import _reduction as r
from . import _validation as v
from ._types import FloatDType, Losses, Scalar, ValueAndGrad

__all__ = ["Pair", "pair_loss", "prepare", "run", "use_kernel"]

#: ``kernel(blocks, loss, grad)``: writes the element losses of the 1-D ``blocks`` (``x``,
#: ``t``, then any extra arrays, then the weight) into ``loss`` and, when ``grad`` is not None,
#: their derivatives into ``grad``. It never applies the weight: :func:`run` does.
BlockKernel = r.Kernel

#: A check of the (converted, same-shape) target, or input, that raises a ValueError naming it.
TargetCheck = Callable[[np.ndarray], None]


def use_kernel(kind: str | None) -> bool:
    """True when the compiled kernel ``kind`` (a key of :data:`losslab._fast.PAIR_KINDS`)
    runs instead of the NumPy block kernel; False for ``kind=None`` or without the kernels."""
    return kind is not None and _fast.active()


@dataclass(frozen=True)
class Pair:
    """Checked arrays of an element-wise loss, all of ``dtype`` and ``x``'s shape.

    ``extras`` are further same-shape arrays the kernel reads (e.g. ``pos_weight``), named by
    ``extra_names``; ``weight`` multiplies the element losses and derivatives (None: no
    weight). ``fast`` says that :func:`prepare` left NaN/inf and ``check_target`` to a compiled
    kernel.
    """

    x: np.ndarray
    t: np.ndarray
    extras: tuple[np.ndarray, ...]
    weight: np.ndarray | None
    dtype: FloatDType
    fast: bool
    check_target: TargetCheck | None
    check_in_blocks: bool
    extra_names: tuple[str, ...] = ()
    check_input: TargetCheck | None = None

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        """``(x, t, *extras[, weight])``, the blocks a kernel receives."""
        tail = () if self.weight is None else (self.weight,)
        return (self.x, self.t, *self.extras, *tail)


def _weight(weight: Any, name: str, x: np.ndarray, *, broadcast: bool) -> np.ndarray:
    """A weight of ``x``'s shape (or, with ``broadcast``, one that broadcasts to it, not the
    other way round); its values are checked by :func:`_check_values`."""
    w = v.as_float_array(weight, name, int_as=x.dtype, allow_nonfinite=True)
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
    return w


def _check_values(
    x: np.ndarray,
    t: np.ndarray,
    weights: dict[str, np.ndarray],
    check_input: TargetCheck | None,
    check_target: TargetCheck | None,
) -> None:
    """The value checks, argument by argument in the order of :mod:`losslab._validation`:
    NaN/inf, then the range (``check_input``, ``check_target``, non-negative weights)."""
    v.check_finite(x, "input")
    if check_input is not None:
        check_input(x)
    v.check_finite(t, "target")
    if check_target is not None:
        check_target(t)
    for name, w in weights.items():
        v.check_finite(w, name)
        v.check_nonnegative(w, name)


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
    check_input: TargetCheck | None = None,
) -> Pair:
    """Convert and check an element-wise pair, its optional ``weight`` and ``extras``.

    ``input`` and ``target`` must have the same shape; ``weight`` and the ``extras`` (by
    argument name; None values are left out) are non-negative and of that shape, or broadcast
    to it with ``broadcast=True``. The types, shapes and ``reduction`` are checked first, then
    the values (:func:`_check_values`): ``check_input`` and ``check_target`` check the ranges
    of the input and the target (``check_in_blocks``: the target's on each block, inside the
    pass). With the compiled kernel ``kind`` the values are left to it and checked only if it
    reports a problem (the weights' signs are checked before it runs). The result dtype is
    float32 only if every array is float32 (integers follow ``input``).
    """
    fast = use_kernel(kind)
    x = v.as_float_array(input, "input", allow_nonfinite=True)
    t = v.as_float_array(target, "target", int_as=x.dtype, allow_nonfinite=True)
    v.check_same_shape(x, t, "input", "target")
    v.check_reduction(reduction, reductions)
    named = {} if weight is None else {"weight": weight}
    named.update({k: a for k, a in (extras or {}).items() if a is not None})
    checked = {k: _weight(a, k, x, broadcast=broadcast) for k, a in named.items()}
    if not fast:
        _check_values(x, t, checked, check_input, None if check_in_blocks else check_target)
    elif any(w.size and w.min() < 0 for w in checked.values()):  # NaN: found by the kernel
        _check_values(x, t, checked, check_input, check_target)  # raises the first fault
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
        tuple(cast),
        check_input,
    )


def total_weight(pair: Pair) -> float:
    """The sum of the weights (a weighted 'mean' divides by it); a ValueError if it is 0.

    Summed in float64 (float32 weights may sum beyond float32's range) over a C-contiguous,
    aligned copy when the weights are not, so that the sum does not depend on the memory
    order or alignment of the caller's array."""
    w = np.require(pair.weight, requirements=("C", "A"))
    with np.errstate(over="ignore"):  # inf: the caller rescales the weights
        total = w.sum(dtype=np.float64)
    if total == 0:
        raise ValueError(
            "`weight` sums to 0; reduction='mean' divides by the total weight, expected a "
            "positive sum"
        )
    return float(total)


def _recheck(pair: Pair) -> None:
    """After a compiled kernel reported a problem (or before NumPy runs on arrays that were
    not checked): raise the NumPy path's error, the first fault in the order of
    :func:`_check_values`."""
    weights = {} if pair.weight is None else {"weight": pair.weight}
    weights.update(zip(pair.extra_names, pair.extras, strict=True))
    _check_values(pair.x, pair.t, weights, pair.check_input, pair.check_target)


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
    weighted: Callable[[Pair], np.ndarray] | None = None,
) -> ValueAndGrad:
    """Evaluate the loss of ``pair`` and (``need_grad``) its gradient, then reduce.

    Runs the compiled kernel ``kind`` (with ``param``, e.g. Huber's delta) when ``pair`` was
    prepared for it, else ``kernel`` block by block. Returns ``(value, grad)`` as
    :func:`losslab._reduction.blocked_elementwise` does: 'mean' divides by ``denominator``
    (the number of elements by default) and the gradient is multiplied by ``grad_factor`` and
    the reduction's scale. Passing ``kind=None`` for a pair prepared with a kernel runs NumPy
    on it after the checks the kernel would have made. ``weighted(pair)``, when given, computes
    the weighted element losses without overflowing before them (the kernels weight a loss
    after computing it); it is used where the result came out inf.
    """
    value, grad = _run(pair, kernel, reduction, need_grad, kind, param, denominator, grad_factor)
    if (reduction == "none" and weighted is None) or np.isfinite(value).all():
        return value, grad
    # An element loss overflowed before its weight applied (``weighted``), or the block sums
    # did (the compensated sums of the kernels then give NaN): compute the element losses
    # again and sum them scaled, so that a 'mean' within the range is finite.
    losses: Scalar | Losses
    if weighted is not None:
        with np.errstate(over="ignore"):
            losses = weighted(pair)
    else:
        losses = _run(pair, kernel, "none", False, kind, param, None, 1.0)[0]
    if reduction == "none":
        return losses.reshape(pair.x.shape), grad
    n = pair.x.size if denominator is None else denominator
    return r.sum_terms(losses.reshape(-1), reduction, n, pair.dtype), grad


def _run(
    pair: Pair,
    kernel: BlockKernel,
    reduction: str,
    need_grad: bool,
    kind: str | None,
    param: float,
    denominator: float | None,
    grad_factor: float,
) -> ValueAndGrad:
    """:func:`run` without the second look at a sum that overflowed."""
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
            recheck=lambda: _recheck(pair),
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
    weighted: Callable[[Pair], np.ndarray] | None = None,
) -> ValueAndGrad:
    """:func:`prepare` then :func:`run`, for a loss with no option that depends on the dtype.

    With ``mean_over_weight`` a weighted 'mean' divides by the total weight (PyTorch's
    ``mse_loss`` and ``l1_loss``), else by the number of elements. ``weighted`` as in
    :func:`run` (used only with a weight).
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
        # weights summing beyond the range, or so little that 1/sum overflows (the gradient's
        # scale): divide them by the largest, which changes neither the mean nor its gradient
        top = float(np.finfo(pair.dtype).max)
        extreme = not 1 / top <= denominator <= top
        if extreme and np.isfinite(pair.weight).all():
            w = pair.weight / pair.weight.max()
            pair = dataclasses.replace(pair, weight=w)
            denominator = total_weight(pair)
    return run(
        pair,
        kernel,
        reduction,
        need_grad=need_grad,
        kind=kind,
        denominator=denominator,
        grad_factor=grad_factor,
        weighted=None if pair.weight is None else weighted,
    )
