"""Render the conventions record as Markdown (the Conventions page prints these at build time)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .model import LIBRARY_TITLES

RECORD = Path(__file__).resolve().parent / "record.json"
DASH = "—"


def load(path: Path = RECORD) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def fmt(value: Any, digits: int = 6, limit: int = 3) -> str:
    """A recorded value for a table cell: a number, a short list, or the shape of a longer one."""
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 0:
        return f"{float(a):.{digits}g}"
    if a.size > limit:
        return "×".join(map(str, a.shape)) + " values"
    return "[" + ", ".join(f"{float(v):.{min(digits, 4)}g}" for v in a.ravel()) + "]"


def fmt_full(value: Any) -> str:
    """Every digit of a recorded value (repr of each float)."""
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 0:
        return repr(float(a))
    return json.dumps(a.tolist())


def versions(record: dict[str, Any]) -> str:
    v = record["versions"]
    names = [
        ("PyTorch", "torch"),
        ("Keras", "keras"),
        ("JAX", "jax"),
        ("optax", "optax"),
        ("scikit-learn", "sklearn"),
        ("SciPy", "scipy"),
        ("NumPy", "numpy"),
        ("losslab", "losslab"),
        ("Python", "python"),
    ]
    text = ", ".join(f"{title} {v[key]}" for title, key in names)
    backend = v["keras backend"]
    return (
        f"{text}; Keras on its {backend} backend; all on the CPU with float64 inputs"
        " (Keras computes in float32)"
    )


def matrix(record: dict[str, Any]) -> str:
    """Rows are cases, columns are libraries, cells are values or a dash."""
    libs = record["libraries"]
    head = "| case | " + " | ".join(LIBRARY_TITLES[lib] for lib in libs) + " |"
    rule = "| --- | " + " | ".join("---" for _ in libs) + " |"
    rows = [head, rule]
    for case in record["cases"]:
        cells = [fmt(case["cells"][lib]["value"]) if lib in case["cells"] else DASH for lib in libs]
        label = f"[{case['loss']}: {case['options']}](#case-{case['id']})"
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def details(record: dict[str, Any]) -> str:
    """One table per case: each library's call, its value, losslab's reproduction and the gap."""
    out = []
    for case in record["cases"]:
        out.append(
            f"#### {case['loss']}: {case['options']} {{ #case-{case['id']} data-search-exclude }}\n"
        )
        out.append("| library | call | value | reproduced by losslab | difference |")
        out.append("| --- | --- | --- | --- | --- |")
        for lib in record["libraries"]:
            cell = case["cells"].get(lib)
            if cell is None:
                continue
            tol = f"rtol {cell['rtol']:g}" + (
                " (computed in float32)" if cell["precision"] == "float32" else ""
            )
            note = cell["note"] or DASH
            out.append(
                f"| {LIBRARY_TITLES[lib]} | `{cell['call']}` | `{fmt_full(cell['value'])}` "
                f"| `{cell['losslab']}` ({tol}) | {note} |"
            )
        out.append("")
    return "\n".join(out)


def loss_table(record: dict[str, Any], loss: str) -> str:
    """Every recorded call of the cases of ``loss``: case, library, call, value, note."""
    out = ["| case | library | call | value | note |", "| --- | --- | --- | --- | --- |"]
    for case in record["cases"]:
        if case["loss"] != loss:
            continue
        for lib in record["libraries"]:
            cell = case["cells"].get(lib)
            if cell is not None:
                out.append(
                    f"| {case['options']} | {LIBRARY_TITLES[lib]} | `{cell['call']}` "
                    f"| {fmt(cell['value'])} | {cell['note'] or DASH} |"
                )
    if len(out) == 2:
        raise ValueError(f"no recorded case of {loss!r}")
    return "\n".join(out)
