r"""Mini-batch sampling: indices of the samples a training step uses.

The full loss averages over all :math:`N` training samples,
:math:`E = -\frac{1}{N}\sum_n \sum_k t_{nk} \ln y_{nk}`; with :math:`N = 60000` (MNIST) or millions,
each step instead estimates it on a small random batch. These helpers return *index arrays*; select
the rows with NumPy fancy indexing, ``x_train[idx]``.

Randomness comes from a :class:`numpy.random.Generator` (``rng=None`` for fresh entropy, an ``int``
seed for reproducibility, or a ``Generator``). The textbook's ``np.random.choice`` uses the legacy
global ``RandomState``; pass a :class:`numpy.random.RandomState` as ``rng`` to reproduce its draws.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _validation as v

__all__ = ["duplicate_probability", "iterate_minibatches", "sample_batch"]


def _check_count(x: Any, name: str, *, indexed: bool = False) -> int:
    """``x`` as an int >= 1; ``indexed``: also at most what an int64 index can hold."""
    value = v.check_int(x, name)
    if value < 1:
        raise ValueError(f"`{name}` is {value}, expected an int >= 1")
    if indexed and value > _MAX_COUNT:
        raise ValueError(f"`{name}` is {value}, expected an int <= 2**63 - 1")
    return value


#: Largest count an index array (int64) can hold.
_MAX_COUNT = int(np.iinfo(np.int64).max)
#: Above this many draws duplicate_probability sums in closed form instead of term by term.
_TERMWISE_DRAWS = 1 << 20


def _log_no_duplicate(n: int, k: int) -> float:
    r""":math:`\sum_{i=0}^{k-1} \log(1 - i/n)` for large ``k`` (Euler-Maclaurin): the integral
    :math:`-n\,[(1 - r)\log(1 - r) + r]`, :math:`r = k/n`, plus the end corrections
    :math:`-\tfrac12\log(1 - r)` and :math:`(1/n - 1/(n - k))/12`; the next term is of order
    :math:`n^{-3}`.  For small :math:`r` the integral is summed as its series
    :math:`-n\sum_{m \ge 2} r^m / (m(m - 1))`, which does not cancel."""
    r = k / n
    if r < 0.5:
        total, power, m = 0.0, r * r, 2
        while True:
            term = power / (m * (m - 1))
            total += term
            if term <= 1e-17 * total:
                break
            power *= r
            m += 1
        integral = -n * total
    else:
        integral = -n * ((1 - r) * math.log1p(-r) + r)
    return integral - 0.5 * math.log1p(-r) + (1 / n - 1 / (n - k)) / 12


def _rng(rng: Any) -> np.random.Generator | np.random.RandomState:
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if rng is None or (v.is_int(rng) and not isinstance(rng, bool)):
        if rng is not None and rng < 0:
            raise ValueError(f"`rng` is {rng}, expected a seed >= 0")
        return np.random.default_rng(rng)
    raise TypeError(
        f"`rng` is {rng!r}, expected None, an int seed, a numpy.random.Generator or a RandomState"
    )


def sample_batch(
    n: int,
    batch_size: int,
    *,
    rng: int | np.random.Generator | np.random.RandomState | None = None,
    replace: bool = False,
) -> np.ndarray:
    r"""Draw the indices of one random mini-batch out of ``n`` samples.

    Parameters
    ----------
    n : int
        Number of training samples (``x_train.shape[0]``).
    batch_size : int
        Number of indices to draw.
    rng : None, int, numpy.random.Generator or numpy.random.RandomState, optional
        Source of randomness; an int is a seed for :func:`numpy.random.default_rng`.
    replace : bool, default False
        Draw with replacement, so that an index can repeat. ``True`` is what the textbook's
        ``np.random.choice(n, batch_size)`` does (its default).

    Returns
    -------
    ndarray
        ``batch_size`` int64 indices in ``[0, n)``.

    Raises
    ------
    ValueError
        If ``n`` or ``batch_size`` is < 1, or ``batch_size > n`` without replacement.
    TypeError
        If ``n`` or ``batch_size`` is not an int, ``replace`` not a bool, or ``rng`` of another
        type.

    Notes
    -----
    With replacement, the probability of at least one repeated index is
    :func:`duplicate_probability` (7.5e-4 for 10 of 60000): small, but over an epoch of 6000 such
    batches about 4.5 batches contain a duplicate. Without replacement every index in a batch is
    distinct; :func:`iterate_minibatches` also makes the batches of an epoch disjoint.

    Conventions
    -----------
    * NumPy's legacy ``np.random.choice(n, k)`` and ``Generator.choice(n, k)`` both default to
      ``replace=True``; this function defaults to ``False``. The two APIs produce different streams
      for the same seed.
    * PyTorch ``DataLoader(shuffle=True)`` and Keras ``fit(shuffle=True)`` draw *without*
      replacement, one permutation per epoch (:func:`iterate_minibatches`).

    Examples
    --------
    The textbook's draw (the chapter 4 notes) with a seed, via the legacy ``RandomState`` it uses:

    >>> import numpy as np
    >>> import losslab
    >>> print(np.random.RandomState(0).choice(60000, 10))
    [ 2732 43567 42613 52416 45891 21243 30403 32103 41993 57043]
    >>> print(losslab.sample_batch(60000, 10, rng=np.random.RandomState(0), replace=True))
    [ 2732 43567 42613 52416 45891 21243 30403 32103 41993 57043]

    (``np.random.seed(0); np.random.choice(60000, 10)`` gives the same numbers through the global
    state.) New code should use a ``Generator``; an ``int`` seed makes one:

    >>> idx = losslab.sample_batch(60000, 10, rng=0)
    >>> print(idx.shape, len(set(idx.tolist())))
    (10,) 10

    Selecting the batch from arrays of MNIST's shapes (zeros here, no download):

    >>> x_train = np.zeros((60000, 784), dtype=np.float32)
    >>> t_train = np.zeros((60000, 10), dtype=np.float32)
    >>> print(x_train.shape, t_train.shape)
    (60000, 784) (60000, 10)
    >>> x_batch, t_batch = x_train[idx], t_train[idx]
    >>> print(x_batch.shape, t_batch.shape)
    (10, 784) (10, 10)
    """
    n = _check_count(n, "n", indexed=True)
    batch_size = _check_count(batch_size, "batch_size")
    if not v.is_bool(replace):
        raise TypeError(f"`replace` is {replace!r}, expected a bool")
    if not replace and batch_size > n:
        raise ValueError(
            f"`batch_size` is {batch_size}, expected at most n = {n} without replacement"
        )
    generator = _rng(rng)
    return np.asarray(generator.choice(n, batch_size, replace=bool(replace)), dtype=np.int64)


def iterate_minibatches(
    n: int,
    batch_size: int,
    *,
    rng: int | np.random.Generator | np.random.RandomState | None = None,
    shuffle: bool = True,
    drop_last: bool = False,
) -> Iterator[np.ndarray]:
    r"""Yield index arrays that split ``n`` samples into mini-batches for one epoch.

    Each index in ``range(n)`` appears exactly once (unless ``drop_last`` drops the short last
    batch). With ``shuffle=True`` the order is one random permutation; otherwise it is
    ``0, 1, ..., n-1``.

    Parameters
    ----------
    n : int
        Number of samples.
    batch_size : int
        Size of every batch but possibly the last.
    rng : None, int, numpy.random.Generator or numpy.random.RandomState, optional
        Source of randomness for the permutation (ignored when ``shuffle=False``).
    shuffle : bool, default True
        Visit the samples in a random order.
    drop_last : bool, default False
        Skip the last batch if it has fewer than ``batch_size`` indices.

    Returns
    -------
    iterator of ndarray
        int64 index arrays. Arguments are checked when the function is called, not on the first
        ``next()``.

    Raises
    ------
    ValueError
        If ``n`` or ``batch_size`` is < 1.
    TypeError
        If ``n`` or ``batch_size`` is not an int, a flag is not a bool, or ``rng`` of another type.

    Conventions
    -----------
    * PyTorch ``DataLoader(dataset, batch_size, shuffle, drop_last)``: same meaning of the three
      options; this yields indices instead of data.
    * Keras ``fit(batch_size=..., shuffle=True)`` reshuffles every epoch and keeps the short batch.

    Examples
    --------
    >>> import numpy as np
    >>> import losslab
    >>> for idx in losslab.iterate_minibatches(5, 5, shuffle=False):
    ...     print(idx)  # the chapter 4 notes' np.arange(batch_size)
    [0 1 2 3 4]
    >>> batches = list(losslab.iterate_minibatches(10, 4, rng=0))
    >>> print([len(b) for b in batches])
    [4, 4, 2]
    >>> print(sorted(np.concatenate(batches).tolist()) == list(range(10)))  # each index once
    True
    >>> print([len(b) for b in losslab.iterate_minibatches(10, 4, rng=0, drop_last=True)])
    [4, 4]

    The chapter 4 notes' label form of the cross-entropy picks one entry per row with
    ``y[np.arange(batch_size), t]``:

    >>> y = np.arange(50).reshape(5, 10) / 100
    >>> t = np.array([2, 7, 0, 9, 4])
    >>> rows = next(losslab.iterate_minibatches(5, 5, shuffle=False))
    >>> print(y[rows, t])
    [0.02 0.17 0.2  0.39 0.44]
    """
    n = _check_count(n, "n", indexed=True)
    batch_size = _check_count(batch_size, "batch_size")
    for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
        if not v.is_bool(flag):
            raise TypeError(f"`{name}` is {flag!r}, expected a bool")
    if shuffle:
        order = np.asarray(_rng(rng).permutation(n), dtype=np.int64)
    else:
        order = np.arange(n, dtype=np.int64)
    stop = n - n % batch_size if drop_last else n
    return (order[i : i + batch_size] for i in range(0, stop, batch_size))


def duplicate_probability(n: int, batch_size: int) -> float:
    r"""Probability that ``batch_size`` draws *with replacement* from ``n`` items repeat one.

    .. math::

        P = 1 - \prod_{i=0}^{k-1}\left(1 - \frac{i}{n}\right)
          = -\operatorname{expm1}\Big(\sum_{i=0}^{k-1} \operatorname{log1p}(-i/n)\Big)

    (the birthday problem), computed in the second form, which keeps full relative precision when
    :math:`P` is tiny.

    Parameters
    ----------
    n : int
        Number of items.
    batch_size : int
        Number of draws :math:`k`.

    Returns
    -------
    float
        :math:`P`; 1.0 when ``batch_size > n``.

    Raises
    ------
    ValueError
        If ``n`` or ``batch_size`` is < 1.
    TypeError
        If ``n`` or ``batch_size`` is not an int.

    Examples
    --------
    The chapter 4 notes draw 10 of MNIST's 60000 training images with ``np.random.choice``:

    >>> import numpy as np
    >>> import losslab
    >>> p = losslab.duplicate_probability(60000, 10)
    >>> print(f"{p:.6e}")
    7.497584e-04
    >>> naive = 1 - np.prod(1 - np.arange(10) / 60000)  # the product form agrees to 1e-16 here
    >>> print(abs(p - naive) < 1e-15)
    True

    An empirical check with 200000 simulated batches:

    >>> rng = np.random.default_rng(0)
    >>> draws = rng.integers(0, 60000, size=(200_000, 10))
    >>> s = np.sort(draws, axis=1)
    >>> frac = np.mean((s[:, 1:] == s[:, :-1]).any(axis=1))
    >>> print(abs(frac - p) < 4 * np.sqrt(p / 200_000))
    True
    """
    n = _check_count(n, "n")
    batch_size = _check_count(batch_size, "batch_size")
    if batch_size > n:
        return 1.0
    if batch_size > _TERMWISE_DRAWS:
        # log P(no duplicate) = sum log(1 - i/n) <= -k(k - 1)/(2n); below -40 the
        # probability of no duplicate is < 5e-18, so 1 - it is 1.0 in float64.  This covers
        # every k >= n/2 here (k > 2**20) and keeps log1p(-k/n) away from k/n == 1.0.
        if batch_size * (batch_size - 1) > 80 * n:
            return 1.0
        return float(-math.expm1(_log_no_duplicate(n, batch_size))) + 0.0
    i = np.arange(batch_size, dtype=np.float64)
    # + 0.0 turns the -0.0 of a single draw (expm1(0) = 0) into 0.0
    return float(-math.expm1(float(np.sum(np.log1p(-i / n))))) + 0.0
