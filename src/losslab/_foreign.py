"""Arrays from other libraries: what losslab converts and what it refuses.

losslab computes with NumPy and returns NumPy ("NumPy in, NumPy out"). Anything ``np.asarray``
converts is accepted: lists, NumPy scalars, pandas Series and numeric DataFrames, JAX arrays,
CPU torch tensors without gradient tracking, any object with ``__array__``. The result is a
NumPy array or scalar, never the caller's type. Refused with a TypeError naming the argument,
before any conversion:

* an object that tracks gradients (``requires_grad`` true, like a torch tensor in a graph):
  its gradient would be lost without a word; pass ``x.detach().numpy()`` (and use
  :func:`losslab.grad` for gradients);
* a torch tensor on a GPU (or another device than the CPU): pass ``x.cpu().numpy()``;
* a traced JAX value (inside ``jax.jit``, ``jax.grad`` or ``jax.vmap``): losslab cannot run
  inside JAX's tracing; call it outside the transformed function.

Neither torch nor JAX is imported: the checks look at the object's type and attributes.
"""

from __future__ import annotations

from typing import Any


def _library(x: Any) -> str:
    return type(x).__module__.partition(".")[0]


def check_foreign(x: Any, name: str) -> None:
    """Raise a TypeError naming ``name`` if ``x`` cannot be taken as NumPy data (see above)."""
    if getattr(x, "requires_grad", False) is True and callable(getattr(x, "detach", None)):
        kind = "torch.Tensor" if _library(x) == "torch" else type(x).__name__
        raise TypeError(
            f"`{name}` is a {kind} that requires grad; losslab takes NumPy data: pass "
            f"`{name}.detach().numpy()` (losslab.grad gives gradients)"
        )
    if _library(x) == "torch":
        device = getattr(x, "device", None)
        if device is not None and getattr(device, "type", "cpu") != "cpu":
            raise TypeError(
                f"`{name}` is a torch.Tensor on device {device}; losslab takes NumPy data: "
                f"pass `{name}.cpu().numpy()`"
            )
    if _library(x) in ("jax", "jaxlib") and any(
        c.__name__.endswith("Tracer") for c in type(x).__mro__
    ):
        raise TypeError(
            f"`{name}` is a traced JAX value (inside jax.jit, jax.grad or jax.vmap); losslab "
            "computes with NumPy outside JAX's tracing: call it outside the transformed function"
        )
