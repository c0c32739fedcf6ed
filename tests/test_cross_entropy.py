import warnings

import mpmath
import numpy as np
import oracle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import losslab

CAT = [3.2, 5.1, -1.7]
# softmax of [3.2, 5.1, -1.7]
CAT_SOFTMAX = [0.12998253901717313, 0.8690495352082657, 0.0009679257745610439]
CAT_LOSS = 2.04035515280017  # -ln p_cat, the cat example's loss
vg_ce = losslab.value_and_grad(losslab.cross_entropy)
vg_nll = losslab.value_and_grad(losslab.nll_loss)


def test_catalog_cat_example():
    assert losslab.cross_entropy(CAT, 0) == pytest.approx(CAT_LOSS, rel=1e-15)
    assert losslab.cross_entropy(np.array([CAT]), [0]) == pytest.approx(CAT_LOSS, rel=1e-15)
    value, g = vg_ce(CAT, 0)
    assert value == pytest.approx(CAT_LOSS, rel=1e-15)
    np.testing.assert_allclose(g, np.array(CAT_SOFTMAX) - [1, 0, 0], rtol=1e-14)
    # one-hot probabilities give the same number
    assert losslab.cross_entropy(CAT, [1.0, 0.0, 0.0]) == pytest.approx(CAT_LOSS, rel=1e-15)
    assert losslab.nll_loss(losslab.log_softmax(CAT), 0) == pytest.approx(CAT_LOSS, rel=1e-15)


def test_none_on_single_sample_is_0d_array():
    out = losslab.cross_entropy(CAT, np.int64(1), reduction="none")
    assert isinstance(out, np.ndarray) and out.shape == ()


def _mp_ce(row, label):
    with mpmath.workdps(50):
        e = [mpmath.exp(mpmath.mpf(float(a))) for a in row]
        return float(-mpmath.log(e[label] / sum(e)))


@pytest.mark.parametrize("scale", [1.0, 1e4, -1e4])
def test_extreme_and_mixed_scale_rows_against_mpmath(scale):
    x = np.array([[1.0, 0.0, -1.0], [1e4, -1e4, 9990.0], [-1e4, -1e4 + 3, -1e4 - 2], [0.0, 700, 1]])
    x = x * (1 if scale == 1.0 else scale / 1e4)
    y = np.array([2, 2, 0, 1])
    got = losslab.cross_entropy(x, y, reduction="none")
    want = [_mp_ce(r, label) for r, label in zip(x, y, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)
    g = losslab.grad(losslab.cross_entropy)(x, y, reduction="none")
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-15)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {"label_smoothing": 0.1},
        {"label_smoothing": 0.1, "ignore_index": 1},
        {"label_smoothing": 0.25, "target": "probabilities"},
        {"target": "probabilities"},
    ],
    ids=["smoothing", "smoothing-ignore", "smoothing-probabilities", "probabilities"],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=str)
def test_logits_the_range_apart_with_small_coefficients(kwargs, reduction, dtype):
    # x - max overflows to -inf, but eps/C (max - x_c) (or p_c (max - x_c)) is finite: against
    # mpmath, with no warning (PyTorch returns inf)
    big = float(np.finfo(dtype).max) / 1.8
    x = np.array([[big, -big, 0.0], [-big, big, 5.0], [1.0, 2.0, 3.0]], dtype=dtype)
    kwargs = dict(kwargs)
    y = np.array([0, 1, 2])
    if kwargs.pop("target", None) == "probabilities":
        y = np.array([[0.9, 0.1, 0.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = losslab.cross_entropy(x, y, reduction=reduction, **kwargs)
        g = losslab.grad(losslab.cross_entropy)(x, y, reduction=reduction, **kwargs)
    ref, ref_g = oracle.cross_entropy(x, y, reduction=reduction, **kwargs)
    assert value.dtype == dtype
    assert np.all(np.isfinite(value))
    np.testing.assert_allclose(value, oracle.to_float(ref, dtype), rtol=8 * np.finfo(dtype).eps)
    np.testing.assert_allclose(g, oracle.to_float(ref_g, dtype), rtol=0, atol=1e-6)


def _central_difference(f, x):
    return losslab.numerical_gradient(lambda a: np.sum(f(a)), x)


CONFIGS = [
    {},
    {"weight": [0.5, 2.0, 1.0, 0.0]},
    {"label_smoothing": 0.3},
    {"weight": [0.5, 2.0, 1.0, 3.0], "label_smoothing": 0.2, "ignore_index": 1},
    {"ignore_index": 3},
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("kwargs", CONFIGS)
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2, 2), (4,)])
def test_cross_entropy_gradient_matches_central_difference(shape, kwargs, reduction):
    rng = np.random.default_rng(len(shape))
    x = rng.normal(size=shape) * 2
    label_shape = () if len(shape) == 1 else (shape[0], *shape[2:])
    y = rng.integers(0, 4, size=label_shape)
    if y.ndim and "ignore_index" in kwargs:
        y.reshape(-1)[0] = kwargs["ignore_index"]
    y.reshape(-1)[-1] = 2  # at least one counted, weighted row
    kw = dict(kwargs, reduction=reduction)
    value, g = vg_ce(x, y, **kw)
    np.testing.assert_array_equal(value, losslab.cross_entropy(x, y, **kw))
    num = _central_difference(lambda a: losslab.cross_entropy(a, y, **kw), x)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kwargs", [{}, {"weight": [1.0, 2.0, 0.5]}, {"label_smoothing": 0.25}])
def test_probability_target_gradient(kwargs):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 3))
    t = rng.dirichlet(np.ones(3), size=4)
    _, g = vg_ce(x, t, **kwargs)
    num = _central_difference(lambda a: losslab.cross_entropy(a, t, **kwargs), x)
    np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-8)
    if not kwargs:  # softmax - target, divided by N
        np.testing.assert_allclose(g, (losslab.softmax(x) - t) / 4, rtol=1e-13, atol=1e-16)


