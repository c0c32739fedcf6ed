"""The NumPy path of the softmax cross-entropy: per-row losses and gradients, block by block.

Used by :mod:`losslab.cross_entropy` when its compiled kernel does not run (label smoothing,
class weights, probabilities as targets, or ``LOSSLAB_PURE_NUMPY=1``). ``pb`` is the
cross-entropy's prepared problem (``_ce_problem._Problem``).
"""

# The row loop binds some names in one of two branches (labels or probabilities) and reads
# them under the same condition later, which pyright cannot follow:
# pyright: reportPossiblyUnboundVariable=false

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._reduction import BLOCK
from .threads import run_blocks

# Up to this many classes, row reductions loop over columns / use a matrix-vector product.
_NARROW = 64


def _row_max(xb: np.ndarray, out: np.ndarray) -> None:
    c = xb.shape[1]
    if c > _NARROW // 2:
        np.max(xb, axis=1, out=out)
    elif c == 1:
        out[:] = xb[:, 0]
    else:
        np.maximum(xb[:, 0], xb[:, 1], out=out)
        for j in range(2, c):
            np.maximum(out, xb[:, j], out=out)


def _row_dot(zb: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row sums of ``zb * u``: a matrix-vector product for narrow rows (short, accurate sums)."""
    out: np.ndarray = zb @ u if zb.shape[1] <= _NARROW else (zb * u).sum(axis=1)
    return out


def _target_nll(zy: np.ndarray, ey: np.ndarray, rest: np.ndarray, ssum: np.ndarray) -> np.ndarray:
    """``log(sum) - z_y`` per row, as ``log1p(rest / e_y)`` when the target is near the maximum.

    ``rest`` is the sum of the non-target terms ``exp(z_j)``, ``ey = exp(z_y)``. For a confident
    row ``sum = 1 + tiny`` and ``log(sum)`` would keep only the absolute accuracy of ``sum``.
    """
    near = zy > -1  # then ey > 1/e: no overflow in rest / ey
    out: np.ndarray = np.log(ssum)
    out -= zy
    q = np.divide(rest, ey, out=np.zeros_like(rest), where=near)
    np.log1p(q, out=out, where=near)
    return out


def _rescue_rows(
    lb: np.ndarray,
    xb: np.ndarray,
    mb: np.ndarray,
    ssum: np.ndarray,
    pb: Any,
    s: int,
    fb: np.ndarray | None,
    kb: np.ndarray | None,
    smooth_sum: Any,
    big_a: Any,
) -> None:
    """Recompute the rows of ``lb`` that came out inf because ``z = x - max`` overflowed (logits
    more than the range apart), in halves: with ``h = max/2 - x/2`` (never overflows),
    ``A lse - <a, z> = A log(sum) + 2 <a, h>``. Such a row's loss is finite when its
    coefficients there are small (label smoothing, class weights, probability targets), e.g.
    ``eps/C (max - x_c)``."""
    bad = np.flatnonzero(~np.isfinite(lb))
    if not bad.size:
        return
    h = mb[bad, None] / 2 - xb[bad] / 2
    log_s = np.log(ssum[bad])
    if pb.y is None:
        a = pb.p[s : s + lb.size][bad]
        assert big_a is not None  # the row sums of the probabilities
        lb[bad] = big_a[bad] * log_s + 2 * (a * h).sum(axis=1)
        return
    hy = h[np.arange(bad.size), pb.y[s : s + lb.size][bad]]
    f = np.ones(bad.size, lb.dtype) if fb is None else fb[bad]
    part, coef = f * hy, f
    if kb is not None:
        part = part + kb[bad] * (h @ pb.smooth)
        coef = f + kb[bad] * smooth_sum
    lb[bad] = coef * log_s + 2 * part
    if fb is not None:
        lb[bad[f == 0]] = 0  # an ignored row


def softmax_ce_rows(pb: Any, scale: Any, need_grad: bool) -> tuple[np.ndarray, Any]:
    """Per-row losses and (if ``need_grad``) ``scale`` times the gradient w.r.t. the rows.

    Each row i has coefficients a_i (labels: f_i e_{y_i} + keep_i * smooth; probabilities: p_i),
    A_i = sum(a_i), and with z = x - max, lse = log(sum(exp(z))):
    loss_i = A_i lse_i - <a_i, z_i>,   grad_i = A_i softmax(x_i) - a_i.
    For labels this is computed as f_i (lse_i - z_iy) + keep_i (sum(smooth) lse_i - <smooth, z_i>).
    """
    x2, dtype = pb.x2, pb.dtype
    m_rows, c = x2.shape
    block = max(1, min(m_rows, max(256, BLOCK // c)))
    loss = np.empty(m_rows, dtype)
    grad = np.empty((m_rows, c), dtype) if need_grad else None
    ones = np.ones(c, dtype)
    base = np.arange(block) * c if pb.y is not None else None
    smooth_sum = None if pb.smooth is None else pb.smooth.sum(dtype=dtype)
    scale = dtype.type(scale)

    def worker() -> Callable[[int], None]:
        # One per thread (losslab.threads.run_blocks): its own scratch (mx, work); row block k
        # writes only its rows of loss and grad.
        work = grad if grad is not None else np.empty((block, c), dtype)
        mx = np.empty(block, dtype)

        def run(k: int) -> None:
            s = k * block
            e = min(s + block, m_rows)
            b = e - s
            xb, mb = x2[s:e], mx[:b]
            _row_max(xb, mb)
            zb = work[s:e] if grad is not None else work[:b]
            np.subtract(xb, mb[:, None], out=zb)
            flat = zb.reshape(-1)
            if base is not None:  # labels
                idx = base[:b] + pb.y[s:e]
                zy = flat[idx]
                with np.errstate(invalid="ignore"):  # -inf in z: see _rescue_rows
                    uz = None if pb.smooth is None else _row_dot(zb, pb.smooth)
            else:
                pblk = pb.p[s:e]
                a_rows = _row_dot(pblk, ones)
                with np.errstate(invalid="ignore"):  # 0 (-inf): NaN, see _rescue_rows
                    az = (pblk * zb).sum(axis=1) if c > _NARROW else np.einsum("ij,ij->i", pblk, zb)
            np.exp(zb, out=zb)
            lb = loss[s:e]
            if base is None:  # probabilities
                ssum = _row_dot(zb, ones)
                np.multiply(a_rows, np.log(ssum), out=lb)
                lb -= az
                _rescue_rows(lb, xb, mb, ssum, pb, s, None, None, None, a_rows)
                if need_grad:
                    zb *= ((scale * a_rows) / ssum)[:, None]
                    zb -= scale * pblk
                return
            # Labels: the target's term is taken out of the row sum, so that the loss of a
            # confident row, log(1 + rest/e_y), and its gradient at the target, -rest/sum, keep
            # full accuracy.
            ey = flat[idx]
            flat[idx] = 0
            rest = _row_dot(zb, ones)
            ssum = rest + ey
            nll = _target_nll(zy, ey, rest, ssum)
            fb = None if pb.f is None else pb.f[s:e]
            big_a, kb = fb, None
            if fb is None:
                lb[:] = nll
            else:
                with np.errstate(invalid="ignore"):
                    np.multiply(fb, nll, out=lb)
                lb[fb == 0] = 0  # weight 0 (an ignored row): 0, even where nll is inf
                if uz is not None:
                    kb = pb.keep[s:e]
                    with np.errstate(invalid="ignore"):  # 0 inf: NaN, see _rescue_rows
                        lb += kb * (smooth_sum * np.log(ssum) - uz)
                    big_a = fb + kb * smooth_sum
                _rescue_rows(lb, xb, mb, ssum, pb, s, fb, kb, smooth_sum, big_a)
            if need_grad:
                inv = scale / ssum
                zb *= (inv if big_a is None else inv * big_a)[:, None]
                if fb is None:
                    flat[idx] = -(inv * rest)
                else:
                    at_target = -(fb * rest)
                    if uz is not None:
                        assert kb is not None  # set where uz is
                        at_target += (kb * smooth_sum) * ey
                    flat[idx] = inv * at_target
                if uz is not None:
                    assert kb is not None  # set where uz is
                    zb -= (scale * kb)[:, None] * pb.smooth

        return run

    # Logits more than the dtype's range apart overflow in x - max to -inf (exp gives exactly 0)
    # and a loss beyond the range is inf, as in PyTorch; neither is a reason for a warning.
    with np.errstate(over="ignore"):
        run_blocks(worker, -(-m_rows // block))
    return loss, grad
