"""MkDocs hooks for the losslab site (loaded by ``hooks:`` in mkdocs.yml).

1. ``tools/`` goes on ``sys.path`` so markdown-exec fences can ``from siteplot import ...``
   (any other builder: ``PYTHONPATH=tools``); matplotlib is pinned to the Agg backend.
2. The version shown in the header is the package's (its installed metadata, else the
   ``[project]`` table of pyproject.toml, which is what the metadata is built from).
3. API reference pages are derived from the package: one page per public module of
   ``src/losslab`` (title: the first line of its docstring), plus a page for the names the
   top-level package takes from its private modules (``grad``, ``value_and_grad``, ...).
   ``docs/api/<module>.md`` written by hand wins over the generated page.
4. Search and table of contents: TeX in headings becomes plain text in the TOC and in the
   search index; the source listings of the API pages are left out of the index, and the
   contributors' pages are in it by their titles only; an index larger than
   ``SEARCH_INDEX_LIMIT`` fails the build (``--strict``).
6. The Chinese edition (mkdocs-static-i18n builds it after the English one, ``/zh/``): the
   generated API pages exist in both editions (in English); each edition gets its own search
   index (``search/search_index.json``, ``zh/search/search_index.json``, each within
   ``SEARCH_INDEX_LIMIT``: see tools/editions.py), its own 404 page, and language-switcher
   links that are relative (they work under a sub-path and from file://).
5. ``LOSSLAB_OFFLINE=1``: the copy to open from disk (file://): ``.html`` links instead of
   directory URLs, and the search index also written as a script (``search_index.js``),
   which Material loads when the page is a file.  ``LOSSLAB_VERSION_SELECTOR=1`` (set by
   ``tools/deploy_site.py``) turns on Material's version selector, which reads mike's
   ``versions.json``.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
import editions  # tools/editions.py: the site's editions

log = logging.getLogger("mkdocs.hooks.losslab")

API_SECTION = "API"
#: Title of the page for the top-level names defined in private modules.
TOP_LEVEL_TITLE = "Gradients and top-level functions"
SEARCH_INDEX_LIMIT = 300_000  # bytes, for the index of each edition
#: Pages in the search index by their titles only (folders of docs/).
TITLES_ONLY = ("contributors/",)


def _root(config: Any) -> Path:
    return Path(config.config_file_path).resolve().parent


# ---- version ---------------------------------------------------------------------------------


def package_version(root: Path) -> str:
    """The version of the losslab distribution: installed metadata, else pyproject.toml."""
    from importlib import metadata

    try:
        return metadata.version("losslab")
    except metadata.PackageNotFoundError:
        import tomllib

        with open(root / "pyproject.toml", "rb") as f:
            return str(tomllib.load(f)["project"]["version"])


# ---- API pages, derived from the package ------------------------------------------------------


def _summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    first = doc.strip().split("\n\n")[0]
    return " ".join(first.split())


def public_modules(src: Path) -> list[tuple[str, str]]:
    """``(module, first docstring paragraph)`` of every public module of ``src/losslab``."""
    pkg = src / "losslab"
    found = []
    for path in sorted(pkg.iterdir()):
        if path.name.startswith("_"):
            continue
        if path.suffix == ".py":
            found.append((path.stem, _summary(path)))
        elif (path / "__init__.py").is_file():
            found.append((path.name, _summary(path / "__init__.py")))
    return found


def top_level_private_names(src: Path) -> list[str]:
    """Names ``losslab/__init__.py`` imports from its private modules (``from ._x import a``)."""
    tree = ast.parse((src / "losslab" / "__init__.py").read_text(encoding="utf-8"))
    names = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            if node.module.startswith("_"):
                names += [a.asname or a.name for a in node.names if not a.name.startswith("_")]
    return names


def title_of(summary: str) -> str:
    """A short nav title from a module summary: its first sentence, without a trailing dot."""
    first = re.split(r"(?<=[a-z)])[.:] ", summary, maxsplit=1)[0].rstrip(".")
    return first.replace("``", "`")


def api_page(module: str, title: str) -> str:
    # The module heading rendered by mkdocstrings (heading_level: 1) is the page title.
    return f"<!-- API reference: {title} -->\n::: losslab.{module}\n"


def top_level_page(names: list[str]) -> str:
    body = "\n\n".join(f"::: losslab.{n}\n    options:\n      heading_level: 2" for n in names)
    return (
        f"# {TOP_LEVEL_TITLE}\n\nThese functions live in private modules and are used as "
        "`losslab.<name>`.\n\n" + body + "\n"
    )


def api_index(modules: list[tuple[str, str]], top: list[str]) -> str:
    rows = [
        f"| [`losslab`](losslab.md) | {TOP_LEVEL_TITLE}: " + ", ".join(f"`{n}`" for n in top) + " |"
    ]
    rows += [f"| [`losslab.{m}`]({m}.md) | {s.replace('|', '&#124;')} |" for m, s in modules]
    table = "\n".join(rows)
    return f"""# API reference

