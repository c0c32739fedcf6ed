"""PyTorch parity on the input regimes of the case table (``tests/cases.py``), for every
registered function that ``torch.nn.functional`` has: the value and the gradient with respect to
every differentiable argument, every regime (drawn with two seeds), reduction and dtype.
Tolerances as in ``torchref.TOL``. The other files of this directory add what a regime does not
hold: kinks, extremes, shapes and options of each loss.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from cases import draw, regimes

import losslab
from losslab import _registry

torch = pytest.importorskip("torch")
from torchref import DTYPES, REDUCTIONS, TOL  # noqa: E402

F = torch.nn.functional
SEEDS = (0, 1)
pytestmark = [
    pytest.mark.parity,
    # torch's kl_div warns that its 'mean' is not the KL mean (losslab keeps the same convention)
    pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning"),
]

# losslab's names for torch's, where they differ: activations take `x` and `axis`.
TORCH_NAME = {"log_sigmoid": "logsigmoid"}
TORCH_ARG = {"x": "input", "axis": "dim"}


def _torch_function(name: str):
    fn = getattr(F, TORCH_NAME.get(name, name), None)
    if fn is None:
        return None
    params = set(inspect.signature(getattr(losslab, name)).parameters)
    try:
        torch_params = set(inspect.signature(fn).parameters)
    except ValueError:  # a builtin without a signature (F.logsigmoid) takes `input` alone
        torch_params = {"input"}
    return fn if {TORCH_ARG.get(p, p) for p in params} <= torch_params else None


def _params() -> list:
    out = []
    for entry in _registry.entries():
        if _torch_function(entry.name) is None:
            continue
        takes_reduction = "reduction" in inspect.signature(entry.function).parameters
        for regime in regimes(entry.name):
            fixed = not takes_reduction or "reduction" in draw(entry.name, regime)
            for reduction in [None] if fixed else REDUCTIONS:
                for dtype in DTYPES:
                    ids = f"{entry.name}-{regime}-{reduction}-{np.dtype(dtype).name}"
                    out.append(pytest.param(entry, regime, reduction, dtype, id=ids))
    return out


def test_losses_torch_has_are_compared():
    """The derivation finds the losses PyTorch has (a guard against an empty parametrization)."""
    names = {p.values[0].name for p in _params()}
    assert {"mse_loss", "cross_entropy", "kl_div", "softmax", "log_sigmoid"} <= names


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("entry", "regime", "reduction", "dtype"), _params())
def test_value_and_gradient_match_torch(entry, regime, reduction, dtype, seed):
    kwargs = draw(entry.name, regime, dtype, seed=seed)
    if reduction is not None:
        kwargs["reduction"] = reduction
    value = entry.function(**kwargs)
    for wrt in entry.wrt:
        tensors = {
            TORCH_ARG.get(k, k): torch.from_numpy(np.array(a))
            if isinstance(a, np.ndarray | np.generic)
            else a
            for k, a in kwargs.items()
        }
        tensors[TORCH_ARG.get(wrt, wrt)].requires_grad_()
        out = _torch_function(entry.name)(**tensors)
        out.sum().backward()
        v, g = losslab.value_and_grad(entry.function, wrt=wrt)(**kwargs)
        np.testing.assert_allclose(v, out.detach().numpy(), **TOL[dtype])
        np.testing.assert_allclose(g, tensors[TORCH_ARG.get(wrt, wrt)].grad.numpy(), **TOL[dtype])
        assert np.asarray(v).dtype == dtype and np.asarray(g).dtype == dtype
        assert np.asarray(v).tobytes() == np.asarray(value).tobytes()
