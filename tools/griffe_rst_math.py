"""Griffe extension: turn reStructuredText math in docstrings into arithmatex math.

DEVELOPERS.md lets a docstring give its formula as ``.. math::`` or ``$$ ... $$`` and use
``:math:`x``` inline (NumPy/Sphinx style).  mkdocstrings renders docstrings through the site's
Markdown extensions, where only ``$$ ... $$``, ``$...$`` and ``\\(...\\)`` are math
(pymdownx.arithmatex).  This extension rewrites each docstring before it is parsed:

* a ``.. math::`` directive and its indented body become ``$$ ... $$`` blocks (one per
  blank-line-separated equation, as in Sphinx; option lines such as ``:label:`` are dropped);
* ``:math:`...``` roles become ``$...$``;
* Sphinx cross-reference roles (``:func:`losslab.book.mean_squared_error```, ``:class:``,
  ``:mod:``, ``:meth:``, ``:attr:``, ``:exc:``, ``:data:``, ``:obj:``; ``~`` shortens the
  title) become optional mkdocs-autorefs links: a link when the target is documented on the
  site, plain code otherwise (never a build error).  A name without a dot is looked up in the
  docstring's own module.

A ``>>>`` session outside the Examples section (a module's description, say) becomes a
``pycon`` code block instead of nested Markdown block quotes.

Only the rendered page changes; the docstring the code and ``help()`` see is untouched.
Loaded by mkdocs.yml: ``plugins.mkdocstrings.handlers.python.options.extensions``.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":math:`([^`]+)`")
_XREF = re.compile(
    r":(?:py:)?(?:func|class|meth|mod|attr|exc|data|obj|const):`(~?)([\w.]+)(?:\(\))?`"
)
_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)\.\.[ \t]+math::[ \t]*(?P<rest>.*)$")


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip())


def _blocks(indent: str, body: list[str]) -> list[str]:
    """Render equation lines as ``$$`` blocks, one per blank-line-separated group."""
    out: list[str] = []
    group: list[str] = []
    for line in [*body, ""]:
        if line.strip():
            group.append(line.strip())
        elif group:
            out += ["", f"{indent}$$", *(f"{indent}{g}" for g in group), f"{indent}$$"]
            group = []
    return [*out, ""]


def _xref(match: re.Match[str], module: str) -> str:
    short, target = match.group(1), match.group(2)
    title = target.rsplit(".", 1)[-1] if short else target
    ident = target if "." in target or not module else f"{module}.{target}"
    return f'<autoref identifier="{ident}" optional><code>{title}</code></autoref>'


def convert(text: str, module: str = "") -> str:
    """Return ``text`` with RST math and Sphinx roles rewritten for Markdown.

    ``module`` qualifies cross-reference targets written without a dot.
    """
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i])
        if not m:
            line = _ROLE.sub(lambda r: f"${r.group(1).strip()}$", lines[i])
            out.append(_XREF.sub(lambda r: _xref(r, module), line))
            i += 1
            continue
        base = _indent_of(lines[i])
        body = [m.group("rest")] if m.group("rest").strip() else []
        i += 1
        while i < len(lines) and (not lines[i].strip() or _indent_of(lines[i]) > base):
            stripped = lines[i].strip()
            if not (stripped.startswith(":") and re.match(r"^:\w+:", stripped)):
                body.append(lines[i])
            i += 1
        # Trailing blank lines belong to the text after the block.
        while body and not body[-1].strip():
            body.pop()
        while out and not out[-1].strip():
            out.pop()
        out += _blocks(m.group("indent"), body)
    return "\n".join(out).strip("\n")


_SECTION_RULE = re.compile(r"^\s*-{3,}\s*$")


def fence_doctests(text: str) -> str:
    """Put each ``>>>`` session outside the Examples section in a ``pycon`` fence.

    The numpy parser makes code of the Examples section's sessions; elsewhere (a module's
    description, Notes) Markdown would read ``>>>`` as nested block quotes.
    """
    lines = text.splitlines()
    out: list[str] = []
    section, fenced, i = "", False, 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if line.strip() and i + 1 < len(lines) and _SECTION_RULE.match(lines[i + 1]):
            section = line.strip()
        opens = not out or not out[-1].strip()
        if not fenced and section != "Examples" and opens and line.lstrip().startswith(">>>"):
            indent = line[: _indent_of(line)]
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i][len(indent) :] if lines[i].startswith(indent) else lines[i])
                i += 1
            out += [f"{indent}```pycon", *(indent + b for b in block), f"{indent}```"]
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


class RstMath(griffe.Extension):
    """Rewrite RST math and Sphinx roles in every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
        if obj.docstring is not None and ":" in obj.docstring.value:
            obj.docstring.value = convert(obj.docstring.value, obj.module.path)
