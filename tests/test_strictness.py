"""Where losslab is stricter than PyTorch on purpose, as data; and inputs both accept.

Each case: the losslab call, the error it raises, and the PyTorch code that computes a
value for the same input instead (torch's behaviour, for the Conventions page).
"""

from __future__ import annotations

import numpy as np
import pytest

import losslab

X = np.array([[0.2, -1.0, 0.5], [1.0, 0.0, -0.5]])

#: (what, losslab call, error type, message start, the PyTorch code that accepts the input)
STRICTER_THAN_TORCH = [
    (
        "negative class weights",
        lambda: losslab.cross_entropy(X, np.array([0, 2]), weight=np.array([-1.0, 1.0, 1.0])),
        ValueError,
        "`weight` contains a negative value",
        "F.cross_entropy(torch.tensor(X), torch.tensor([0, 2]), "
        "weight=torch.tensor([-1.0, 1.0, 1.0]))",
    ),
    (
        "probability targets that do not sum to 1",
        lambda: losslab.cross_entropy(X, np.array([[0.5, 0.2, 0.1], [0.3, 0.3, 0.3]])),
        ValueError,
        "`target` does not sum to 1",
        "F.cross_entropy(torch.tensor(X), torch.tensor([[0.5, 0.2, 0.1], [0.3, 0.3, 0.3]]))",
    ),
    (
        "labels other than -1 and 1 (soft margin)",
        lambda: losslab.soft_margin_loss(np.array([0.5, -1.0]), np.array([0.0, 2.0])),
        ValueError,
        "`target` contains 0.0",
        "F.soft_margin_loss(torch.tensor([0.5, -1.0]), torch.tensor([0.0, 2.0]))",
    ),
    (
        "labels other than -1 and 1 (hinge embedding)",
        lambda: losslab.hinge_embedding_loss(np.array([0.5, -1.0]), np.array([0.0, 2.0])),
        ValueError,
        "`target` contains 0.0",
        "F.hinge_embedding_loss(torch.tensor([0.5, -1.0]), torch.tensor([0.0, 2.0]))",
    ),
    (
        "a target torch would broadcast (with a UserWarning)",
        lambda: losslab.mse_loss(np.array([1.0, 2.0, 3.0]), np.array([1.0])),
        ValueError,
        "`target` has shape (1,)",
        "F.mse_loss(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0]))",
    ),
    (
        "a target torch would broadcast along rows",
        lambda: losslab.l1_loss(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 2.0])),
        ValueError,
        "`target` has shape (2,)",
        "F.l1_loss(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([1.0, 2.0]))",
    ),
]


@pytest.mark.parametrize("case", STRICTER_THAN_TORCH, ids=[c[0] for c in STRICTER_THAN_TORCH])
def test_losslab_refuses_what_torch_computes(case):
    _, call, error, message, _torch_code = case
    with pytest.raises(error) as info:
        call()
    assert str(info.value).startswith(message)


def test_multi_margin_takes_a_0d_input_like_torch():
    # one sample of one class: no other class, so the loss is 0
    assert losslab.multi_margin_loss(np.array(0.5), np.array(0)) == 0.0
    assert np.shape(losslab.multi_margin_loss(np.array(0.5), np.array(0), reduction="none")) == ()
    assert losslab.grad(losslab.multi_margin_loss)(np.array(0.5), np.array(0)).shape == ()


def test_multi_margin_takes_a_1_shaped_target_for_one_sample_like_torch():
    x = np.array([0.1, 0.5, 0.2])
    assert losslab.multi_margin_loss(x, np.array([1])) == losslab.multi_margin_loss(x, np.array(1))
    assert losslab.multi_margin_loss(x, np.array([1]), reduction="none").shape == (1,)
    np.testing.assert_array_equal(
        losslab.grad(losslab.multi_margin_loss)(x, np.array([1])),
        losslab.grad(losslab.multi_margin_loss)(x, np.array(1)),
    )
