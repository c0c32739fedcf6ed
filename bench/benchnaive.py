"""The baseline of the benchmark: the articles' naive NumPy code, value and gradient per loss.

Each entry of ``NAIVE`` is ``(value, value_and_grad)`` written the way the articles write it:
no stable forms, an epsilon inside the log. ``bench_losses.py`` times losslab and torch
against these.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def naive_softmax(x: np.ndarray) -> np.ndarray:
    x = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)


def naive_softmax_ce(x: np.ndarray, onehot: np.ndarray) -> Any:
    y = naive_softmax(x)
    return -np.sum(onehot * np.log(y + 1e-7)) / x.shape[0]


def naive_softmax_ce_grad(x: np.ndarray, onehot: np.ndarray) -> tuple[Any, np.ndarray]:
    y = naive_softmax(x)
    value = -np.sum(onehot * np.log(y + 1e-7)) / x.shape[0]
    return value, (y - onehot) / x.shape[0]


def naive_ce_labels(y: np.ndarray, t: np.ndarray) -> Any:
    return -np.sum(np.log(y[np.arange(y.shape[0]), t] + 1e-7)) / y.shape[0]


def naive_ce_labels_grad(y: np.ndarray, t: np.ndarray) -> tuple[Any, np.ndarray]:
    # gradient with respect to log y, like nll_loss's input
    n = y.shape[0]
    value = -np.sum(np.log(y[np.arange(n), t] + 1e-7)) / n
    g = np.zeros_like(y)
    g[np.arange(n), t] = -1.0 / n
    return value, g


def naive_mse(x: np.ndarray, t: np.ndarray) -> Any:
    return np.mean((x - t) ** 2)


def naive_mse_grad(x: np.ndarray, t: np.ndarray) -> tuple[Any, np.ndarray]:
    d = x - t
    return np.mean(d**2), 2 * d / d.size


def naive_bce_logits(x: np.ndarray, t: np.ndarray) -> Any:
    with np.errstate(over="ignore"):
        y = 1 / (1 + np.exp(-x))
    return -np.mean(t * np.log(y + 1e-7) + (1 - t) * np.log(1 - y + 1e-7))


def naive_bce_logits_grad(x: np.ndarray, t: np.ndarray) -> tuple[Any, np.ndarray]:
    with np.errstate(over="ignore"):
        y = 1 / (1 + np.exp(-x))
    value = -np.mean(t * np.log(y + 1e-7) + (1 - t) * np.log(1 - y + 1e-7))
    return value, (y - t) / x.size


def naive_l1(x: np.ndarray, t: np.ndarray) -> Any:
    return np.mean(np.abs(x - t))


def naive_l1_grad(x: np.ndarray, t: np.ndarray) -> tuple[Any, np.ndarray]:
    d = x - t
    return np.mean(np.abs(d)), np.sign(d) / d.size


def naive_huber(x: np.ndarray, t: np.ndarray) -> Any:
    d = np.abs(x - t)
    return np.mean(np.where(d < 1, 0.5 * d * d, d - 0.5))


def naive_huber_grad(x: np.ndarray, t: np.ndarray) -> tuple[Any, np.ndarray]:
    d = x - t
    a = np.abs(d)
    return np.mean(np.where(a < 1, 0.5 * d * d, a - 0.5)), np.clip(d, -1, 1) / d.size


def naive_bce(p: np.ndarray, t: np.ndarray) -> Any:
    return -np.mean(t * np.log(p + 1e-7) + (1 - t) * np.log(1 - p + 1e-7))


def naive_bce_grad(p: np.ndarray, t: np.ndarray) -> tuple[Any, np.ndarray]:
    return naive_bce(p, t), (p - t) / (p * (1 - p)) / p.size


def naive_soft_margin(x: np.ndarray, y: np.ndarray) -> Any:
    return np.mean(np.log(1 + np.exp(-y * x)))


def naive_soft_margin_grad(x: np.ndarray, y: np.ndarray) -> tuple[Any, np.ndarray]:
    e = np.exp(-y * x)
    return np.mean(np.log(1 + e)), -y * e / (1 + e) / x.size


def naive_hinge_emb(x: np.ndarray, y: np.ndarray) -> Any:
    return np.mean(np.where(y == 1, x, np.maximum(1 - x, 0)))


def naive_hinge_emb_grad(x: np.ndarray, y: np.ndarray) -> tuple[Any, np.ndarray]:
    g = np.where(y == 1, 1.0, np.where(x <= 1, -1.0, 0.0)) / x.size
    return naive_hinge_emb(x, y), g


def naive_kl(logq: np.ndarray, p: np.ndarray) -> Any:
    return np.mean(p * (np.log(p + 1e-7) - logq))


def naive_kl_grad(logq: np.ndarray, p: np.ndarray) -> tuple[Any, np.ndarray]:
    return naive_kl(logq, p), -p / p.size


def naive_focal(x: np.ndarray, t: np.ndarray) -> Any:
    """torchvision's sigmoid_focal_loss formula (alpha 0.25, gamma 2), 'mean'."""
    p = 1 / (1 + np.exp(-x))
    ce = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    p_t = p * t + (1 - p) * (1 - t)
    return ((0.25 * t + 0.75 * (1 - t)) * ce * (1 - p_t) ** 2).mean()


def naive_focal_grad(x: np.ndarray, t: np.ndarray) -> tuple[Any, np.ndarray]:
    p = 1 / (1 + np.exp(-x))
    ce = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    m = 1 - (p * t + (1 - p) * (1 - t))
    a = 0.25 * t + 0.75 * (1 - t)
    g = a * (2 * m * p * (1 - p) * (1 - 2 * t) * ce + m * m * (p - t))
    return (a * ce * m * m).mean(), g / x.size


def naive_log_cosh(x: np.ndarray, t: np.ndarray) -> Any:
    return np.log(np.cosh(x - t)).mean()


def naive_log_cosh_grad(x: np.ndarray, t: np.ndarray) -> tuple[Any, np.ndarray]:
    return naive_log_cosh(x, t), np.tanh(x - t) / x.size


def naive_pinball(x: np.ndarray, t: np.ndarray) -> Any:
    r = t - x
    return np.maximum(0.9 * r, -0.1 * r).mean()


def naive_pinball_grad(x: np.ndarray, t: np.ndarray) -> tuple[Any, np.ndarray]:
    return naive_pinball(x, t), np.where(t > x, -0.9, 0.1) / x.size


NAIVE = {
    "mse": (naive_mse, naive_mse_grad),
    "ce-labels": (naive_ce_labels, naive_ce_labels_grad),
    "softmax-ce": (naive_softmax_ce, naive_softmax_ce_grad),
    "bce-logits": (naive_bce_logits, naive_bce_logits_grad),
    "l1": (naive_l1, naive_l1_grad),
    "huber": (naive_huber, naive_huber_grad),
    "smooth-l1": (naive_huber, naive_huber_grad),
    "bce": (naive_bce, naive_bce_grad),
    "soft-margin": (naive_soft_margin, naive_soft_margin_grad),
    "hinge-emb": (naive_hinge_emb, naive_hinge_emb_grad),
    "kl-div": (naive_kl, naive_kl_grad),
    "focal": (naive_focal, naive_focal_grad),
    "log-cosh": (naive_log_cosh, naive_log_cosh_grad),
    "pinball": (naive_pinball, naive_pinball_grad),
}