Every public function is importable from the top-level package (`import losslab`); the pages
below document them module by module, with the formula, the gradient, the exceptions raised,
how other libraries differ, and examples. Signatures and defaults follow
`torch.nn.functional` wherever PyTorch has the loss.

| Module | Contents |
| --- | --- |
{table}

Gradients of every differentiable function come from one place:
[`losslab.grad`](losslab.md) and `losslab.value_and_grad` (see
`losslab.differentiable_functions()`).
"""


def _not_the_instant_switcher_warning(record: logging.LogRecord) -> bool:
    # mkdocs-static-i18n warns that its per-page language-switcher links go stale under
    # Material's instant navigation (the header is not replaced); the switcher's links are
    # recomputed from the current address when clicked (docs/overrides/main.html).
    return "not compatible with theme.features = navigation.instant" not in record.getMessage()


_I18N_LOG = logging.getLogger("mkdocs.plugins.mkdocs_static_i18n.reconfigure")


def on_config(config: Any, **kwargs: Any) -> Any:
    root = _root(config)
    if _not_the_instant_switcher_warning not in _I18N_LOG.filters:
        _I18N_LOG.addFilter(_not_the_instant_switcher_warning)
    tools = str(root / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    os.environ.setdefault("MPLBACKEND", "Agg")
    config.extra["losslab_version"] = package_version(root)
    if os.environ.get("LOSSLAB_VERSION_SELECTOR", "") not in ("", "0"):
        # tools/deploy_site.py lays versions out as mike does: Material's selector reads
        # ../versions.json (only there: elsewhere that file does not exist)
        config.extra["version"] = {"provider": "mike", "alias": True}
    if os.environ.get("LOSSLAB_OFFLINE", "") not in ("", "0"):
        config.use_directory_urls = False
        config.extra["losslab_offline"] = True

    config.extra["losslab_glossary"] = glossary_terms(root / "docs" / "glossary.md")
    _teach_jieba(root, config.extra["losslab_glossary"])

    modules = public_modules(root / "src")
    for item in config.nav or []:
        if isinstance(item, dict) and API_SECTION in item:
            section = [p for p in item[API_SECTION] if p == "api/index.md"]
            section += [{"losslab": "api/losslab.md"}]
            section += [{f"losslab.{m}": f"api/{m}.md"} for m, _ in modules]
            item[API_SECTION] = section
            break
    else:
        log.warning("mkdocs.yml nav has no %r section for the API pages", API_SECTION)
    config.extra["losslab_api_modules"] = modules
    config.extra["losslab_top_level"] = top_level_private_names(root / "src")
    return config


def _priority(priority: float) -> Any:
    """``mkdocs.plugins.event_priority`` without importing MkDocs (the tests need none)."""

    def mark(handler: Any) -> Any:
        handler.mkdocs_priority = priority
        return handler

    return mark


def _i18n(config: Any) -> Any:
    """The mkdocs-static-i18n plugin while it builds an edition, else None."""
    plugin = config.plugins.get("i18n") if hasattr(config.plugins, "get") else None
    return plugin if plugin is not None and plugin.current_language else None


def _generated(config: Any, path: str, content: str) -> Any:
    """A generated page; in an edition built by mkdocs-static-i18n, that edition's copy."""
    from mkdocs.structure.files import File  # imported here: the tests need no MkDocs

    plain = File.generated(config, path, content=content)
    plugin = _i18n(config)
    if plugin is None:
        return plain
    copies = {}
    for lang in plugin.build_languages:
        prefix = "" if lang == plugin.default_language else f"{lang}/"
        f = File(path, None, config.site_dir, config.use_directory_urls)
        f.dest_uri = prefix + plain.dest_uri
        f.content_string = content
        copies[lang] = f
    this = copies[plugin.current_language]
    # what the plugin's own files carry: the language switcher and sitemap.xml read them
    this.locale, this.localization = plugin.default_language, None
    this.locale_alternate_of, this.norm_src_uri = plugin.current_language, path
    this.alternates = copies
    plugin.i18n_files_per_language.setdefault(plugin.current_language, []).append(this)
    return this


