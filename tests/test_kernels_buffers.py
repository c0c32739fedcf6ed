"""What the kernels read and write: nothing outside their buffers, every element the same in a
whole vector and in the zero-padded tail, and each partial sum the sum of its block."""

from __future__ import annotations

import math

import numpy as np
import pytest
from kernel_cases import (
    DTYPES,
    F32,
    _kernels,
    pair_target,
)

from losslab import _fast
from losslab._reduction import BLOCK

# ------------------------------------------------------------------------------------------------
# The kernels' tails: what they read and write
# ------------------------------------------------------------------------------------------------

PAD = 24  # guard elements either side of each buffer
SENTINEL = -7.0  # around the outputs (NaN around the inputs)
PAIR_PARAMS = {"mse": 0.0, "l1": 0.0, "huber": 0.37, "smooth_l1": 0.25}
TAIL_SIZES = [*range(0, 50), 511, 512, 513, 527, 1000, 1041]


def _guarded(values: np.ndarray, fill: float) -> tuple[np.ndarray, np.ndarray]:
    """``(big, view)``: ``view`` (contiguous, ``values``) inside ``big``, surrounded by ``fill``."""
    big = np.full(values.size + 2 * PAD, fill, values.dtype)
    view = big[PAD : PAD + values.size]
    view[...] = values
    return big, view


def _guards_intact(big: np.ndarray, n: int, fill: float) -> bool:
    outside = np.concatenate([big[:PAD], big[PAD + n :]])
    return bool(np.all(outside == fill) if not math.isnan(fill) else np.all(np.isnan(outside)))


