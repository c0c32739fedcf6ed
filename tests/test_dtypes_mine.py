"""Dtypes the penalties, information measures and classification metrics accept or refuse."""

from __future__ import annotations

import numpy as np
import pytest

import losslab

P = np.array([0.5, 0.25, 0.25])
CALLS = {
    "l1_penalty": lambda a: losslab.l1_penalty(a),
    "l2_penalty": lambda a: losslab.l2_penalty(a),
    "entropy": lambda a: losslab.entropy(a),
    "kl_divergence": lambda a: losslab.kl_divergence(a, a[::-1].copy()),
    "accuracy": lambda a: losslab.accuracy(np.stack([a, a[::-1]]), [0, 1]),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_big_endian_float32_stays_float32(name):
    out = CALLS[name](P.astype(">f4"))
    assert np.asarray(out).dtype == np.float32
    assert out == CALLS[name](P.astype("<f4"))


@pytest.mark.parametrize("name", sorted(CALLS))
def test_longdouble_is_refused_not_rounded(name):
    with pytest.raises(TypeError, match=r"longdouble|float128"):
        CALLS[name](P.astype(np.longdouble))


@pytest.mark.parametrize("name", sorted(CALLS))
def test_masked_array_is_refused(name):
    with pytest.raises(TypeError, match="masked"):
        CALLS[name](np.ma.masked_array(P, mask=[0, 1, 0]))