# After mkdocs-static-i18n's on_files (-100), which only knows files of docs/.
@_priority(-110)
def on_files(files: Any, config: Any, **kwargs: Any) -> Any:
    modules = config.extra["losslab_api_modules"]
    top = config.extra["losslab_top_level"]
    generated = {"api/index.md": api_index(modules, top), "api/losslab.md": top_level_page(top)}
    generated |= {f"api/{m}.md": api_page(m, title_of(s)) for m, s in modules}
    for path, content in generated.items():
        if files.get_file_from_path(path) is None:
            files.append(_generated(config, path, content))
    return files


# ---- TeX out of the TOC and the search index --------------------------------------------------

_TEX_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "theta": "θ", "lambda": "λ", "mu": "μ", "sigma": "σ", "tau": "τ", "eta": "η", "pi": "π",
    "Delta": "Δ", "Sigma": "Σ", "nabla": "∇", "partial": "∂", "sum": "Σ", "log": "log",
    "exp": "exp", "max": "max", "min": "min", "cdot": "·", "times": "×", "le": "≤", "leq": "≤",
    "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "to": "→", "infty": "∞", "approx": "≈",
    "ldots": "…", "dots": "…", "in": "∈", "pm": "±", "lVert": "‖", "rVert": "‖", "mid": "|",
    "ell": "ℓ", "rho": "ρ", "phi": "φ", "omega": "ω", "Omega": "Ω", "xi": "ξ", "kappa": "κ",
    "nu": "ν", "zeta": "ζ", "chi": "χ", "psi": "ψ", "prod": "∏", "sqrt": "√", "cdots": "⋯",
    "vert": "|", "Vert": "‖", "lvert": "|", "rvert": "|", "langle": "⟨", "rangle": "⟩",
    "quad": " ", "qquad": " ", "hat": "", "bar": "", "tilde": "", "mathbb": "", "displaystyle": "",
}  # fmt: skip
# arithmatex (generic) writes inline math as \(...\) and display math as \[...\].
_MATH = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]", re.S)