def test_weighted_mean_divides_by_sum_of_label_weights():
    x = np.random.default_rng(0).normal(size=(3, 2))
    y = np.array([0, 1, 1])
    w = np.array([2.0, 0.5])
    per_row = losslab.cross_entropy(x, y, weight=w, reduction="none")
    unweighted = losslab.cross_entropy(x, y, reduction="none")
    np.testing.assert_allclose(per_row, w[y] * unweighted, rtol=1e-15)
    assert losslab.cross_entropy(x, y, weight=w) == pytest.approx(per_row.sum() / w[y].sum())


def test_ignored_rows_contribute_nothing():
    x = np.random.default_rng(0).normal(size=(4, 3))
    y = np.array([0, -100, 2, -100])
    value, g = vg_ce(x, y)
    assert value == pytest.approx(losslab.cross_entropy(x[[0, 2]], y[[0, 2]]), rel=1e-15)
    assert np.all(g[[1, 3]] == 0)
    assert np.all(losslab.cross_entropy(x, y, reduction="none")[[1, 3]] == 0)


@pytest.mark.parametrize("fn", [losslab.cross_entropy, losslab.nll_loss])
def test_all_ignored_mean_raises_but_sum_is_zero(fn):
    x = np.zeros((2, 3))
    with pytest.raises(ValueError, match="every target equals ignore_index=-100"):
        fn(x, [-100, -100])
    with pytest.raises(ValueError, match="weight 0"):
        fn(x, [0, 1], weight=[0.0, 0.0, 1.0])
    assert fn(x, [-100, -100], reduction="sum") == 0.0


def test_nll_loss_values_and_gradient():
    logp = np.log(np.array([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]]))
    y = np.array([1, 0, -100])
    assert losslab.nll_loss(logp, y) == pytest.approx(-(np.log(0.8) + np.log(0.5)) / 2)
    _, g = vg_nll(logp, y, weight=[1.0, 3.0])
    np.testing.assert_allclose(g, [[0.0, -3.0 / 4], [-1.0 / 4, 0.0], [0.0, 0.0]])


def test_float32_preserved_and_inputs_not_modified():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 5)).astype(np.float32)
    y = rng.integers(0, 5, size=6)
    t = rng.dirichlet(np.ones(5), size=6).astype(np.float32)
    w = np.ones(5, np.float32)
    copies = [a.copy() for a in (x, y, t, w)]
    for target in (y, t):
        value, g = vg_ce(x, target, weight=w, label_smoothing=0.1)
        assert value.dtype == np.float32 and g.dtype == np.float32
        assert losslab.cross_entropy(x, target).dtype == np.float32
    assert losslab.cross_entropy(x, y, weight=w.astype(np.float64)).dtype == np.float64
    assert vg_nll(x, y)[1].dtype == np.float32
    for a, c in zip((x, y, t, w), copies, strict=True):
        np.testing.assert_array_equal(a, c)


