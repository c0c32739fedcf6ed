"""multilabel_margin_loss and multilabel_soft_margin_loss: values against direct loops,
padding, gradients, float32, validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import losslab
from losslab import multilabel


def _loop_margin(x, t):
    """PyTorch's CPU loop (MultiLabelMarginCriterion), one row at a time."""
    x, t = np.atleast_2d(x), np.atleast_2d(t)
    out = []
    for row, labels in zip(x, t, strict=True):
        listed = []
        for j in labels:
            if j < 0:
                break
            listed.append(int(j))
        total = 0.0
        for j in listed:
            for d in range(len(row)):
                if d not in listed:
                    total += max(0.0, 1.0 - row[j] + row[d])
        out.append(total / len(row))
    return np.array(out)


def _targets(rng, n, c):
    t = rng.integers(-1, c, (n, c))
    for i in range(n):
        k = int(rng.integers(0, c + 1))
        t[i, :k] = rng.choice(c, k, replace=False)
        if k < c:
            t[i, k] = -1  # the rest (any class or -1) is ignored
    return t


@pytest.mark.parametrize("seed", range(4))
def test_margin_matches_the_loop(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(6, 5))
    t = _targets(rng, 6, 5)
    t[0, :3] = [1, 1, -1]  # a repeated class counts twice
    got = losslab.multilabel_margin_loss(x, t, reduction="none")
    np.testing.assert_allclose(got, _loop_margin(x, t), rtol=1e-14, atol=1e-15)
    assert losslab.multilabel_margin_loss(x[1], t[1], reduction="none") == pytest.approx(got[1])


def test_entries_after_the_first_padding_are_ignored():
    x = np.array([[0.5, 0.25, 1.0, 2.0]])
    a = losslab.multilabel_margin_loss(x, [[0, -1, 3, 1]])
    b = losslab.multilabel_margin_loss(x, [[0, -1, -1, -1]])
    c = losslab.multilabel_margin_loss(x, [[0, 3, 1, -1]])
    assert a == b != c
    assert losslab.multilabel_margin_loss(x, [[-1, 0, 1, 2]]) == 0.0  # no class listed


def test_margin_in_row_blocks_equals_one_block(monkeypatch):
    rng = np.random.default_rng(9)
    x, t = rng.normal(size=(40, 7)), _targets(rng, 40, 7)
    whole = losslab.value_and_grad(losslab.multilabel_margin_loss)(x, t, reduction="none")
    monkeypatch.setattr(multilabel, "_CHUNK_ELEMENTS", 100)  # two rows per block
    blocks = losslab.value_and_grad(losslab.multilabel_margin_loss)(x, t, reduction="none")
    np.testing.assert_array_equal(whole[0], blocks[0])
    np.testing.assert_array_equal(whole[1], blocks[1])


def test_margin_without_the_c_by_c_block_equals_the_block(monkeypatch):
    # Many classes: each row goes through sorted scores and prefix sums instead.
    rng = np.random.default_rng(10)
    x, t = rng.normal(size=(6, 9)) * 2, _targets(rng, 6, 9)
    t[0, :3] = [4, 4, -1]
    block = losslab.value_and_grad(losslab.multilabel_margin_loss)(x, t, reduction="none")
    monkeypatch.setattr(multilabel, "_CHUNK_ELEMENTS", 50)  # 9 x 9 > 50
    rows = losslab.value_and_grad(losslab.multilabel_margin_loss)(x, t, reduction="none")
    np.testing.assert_allclose(rows[0], block[0], rtol=1e-14, atol=1e-15)
    np.testing.assert_array_equal(rows[1], block[1])
    np.testing.assert_allclose(rows[0], _loop_margin(x, t), rtol=1e-14, atol=1e-15)


def _fsum_margin(row, listed):
    """The row's hinge terms (1 - x_j) + x_d, summed exactly (math.fsum), over C."""
    others = np.setdiff1d(np.arange(row.size), listed)
    total = []
    for j in listed:
        z = (1.0 - row[j]) + row[others]
        total.extend(z[z > 0])
    return math.fsum(total) / row.size


