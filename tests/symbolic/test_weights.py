"""The symbolic forms follow the NumPy functions' `weight` and `reduction` arguments."""

from __future__ import annotations

import numpy as np
import pytest

import losslab
from losslab import symbolic
from losslab.gradcheck import gradcheck

X = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
Y = np.array([[0.0, 0.5, 1.0], [-1.0, 1.0, 0.5]])
W = np.array([[1.0, 3.0, 0.5], [2.0, 0.0, 1.5]])


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_weighted_forms_match_numpy(name, reduction):
    fn = getattr(losslab, name)
    value, g = losslab.value_and_grad(fn)(X, Y, reduction=reduction, weight=W)
    v_sym, g_sym = symbolic.get(name).value_and_grad(X, Y, reduction=reduction, weight=W)
    np.testing.assert_allclose(v_sym, value, rtol=1e-14)
    np.testing.assert_allclose(g_sym, g, rtol=1e-14)
    assert gradcheck(fn, (X, Y), {"reduction": reduction, "weight": W}).ok


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "soft_margin_loss"])
def test_unknown_reduction_is_refused(name):
    form = symbolic.get(name)
    with pytest.raises(ValueError, match="`reduction`"):
        form.value_and_grad(X, Y, reduction="avg")