def tex_to_text(tex: str) -> str:
    """A plain-text reading of a short TeX formula (for labels, not for typesetting)."""
    t = re.sub(r"\\(?:mathrm|mathbf|mathit|text|operatorname|boldsymbol|mathcal)\b", "", tex)
    t = re.sub(r"\\[td]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"\1/\2", t)
    t = re.sub(r"\\[td]?frac\s*(\w)\s*(\w)", r"\1/\2", t)  # \tfrac12
    t = re.sub(r"\\(left|right|big|Big|bigl|bigr|Bigl|Bigr)\b", "", t)
    t = re.sub(r"\\([A-Za-z]+)", lambda m: _TEX_SYMBOLS.get(m.group(1), m.group(1)), t)
    t = re.sub(r"\\[,;!: ]", " ", t).replace("\\{", "{").replace("\\}", "}")
    t = t.replace("{", "").replace("}", "").replace("~", " ")
    return re.sub(r"\s+", " ", t).strip()


def strip_tex(text: str) -> str:
    """Replace every math span of ``text`` by its plain-text reading."""
    return _MATH.sub(lambda m: tex_to_text(next(g for g in m.groups() if g is not None)), text)


def _strip_toc(items: Any) -> None:
    for item in items:
        item.title = strip_tex(item.title)
        _strip_toc(item.children)


_BODY_BLOCK = re.compile(r"<(p|ul|ol|dl|table|pre|div|details|blockquote)\b")
_SOURCE_DETAILS = re.compile(r'<details class="(?:quote|mkdocstrings-source)"')
_SIGNATURE = re.compile(r'<div class="language-python doc-signature highlight"')
#: Docstring sections shown on the API pages but not indexed: a search for an exception or a
#: return type would find every function.
_UNINDEXED_SECTION = re.compile(
    r'<p>(<span class="doc-section-title">(?:Raises|Returns):</span></p>\s*)<table>'
)


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    _strip_toc(page.toc)
    if page.file.src_uri.startswith("api/"):
        # mkdocstrings' "Source code in ..." listings, the signatures (the parameters are in
        # the table below each) and the Raises and Returns tables: shown, not indexed.
        html = _SOURCE_DETAILS.sub(lambda m: m.group(0) + " data-search-exclude", html)
        html = _SIGNATURE.sub(lambda m: m.group(0) + " data-search-exclude", html)
        html = _UNINDEXED_SECTION.sub(r"<p data-search-exclude>\1<table data-search-exclude>", html)
    if page.file.src_uri.startswith(TITLES_ONLY):
        # maintainers' pages (protocols, recorded runs, generated tables): on the page, and in
        # the index by their section titles only
        html = _BODY_BLOCK.sub(r"<\1 data-search-exclude", html)
    return html


_PRE = re.compile(r"<pre\b[^>]*>.*?</pre>", re.S)
_BLOCK_TAG = re.compile(r"</?(?:p|li|ul|ol|pre|table|thead|tbody|tr|td|th|div|br|h\d)\b[^>]*>")
_TAG = re.compile(r"<[^>]+>")
_PROMPT = ("&gt;&gt;&gt; ",)


def _code_for_search(pre: str) -> str:
    """A code block as the index keeps it: sessions (``>>>``) left out, other code kept.

    The examples' names and arguments are in the prose and the API entries around them; the
    sessions would take a third of the index."""
    lines = pre.split("\n")
    if any(_TAG.sub("", ln).startswith(_PROMPT[0]) for ln in lines):
        return " "
    return pre


def search_text(html: str) -> str:
    """The words of an index entry: TeX as text, no markup, no example sessions."""
    text = _PRE.sub(lambda m: _code_for_search(m.group(0)), strip_tex(html))
    text = _TAG.sub("", _BLOCK_TAG.sub(" ", text))
    # TeX left outside math delimiters (formulas shown as code, table cells): commands as text
    text = text.replace("$$", " ").replace("\\\\", " ")
    text = re.sub(r"\\[,;!: ]", " ", text)
    text = re.sub(r"\\([A-Za-z]+)", lambda m: _TEX_SYMBOLS.get(m.group(1), m.group(1)), text)
    return re.sub(r"\s+", " ", text).strip()


# ---- Chinese words in the search index -----------------------------------------------------

_HAN = re.compile(r"[\u3400-\u9fff]+")
_GLOSSARY_ROW = re.compile(r"^\|([^|]*)\|([^|]*)\|[^|]*\|(.*)\|\s*$")
#: Index fields added to Material's (title, text, tags): the Chinese words of an entry cut
#: every way jieba knows (hidden, so the teaser shows the text as written), and the glossary's
#: Chinese terms on the pages the glossary links them to (boosted: the topic page comes first).
ZH_FIELD, ZH_BOOST = "zh", 1.0
TERMS_FIELD, TERMS_BOOST = "terms", 50.0
#: In the Chinese edition the section titles are Chinese too (boost 1000): a glossary term must
#: outweigh a title that mentions it in passing, so the term's topic page comes first.
EDITION_TERMS_BOOST = 5000.0


def glossary_terms(path: Path) -> dict[str, list[str]]:
    """``{page: [Chinese terms]}`` from the glossary's table rows (term, 中文, meaning, see)."""
    pages: dict[str, list[str]] = {}
    if not path.is_file():
        return pages
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _GLOSSARY_ROW.match(line)
        if not m:
            continue
        words = _HAN.findall(m.group(2))
        for page in re.findall(r"\]\(([\w/-]+)\.md(?:#[\w-]*)?\)", m.group(3)):
            pages.setdefault(page, [])
            pages[page] += [w for w in words if w not in pages[page]]
    return pages


def _search_words(root: Path) -> list[str]:
    import tomllib

    path = root / "tools" / "search.toml"
    return list(tomllib.loads(path.read_text(encoding="utf-8")).get("words", []))


def _teach_jieba(root: Path, glossary: dict[str, list[str]]) -> None:
    """Words jieba must not split (Material's search plugin segments with the same jieba)."""
    try:
        import jieba
    except ImportError:  # Material indexes Chinese unsegmented then
        log.warning("jieba is not installed: Chinese search will find whole phrases only")
        return
    jieba.setLogLevel(logging.WARNING)
    for word in {w for terms in glossary.values() for w in terms} | set(_search_words(root)):
        jieba.add_word(word)


def chinese_words(text: str) -> list[str]:
    """Every Chinese word of ``text`` jieba finds, long words and their parts (search mode)."""
    try:
        import jieba
    except ImportError:
        return _HAN.findall(text)
    words: list[str] = []
    for run in _HAN.findall(text.replace("\u200b", "")):
        words += [w for w in jieba.cut_for_search(run) if w not in words]
    return words


def _page_key(location: str) -> str:
    page = location.split("#")[0]
    for lang in editions.LANGUAGES:
        page = page.removeprefix(f"{lang}/")
    page = page[: -len(".html")] if page.endswith(".html") else page.rstrip("/")
    return "index" if page == "" else page.removesuffix("/index")


def clean_search_index(
    path: Path, glossary: dict[str, list[str]] | None = None, terms_boost: float = TERMS_BOOST
) -> int:
    """Clean the titles and texts of the search index at ``path``; return its size in bytes."""
    data = json.loads(path.read_text(encoding="utf-8"))
    fields = data["config"].setdefault("fields", {})
    fields[ZH_FIELD] = {"boost": ZH_BOOST}
    fields[TERMS_FIELD] = {"boost": terms_boost}
    for doc in data["docs"]:
        doc["title"] = strip_tex(doc["title"])
        doc["text"] = search_text(doc["text"])
        words = chinese_words(doc["title"] + " " + doc["text"])
        if words:
            doc[ZH_FIELD] = " ".join(words)
        terms = (glossary or {}).get(_page_key(doc["location"]))
        if terms and "#" not in doc["location"]:
            doc[TERMS_FIELD] = " ".join(chinese_words(" ".join(terms)))
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text, encoding="utf-8")
    return len(text.encode())