def test_float32_accuracy_large_batch():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200_000, 10)) * 3
    y = rng.integers(0, 10, size=200_000)
    x32 = x.astype(np.float32)
    ref = losslab.cross_entropy(x32.astype(np.float64), y)
    got = losslab.cross_entropy(x32, y)
    assert got.dtype == np.float32
    assert abs(float(got) - ref) <= 4 * np.finfo(np.float32).eps * ref


def test_block_boundaries_do_not_matter():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(10_001, 3)) * 5
    y = rng.integers(0, 3, size=10_001)
    per_row = losslab.cross_entropy(x, y, reduction="none")
    ref = -np.take_along_axis(losslab.log_softmax(x, axis=1), y[:, None], axis=1)[:, 0]
    np.testing.assert_allclose(per_row, ref, rtol=1e-12, atol=1e-15)
    g = losslab.grad(losslab.cross_entropy)(x, y, reduction="sum")
    np.testing.assert_allclose(g, losslab.softmax(x) - np.eye(3)[y], rtol=1e-12, atol=1e-15)


X = [[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]


@pytest.mark.parametrize(
    ("args", "kwargs", "exc", "match"),
    [
        ((X, [0, 1, 2]), {}, ValueError, r"`target` has shape \(3,\), expected \(2,\)"),
        ((X, [[0.5, 0.5]]), {}, ValueError, r"`target` has shape \(1, 2\), expected \(2, 3\)"),
        ((X, [0.0, 1.0]), {}, ValueError, "integer labels need an integer dtype"),
        ((X, [0, 3]), {}, ValueError, r"`target` contains label 3, expected labels in \[0, 2\]"),
        ((X, [0, -1]), {}, ValueError, "`target` contains label -1"),
        ((X, [0, 1]), {"weight": [1.0, -1.0, 1.0]}, ValueError, "`weight` contains a negative"),
        ((X, [0, 1]), {"weight": [1.0, 1.0]}, ValueError, r"`weight` has shape \(2,\)"),
        ((X, [0, 1]), {"label_smoothing": 1.5}, ValueError, r"`label_smoothing` is 1.5"),
        ((X, [0, 1]), {"label_smoothing": -0.1}, ValueError, "`label_smoothing`"),
        ((X, [0, 1]), {"label_smoothing": "0.1"}, TypeError, "`label_smoothing`"),
        ((X, [0, 1]), {"ignore_index": 1.0}, TypeError, "`ignore_index`"),
        ((X, [[0.5, 0.4, 0.0], [0, 0, 1.0]]), {}, ValueError, "`target` does not sum to 1"),
        ((X, [[1.5, -0.5, 0.0], [0, 0, 1.0]]), {}, ValueError, r"`target` has values in"),
        (([[1.0, np.nan, 0.0]], [0]), {}, ValueError, "`input` contains NaN"),
        ((X, [[np.nan, 0, 1.0], [0, 0, 1.0]]), {}, ValueError, "`target` contains NaN"),
        ((X, [0, 1]), {"reduction": "batchmean"}, ValueError, "`reduction`"),
        ((X, [True, False]), {}, TypeError, "`target` has dtype bool"),
        ((X, "ab"), {}, TypeError, "`target` is a str"),
        (([[True, False]], [0]), {}, TypeError, "`input` has dtype bool"),
        (([], []), {}, ValueError, "`input` is empty"),
        ((5.0, 0), {}, ValueError, "`input` has 0 dimension"),
    ],
)
def test_cross_entropy_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        losslab.cross_entropy(*args, **kwargs)
    with pytest.raises(exc, match=match):
        vg_ce(*args, **kwargs)


def test_nll_loss_rejects_probability_targets():
    with pytest.raises(TypeError, match="`target` has dtype float64"):
        losslab.nll_loss(X, [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])


logits = arrays(
    np.float64,
    st.tuples(st.integers(1, 6), st.integers(2, 5)),
    elements=st.floats(-50, 50, allow_nan=False),
)


@settings(max_examples=60, deadline=None)
@given(logits, st.data())
def test_properties(x, data):
    n, c = x.shape
    y = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    per_row = losslab.cross_entropy(x, y, reduction="none")
    assert np.all(per_row >= 0)
    mean, total = losslab.cross_entropy(x, y), losslab.cross_entropy(x, y, reduction="sum")
    assert mean == pytest.approx(total / n, rel=1e-13, abs=1e-300)
    shift = data.draw(st.floats(-1e3, 1e3))
    np.testing.assert_allclose(
        losslab.cross_entropy(x + shift, y, reduction="none"), per_row, rtol=1e-8, atol=1e-9
    )
    g = losslab.grad(losslab.cross_entropy)(x, y, reduction="sum")
    np.testing.assert_allclose(g, losslab.softmax(x) - np.eye(c)[y], atol=1e-15)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_confident_rows_keep_relative_accuracy(dtype):
    # target logit 25 above the rest: loss = log(1 + sum_j e^(x_j - x_y)) ~ 1e-10, mpmath reference
    x = np.array([[25.0, 0.0, -1.0, 0.5], [0.0, 30.0, 1.0, 2.0]], dtype=dtype)
    y = np.array([0, 1])
    with mpmath.workdps(50):
        want = []
        for row, label in zip(x.astype(np.float64), y, strict=True):
            r = sum(mpmath.exp(mpmath.mpf(float(a)) - mpmath.mpf(float(row[label]))) for a in row)
            want.append(float(mpmath.log(r)))
    value, g = vg_ce(x, y, reduction="none")
    rtol = 1e-14 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(value, want, rtol=rtol)
    # gradient at the target = p_y - 1 = -(1 - p_y), relative accuracy kept as well
    np.testing.assert_allclose(-g[[0, 1], y], [-np.expm1(-w) for w in want], rtol=rtol)


@pytest.mark.parametrize("fn", [losslab.cross_entropy, losslab.nll_loss])
def test_integer_one_hot_target_gets_a_hint(fn):
    with pytest.raises(ValueError, match=r"looks like a one-hot target: pass `target.argmax"):
        fn(np.zeros((2, 4)), np.array([[0, 0, 1, 0], [1, 0, 0, 0]]))
    with pytest.raises(ValueError, match=r"target.argmax\(axis=0\)"):
        fn(np.zeros(4), np.array([0, 0, 1, 0]))


@pytest.mark.parametrize("kernels", [True, False], ids=["compiled", "numpy"])
def test_nll_loss_reads_and_checks_only_the_label_entries(kernels):
    # Like F.nll_loss: a NaN or inf away from the labels changes neither the loss nor its
    # gradient, so it is accepted; at a counted label it is an error; at an ignored row, not.
    from losslab import _fast

    previous = _fast.use_kernels(_fast.kernels if kernels else None)
    try:
        if kernels and not _fast.active():
            pytest.skip("losslab._kernels is not built")
        logp = np.log(np.full((3, 4), 0.25))
        y = np.array([1, 2, -100])
        clean = losslab.value_and_grad(losslab.nll_loss)(logp, y)
        dirty = logp.copy()
        dirty[0, 0], dirty[1, 3], dirty[2, 0] = np.nan, -np.inf, np.nan  # row 2 is ignored
        value, g = losslab.value_and_grad(losslab.nll_loss)(dirty, y)
        assert value == clean[0]
        np.testing.assert_array_equal(g, clean[1])
        dirty[1, 2] = -np.inf
        with pytest.raises(ValueError, match=r"^`input` contains inf at the label entry of row"):
            losslab.nll_loss(dirty, y)
    finally:
        _fast.use_kernels(previous)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=str)
