r"""Finding the marked formulas of Markdown pages and docstrings and checking each against the
named formula of its form (see :mod:`losslab.symbolic.latex` for the markers)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import get
from ._compare import equivalent
from ._core import SymbolicLoss
from ._parse import cases_rows, equations, parse, sides

if TYPE_CHECKING:
    from .classification import Formulas

__all__ = ["MARK_MD", "MARK_RST", "Finding", "check_paths", "check_text"]

MARK_MD = re.compile(r"<!--\s*formula:\s*(?P<spec>[^>]*?)\s*-->")
MARK_RST = re.compile(r"^\s*:formula:\s*(?P<spec>.+?)\s*$")


@dataclass(frozen=True)
class Finding:
    """One marked formula and the result of checking it."""

    path: str
    line: int
    name: str
    part: str
    latex: str
    ok: bool
    message: str

    def __str__(self) -> str:
        status = "ok" if self.ok else "WRONG"
        return f"{self.path}:{self.line}: {self.name} {self.part}: {status} ({self.message})"


def _check_block(path: str, line: int, spec: str, block: str) -> list[Finding]:
    r"""Check one marked block.  ``spec`` is ``NAME PART... [page=form...]``: one PART per
    equation (``-`` for one that states a convention, such as :math:`0\log 0 = 0`, and is
    skipped), ``other_name.part`` for a formula of another form (two penalties side by side),
    and ``page=form`` renames the page's letters to the form's (``s=x`` for scores ``s_j``,
    ``_k=_i`` for the entry ``x_k``).  ``a|b`` names one formula per right-hand side of a
    chain ``L = A = B`` (a single name checks the last side only)."""
    name, *words = spec.split()
    renames = dict(w.split("=", 1) for w in words if "=" in w)
    parts = [w for w in words if "=" not in w]
    eqs = equations(block)
    if len(parts) != len(eqs):
        return [
            Finding(
                path,
                line,
                name,
                " ".join(parts),
                block,
                False,
                f"marker names {len(parts)} formula(s), block has {len(eqs)} equation(s)",
            )
        ]
    findings: list[Finding] = []
    for chain, equation in zip(parts, eqs, strict=True):
        # ``a|b``: one formula per right-hand side of a chain ``L = A = B`` (else the last).
        names, pieces = chain.split("|"), [equation]
        if len(names) > 1:
            pieces = sides(equation)[1:]
            if len(pieces) != len(names):
                msg = f"marker names {len(names)} side(s), equation has {len(pieces)}"
                findings.append(Finding(path, line, name, chain, equation, False, msg))
                continue
        for part, tex in zip(names, pieces, strict=True):
            findings += _check_one(path, line, name, part, tex, renames)
    return findings


def _check_one(
    path: str, line: int, name: str, part: str, tex: str, renames: Mapping[str, str]
) -> list[Finding]:
    """Check one equation (or one side of a chain) against formula ``part`` of form ``name``."""
    if part == "-":  # a stated convention (0 log 0 = 0), not a formula of the form
        return []
    form_name, _, formula = part.rpartition(".")
    try:
        form = _form(form_name or name)
        references = [form.formulas[f] for f in formula.split(";")]
    except KeyError:
        return [Finding(path, line, name, part, tex, False, "no such form or formula")]
    try:
        if len(references) > 1:  # ``a;b``: one formula per row of a cases environment
            written = cases_rows(tex)
            if len(written) != len(references):
                msg = f"marker names {len(references)} row(s), cases has {len(written)}"
                return [Finding(path, line, name, part, tex, False, msg)]
        else:
            written = [parse(tex)]
    except Exception as exc:
        msg = f"cannot parse: {type(exc).__name__}: {str(exc).splitlines()[0]}"
        return [Finding(path, line, name, part, tex, False, msg)]
    results = [
        equivalent(w, r, form.domains, renames=renames)
        for w, r in zip(written, references, strict=True)
    ]
    ok = all(r[0] for r in results)
    how = (
        "; ".join(f"row {k + 1}: {r[1]}" for k, r in enumerate(results))
        if len(results) > 1
        else results[0][1]
    )
    return [Finding(path, line, name, part, tex, ok, how)]


def _form(name: str) -> SymbolicLoss | Formulas:
    """The symbolic form of ``name``, or the formulas of a function without one (values only:
    zero-one loss, accuracy)."""
    try:
        return get(name)
    except KeyError:
        from .classification import VALUES

        return VALUES[name]


def check_text(text: str, path: str = "<text>") -> list[Finding]:
    """Check every marked formula in ``text`` (Markdown page or Python source)."""
    lines = text.splitlines()
    findings: list[Finding] = []
    for i, line in enumerate(lines):
        md = MARK_MD.search(line)
        rst = MARK_RST.match(line)
        if md:
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j >= len(lines) or not lines[j].strip().startswith("$$"):
                findings.append(
                    Finding(
                        path, i + 1, md["spec"], "", "", False, "marker not followed by a $$ block"
                    )
                )
                continue
            first = lines[j].strip()[2:]
            body: list[str] = []
            if first.endswith("$$"):
                body.append(first[:-2])
            else:
                body.append(first)
                j += 1
                while j < len(lines) and "$$" not in lines[j]:
                    body.append(lines[j])
                    j += 1
                if j < len(lines):
                    body.append(lines[j].split("$$")[0])
            findings += _check_block(path, i + 1, md["spec"], "\n".join(body))
        elif rst and i > 0 and lines[i - 1].strip().startswith(".. math::"):
            base = len(lines[i - 1]) - len(lines[i - 1].lstrip())
            body = []
            j = i + 1
            while j < len(lines) and (
                not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > base
            ):
                if not MARK_RST.match(lines[j]):
                    body.append(lines[j])
                j += 1
            findings += _check_block(path, i + 1, rst["spec"], "\n".join(body))
    return findings


def check_paths(paths: Iterable[str | Path]) -> list[Finding]:
    """Check the marked formulas of Markdown and Python files (directories are searched)."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(p.rglob("*.md")) + sorted(p.rglob("*.py"))
        else:
            files.append(p)
    findings: list[Finding] = []
    for f in files:
        text = f.read_text(encoding="utf-8")
        if "formula:" in text:
            findings += check_text(text, str(f))
    return findings
