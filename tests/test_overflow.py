"""Values beyond the dtype's range: inf (as in PyTorch) or the exact limit, never a warning.

pytest runs with warnings as errors, so a NumPy overflow RuntimeWarning fails these tests.
"""

import numpy as np
import pytest

import losslab

F32 = np.float32


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: losslab.mse_loss(F32([1e20]), F32([0])), np.inf),
        (
            lambda: losslab.mse_loss(np.full(10, 1e19, F32), np.zeros(10, F32), reduction="sum"),
            np.inf,
        ),
        (lambda: losslab.mse_loss([1e200], [0.0]), np.inf),
        (lambda: losslab.huber_loss([1e308], [-1e308]), np.inf),
        (lambda: losslab.l1_loss([1e308], [-1e308]), np.inf),
        (lambda: losslab.cross_entropy([[1e308, -1e308, 0.0]], [1]), np.inf),
        # two losses of 1e308: their sum overflows, their mean does not (PyTorch: inf)
        (lambda: losslab.binary_cross_entropy_with_logits([1e308, -1e308], [0.0, 1.0]), 1e308),
        (lambda: losslab.multi_margin_loss(np.array([[1e308, -1e308]]), [1]), np.inf),
        (lambda: losslab.l2_penalty([1e200]), np.inf),
        (lambda: losslab.soft_margin_loss([1e308], [-1.0]), 1e308),
    ],
)
def test_overflow_gives_inf_without_warning(call, expected):
    assert call() == expected


def test_softmax_of_logits_beyond_the_range_is_exact():
    x = F32([3e38, -3e38])
    np.testing.assert_array_equal(losslab.softmax(x), F32([1, 0]))
    np.testing.assert_array_equal(losslab.log_softmax(x), F32([0, -np.inf]))
    value, g = losslab.value_and_grad(losslab.cross_entropy)(np.array([[1e308, -1e308, 0.0]]), [0])
    assert value == 0.0
    np.testing.assert_array_equal(g, [[0.0, 0.0, 0.0]])


def test_gradient_overflow_is_inf_without_warning():
    _, g = losslab.value_and_grad(losslab.mse_loss)(F32([1e20]), F32([0]))
    assert g.dtype == F32
    assert g[0] == 2e20
    _, g = losslab.value_and_grad(losslab.mse_loss)(F32([3e38]), F32([-3e38]), reduction="sum")
    assert g[0] == np.inf
