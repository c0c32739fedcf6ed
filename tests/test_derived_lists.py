"""The lists that DEVELOPERS.md's "Add a loss" checklist calls derived really include every public
loss: the registry (gradients), the API pages, the compiled kernels' kinds (each tested against
its NumPy path and benchmarked); and the checklist's other steps are done: the loss's own test
file, its docstring sections and a section on a page of the site. The symbolic forms are
checked by ``tests/symbolic/test_forms.py``, the case rows by ``tests/test_cases.py`` and
``tests/test_validation_table.py``.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import losslab
from losslab import _fast, _registry

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = _registry.entries()
#: Public losses that have no gradient, and why.
NOT_DIFFERENTIABLE = {"zero_one_loss": "piecewise constant: its gradient is 0 almost everywhere"}


def _public_losses() -> list[str]:
    """Public functions with a ``reduction`` or named ``*_loss``."""
    return [
        name
        for name in losslab.__all__
        if inspect.isfunction(obj := getattr(losslab, name))
        and ("reduction" in inspect.signature(obj).parameters or name.endswith("_loss"))
    ]


LOSSES = _public_losses()


def test_every_public_loss_is_registered():
    registered = set(losslab.differentiable_functions())
    missing = [n for n in LOSSES if n not in registered and n not in NOT_DIFFERENTIABLE]
    assert not missing, f"public losses not registered for grad/value_and_grad: {missing}"
    assert "mse_loss" in LOSSES and "ctc_loss" in LOSSES


def test_every_registered_module_has_an_api_page():
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import mkdocs_hooks
    finally:
        sys.path.remove(str(ROOT / "tools"))
    pages = {f"losslab.{name}" for name, _ in mkdocs_hooks.public_modules(ROOT / "src")}
    missing = sorted({e.module for e in ENTRIES} - pages)
    assert not missing, f"modules of registered functions without an API page: {missing}"


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_every_registered_function_has_tests_of_its_own(entry):
    """``src/losslab/foo.py`` has ``tests/test_foo.py``, and it calls each registered function."""
    path = ROOT / "tests" / f"test_{entry.module.rsplit('.', 1)[-1]}.py"
    assert path.exists(), f"{entry.name}: no {path.relative_to(ROOT)}"
    assert re.search(rf"\b{entry.name}\b", path.read_text(encoding="utf-8")), entry.name


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.name for e in ENTRIES])
def test_docstring_has_conventions_and_shape(entry):
    """The sections DEVELOPERS.md asks of a loss: Conventions always, Shape with a reduction."""
    doc = inspect.getdoc(entry.function) or ""
    sections = set(re.findall(r"^(\w[\w ]*)\n-{3,}$", doc, flags=re.MULTILINE))
    assert "Conventions" in sections, entry.name
    if "reduction" in inspect.signature(entry.function).parameters:
        assert "Shape" in sections, entry.name


#: Public losses documented only on their API page so far (no section on a page of the site).
NOT_ON_A_PAGE = {"triplet_margin_with_distance_loss"}


def _called_on_a_page() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").rglob("*.md"))
    return {n for n in LOSSES if re.search(rf"\blosslab\.{n}\b", text)}


def test_every_public_loss_is_on_a_page_of_the_site():
    missing = sorted(set(LOSSES) - _called_on_a_page() - NOT_ON_A_PAGE)
    assert not missing, f"public losses that no page of docs/ calls as losslab.<name>: {missing}"


def test_the_exemptions_are_still_needed():
    documented = sorted(NOT_ON_A_PAGE & _called_on_a_page())
    assert not documented, f"on a page now, take them out of NOT_ON_A_PAGE: {documented}"
    assert NOT_ON_A_PAGE <= set(LOSSES)


# --- compiled kernels ----------------------------------------------------------------------------


class _KindSpy:
    """The kernel module, recording the pair kind codes and row kernels that calls use."""

    def __init__(self, module: Any) -> None:
        self._module = module
        self.codes: Counter[int] = Counter()
        self.rows: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._module, name)
        if not callable(attr):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            if name == "pair":
                self.codes[args[0]] += 1
            elif name in _fast.ROW_KINDS:
                self.rows[name] += 1
            return attr(*args, **kwargs)

        return counted


def _kinds_used(fn: Any, args: tuple, kwargs: dict) -> tuple[set[str], set[str]]:
    spy = _KindSpy(_fast.kernels)
    previous = _fast.use_kernels(spy)
    try:
        fn(*args, **kwargs)
        losslab.value_and_grad(fn)(*args, **kwargs)
    finally:
        _fast.use_kernels(previous)
    names = {code: name for name, code in _fast.PAIR_KINDS.items()}
    return {names[c] for c in spy.codes}, set(spy.rows)


@pytest.mark.skipif(_fast.kernels is None, reason="the compiled kernels are not built")
def test_every_kernel_kind_is_tested_against_numpy_and_benchmarked():
    from kernel_cases import CASES

    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import bench_losses
    finally:
        sys.path.remove(str(ROOT / "bench"))
    tested: set[str] = set()
    by_function: dict[str, set[str]] = {}
    for case in CASES:
        args, kwargs = case.make(np.random.default_rng(0), min(case.sizes), np.float64)
        pair, rows = _kinds_used(case.fn, args, {**case.kwargs, **kwargs})
        tested |= pair | rows
        by_function.setdefault(case.fn.__name__, set()).update(pair | rows)
    every = set(_fast.PAIR_KINDS) | set(_fast.ROW_KINDS)
    assert every <= tested, f"kinds without a case in tests/kernel_cases.py: {every - tested}"
    benchmarked = {fn.__name__ for fn in bench_losses.LOSSLAB.values()}
    missing = sorted(set(by_function) - benchmarked)
    assert not missing, f"functions with a kernel missing from bench/bench_losses.py: {missing}"
