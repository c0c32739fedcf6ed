"""Recorded benchmark runs for the performance pages, read when the site is built.

The runs in ``bench/results/`` are the output of ``bench/bench_losses.py`` and
``bench/freed_memory.py`` as JSON (``tools/benchjson.py``); the text tables on the site are
rendered from them, and every number a page quotes is read here, never typed into the page.
Earlier runs are summed up in ``bench/HISTORY.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

import benchjson

RESULTS = Path(__file__).resolve().parent.parent / "bench" / "results"

#: The run the pages show (malloc's defaults), the same build run with ``--keep-memory`` (freed
#: memory kept in the process, so no call pays for page faults), and the output of
#: ``bench/freed_memory.py`` without and with that option.
SHOWN = "2026-11-26-kernels-run17"
KEEP_MEMORY = "2026-11-26-kernels-run18-keep-memory"
FREED = ("2026-11-26-freed-memory", "2026-11-26-freed-memory-keep")
RUNS = (SHOWN, KEEP_MEMORY, *FREED)

_SOFTMAX = re.compile(
    r"^(PASS|MISS) softmax CE fwd\+grad .*losslab (\d+) thread\(s\): ([\d.]+) ms <= "
    r"(0\.5 x torch|4 x read\+write pass).* ([\d.]+) ms$"
)
_ROWS = re.compile(
    r"^(?:PASS|MISS) no loss slower than torch at the same thread count \((\d+)\).*"
    r"\((\d+)/(\d+) rows faster\)$"
)
_SLOWER = re.compile(r"^\s+slower: (.*)$")


def load(name: str) -> dict:
    """A recorded run (its JSON)."""
    return benchjson.load(RESULTS / f"{name}.json")


def _lines(name: str) -> list[str]:
    return benchjson.render(load(name)).splitlines()


def block(name: str = SHOWN) -> str:
    """The run as a text block, without the N = 10^3 rows and torch's UserWarning lines."""
    run = load(name)
    report, after_warning = [], False
    for line in run["report"]:
        if "UserWarning" in line:
            after_warning = True
            continue
        if after_warning and line.startswith("  ") and "slower" not in line:
            continue  # the source line Python prints under a warning
        after_warning = False
        report.append(line)
    text = benchjson.render(dict(run, report=report), keep=lambda row: row["N"] != 1000)
    return "```text\n" + text + "\n```"


def freed() -> str:
    """The two outputs of ``bench/freed_memory.py`` as one text block."""
    text = "\n\n".join(benchjson.render(load(name)) for name in FREED)
    return "```text\n" + text + "\n```"


def softmax(name: str, threads: int) -> dict[str, float | bool]:
    """The softmax cross-entropy targets of a run at ``threads`` losslab threads."""
    result: dict[str, float | bool] = {}
    for line in _lines(name):
        m = _SOFTMAX.match(line)
        if m and int(m.group(2)) == threads:
            key = "torch" if m.group(4).startswith("0.5") else "rw"
            result["ms"] = float(m.group(3))
            # the line ends with the limit: half of torch's time, or 4 x the pass
            result[f"{key}_limit"] = float(m.group(5))
            result[f"{key}_pass"] = m.group(1) == "PASS"
    return result


def _rows_verdict(name: str, threads: int) -> tuple[re.Match[str], list[str]]:
    """The "no loss slower" line of a run at ``threads`` (same thread count) and the lines
    after it."""
    lines = _lines(name)
    for i, line in enumerate(lines):
        m = _ROWS.match(line)
        if m and int(m.group(1)) == threads:
            return m, lines[i + 1 :]
    raise ValueError(f"{name}: no 'no loss slower' line for {threads} thread(s)")


def rows_faster(name: str, threads: int) -> tuple[int, int]:
    """(rows faster than torch at the same thread count, rows) at N >= 1e5."""
    m, _ = _rows_verdict(name, threads)
    return int(m.group(2)), int(m.group(3))


def slower_rows(name: str, threads: int) -> list[str]:
    """The rows listed as slower than torch at the same thread count (``threads``)."""
    rows = []
    for after in _rows_verdict(name, threads)[1]:
        s = _SLOWER.match(after)
        if not s:
            break
        rows.append(s.group(1))
    return rows


def _verdict(ok: bool) -> str:
    return "passes" if ok else "misses"


