"""PyTorch rows of docs/conventions.md: the conventions the page states for torch, checked.

Runs in `nox -s parity` (torch is required there) and is skipped elsewhere when torch is absent
(tests/parity/conftest.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import losslab

torch = pytest.importorskip("torch")
F = torch.nn.functional

pytestmark = pytest.mark.parity

Y_TRUE = np.array([[0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0]])
Y_PRED = np.array([[0.1, 0.1, 0.1, 0.7], [0.1, 0.6, 0.1, 0.2]])


def T(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def test_mse_is_mean_over_all_elements_without_half():
    ref = F.mse_loss(T(Y_PRED), T(Y_TRUE)).item()
    assert np.isclose(ref, losslab.mse_loss(Y_PRED, Y_TRUE))
    assert np.isclose(ref, np.mean((Y_PRED - Y_TRUE) ** 2))


def test_l1_is_mean_over_all_elements():
    assert np.isclose(F.l1_loss(T(Y_PRED), T(Y_TRUE)).item(), losslab.l1_loss(Y_PRED, Y_TRUE))


def test_huber_equals_delta_times_smooth_l1():
    x, y = np.array([0.0, 0.5, 3.0, -4.0]), np.array([0.2, 2.0, 0.0, 0.0])
    for d in (0.5, 1.0, 2.0):
        hub = F.huber_loss(T(x), T(y), reduction="none", delta=d).numpy()
        sl1 = F.smooth_l1_loss(T(x), T(y), reduction="none", beta=d).numpy()
        np.testing.assert_allclose(hub, d * sl1, rtol=1e-15)
        np.testing.assert_allclose(hub, losslab.huber_loss(x, y, delta=d, reduction="none"))


def test_cross_entropy_from_logits_and_label_smoothing():
    logits = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    labels = np.array([0, 2])
    for eps in (0.0, 0.1):
        ref = F.cross_entropy(T(logits), torch.tensor(labels), label_smoothing=eps).item()
        assert np.isclose(ref, losslab.cross_entropy(logits, labels, label_smoothing=eps))
        smoothed = (1 - eps) * np.eye(3)[labels] + eps / 3  # (1 - eps) t + eps / C
        assert np.isclose(ref, F.cross_entropy(T(logits), T(smoothed)).item())


def test_nll_on_log_probabilities_gives_the_keras_per_row_values():
    labels = torch.tensor([3, 1])
    per_row = F.nll_loss(T(np.log(Y_PRED)), labels, reduction="none").numpy()
    np.testing.assert_allclose(per_row, [0.35667494393873245, 0.5108256237659907], rtol=1e-15)


def test_bce_clamps_log_at_minus_100():
    assert F.binary_cross_entropy(T([0.0]), T([1.0])).item() == 100.0
    assert losslab.binary_cross_entropy([0.0], [1.0]) == 100.0
    logits, labels = np.array([20.0, 40.0, -800.0]), np.array([0.0, 0.0, 1.0])
    ref = F.binary_cross_entropy_with_logits(T(logits), T(labels), reduction="none").numpy()
    np.testing.assert_allclose(ref, [20.000000002061153, 40.0, 800.0], rtol=1e-15)


def test_multi_margin_divides_by_number_of_classes():
    scores = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    labels = np.array([0, 1, 2])
    ref = F.multi_margin_loss(T(scores), torch.tensor(labels), reduction="none").numpy()
    np.testing.assert_allclose(3 * ref, [2.9, 0.0, 12.9], atol=1e-12)  # the regularization article


def test_hinge_embedding_is_not_the_svm_hinge():
    x, y = np.array([0.3, 0.3]), np.array([1.0, -1.0])
    ref = F.hinge_embedding_loss(T(x), T(y), reduction="none").numpy()
    np.testing.assert_allclose(ref, [0.3, 0.7])  # x for y = 1, max(0, 1 - x) for y = -1
    assert not np.allclose(ref, losslab.hinge_loss(x, y, reduction="none"))


def test_soft_margin_is_logistic():
    x, y = np.array([-1.0, 0.0, 2.0]), np.array([1.0, -1.0, 1.0])
    ref = F.soft_margin_loss(T(x), T(y), reduction="none").numpy()
    np.testing.assert_allclose(ref, np.log1p(np.exp(-y * x)), rtol=1e-15)


def test_kl_div_argument_order_and_mean_vs_batchmean():
    logq, p = T(np.log(Y_PRED)), T(Y_TRUE)
    batchmean = F.kl_div(logq, p, reduction="batchmean").item()
    assert np.isclose(batchmean, np.mean(losslab.kl_divergence(Y_TRUE, Y_PRED)))
    with pytest.warns(UserWarning):  # torch warns that 'mean' is not the KL mean
        mean = F.kl_div(logq, p, reduction="mean").item()
    assert np.isclose(mean, batchmean * Y_TRUE.shape[0] / Y_TRUE.size)
    assert np.isclose(losslab.kl_div(np.log(Y_PRED), Y_TRUE, reduction="batchmean"), batchmean)
    assert np.isclose(losslab.kl_div(np.log(Y_PRED), Y_TRUE), mean)


def test_categorical_entropy_is_in_nats():
    p = np.array([0.1, 0.1, 0.1, 0.7])
    ref = torch.distributions.Categorical(probs=T(p)).entropy().item()
    assert np.isclose(ref, losslab.entropy(p))
    assert np.isclose(ref, 0.9404479886553264)  # catalog S003-ENT-soft, nats


def test_sgd_weight_decay_is_the_gradient_of_half_l2():
    lam, lr = 0.1, 0.5
    w0 = np.array([0.5, -2.0, 1.0])
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr, weight_decay=lam)
    w.grad = torch.zeros_like(w)  # no data term: only the decay acts
    opt.step()
    expected = w0 - lr * losslab.grad(losslab.l2_penalty)(w0, lam)  # (lam/2) sum w^2
    np.testing.assert_allclose(w.detach().numpy(), expected, rtol=1e-15)