class _GuardedOutputs:
    """A kernel's outputs, each surrounded by SENTINEL: ``loss`` (``n_loss`` elements or rows),
    ``grad`` (``n_grad``) and ``partial``, a float64 sum per ``block`` of losses."""

    def __init__(self, dtype: np.dtype, n_loss: int, n_grad: int, block: int) -> None:
        self.block = block
        self._loss_big, self.loss = _guarded(np.zeros(n_loss, dtype), SENTINEL)
        self._grad_big, self.grad = _guarded(np.zeros(n_grad, dtype), SENTINEL)
        self._partial_big, self.partial = _guarded(np.zeros(-(-n_loss // block)), SENTINEL)

    def check(self, what: str, *, abs_tol: float = 0.0) -> None:
        """Nothing written outside the outputs; each partial sum is the sum of its block's
        losses (to 1e-12 relative, or ``abs_tol``)."""
        for big, view, name in (
            (self._loss_big, self.loss, "loss"),
            (self._grad_big, self.grad, "grad"),
            (self._partial_big, self.partial, "partial"),
        ):
            assert _guards_intact(big, view.size, SENTINEL), f"{what}: wrote outside `{name}`"
        block = self.block
        for k, part in enumerate(self.partial.tolist()):
            terms = self.loss[k * block : (k + 1) * block].astype(np.float64).tolist()
            assert math.isclose(part, math.fsum(terms), rel_tol=1e-12, abs_tol=abs_tol), (what, k)


def _pair_inputs(kind: str, n: int, dtype: np.dtype) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 3.0).astype(dtype)
    t = pair_target(kind, rng, n, dtype)
    return x, t, rng.uniform(0.0, 2.0, n).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("kind", list(_fast.PAIR_KINDS))
def test_pair_kernel_reads_and_writes_only_its_buffers(kind, dtype):
    """Every length up to three float32 vectors (and around a chunk): the inputs are surrounded
    by NaN (a read beyond them would make the flag False or an output NaN), the outputs by a
    sentinel (a write beyond them would change it); each element's loss and derivative are
    those of the same element in a longer input (whole vector or zero-padded tail alike), and
    each partial sum is the sum of its block's element losses, also for blocks that are not a
    whole number of vectors."""
    code, f32 = _fast.PAIR_KINDS[kind], dtype == F32
    param = PAIR_PARAMS.get(kind, 0.0)
    weighted = kind in PAIR_PARAMS
    n_max = max(TAIL_SIZES)
    xr, tr, wr = _pair_inputs(kind, n_max, dtype)
    ref_loss, ref_grad = np.empty(n_max, dtype), np.empty(n_max, dtype)
    w_ref = wr if weighted else None
    assert _kernels.pair(code, f32, xr, tr, w_ref, param, ref_loss, ref_grad, 0.5, None, BLOCK)
    assert np.all(np.isfinite(ref_loss)) and np.all(np.isfinite(ref_grad))
    for n in TAIL_SIZES:
        _, x = _guarded(xr[:n], np.nan)
        _, t = _guarded(tr[:n], np.nan)
        w = _guarded(wr[:n], np.nan)[1] if weighted else None
        for block in (BLOCK, 100, 37):
            out = _GuardedOutputs(dtype, n, n, block)
            what = f"{kind} {dtype} n={n} block={block}"
            assert _kernels.pair(
                code, f32, x, t, w, param, out.loss, out.grad, 0.5, out.partial, block
            ), what
            out.check(what)
            np.testing.assert_array_equal(out.loss, ref_loss[:n], err_msg=what)
            np.testing.assert_array_equal(out.grad, ref_grad[:n], err_msg=what)
        # the sums alone (no per-element output, no derivative): the same partial sums
        part_big, part = _guarded(np.zeros(-(-n // BLOCK)), SENTINEL)
        assert _kernels.pair(code, f32, x, t, w, param, None, None, 1.0, part, BLOCK)
        assert _guards_intact(part_big, part.size, SENTINEL)
        if n:
            terms = ref_loss[:n].astype(np.float64).tolist()
            assert math.isclose(part[0], math.fsum(terms), rel_tol=1e-12), (kind, n)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_row_kernels_read_and_write_only_their_buffers(dtype):
    f32 = dtype == F32
    rng = np.random.default_rng(29)
    for c in (1, 2, 3, 7, 9, 31, 33, 4097):
        for m in (1, 2, 5, 17):
            xv = rng.standard_normal(m * c).astype(dtype)
            y = rng.integers(0, c, m).astype(np.int64)
            f = rng.uniform(0.5, 2.0, m).astype(dtype)
            what = f"{dtype} m={m} c={c}"
            ref_loss = np.empty(m, dtype)
            ref_grad = np.empty(m * c, dtype)
            result = _kernels.softmax_ce(f32, xv, c, y, f, 0.5, ref_loss, ref_grad, None, 1)
            assert result == (True, 0, -1), what
            assert np.all(np.isfinite(ref_loss)) and np.all(np.isfinite(ref_grad)), what
            # softmax cross-entropy: NaN around the rows, sentinels around the outputs
            _, x = _guarded(xv, np.nan)
            for block in (1, 2, 3, 4096):
                out = _GuardedOutputs(dtype, m, m * c, block)
                assert _kernels.softmax_ce(
                    f32, x, c, y, f, 0.5, out.loss, out.grad, out.partial, block
                ) == (True, 0, -1), what
                out.check(what)
                np.testing.assert_array_equal(out.loss, ref_loss, err_msg=what)
                np.testing.assert_array_equal(out.grad, ref_grad, err_msg=what)
            # nll: the same; only the label entries are read (NaN everywhere else)
            labels = np.arange(m) * c + y
            xn = np.full(m * c, np.nan, dtype)
            xn[labels] = xv[labels]
            _, x = _guarded(xn, np.nan)
            keep = (np.arange(m) % 3 != 1).astype(dtype)
            picked = xv[labels].astype(np.float64)
            expected = np.where(keep != 0, -(f.astype(np.float64) * picked), 0.0).astype(dtype)
            for block in (1, 2, 3, 4096):
                out = _GuardedOutputs(dtype, m, m * c, block)
                first = _kernels.nll(
                    f32, x, c, y, f, keep, 0.5, out.loss, out.grad, out.partial, block
                )
                assert first == (-1, 0, -1), what
                out.check(what, abs_tol=1e-300)
                np.testing.assert_array_equal(out.loss, expected, err_msg=what)
