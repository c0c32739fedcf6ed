"""sample_batch, iterate_minibatches, duplicate_probability."""

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import losslab

# D004-MB-choice-seed0 (catalog): np.random.seed(0); np.random.choice(60000, 10)
SEED0 = [2732, 43567, 42613, 52416, 45891, 21243, 30403, 32103, 41993, 57043]


def test_legacy_choice_reproduced():
    idx = losslab.sample_batch(60000, 10, rng=np.random.RandomState(0), replace=True)
    assert idx.tolist() == SEED0
    assert idx.dtype == np.int64


def test_generator_seed_is_reproducible_and_distinct_without_replacement():
    a = losslab.sample_batch(60000, 10, rng=0)
    b = losslab.sample_batch(60000, 10, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)
    assert len(set(losslab.sample_batch(20, 20, rng=3).tolist())) == 20
    assert not np.array_equal(losslab.sample_batch(60000, 10, rng=1), a)


def test_with_replacement_can_repeat():
    idx = losslab.sample_batch(3, 50, rng=0, replace=True)
    assert len(set(idx.tolist())) <= 3 and idx.min() >= 0 and idx.max() < 3


def test_batch_shapes_on_synthetic_mnist():
    # S004-MB-load-shapes / D004-MB-choice-seed0 shapes, without MNIST
    x_train = np.zeros((60000, 784), dtype=np.uint8)
    t_train = np.zeros((60000, 10), dtype=np.uint8)
    mask = losslab.sample_batch(x_train.shape[0], 10, rng=0)
    assert x_train[mask].shape == (10, 784)
    assert t_train[mask].shape == (10, 10)


@given(st.integers(1, 60), st.integers(1, 70), st.booleans(), st.booleans(), st.integers(0, 99))
def test_iterate_covers_an_epoch(n, batch_size, shuffle, drop_last, seed):
    batches = list(
        losslab.iterate_minibatches(n, batch_size, rng=seed, shuffle=shuffle, drop_last=drop_last)
    )
    sizes = [len(b) for b in batches]
    assert all(s == batch_size for s in sizes[:-1])
    allidx = np.concatenate(batches).tolist() if batches else []
    assert len(allidx) == len(set(allidx))
    if drop_last:
        assert len(allidx) == n - n % batch_size
    else:
        assert sorted(allidx) == list(range(n))
    if not shuffle:
        assert allidx == list(range(len(allidx)))


def test_arange_and_fancy_indexing():
    # S004-MB-arange, S004-MB-fancy, D004-MB-fancy-values
    rows = next(losslab.iterate_minibatches(5, 5, shuffle=False))
    assert rows.tolist() == [0, 1, 2, 3, 4]
    t = np.array([2, 7, 0, 9, 4])
    y = np.arange(50).reshape(5, 10) / 100
    np.testing.assert_array_equal(y[rows, t], [0.02, 0.17, 0.2, 0.39, 0.44])
    assert list(zip(rows.tolist(), t.tolist(), strict=True)) == [
        (0, 2),
        (1, 7),
        (2, 0),
        (3, 9),
        (4, 4),
    ]


def test_duplicate_probability_against_mpmath_and_catalog():
    with mpmath.workdps(50):
        exact = 1 - mpmath.fprod(1 - mpmath.mpf(i) / 60000 for i in range(10))
    p = losslab.duplicate_probability(60000, 10)
    assert p == pytest.approx(float(exact), rel=1e-14)
    assert f"{p:.6e}" == "7.497584e-04"  # catalog value
    assert losslab.duplicate_probability(10, 1) == 0.0
    assert losslab.duplicate_probability(3, 4) == 1.0
    # the classic birthday number
    assert losslab.duplicate_probability(365, 23) == pytest.approx(0.5072972343239857, rel=1e-12)


@pytest.mark.parametrize(
    ("n", "k"), [(2**60, 2**60 - 1), (2**60, 2**59), (2**60, 2**60), (2**40, 2**24)]
)
def test_duplicate_probability_of_huge_batches_is_one_to_double_precision(n, k):
    with mpmath.workdps(60):
        log_none = mpmath.loggamma(n + 1) - mpmath.loggamma(n - k + 1) - k * mpmath.log(n)
        exact = float(1 - mpmath.exp(log_none))
    assert exact == 1.0
    assert losslab.duplicate_probability(n, k) == exact


def test_duplicate_probability_of_many_draws_below_half_n_against_mpmath():
    n, k = 2**62, 2**25
    with mpmath.workdps(60):
        log_none = mpmath.loggamma(n + 1) - mpmath.loggamma(n - k + 1) - k * mpmath.log(n)
        exact = float(1 - mpmath.exp(log_none))
    assert losslab.duplicate_probability(n, k) == pytest.approx(exact, rel=1e-12)


def test_iterate_checks_arguments_at_call_time():
    with pytest.raises(ValueError, match="`batch_size`"):
        losslab.iterate_minibatches(10, 0)
    with pytest.raises(TypeError, match="`rng`"):
        losslab.iterate_minibatches(10, 2, rng="0")


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"n": 5, "batch_size": 6}, ValueError, "`batch_size` is 6"),
        ({"n": 0, "batch_size": 1}, ValueError, "`n` is 0"),
        ({"n": 5.0, "batch_size": 1}, TypeError, "`n`"),
        ({"n": 5, "batch_size": 1, "rng": -1}, ValueError, "`rng`"),
        ({"n": 5, "batch_size": 1, "rng": 1.5}, TypeError, "`rng`"),
        ({"n": 5, "batch_size": 1, "replace": 1}, TypeError, "`replace`"),
    ],
)
def test_sample_batch_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        losslab.sample_batch(**kwargs)


def test_duplicate_probability_of_one_draw_is_positive_zero():
    import math

    p = losslab.duplicate_probability(10, 1)
    assert p == 0.0 and math.copysign(1.0, p) == 1.0


def test_duplicate_probability_of_many_draws_is_computed_without_an_array_per_draw():
    import math
    import tracemalloc

    import numpy as np

    from losslab.minibatch import duplicate_probability

    tracemalloc.start()
    p = duplicate_probability(10**20, 10**10)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1 << 20
    # k(k-1)/(2n) + k^3/(6n^2): the first two terms of -log(1 - P)
    k, n = 10**10, 10**20
    assert math.isclose(p, -math.expm1(-(k * (k - 1) / (2 * n) + k**3 / (6 * n**2))), rel_tol=1e-12)
    # the closed form agrees with the sum of its terms where both can be computed
    for n, k in ((10**13, 2**20 + 1), (10**12, 3 * 10**6)):
        terms = -math.expm1(float(np.sum(np.log1p(-np.arange(k, dtype=np.float64) / n))))
        assert math.isclose(duplicate_probability(n, k), terms, rel_tol=1e-9)


def test_sample_batch_refuses_more_samples_than_an_index_holds():
    import pytest

    from losslab.minibatch import iterate_minibatches, sample_batch

    with pytest.raises(ValueError, match="`n` is 18446744073709551616"):
        sample_batch(2**64, 3)
    assert callable(iterate_minibatches)
