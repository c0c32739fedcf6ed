"""Real torch tensors given to losslab: converted when they are plain CPU data, refused with a
TypeError naming the argument when they require grad (see losslab/_foreign.py)."""

from __future__ import annotations

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.parity


def test_cpu_tensor_in_numpy_out() -> None:
    x = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    t = torch.tensor([0.0, 2.0, 5.0], dtype=torch.float64)
    value = losslab.mse_loss(x, t)
    assert type(value) is np.float64
    assert value == torch.nn.functional.mse_loss(x, t).item()
    assert type(losslab.mse_loss(x, t, reduction="none")) is np.ndarray
    assert losslab.mse_loss(x.float(), t.float()).dtype == np.float32


def test_tensor_requiring_grad_is_refused() -> None:
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([0.0, 1.0], dtype=torch.float64)
    with pytest.raises(TypeError, match=r"^`input` is a torch.Tensor that requires grad"):
        losslab.mse_loss(x, t)
    with pytest.raises(TypeError, match=r"`target.detach\(\).numpy\(\)`"):
        losslab.l1_loss(t, x)
    assert losslab.mse_loss(x.detach().numpy(), t) == torch.nn.functional.mse_loss(x, t).item()


def test_result_of_a_graph_is_refused() -> None:
    w = torch.ones(2, dtype=torch.float64, requires_grad=True)
    with pytest.raises(TypeError, match=r"^`input` is a torch.Tensor that requires grad"):
        losslab.huber_loss(w * 2.0, np.zeros(2))
