"""Run every convention case with the real libraries; write or check the record.

    python tools/conventions/run.py --check   # the `conventions` nox session: fail on any change
    python tools/conventions/run.py --write   # (re)write tools/conventions/record.json

Needs torch, Keras 3 (KERAS_BACKEND=torch), jax with optax, scikit-learn and SciPy. For every
cell it runs the library call and the losslab expression on the shared inputs and requires them
to agree within the cell's tolerance. ``--check`` also requires every library value to equal the
recorded one (a release that changes a convention fails here) and the case list to be the
recorded one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

import numpy as np  # noqa: E402

from conventions.cases import CASES  # noqa: E402
from conventions.model import (  # noqa: E402
    DISTRIBUTIONS,
    LIBRARIES,
    evaluate,
    losslab_namespace,
    matches,
    tolerance,
)

RECORD = HERE / "record.json"
RECORD_TOLERANCE = {"float64": (1e-10, 1e-15), "float32": (1e-6, 1e-8)}
"""(rtol, atol): how close a library value must stay to the recorded one, by its precision."""


def library_namespace() -> dict[str, Any]:
    import jax

    jax.config.update("jax_enable_x64", True)  # float64 in, float64 out, as for the others
    import jax.numpy as jnp
    import keras
    import optax
    import torch
    import torch.nn.functional as F
    from scipy import spatial, special, stats
    from sklearn import metrics

    def T(a: Any) -> Any:
        return torch.as_tensor(np.asarray(a))

    return {
        **losslab_namespace(),
        "torch": torch,
        "F": F,
        "T": T,
        "keras": keras,
        "optax": optax,
        "jax": jax,
        "jnp": jnp,
        "metrics": metrics,
        "special": special,
        "stats": stats,
        "spatial": spatial,
    }


def versions() -> dict[str, str]:
    import losslab

    out = {"python": platform.python_version()}
    for name, dist in DISTRIBUTIONS.items():
        out[name] = losslab.__version__ if name == "losslab" else metadata.version(dist)
    import keras

    out["keras backend"] = keras.backend.backend()
    return out


def run() -> tuple[dict[str, Any], list[str]]:
    """Evaluate every cell; return the record and the list of failures."""
    libs = library_namespace()
    ours = losslab_namespace()
    failures: list[str] = []
    cases = []
    for case in CASES:
        unknown = set(case.cells) - set(LIBRARIES)
        if unknown:
            failures.append(f"{case.id}: unknown libraries {sorted(unknown)}")
        cells = {}
        for lib in LIBRARIES:
            if lib not in case.cells:
                continue
            cell = case.cells[lib]
            where = f"{case.id} [{lib}]"
            try:
                value = evaluate(cell.call, libs)
                repro = evaluate(cell.losslab, ours)
            except Exception as exc:  # report every broken cell, not only the first
                failures.append(f"{where}: {type(exc).__name__}: {exc}")
                continue
            # Keras returns float64 for float64 input but computes in float32 (its torch
            # backend's mean casts to float32; hyperparameters such as L1's are float32).
            float32 = value.dtype == np.float32 or lib == "keras"
            dtype = "float32" if float32 else "float64"
            rtol, atol = tolerance(cell.rtol, cell.atol, dtype)
            if not matches(repro, value, rtol, atol):
                failures.append(
                    f"{where}: losslab gives {repro.tolist()}, the library {value.tolist()}"
                    f" (rtol {rtol}, atol {atol})"
                )
            cells[lib] = {
                "call": cell.call,
                "losslab": cell.losslab,
                "note": cell.note,
                "rtol": cell.rtol,
                "atol": cell.atol,
                "precision": dtype,
                "value": value.astype(np.float64).tolist(),
            }
        cases.append({"id": case.id, "loss": case.loss, "options": case.options, "cells": cells})
    record = {"libraries": list(LIBRARIES), "versions": versions(), "cases": cases}
    return record, failures


def compare_with_record(record: dict[str, Any], old: dict[str, Any]) -> list[str]:
    """Differences between a fresh run and the committed record."""
    failures = []
    old_cases = {c["id"]: c for c in old["cases"]}
    new_ids = [c["id"] for c in record["cases"]]
    if new_ids != [c["id"] for c in old["cases"]]:
        failures.append("the case list differs from the record: run with --write and review")
    for case in record["cases"]:
        before = old_cases.get(case["id"])
        if before is None:
            continue
        if set(case["cells"]) != set(before["cells"]):
            failures.append(f"{case['id']}: libraries differ from the record")
        for lib, cell in case["cells"].items():
            was = before["cells"].get(lib)
            if was is None:
                continue
            if (cell["call"], cell["losslab"]) != (was["call"], was["losslab"]):
                failures.append(f"{case['id']} [{lib}]: the calls differ from the record")
            if not matches(cell["value"], was["value"], *RECORD_TOLERANCE[was["precision"]]):
                failures.append(
                    f"{case['id']} [{lib}]: {cell['call']} now gives {cell['value']},"
                    f" the record has {was['value']}"
                )
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="compare with the record (default)")
    group.add_argument("--write", action="store_true", help="write the record")
    args = parser.parse_args()
    record, failures = run()
    ncells = sum(len(c["cells"]) for c in record["cases"])
    print(f"{len(record['cases'])} cases, {ncells} cells: " + json.dumps(record["versions"]))
    if args.write:
        if failures:
            print("\n".join(failures))
            print("not written: fix the failing cells first")
            return 1
        RECORD.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {RECORD}")
        return 0
    old = json.loads(RECORD.read_text(encoding="utf-8"))
    failures += compare_with_record(record, old)
    if old["versions"] != record["versions"]:
        changed = {k: (old["versions"].get(k), v) for k, v in record["versions"].items()}
        changed = {k: v for k, v in changed.items() if v[0] != v[1]}
        print(f"versions differ from the record (values compared all the same): {changed}")
    if failures:
        print("\n".join(failures))
        print(f"{len(failures)} failed, {ncells} cells")
        return 1
    print(f"all {ncells} cells match the record and their losslab reproduction")
    return 0


if __name__ == "__main__":
    sys.exit(main())