@pytest.mark.parametrize("seed", range(3))
def test_margin_many_classes_wide_range_is_accurate(seed):
    # More than 2048 classes take the sorted path; scores spread from -1e16 to 1e16 must not
    # cost digits (a difference of prefix sums would cancel them).
    rng = np.random.default_rng(seed)
    c = 2100
    x = rng.choice([-1.0, 1.0], c) * 10.0 ** rng.uniform(-3, 16, c)
    x[:50] = rng.uniform(-2, 2, 50)  # a cluster near the listed scores
    x[1] = -1e16
    listed = [int(i) for i in rng.choice(np.arange(50), 6, replace=False)]
    t = np.full(c, -1)
    t[: len(listed)] = listed
    got = losslab.multilabel_margin_loss(x, t, reduction="sum")
    assert got == pytest.approx(_fsum_margin(x, listed), rel=1e-13)
    row = np.zeros(c)
    row[:4] = [-1e16, 0.5, 0.1, 0.2]
    t1 = np.full(c, -1)
    t1[0] = 1
    want = _fsum_margin(row, [1])
    assert losslab.multilabel_margin_loss(row, t1) == pytest.approx(want, rel=1e-14)


def _central(fn, x, **kw):
    return losslab.numerical_gradient(lambda z: float(np.sum(fn(z, **kw))), x)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_margin_gradient_matches_differences(reduction):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(5, 6))
    t = _targets(rng, 5, 6)
    fn = losslab.multilabel_margin_loss
    g = losslab.grad(fn)(x, t, reduction=reduction)
    np.testing.assert_allclose(g, _central(fn, x, target=t, reduction=reduction), atol=1e-8)


def test_margin_gradient_at_the_kink_is_zero():
    # z = 1 - x_0 + x_1 = 0 exactly: PyTorch's strict z > 0 gives no gradient.
    g = losslab.grad(losslab.multilabel_margin_loss)([2.0, 1.0], [0, -1], reduction="sum")
    np.testing.assert_array_equal(g, [0.0, 0.0])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_soft_margin_values_and_gradient(reduction, weighted):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 5)) * 3
    t = rng.integers(0, 2, (4, 5))
    w = rng.uniform(0, 2, 5) if weighted else None
    fn = losslab.multilabel_soft_margin_loss
    got = fn(x, t, weight=w, reduction="none")
    bce = losslab.binary_cross_entropy_with_logits(
        x, t.astype(float), weight=None if w is None else np.broadcast_to(w, x.shape),
        reduction="none",
    )  # fmt: skip
    np.testing.assert_allclose(got, bce.mean(axis=1), rtol=1e-14)
    g = losslab.grad(fn)(x, t, weight=w, reduction=reduction)
    np.testing.assert_allclose(
        g, _central(fn, x, target=t, weight=w, reduction=reduction), rtol=1e-6, atol=1e-9
    )


@pytest.mark.filterwarnings("error")
def test_soft_margin_large_logits_do_not_overflow():
    x = np.array([[1000.0, -1000.0]], dtype=np.float32)
    v, g = losslab.value_and_grad(losslab.multilabel_soft_margin_loss)(x, [[0, 1]])
    assert v == np.float32(1000.0) and v.dtype == np.float32
    np.testing.assert_array_equal(g, np.array([[0.5, -0.5]], np.float32))


@pytest.mark.parametrize("name", ["multilabel_margin_loss", "multilabel_soft_margin_loss"])
def test_float32_kept_and_inputs_untouched(name):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4)).astype(np.float32)
    t = _targets(rng, 3, 4) if name == "multilabel_margin_loss" else rng.integers(0, 2, (3, 4))
    before = x.copy(), t.copy()
    for reduction in ("mean", "none"):
        v, g = losslab.value_and_grad(getattr(losslab, name))(x, t, reduction=reduction)
        assert v.dtype == np.float32 and g.dtype == np.float32
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(t, before[1])