def _listed(rows: list[str]) -> str:
    return "; ".join(rows) if rows else "none"


def summary() -> str:
    """The paragraph that sums up the shown run, every number parsed from the runs."""
    two, one = softmax(SHOWN, 2), softmax(SHOWN, 1)
    f1, n1 = rows_faster(SHOWN, 1)
    f2, n2 = rows_faster(SHOWN, 2)
    text = (
        f"Summary of `{SHOWN}` (compiled kernels on their own thread pool, malloc's defaults). "
        "Softmax cross-entropy, forward and gradient, N = 10⁶, C = 10, float64, 2 threads: "
        f"{two['ms']} ms, which {_verdict(two['torch_pass'])} the torch target (at most "
        f"{two['torch_limit']} ms, half of torch with 2 threads) and "
        f"{_verdict(two['rw_pass'])} the read + write target (at most {two['rw_limit']} ms, 4 × "
        f"the pass). With 1 thread: {one['ms']} ms, which {_verdict(one['torch_pass'])} the "
        f"first target and {_verdict(one['rw_pass'])} the second. Against torch with the same "
        f"thread count, {f1} of {n1} rows at N ≥ 10⁵ are faster with 1 thread and {f2} of {n2} "
        f"with 2. Slower with 1 thread: {_listed(slower_rows(SHOWN, 1))}. Slower with 2 "
        f"threads: {_listed(slower_rows(SHOWN, 2))}."
    )
    return "\n\n".join([text, _line(KEEP_MEMORY, "The same build with `--keep-memory`")])


def _line(name: str, what: str) -> str:
    """One sentence on another run: the same figures as the summary's."""
    two, one = softmax(name, 2), softmax(name, 1)
    f1, n1 = rows_faster(name, 1)
    f2, n2 = rows_faster(name, 2)
    return (
        f"{what}, `{name}`: softmax cross-entropy forward and gradient {two['ms']} ms with "
        f"2 threads ({_verdict(two['torch_pass'])} the torch target of {two['torch_limit']} ms, "
        f"{_verdict(two['rw_pass'])} the read + write target of {two['rw_limit']} ms) and "
        f"{one['ms']} ms with 1 ({_verdict(one['rw_pass'])} its read + write target of "
        f"{one['rw_limit']} ms); {f1} of {n1} rows faster than torch with 1 thread (slower: "
        f"{_listed(slower_rows(name, 1))}) and {f2} of {n2} with 2 (slower: "
        f"{_listed(slower_rows(name, 2))})."
    )


def rows(name: str = SHOWN) -> list[dict]:
    """The table rows of a run as dicts (column name -> value)."""
    run = load(name)
    names = [c["name"] for c in run["columns"]]
    return [dict(zip(names, r, strict=True)) for r in run["rows"]]


def chart(name: str = SHOWN) -> str:
    """Bar chart: losslab's time over torch's at the same thread count, N = 10⁶, C = 10."""
    import numpy as np
    from siteplot import figure, svg

    picked = [r for r in rows(name) if r["N"] == 1_000_000 and r["C"] == 10]
    losses = list(dict.fromkeys(r["loss"] for r in picked))
    fig, ax = figure(height=3.6)
    y = np.arange(len(losses))
    for k, (thr, mode) in enumerate(((1, "forward"), (1, "fwd+grad"), (2, "fwd+grad"))):
        ratio = [
            np.median(
                [
                    r["ll/t="]
                    for r in picked
                    if r["loss"] == loss and r["thr"] == thr and r["mode"] == mode
                ]
            )
            for loss in losses
        ]
        ax.barh(y + (k - 1) * 0.27, ratio, height=0.26, label=f"{mode}, {thr} thread(s)")
    ax.axvline(1.0, color="0.3", lw=1)
    ax.set_yticks(y, losses)
    ax.invert_yaxis()
    ax.set_xlabel("losslab time / torch time (same thread count); below 1: losslab faster")
    ax.legend(loc="lower right", fontsize=8)
    return svg(
        fig,
        alt="Horizontal bars, one group per loss, of losslab's time divided by torch's at the "
        "same thread count for 10^6 rows of 10 columns (median over float32 and float64); "
        "every bar ends left of 1, where losslab would be as fast as torch.",
        caption=f"Run `{name}`: N = 10⁶, C = 10, median of float64 and float32.",
    )
