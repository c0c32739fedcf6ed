"""What the parity tests compare against: torch's value and d(value.sum())/d(input)."""

from __future__ import annotations

import numpy as np

REDUCTIONS = ["mean", "sum", "none"]
DTYPES = [np.float64, np.float32]
# float64: agreement to rounding; float32: both sides round each operation to float32, in
# different orders.
TOL = {np.float64: {"rtol": 1e-12, "atol": 1e-14}, np.float32: {"rtol": 2e-5, "atol": 1e-6}}


def _to_torch(a):
    import torch

    return torch.from_numpy(np.asarray(a)) if isinstance(a, np.ndarray) else a


def torch_value_and_grad(fn, x, *args, **kwargs):
    """Value and gradient from torch autograd, shaped like losslab's ``value_and_grad``."""
    import torch

    xt = torch.from_numpy(x.copy()).requires_grad_()
    out = fn(xt, *(_to_torch(a) for a in args), **{k: _to_torch(a) for k, a in kwargs.items()})
    out.sum().backward()
    return out.detach().numpy(), xt.grad.numpy()