def drop_source_maps(site: Path) -> int:
    """Remove the theme's JavaScript source maps (debugging aids that name a local dev server)
    and the comments pointing to them; return how many were removed."""
    maps = list((site / "assets").rglob("*.js.map"))
    for m in maps:
        script = m.with_suffix("")
        if script.is_file():
            text = script.read_text(encoding="utf-8")
            script.write_text(re.sub(r"\n?//# sourceMappingURL=\S+\s*$", "\n", text), "utf-8")
        m.unlink()
    return len(maps)


# ---- the editions (mkdocs-static-i18n) -------------------------------------------------------

_FIRST_404: dict[str, str] = {}


def on_post_template(output: str, template_name: str, config: Any) -> str:
    """Every edition renders 404.html into the same place; the site's is the default edition's,
    and each other edition's is kept in its own folder (``zh/404.html``)."""
    plugin = _i18n(config)
    if plugin is None or template_name != "404.html":
        return output
    if plugin.current_language == plugin.default_language:
        _FIRST_404["page"] = output
        return output
    folder = Path(config.site_dir) / plugin.current_language
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "404.html").write_text(output, encoding="utf-8")
    return _FIRST_404.get("page", output)


def on_page_context(context: Any, page: Any, config: Any, nav: Any) -> Any:
    """Language-switcher links.  mkdocs-static-i18n gives each page links to the same page in
    the other editions (absolute paths on the home pages, which miss the site under another
    sub-path and from file://).  The switcher in the header keeps those (site-relative, as
    ``page.ll_alternates``: docs/overrides/partials/alternate.html); the ``<link
    rel="alternate">`` of the head gets each edition's root, as Material expects: it fetches
    ``<link>/sitemap.xml`` for each."""
    plugin = _i18n(config)
    if plugin is None:
        return context
    base = urlsplit(config.site_url or "/").path.rstrip("/") + "/"
    suffix = "" if config.use_directory_urls else "index.html"
    here, roots = [], []
    # the plugin sets them as an attribute of config.extra (which templates read first)
    for alt in getattr(config.extra, "alternate", None) or config.extra.get("alternate") or []:
        link = alt.get("link", "")
        link = link[len(base) :] if link.startswith(base) else link
        lang = alt.get("lang")
        root = "" if lang == plugin.default_language else f"{lang}/"
        here.append({**alt, "link": link})
        roots.append({**alt, "link": root + suffix})
    page.ll_alternates = here
    config.extra.alternate = roots
    config.extra["alternate"] = roots
    return context


