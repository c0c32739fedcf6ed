"""CTC's forward-backward over a whole batch at once, in log space: the vectorised form of the
readable recursions in :mod:`losslab.ctc` (``ctc_alpha``, ``ctc_beta``), looping over time only."""

# Its functions are ctc's, which imports them:
# pyright: reportUnusedFunction=false

from __future__ import annotations

import numpy as np

NEG_INF = -np.inf


def _lse3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Element-wise log(e^a + e^b + e^c), exact where all three are -inf."""
    m = np.maximum(np.maximum(a, b), c)
    shift = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out: np.ndarray = shift + np.log(np.exp(a - shift) + np.exp(b - shift) + np.exp(c - shift))
    return out


def _shift(a: np.ndarray, k: int, fill: float) -> np.ndarray:
    """``a`` moved ``k`` positions along the last axis (positive: towards higher positions)."""
    out = np.full_like(a, fill)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def _forward_backward(
    lp: np.ndarray, ext: np.ndarray, in_len: np.ndarray, tg_len: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Batched log alpha and log beta, shape (T, N, L), and the log-likelihoods, shape (N,).

    ``lp`` is (T, N, C) float64, ``ext`` (N, L) the extended labels padded with blanks.
    Positions beyond a sample's ``2 S_n + 1`` and frames beyond its length do not feed the
    positions and frames that count.
    """
    n_frames, n = int(lp.shape[0]), int(lp.shape[1])
    n_pos = ext.shape[1]
    rows = np.arange(n)
    # y_t(l'_s) for every t, n, s
    emit = np.take_along_axis(lp, np.broadcast_to(ext[None], (n_frames, n, n_pos)), axis=2)
    skip = np.zeros((n, n_pos), dtype=bool)
    skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]
    last = 2 * tg_len  # index of the final blank
    alpha = np.full((n_frames, n, n_pos), NEG_INF)
    alpha[0, :, 0] = emit[0, :, 0]
    alpha[0, :, 1] = np.where(tg_len > 0, emit[0, :, 1], NEG_INF)
    for t in range(1, n_frames):
        a = alpha[t - 1]
        a2 = np.where(skip, _shift(a, 2, NEG_INF), NEG_INF)
        alpha[t] = _lse3(a, _shift(a, 1, NEG_INF), a2) + emit[t]
    beta = np.full((n_frames, n, n_pos), NEG_INF)
    skip_from = _shift(skip, -2, False)  # position s may skip to s + 2
    for t in range(n_frames - 1, -1, -1):
        if t + 1 < n_frames:
            b = beta[t + 1]
            b2 = np.where(skip_from, _shift(b, -2, NEG_INF), NEG_INF)
            beta[t] = _lse3(b, _shift(b, -1, NEG_INF), b2) + emit[t]
        start = in_len - 1 == t
        if start.any():
            beta[t, start] = NEG_INF
            r = rows[start]
            beta[t, r, last[r]] = emit[t, r, last[r]]
            has = r[tg_len[r] > 0]
            beta[t, has, last[has] - 1] = emit[t, has, last[has] - 1]
    fin = alpha[in_len - 1, rows]  # (N, L)
    end_blank = fin[rows, last]
    end_label = np.where(tg_len > 0, fin[rows, np.maximum(last - 1, 0)], NEG_INF)
    log_p = np.logaddexp(end_blank, end_label)
    return alpha, beta, emit, log_p


def _gradient(
    lp: np.ndarray,
    ext: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    log_p: np.ndarray,
    in_len: np.ndarray,
) -> np.ndarray:
    """PyTorch's gradient of each sample's loss w.r.t. ``lp``: (T, N, C), before scaling."""
    n_frames, n, n_cls = (int(d) for d in lp.shape)
    ab = alpha + beta  # (T, N, L): log of alpha * beta, y_t(l'_s) counted twice
    m = ab.max(axis=2, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    flat = (np.arange(n_frames * n).reshape(n_frames, n, 1) * n_cls + ext[None]).ravel()
    summed = np.bincount(flat, weights=np.exp(ab - m).ravel(), minlength=lp.size)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        lcab = np.log(summed.reshape(lp.shape)) + m
        grad: np.ndarray = np.exp(lp) - np.exp(lcab - log_p[None, :, None] - lp)
    return grad