@pytest.mark.parametrize("size", ["huge", "tiny", "smallest"])
@pytest.mark.parametrize(
    ("fn", "kwargs"),
    [
        (losslab.cross_entropy, {}),
        (losslab.cross_entropy, {"label_smoothing": 0.1}),
        (losslab.nll_loss, {}),
    ],
    ids=["cross_entropy", "smoothing", "nll_loss"],
)
def test_mean_with_class_weights_at_the_ends_of_the_range(fn, kwargs, size, dtype):
    # equal class weights give the unweighted mean, also when their sum (or its reciprocal,
    # the gradient's scale) leaves the range: no warning, no inf
    info = np.finfo(dtype)
    w = {"huge": info.max * dtype(0.9), "tiny": info.tiny / 64, "smallest": info.smallest_subnormal}
    x = np.array([[1.0, 2.0, 0.5], [0.3, -1.0, 2.0]], dtype)
    y = np.array([0, 2])
    value, g = losslab.value_and_grad(fn)(x, y, weight=np.full(3, w[size], dtype), **kwargs)
    ref, ref_g = losslab.value_and_grad(fn)(x, y, weight=np.ones(3, dtype), **kwargs)
    assert value.dtype == g.dtype == dtype
    assert value == ref
    np.testing.assert_array_equal(g, ref_g)
