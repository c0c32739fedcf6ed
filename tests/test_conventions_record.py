"""The conventions record (tools/conventions/record.json): consistent, and reproduced by losslab.

The `conventions` nox session runs the real libraries and compares them with the record; this
file needs losslab and NumPy only: it checks the record against the case list and evaluates
every cell's losslab expression against the value the library returned.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from conventions import render  # noqa: E402
from conventions.cases import CASES  # noqa: E402
from conventions.model import (  # noqa: E402
    DISTRIBUTIONS,
    LIBRARIES,
    evaluate,
    inputs,
    losslab_namespace,
    matches,
    tolerance,
)

RECORD = json.loads((ROOT / "tools" / "conventions" / "record.json").read_text(encoding="utf-8"))
CELLS = [
    pytest.param(case, lib, id=f"{case['id']}-{lib}")
    for case in RECORD["cases"]
    for lib in case["cells"]
]


def test_record_follows_the_case_list():
    assert RECORD["libraries"] == list(LIBRARIES)
    assert [c["id"] for c in RECORD["cases"]] == [c.id for c in CASES]
    for case, recorded in zip(CASES, RECORD["cases"], strict=True):
        assert (recorded["loss"], recorded["options"]) == (case.loss, case.options)
        assert list(recorded["cells"]) == [lib for lib in LIBRARIES if lib in case.cells]
        for lib, cell in case.cells.items():
            assert recorded["cells"][lib]["call"] == cell.call, (case.id, lib)
            assert recorded["cells"][lib]["losslab"] == cell.losslab, (case.id, lib)
            assert recorded["cells"][lib]["note"] == cell.note, (case.id, lib)
            assert (recorded["cells"][lib]["rtol"], recorded["cells"][lib]["atol"]) == (
                cell.rtol,
                cell.atol,
            )


def test_record_names_every_version():
    assert set(DISTRIBUTIONS) <= set(RECORD["versions"])
    assert RECORD["versions"]["keras backend"] in {"torch", "jax"}


def test_ids_unique_and_every_loss_in_two_libraries():
    ids = [c["id"] for c in RECORD["cases"]]
    assert len(ids) == len(set(ids))
    by_loss: dict[str, set[str]] = {}
    for case in RECORD["cases"]:
        assert case["cells"], case["id"]
        by_loss.setdefault(case["loss"], set()).update(case["cells"])
    for loss, libs in by_loss.items():
        assert len(libs) >= 2, loss


def test_recorded_values_are_finite_and_typed():
    for case in RECORD["cases"]:
        for lib, cell in case["cells"].items():
            assert cell["precision"] in {"float32", "float64"}, (case["id"], lib)
            assert np.all(np.isfinite(np.asarray(cell["value"], dtype=np.float64))), case["id"]
            assert 0 <= cell["rtol"] < 1e-5 and 0 <= cell["atol"] < 1e-5


def test_shared_inputs_are_fresh_copies():
    a = inputs()
    a["x"][0, 0] = 99.0
    assert inputs()["x"][0, 0] == 0.0


@pytest.mark.parametrize(("case", "lib"), CELLS)
def test_losslab_reproduces_the_recorded_value(case, lib):
    cell = case["cells"][lib]
    value = evaluate(cell["losslab"], losslab_namespace())
    rtol, atol = tolerance(cell["rtol"], cell["atol"], cell["precision"])
    assert matches(value, cell["value"], rtol, atol), (
        f"{cell['losslab']} gives {value.tolist()}, {lib} recorded {cell['value']}"
    )


def test_a_changed_value_is_caught():
    cell = RECORD["cases"][0]["cells"]["torch"]
    value = evaluate(cell["losslab"], losslab_namespace())
    assert not matches(value, np.asarray(cell["value"]) * (1 + 1e-9), cell["rtol"], cell["atol"])
    assert not matches(value, [cell["value"]], cell["rtol"], cell["atol"])  # shape counts too


def test_the_stated_differences_are_real():
    """A note's gap (per sample, element-wise, 1/2, clip) is not zero on the shared inputs."""
    mse = RECORD["cases"][0]["cells"]
    assert np.shape(mse["keras"]["value"]) == (2,) and np.shape(mse["optax"]["value"]) == (2, 3)
    assert not np.isclose(mse["book"]["value"], mse["losslab"]["value"])
    zero = next(c for c in RECORD["cases"] if c["id"] == "bce-zero-probability")["cells"]
    values = {lib: round(float(np.asarray(c["value"])), 4) for lib, c in zero.items()}
    assert values == {"losslab": 100.0, "torch": 100.0, "keras": 16.1181, "sklearn": 36.0437}


def test_matrix_renders_every_case():
    table = render.matrix(RECORD)
    lines = [line for line in table.splitlines() if line.startswith("|")]
    assert len(lines) == 2 + len(RECORD["cases"])
    assert all(line.count("|") == len(LIBRARIES) + 2 for line in lines)
    assert "—" in table