@pytest.mark.parametrize(
    ("target", "exc"),
    [
        ([[0, 4, -1, 1]], ValueError),  # class out of range
        ([[0, -1, 7, 1]], ValueError),  # also after the padding, as PyTorch
        ([[0, -2, 1, 1]], ValueError),  # padding must be -1
        ([[0.0, 1.0, -1.0, 2.0]], TypeError),  # float labels
        ([[0, 1, -1]], ValueError),  # shape
    ],
)
def test_margin_bad_target(target, exc):
    with pytest.raises(exc, match=r"^`target`"):
        losslab.multilabel_margin_loss(np.zeros((1, 4)), target)


@pytest.mark.parametrize(
    ("kwargs", "exc", "name"),
    [
        ({"target": [[0.0, 1.5]]}, ValueError, "`target`"),
        ({"target": [[0.0, 1.0, 1.0]]}, ValueError, "`target`"),
        ({"weight": [1.0, -1.0]}, ValueError, "`weight`"),
        ({"weight": [1.0, 1.0, 1.0]}, ValueError, "`weight`"),
        ({"input": np.zeros((1, 1, 2))}, ValueError, "`input`"),
        ({"reduction": "avg"}, ValueError, "`reduction`"),
    ],
)
def test_soft_margin_bad_input(kwargs, exc, name):
    args = {"input": np.zeros((1, 2)), "target": [[0.0, 1.0]], **kwargs}
    with pytest.raises(exc, match=f"^{name}"):
        losslab.multilabel_soft_margin_loss(**args)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("chunk", [1 << 22, 4])  # C x C blocks, sorted scores
def test_extreme_finite_scores_are_quiet(monkeypatch, reduction, chunk):
    monkeypatch.setattr(multilabel, "_CHUNK_ELEMENTS", chunk)
    big = 1e308
    x = [[big, -big, 0.0]]
    # Class 1 listed: terms 1 + 2e308 (beyond the range) and 1 + 1e308; their mean is 1e308.
    fn = losslab.multilabel_margin_loss
    value = fn(x, [[1, -1, 0]], reduction=reduction)
    assert float(np.ravel(value)[0]) == pytest.approx(1e308, rel=1e-15)
    g = losslab.grad(fn)(x, [[1, -1, 0]], reduction=reduction)
    np.testing.assert_allclose(g, [[1 / 3, -2 / 3, 1 / 3]], rtol=1e-15)
    over = losslab.multilabel_margin_loss([[1.7e308, -1.7e308, 1.7e308]], [[1, -1, 0]])
    assert np.isposinf(over)  # 6.8e308 / 3 is beyond the range
    # softplus terms 1e308, 1e308 and log 2: the mean over C is 6.7e307.
    soft = losslab.multilabel_soft_margin_loss(x, [[0, 1, 1]], reduction=reduction)
    assert float(np.ravel(soft)[0]) == pytest.approx(1e308 / 3 * 2, rel=1e-15)


@pytest.mark.parametrize(
    ("fn", "kwargs", "name"),
    [
        ("multilabel_margin_loss", {"target": [[5, 0]], "reduction": "avg"}, "reduction"),
        ("multilabel_margin_loss", {"target": [[0, 1, -1]]}, "target"),  # a shape
        ("multilabel_margin_loss", {"target": [[5, 0]]}, "input"),  # NaN before the label
        ("multilabel_soft_margin_loss", {"target": [[1, 0]], "reduction": "avg"}, "reduction"),
        ("multilabel_soft_margin_loss", {"target": [[1, 0]], "weight": [1, 1, 1]}, "weight"),
        ("multilabel_soft_margin_loss", {"target": [[2.0, 0]], "weight": [1, -1]}, "input"),
    ],
)
def test_types_shapes_and_options_are_checked_before_values(fn, kwargs, name):
    with pytest.raises(ValueError, match=rf"^`{name}`"):
        getattr(losslab, fn)([[np.nan, 1.0]], **kwargs)
