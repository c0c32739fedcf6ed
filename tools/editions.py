"""The site's editions: the English pages (``docs/<page>.md``) and the Chinese edition
(``docs/<page>.zh.md``, built to ``/zh/`` by mkdocs-static-i18n; see mkdocs.yml).

One source for everything computed: a Chinese page shows the code, the outputs, the plot code and
the displayed formulas of its English page, copied verbatim, in the same order; only the prose is
translated.  This module says which pages must have a Chinese edition and extracts what must be
identical, so that ``tests/test_editions.py`` can compare the two editions:

* ``blocks(text)``: the fenced code blocks whose language is ``python`` or ``pycon`` (doctest
  sessions, executed code, ```python exec="on" plot fences) and the displayed formulas
  (``$$ ... $$``, ``\\[ ... \\]``) with their ``<!-- formula: ... -->`` markers, in page order;
* ``decimals(text)``: the decimal numbers of a page's prose (``0.0673``), each of which a
  Chinese page must share with its English page (a number typed differently is a wrong number).

A Chinese page that translates only part of its English page (``PARTIAL``) is compared with that
part: the English page up to the heading given there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

#: The languages of the site besides English (the default, at the site's root).
LANGUAGES = ("zh",)
#: Every edition: the folder of the built site it is in, and its pages' <html lang> (zh-Hans:
#: browsers use Simplified Chinese glyph forms for CJK text).
EDITIONS = {"en": ("", "en"), "zh": ("zh/", "zh-Hans")}


def edition_of(name: str) -> str:
    """The edition a file of the built site (``zh/mse/index.html``) belongs to."""
    return next((e for e, (d, _) in EDITIONS.items() if d and name.startswith(d)), "en")


#: Pages that must have a Chinese edition (docs/<page>.zh.md): the home page, every Learn page,
#: the conventions summary, the glossary, the page about the articles and the errata.
ZH_PAGES = (
    "index",
    "learning-from-data",
    "why-loss-not-accuracy",
    "mse",
    "cross-entropy",
    "minibatch",
    "softmax-cross-entropy",
    "information",
    "other-losses",
    "more-losses",
    "frameworks-disagree",
    "ctc",
    "regularization",
    "gradient-descent",
    "digits-end-to-end",
    "conventions",
    "glossary",
    "articles",
    "errata",
)

#: Pages of ZH_PAGES still being translated (the edition is not complete while this is not
#: empty); a page listed here that exists, or missing and not listed, fails the test.
PENDING: frozenset[str] = frozenset()

#: Chinese pages that translate only the beginning of their English page: the English page is
#: compared up to (not including) the first line that starts with this text.
PARTIAL: dict[str, str] = {
    "conventions": "## The executed matrix",
}

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")
_CODE_LANGS = ("python", "pycon")
_MARKER = re.compile(r"^\s*<!--\s*formula:.*?-->\s*$")
_DECIMAL = re.compile(r"(?<![\w.])-?\d+\.\d+(?:[eE][-+]?\d+)?(?![\w.]*\d)")


@dataclass(frozen=True)
class Block:
    """Something a page computes or displays: a code block, a formula, a formula marker."""

    kind: str  # "code", "math" or "marker"
    info: str  # the fence's info string (code), "" otherwise
    text: str  # the body, dedented, trailing spaces removed
    line: int  # 1-based line of the page where it starts

    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.info, self.text)

    def summary(self) -> str:
        first = self.text.strip().splitlines()[0] if self.text.strip() else ""
        what = f"```{self.info}" if self.kind == "code" else self.kind
        return f"{what} at line {self.line}: {first[:70]}"


def _dedent(lines: list[str], indent: str) -> str:
    out = [ln[len(indent) :] if ln.startswith(indent) else ln.lstrip() for ln in lines]
    return "\n".join(ln.rstrip() for ln in out).strip("\n")


def _split(text: str) -> tuple[list[Block], list[str]]:
    """The page's blocks, and its prose lines (everything outside fences and display math)."""
    lines = text.splitlines()
    found: list[Block] = []
    prose: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _FENCE.match(line)
        if m:
            indent, fence, info = m.group("indent"), m.group("fence"), m.group("info").strip()
            close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
            j = i + 1
            while j < len(lines) and not close.match(lines[j]):
                j += 1
            lang = info.split()[0] if info else ""
            lang = lang.lstrip("{.").split("}")[0]
            if lang in _CODE_LANGS:
                found.append(Block("code", info, _dedent(lines[i + 1 : j], indent), i + 1))
            i = j + 1
            continue
        stripped = line.strip()
        for start, end in (("$$", "$$"), ("\\[", "\\]")):
            if not stripped.startswith(start):
                continue
            indent = line[: len(line) - len(line.lstrip())]
            rest = stripped[len(start) :]
            if rest.rstrip().endswith(end) and rest.strip() != "":
                body = [rest.rstrip()[: -len(end)]]
                j = i
            else:
                body = [rest] if rest.strip() else []
                j = i + 1
                while j < len(lines) and not lines[j].strip().endswith(end):
                    body.append(lines[j])
                    j += 1
                if j < len(lines):
                    last = lines[j].rstrip()[: -len(end)]
                    if last.strip():
                        body.append(last)
            found.append(Block("math", "", _dedent(body, indent).strip(), i + 1))
            i = j + 1
            break
        else:
            if _MARKER.match(line):
                found.append(Block("marker", "", stripped, i + 1))
            else:
                prose.append(line)
            i += 1
    return found, prose


def blocks(text: str) -> list[Block]:
    """The code blocks, displayed formulas and formula markers of a page, in order."""
    return _split(text)[0]


