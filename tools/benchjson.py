"""Recorded benchmark runs as JSON: convert a script's text output, and render it back as text.

A run is the output of ``bench/bench_losses.py`` or ``bench/freed_memory.py``: ``#`` header
lines, one table (a column line, for bench_losses a dashed rule, then the rows), and report lines
after it (peak memory, the targets).  The JSON keeps the header and report lines as text and the
table as data::

    {"header": ["# ...", ...],
     "columns": [{"name": "loss", "decimals": null}, {"name": "losslab", "decimals": 2}, ...],
     "rows": [["mse", "float64", 1000, 10, "forward", 1, 0.01, ...], ...],
     "report": ["", "# peak extra memory ...", ...]}

    python tools/benchjson.py bench/results/RUN.txt ...   # writes RUN.json beside each file
    python bench/bench_losses.py --threads 1,2 --json bench/results/RUN.json

``render`` gives the text back (columns right-aligned to their widest cell); the site renders
the table from the JSON when it is built (``tools/benchrun.py``).
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Columns of bench/freed_memory.py's table, whose first cell has spaces.
_WIDE_SPLIT = re.compile(r"\s{2,}")
_NUMBER = re.compile(r"^-?\d+(?:\.(\d+))?$|^nan$")


def _cells(line: str, wide: bool) -> list[str]:
    return _WIDE_SPLIT.split(line.strip()) if wide else line.split()


def parse(text: str) -> dict[str, Any]:
    """The JSON form of a run's text output."""
    lines = text.rstrip("\n").split("\n")
    i = 0
    header = []
    while i < len(lines) and lines[i].startswith("#"):
        header.append(lines[i])
        i += 1
    head = lines[i]
    wide = not head.startswith("loss ")  # freed_memory.py: "call", then two-space gaps
    names = _cells(head, wide)
    i += 1
    rule = i < len(lines) and set(lines[i]) == {"-"}
    i += rule
    decimals: list[int | None] = [None] * len(names)
    seen_text = [False] * len(names)
    rows = []
    while i < len(lines) and lines[i].strip() and not lines[i].startswith("#"):
        cells = _cells(lines[i], wide)
        if len(cells) != len(names):
            raise ValueError(f"row {lines[i]!r} has {len(cells)} cells, expected {len(names)}")
        row: list[Any] = []
        for k, cell in enumerate(cells):
            m = _NUMBER.match(cell)
            if m and not seen_text[k]:
                places = len(m.group(1) or "") if cell != "nan" else 0
                decimals[k] = max(decimals[k] or 0, places)
                row.append(float(cell) if ("." in cell or cell == "nan") else int(cell))
            else:
                seen_text[k] = True
                row.append(cell)
        rows.append(row)
        i += 1
    columns = [
        {"name": n, "decimals": None if seen_text[k] else decimals[k]} for k, n in enumerate(names)
    ]
    return {
        "header": header,
        "columns": columns,
        "rule": rule,
        "rows": rows,
        "report": lines[i:],
    }


def _fmt(value: Any, decimals: int | None) -> str:
    if isinstance(value, str) or decimals is None:
        return str(value)
    return f"{value:.{decimals}f}"


def table(run: dict[str, Any], keep: Callable[[dict[str, Any]], bool] | None = None) -> list[str]:
    """The table of ``run`` as text lines; ``keep(row_as_dict)`` selects rows."""
    cols = run["columns"]
    names = [c["name"] for c in cols]
    rows = [r for r in run["rows"] if keep is None or keep(dict(zip(names, r, strict=True)))]
    cells = [[_fmt(v, c["decimals"]) for v, c in zip(r, cols, strict=True)] for r in rows]
    widths = [max([len(n)] + [len(r[k]) for r in cells]) for k, n in enumerate(names)]
    # text columns (the first ones) are left-aligned, numbers right-aligned
    left = [c["decimals"] is None for c in cols]

    def line(values: list[str]) -> str:
        out = [
            v.ljust(w) if lft else v.rjust(w)
            for v, w, lft in zip(values, widths, left, strict=True)
        ]
        return "  ".join(out).rstrip()

    text = [line(names)]
    if run.get("rule"):
        text.append("-" * len(text[0]))
    return text + [line(r) for r in cells]


def render(run: dict[str, Any], keep: Callable[[dict[str, Any]], bool] | None = None) -> str:
    """The whole run as text: header, table, report."""
    return "\n".join(run["header"] + table(run, keep) + run["report"])


def load(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def dumps(run: dict[str, Any]) -> str:
    """JSON text with one line per row and per header/report line (readable in a diff)."""

    def block(key: str) -> str:
        value = run[key]
        if not isinstance(value, list) or not value:
            return f" {json.dumps(key)}: {json.dumps(value)}"
        items = ",\n".join("  " + json.dumps(v, ensure_ascii=False) for v in value)
        return f" {json.dumps(key)}: [\n{items}\n ]"

    return "{\n" + ",\n".join(block(k) for k in run) + "\n}\n"


def dump(run: dict[str, Any], path: Path) -> None:
    Path(path).write_text(dumps(run), encoding="utf-8")


def run_writing_json(main: Callable[[list[str] | None], int]) -> int:
    """Run a benchmark's ``main`` and, with ``--json PATH``, also save its output as JSON."""
    argv = sys.argv[1:]
    if "--json" not in argv:
        return main(argv)
    k = argv.index("--json")
    path, argv = Path(argv[k + 1]), argv[:k] + argv[k + 2 :]

    class Tee(io.StringIO):
        def write(self, s: str) -> int:
            sys.__stdout__.write(s)
            return super().write(s)

    buf = Tee()
    with contextlib.redirect_stdout(buf):
        code = main(argv)
    dump(parse(buf.getvalue()), path)
    return code


if __name__ == "__main__":
    for name in sys.argv[1:]:
        src = Path(name)
        dump(parse(src.read_text(encoding="utf-8")), src.with_suffix(".json"))
        print(f"{src} -> {src.with_suffix('.json')}")
