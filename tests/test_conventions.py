"""Rows of docs/conventions.md whose peer library is installable: SciPy and scikit-learn.

Each test pins one convention (argument order, reduction, normalization, epsilon, log base) by
computing the peer's value and losslab's value on the same input. PyTorch rows are in
tests/parity/test_torch_conventions.py. scikit-learn is a docs dependency; its tests are skipped
when it is absent.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats

import losslab

Y_TRUE = np.array([[0.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 0.0]])  # the TensorFlow article
Y_PRED = np.array([[0.1, 0.1, 0.1, 0.7], [0.1, 0.6, 0.1, 0.2]])
LABELS = np.array([3, 1])
Y2 = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])  # the study diary
Y3 = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.0, 0.6, 0.0])


@pytest.fixture(scope="module")
def metrics():
    return pytest.importorskip("sklearn.metrics")


# --- SciPy ------------------------------------------------------------------------------------


def test_scipy_entropy_defaults_to_nats_and_matches_base2():
    p = np.array([0.1, 0.1, 0.1, 0.7])
    assert np.isclose(stats.entropy(p), losslab.entropy(p), rtol=0, atol=1e-15)
    assert np.isclose(stats.entropy(p, base=2), losslab.entropy(p, base=2), rtol=0, atol=1e-15)
    # catalog S003-ENT-soft
    assert np.isclose(losslab.entropy(p, base=2), 1.3567796494470394, rtol=0, atol=1e-15)


def test_scipy_entropy_normalizes_losslab_does_not():
    counts = np.array([1.0, 1.0, 1.0, 7.0])
    p = counts / counts.sum()
    assert np.isclose(stats.entropy(counts), losslab.entropy(p))
    with pytest.raises(ValueError):  # counts are not probabilities
        losslab.entropy(counts)


def test_scipy_entropy_axis_0_vs_losslab_last_axis():
    both = np.stack([[0.1, 0.1, 0.1, 0.7], [0.25] * 4])
    np.testing.assert_allclose(
        stats.entropy(both, axis=1, base=2), losslab.entropy(both, base=2), rtol=0, atol=1e-15
    )
    np.testing.assert_allclose(losslab.entropy(both, base=2), [1.3567796494470394, 2.0], atol=1e-15)


def test_scipy_entropy_with_q_is_kl_not_cross_entropy():
    p, q = np.array([0.1, 0.1, 0.1, 0.7]), np.full(4, 0.25)
    kl = stats.entropy(p, q)
    assert np.isclose(kl, losslab.kl_divergence(p, q))
    assert not np.isclose(kl, losslab.cross_entropy_pq(p, q))
    # SciPy rescales q; losslab requires a distribution
    assert np.isclose(stats.entropy(p, 2 * q), losslab.kl_divergence(p, q))


def test_scipy_rel_entr_is_the_kl_term_and_kl_div_is_not():
    p, q = Y_TRUE[0], Y_PRED[0]
    assert np.isclose(special.rel_entr(p, q).sum(), losslab.kl_divergence(p, q))
    terms = special.kl_div(p, q)  # p log(p/q) - p + q
    np.testing.assert_allclose(terms, special.rel_entr(p, q) - p + q)
    assert not np.allclose(terms, special.rel_entr(p, q))
    assert np.isclose(terms.sum(), losslab.kl_divergence(p, q))  # both sum to 1
    # catalog S003-KL-ex: nats
    assert np.isclose(losslab.kl_divergence(p, q), 0.35667494393873245, rtol=0, atol=1e-15)


def test_scipy_xlogy_zero_log_zero_convention():
    assert special.xlogy(0.0, 0.0) == 0.0
    assert losslab.entropy([0.0, 0.0, 0.0, 1.0], base=2) == 0.0


def test_scipy_huber_argument_order_and_formula():
    x, y = np.array([0.0, 0.5, 3.0, -4.0]), np.array([0.2, 2.0, 0.0, 0.0])
    for delta in (0.5, 1.0, 2.0):
        np.testing.assert_allclose(
            losslab.huber_loss(x, y, delta=delta, reduction="none"),
            special.huber(delta, x - y),
            rtol=1e-15,
        )


# --- scikit-learn -----------------------------------------------------------------------------


def test_sklearn_mean_squared_error_is_mean_over_all_elements(metrics):
    assert np.isclose(metrics.mean_squared_error(Y_TRUE, Y_PRED), losslab.mse_loss(Y_PRED, Y_TRUE))
    # catalog D003-MSE-tf-shapes: Keras's per-row mean, emulated
    np.testing.assert_allclose(
        losslab.mse_loss(Y_PRED, Y_TRUE, reduction="none").mean(axis=-1), [0.03, 0.055]
    )


def test_sklearn_mean_absolute_error(metrics):
    assert np.isclose(metrics.mean_absolute_error(Y_TRUE, Y_PRED), losslab.l1_loss(Y_PRED, Y_TRUE))
    t = np.eye(10)[2]
    assert np.isclose(metrics.mean_absolute_error(t, Y2), 0.08)  # the regularization article's MAE


def test_sklearn_log_loss_multiclass_natural_log_mean(metrics):
    value = metrics.log_loss(LABELS, Y_PRED, labels=[0, 1, 2, 3])
    assert np.isclose(value, losslab.nll_loss(np.log(Y_PRED), LABELS))
    assert np.isclose(value, 0.4337502838523616)  # catalog S003-CCE-tf, class form
    total = metrics.log_loss(LABELS, Y_PRED, labels=[0, 1, 2, 3], normalize=False)
    assert np.isclose(total, losslab.nll_loss(np.log(Y_PRED), LABELS, reduction="sum"))


def test_sklearn_log_loss_binary_matches_bce(metrics):
    p, t = np.array([0.9, 0.2, 0.6]), np.array([1.0, 0.0, 0.0])
    assert np.isclose(metrics.log_loss(t, p), losslab.binary_cross_entropy(p, t))


def test_sklearn_log_loss_clips_to_machine_epsilon(metrics):
    eps = np.finfo(np.float64).eps
    assert np.isclose(metrics.log_loss([1], [0.0], labels=[0, 1]), -np.log(eps))
    # PyTorch's (and losslab's) clamp gives 100, the textbook's delta 16.118...
    assert losslab.binary_cross_entropy([0.0], [1.0]) == 100.0


def test_sklearn_hinge_binary(metrics):
    f, y = np.array([2.0, 0.3, 0.3, -1.0]), np.array([1, 1, -1, 1])
    np.testing.assert_allclose(
        losslab.hinge_loss(f, y, reduction="none"), [0.0, 0.7, 1.3, 2.0], atol=1e-15
    )  # the regularization article's binary hinge example
    assert np.isclose(metrics.hinge_loss(y, f), losslab.hinge_loss(f, y))


def test_sklearn_hinge_multiclass_is_crammer_singer_not_torch(metrics):
    scores = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
    labels = np.array([0, 1, 2])
    torch_style = losslab.multi_margin_loss(scores, labels, reduction="none")
    np.testing.assert_allclose(3 * torch_style, [2.9, 0.0, 12.9], atol=1e-12)  # CS231n sum
    true = scores[np.arange(3), labels]
    wrong = np.where(np.eye(3, dtype=bool)[labels], -np.inf, scores)
    crammer_singer = np.maximum(0.0, 1.0 + wrong.max(axis=1) - true)
    assert np.isclose(metrics.hinge_loss(labels, scores), crammer_singer.mean())
    assert not np.isclose(
        metrics.hinge_loss(labels, scores), losslab.multi_margin_loss(scores, labels)
    )


def test_sklearn_zero_one_and_accuracy_argument_order(metrics):
    scores = np.stack([Y2, Y3])
    assert losslab.zero_one_loss(scores, [2, 2]) == metrics.zero_one_loss([2, 2], [2, 8]) == 0.5
    assert losslab.zero_one_loss(scores, [2, 2], reduction="sum") == metrics.zero_one_loss(
        [2, 2], [2, 8], normalize=False
    )
    assert losslab.accuracy(scores, [2, 2]) == metrics.accuracy_score([2, 2], [2, 8])