def _front_matter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[end + 5 :]
    return text


def decimals(text: str) -> list[str]:
    """The decimal numbers (``0.0673``, ``1e-7`` is not one) written in a page's prose."""
    prose = "\n".join(_split(_front_matter(text))[1])
    prose = re.sub(r"`[^`\n]*`", " ", prose)  # inline code: names, not numbers of the text
    prose = re.sub(r"\]\([^)]*\)", "]", prose)  # link targets
    return _DECIMAL.findall(prose)


def english_source(page: str) -> str:
    """The English page's text, cut where its Chinese edition ends (``PARTIAL``)."""
    text = (DOCS / f"{page}.md").read_text(encoding="utf-8")
    stop = PARTIAL.get(page)
    if stop is not None:
        lines = text.splitlines(keepends=True)
        cut = next((k for k, ln in enumerate(lines) if ln.startswith(stop)), len(lines))
        text = "".join(lines[:cut])
    return text


def translated_pages(lang: str = "zh") -> list[str]:
    """Every page of ``docs/`` that has an edition in ``lang`` (``docs/<page>.<lang>.md``)."""
    return sorted(p.name[: -len(f".{lang}.md")] for p in DOCS.rglob(f"*.{lang}.md"))


def compare(english: str, translated: str) -> list[str]:
    """What differs between the computed content of two editions of a page (empty: nothing)."""
    problems: list[str] = []
    en, tr = blocks(english), blocks(translated)
    for k in range(max(len(en), len(tr))):
        a = en[k] if k < len(en) else None
        b = tr[k] if k < len(tr) else None
        if a is not None and b is not None and a.key() == b.key():
            continue
        if b is None:
            problems.append(f"missing on the translated page: {a.summary()}")  # type: ignore[union-attr]
        elif a is None:
            problems.append(f"not on the English page: {b.summary()}")
        else:
            problems.append(f"English {a.summary()}\n  differs from translated {b.summary()}")
        break  # after the first difference the rest is shifted: one message is enough
    if len(en) != len(tr):
        problems.append(f"{len(en)} blocks on the English page, {len(tr)} on the translated one")
    en_text = english
    for number in decimals(translated):
        if number not in en_text:
            problems.append(f"number {number} of the translated prose is not on the English page")
    return problems


_LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def link_targets(text: str) -> list[str]:
    """The targets of the Markdown links of a page's prose (``[text](target)``)."""
    return _LINK.findall("\n".join(_split(text)[1]))


# ---- one search index per edition --------------------------------------------------------------


def split_search_index(path: Path, languages: list[str] | tuple[str, ...]) -> dict[str, Path]:
    """Split the search index mkdocs-static-i18n writes for all editions into one per edition.

    ``path`` (``search/search_index.json``) keeps the default edition's entries; the entries of
    edition ``lang`` (locations ``<lang>/...``) go to ``<lang>/search/search_index.json``, which
    that edition's pages load (docs/overrides/main.html).  In an edition, a page it shows in
    English (no ``<page>.<lang>.md``: the API reference, the contributors' pages) keeps only its
    titles (a function's name finds its entry); the English edition's index has their text.
    Returns ``{lang: path}`` of the indexes written besides ``path``."""
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    site = path.parent.parent
    written: dict[str, Path] = {}
    rest = data["docs"]
    for lang in languages:
        translated = set(translated_pages(lang))
        mine = [d for d in rest if d["location"].startswith(f"{lang}/")]
        rest = [d for d in rest if not d["location"].startswith(f"{lang}/")]
        for doc in mine:
            page = doc["location"][len(lang) + 1 :].split("#")[0].rstrip("/") or "index"
            page = page.removesuffix(".html").removesuffix("/index")
            if page not in translated:
                doc["text"] = ""
        out = site / lang / "search" / "search_index.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({**data, "docs": mine}, ensure_ascii=False), encoding="utf-8")
        written[lang] = out
    path.write_text(json.dumps({**data, "docs": rest}, ensure_ascii=False), encoding="utf-8")
    return written


def offline_index_script(indexes: dict[str, str]) -> str:
    """``search/search_index.js`` of the copy opened from file://, where Material loads the index
    as a script setting ``__index``: the index of the page's edition (its ``<html lang>``).
    ``indexes``: ``{lang: index JSON}``, ``""`` for the default edition."""
    default = indexes[""]
    choices = "".join(
        f"/^{lang}/.test(document.documentElement.lang) ? {text} : "
        for lang, text in indexes.items()
        if lang
    )
    return f"var __index = {choices}{default};\n"


# ---- headings: the same anchors in both editions ------------------------------------------------

_HEADING = re.compile(r"^(#{2,6})\s+(.*?)\s*(?:\{([^}]*)\})?\s*$")


def heading_ids(text: str) -> list[str]:
    """The ids of a page's headings (level 2 and below), in order: the explicit ``{ #id }`` of a
    heading, else the one Python-Markdown's toc gives it.  A link to a section
    (``mse.md#gradient``) works in both editions only if the translated page's headings carry
    its English page's ids (``## 梯度 { #gradient }``)."""
    from markdown.extensions.toc import slugify

    ids: list[str] = []
    for line in _split(_front_matter(text))[1]:
        m = _HEADING.match(line)
        if not m:
            continue
        explicit = re.search(r"#([\w-]+)", m.group(3) or "")
        if explicit:
            ids.append(explicit.group(1))
            continue
        title = re.sub(r"`([^`]*)`", r"\1", m.group(2))
        ids.append(slugify(title, "-"))
    return ids
