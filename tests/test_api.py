"""Public signatures: data positional, options (``reduction`` and what follows) by keyword."""

import inspect

import pytest

import losslab


def _losses_with_reduction():
    out = []
    for name in losslab.__all__:
        obj = getattr(losslab, name)
        if not inspect.isfunction(obj):
            continue
        params = inspect.signature(obj).parameters
        if "reduction" in params or name.endswith("_loss"):
            out.append(name)
    return out


LOSSES = _losses_with_reduction()


def test_the_walk_finds_the_losses():
    for name in ("mse_loss", "cross_entropy", "kl_div", "ctc_loss", "zero_one_loss"):
        assert name in LOSSES


@pytest.mark.parametrize("name", LOSSES)
def test_reduction_and_later_options_are_keyword_only(name):
    params = list(inspect.signature(getattr(losslab, name)).parameters.values())
    names = [p.name for p in params]
    assert "reduction" in names, f"{name} has no `reduction` parameter"
    after = params[names.index("reduction") :]
    positional = [p.name for p in after if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    assert not positional, f"{name}: {positional} must be keyword-only"