# After mkdocs-static-i18n's on_post_build (-100), which builds the other editions and writes
# one search index for all of them.
@_priority(-110)
def on_post_build(config: Any, **kwargs: Any) -> None:
    plugin = _i18n(config)
    if plugin is not None and plugin.building:
        return  # an edition built inside the first build: the outer build finishes the site
    site = Path(config.site_dir)
    drop_source_maps(site)
    index = site / "search" / "search_index.json"
    if not index.is_file():
        return
    glossary = config.extra.get("losslab_glossary")
    paths = {"": index}
    if plugin is not None:
        others = [lang for lang in plugin.build_languages if lang != plugin.default_language]
        paths |= editions.split_search_index(index, others)
        for lang in others:
            # Material reads the sitemap of each language-switcher address (<lang>/sitemap.xml);
            # the site's lists the pages of every edition
            for name in ("sitemap.xml", "sitemap.xml.gz"):
                if (site / name).is_file():
                    shutil.copy2(site / name, site / lang / name)
    sizes = {}
    for lang, path in paths.items():
        boost = EDITION_TERMS_BOOST if lang else TERMS_BOOST
        sizes[lang] = size = clean_search_index(path, glossary, boost)
        name = path.relative_to(site).as_posix()
        log.info("search index %s: %d bytes (limit %d)", name, size, SEARCH_INDEX_LIMIT)
        if size > SEARCH_INDEX_LIMIT:
            log.warning("search index %s is %d bytes, over the %d limit", name, size,
                        SEARCH_INDEX_LIMIT)  # fmt: skip
    if config.extra.get("losslab_offline"):
        # file://: Material loads search/search_index.js (one file for every edition) and
        # reads its variable __index
        parts = {lang: path.read_text(encoding="utf-8") for lang, path in paths.items()}
        script = index.with_name("search_index.js")
        script.write_text(editions.offline_index_script(parts), encoding="utf-8")
