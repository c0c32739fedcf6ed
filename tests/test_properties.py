"""Invariants of the losses, checked with hypothesis on the input regimes of the case table
(``tests/cases.py``; hypothesis draws the generator's seed):

* reductions agree for every registered loss: 'sum' is the sum of 'none', and 'mean' is 'sum'
  divided by a denominator that does not depend on the prediction, for the value and the gradient;
* the losses below are >= 0, and 0 at a perfect prediction;
* KL(p||q) >= 0, and H(p, q) = H(p) + KL(p||q);
* softmax and cross-entropy from logits are invariant to adding a constant to a row.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from cases import draw, regimes
from hypothesis import given, settings
from hypothesis import strategies as st

import losslab
from losslab import _registry

SEEDS = st.integers(0, 2**32 - 1)
LOSSES = [e for e in _registry.entries() if "reduction" in inspect.signature(e.function).parameters]
# 'mean' of ctc_loss divides each loss by its own target length before averaging, so it is not
# 'sum' over one denominator.
PER_SAMPLE_MEAN = {"ctc_loss"}
# Losses whose unreduced terms are >= 0 for every valid input (hinge_embedding_loss's y = 1 branch
# is x itself, kl_div's terms p (log p - input) have both signs).
NONNEGATIVE = [
    "mse_loss",
    "l1_loss",
    "huber_loss",
    "smooth_l1_loss",
    "cross_entropy",
    "nll_loss",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "multi_margin_loss",
    "soft_margin_loss",
    "hinge_loss",
    "margin_ranking_loss",
    "cosine_embedding_loss",
    "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
    "ctc_loss",
    "linear_cross_entropy",
]
# Losses that are 0 when the prediction equals the target.
ZERO_AT_TARGET = ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"]


WRT = {e.name: e.wrt[0] for e in LOSSES}


def _regime_params(names: list[str]) -> list:
    """(name, regime) pairs, without the regimes that fix their own reduction."""
    return [
        pytest.param(name, regime, id=f"{name}-{regime}")
        for name in names
        for regime in regimes(name)
        if "reduction" not in draw(name, regime)
    ]


@pytest.mark.parametrize(("name", "regime"), _regime_params([e.name for e in LOSSES]))
@settings(max_examples=5, deadline=None)
@given(seed=SEEDS)
def test_reductions_agree_for_value_and_gradient(name, regime, seed):
    fn = getattr(losslab, name)
    kwargs = draw(name, regime, seed=seed)
    wrt = WRT[name]
    none = fn(**kwargs, reduction="none")
    v_sum, g_sum = losslab.value_and_grad(fn, wrt=wrt)(**kwargs, reduction="sum")
    v_mean, g_mean = losslab.value_and_grad(fn, wrt=wrt)(**kwargs, reduction="mean")
    assert v_sum == pytest.approx(float(np.sum(none)), rel=1e-12, abs=1e-300)
    if name in PER_SAMPLE_MEAN or v_mean == 0:
        return
    denom = float(v_sum) / float(v_mean)
    assert denom > 0
    np.testing.assert_allclose(g_mean * denom, g_sum, rtol=1e-10, atol=1e-300)


@pytest.mark.parametrize(("name", "regime"), _regime_params(NONNEGATIVE))
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS)
def test_losses_are_nonnegative(name, regime, seed):
    kwargs = {**draw(name, regime, seed=seed), "reduction": "none"}
    assert (getattr(losslab, name)(**kwargs) >= 0).all()


@pytest.mark.parametrize(("name", "regime"), _regime_params(ZERO_AT_TARGET))
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS)
def test_zero_at_the_target(name, regime, seed):
    kwargs = draw(name, regime, seed=seed)
    assert getattr(losslab, name)(**{**kwargs, "input": kwargs["target"]}) == 0.0


@pytest.mark.parametrize("regime", list(regimes("cross_entropy")))
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, shift=st.floats(-1e3, 1e3))
def test_cross_entropy_shift_invariant(regime, seed, shift):
    kwargs = {**draw("cross_entropy", regime, seed=seed), "reduction": "none"}
    x = kwargs["input"]
    none = losslab.cross_entropy(**kwargs)
    shifted = losslab.cross_entropy(**{**kwargs, "input": x + shift})
    # shifting by s changes each logit by a rounding of size eps*|x + s|; that is the error scale
    scale = 1e-12 * (1 + np.abs(x).max() + abs(shift))
    np.testing.assert_allclose(shifted, none, rtol=0, atol=scale * 4)


@pytest.mark.parametrize("regime", ["random", "extreme"])
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS)
def test_cross_entropy_zero_at_perfect_prediction(regime, seed):
    """A one-hot prediction (the target logit 1e5 above the others) has loss 0 to the last bit."""
    kwargs = draw("cross_entropy", regime, seed=seed)
    x, labels = kwargs["input"], kwargs["target"]
    x[np.arange(x.shape[0]), labels] = np.abs(x).max() + 1e5
    assert losslab.cross_entropy(x, labels) == 0.0


@pytest.mark.parametrize("regime", list(regimes("softmax")))
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS, shift=st.floats(-1e3, 1e3))
def test_softmax_shift_invariance_and_rows_sum_to_one(regime, seed, shift):
    kwargs = draw("softmax", regime, seed=seed)
    x = kwargs["x"]
    p = losslab.softmax(**kwargs)
    assert ((p >= 0) & (p <= 1)).all()
    np.testing.assert_allclose(p.sum(axis=kwargs["axis"]), 1.0, rtol=0, atol=1e-12)
    scale = 1e-13 * (1 + np.abs(x).max() + abs(shift))
    np.testing.assert_allclose(
        losslab.softmax(**{**kwargs, "x": x + shift}), p, rtol=0, atol=scale * 8
    )


@pytest.mark.parametrize("regime", list(regimes("kl_divergence")))
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS)
def test_kl_nonnegative_and_cross_entropy_decomposition(regime, seed):
    kl, ent, xent = losslab.kl_divergence, losslab.entropy, losslab.cross_entropy_pq
    kwargs = draw("kl_divergence", regime, seed=seed)
    p = kwargs["p"]
    d = kl(**kwargs)
    assert (np.asarray(d) >= -1e-15).all()  # >= 0 up to the rounding of the sum
    np.testing.assert_allclose(kl(**{**kwargs, "q": p}), 0.0, atol=1e-15)
    h, hq = ent(p, base=kwargs["base"]), xent(**kwargs)
    # H(p, q) = H(p) + KL(p||q), to rounding of terms of size |p log q|
    np.testing.assert_allclose(hq, h + d, rtol=1e-12, atol=1e-12 * (1 + np.abs(hq).max()))


@pytest.mark.parametrize("regime", list(regimes("binary_cross_entropy_with_logits")))
@settings(max_examples=10, deadline=None)
@given(seed=SEEDS)
def test_binary_cross_entropy_zero_at_perfect_prediction(regime, seed):
    """Hard targets: logits of the right sign, far out, and probabilities equal to the target."""
    kwargs = draw("binary_cross_entropy_with_logits", regime, seed=seed)
    hard = (kwargs["target"] > 0.5).astype(float)
    logits = np.where(hard == 1, 1e4, -1e4)
    assert (
        losslab.binary_cross_entropy_with_logits(**{**kwargs, "input": logits, "target": hard})
        == 0.0
    )
    assert losslab.binary_cross_entropy(hard, hard) == 0.0
