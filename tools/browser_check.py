"""Load every page of the built site in headless Chromium and fail on anything a reader would hit.

    python tools/browser_check.py site                                # the site at a domain root
    python tools/browser_check.py site --deployed build/deploy --offline build/offline
    python tools/browser_check.py site --screenshots site-screenshots   # every page, both widths

The site is served from 127.0.0.1 on a free port.  Every request to any other host is blocked
and recorded.  The check fails (exit 1) on:

* a request that leaves the site (CDN, web font, analytics, ...), or a local request that 404s;
* a console error or an uncaught page error;
* a broken image (``naturalWidth == 0``);
* an internal link to a page that does not exist, or to an anchor missing on that page;
* an ``.arithmatex`` element without a rendered ``.katex`` descendant, or any ``.katex-error``;
* at 1280 and at 390 px (``WIDTHS``): an element of the page wider than the viewport that is not
  inside a scroll container, a display formula clipped by its box;
* TeX in the table of contents or in a search index, an index over 300 KB (one per edition); a
  page whose ``<html lang>`` is not its edition's, or without the language switcher;
* a search of ``tools/search.toml`` (on its edition) whose first hit is not the page listed
  there, or math not typeset after an instant-navigation page switch;
* ``--deployed DIR`` (``tools/deploy_site.py``'s output): served under the sub-path of its
  address, the version and the version selector missing, or the 404 page without its styles or
  with a broken link;
* ``--offline DIR`` (``LOSSLAB_OFFLINE=1`` build): opened from file://, a page without typeset
  math or plots, or a link to a folder or a missing file.

Needs the ``playwright`` Python package and Debian's ``/usr/bin/chromium`` (never run
``playwright install``).  Without Chromium the check is skipped (exit 0) unless ``CI`` is set,
in which case it fails: CI must never skip it.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import re
import sys
import threading
import time
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

from editions import EDITIONS, edition_of  # tools/editions.py (this script's folder)
from mkdocs_hooks import SEARCH_INDEX_LIMIT  # bytes, each edition's index

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SEARCH_QUERY = "entropy"
WIDTHS = (1280, 390)
SEARCHES = Path(__file__).resolve().parent / "search.toml"
TEX = re.compile(r"\\[()\[\]]|\\(?:frac|mathrm|mathbf|sum|left|right|operatorname|lVert)\b")

# Collected in the page after math is typeset: counts, problems and every link and id.
PAGE_REPORT_JS = """
() => {
  const math = [...document.querySelectorAll('.arithmatex')];
  const unrendered = math.filter(e => !e.querySelector('.katex'))
                         .map(e => e.textContent.trim().slice(0, 80));
  const katexErrors = [...document.querySelectorAll('.katex-error')]
                         .map(e => (e.getAttribute('title') || e.textContent).slice(0, 120));
  const imgs = [...document.images];
  const brokenImages = imgs.filter(i => !i.complete || i.naturalWidth === 0)
                           .map(i => i.currentSrc || i.src);
  const links = [...document.querySelectorAll('a[href]')].map(a => a.href);
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id)
      .concat([...document.querySelectorAll('a[name]')].map(a => a.name));
  const toc = [...document.querySelectorAll('.md-nav--secondary .md-nav__link')]
                  .map(a => a.textContent.trim());
  const switcher = [...document.querySelectorAll('a.md-select__link[hreflang]')]
                       .map(a => a.getAttribute('hreflang'));
  return {math: math.length, unrendered, katexErrors, images: imgs.length, brokenImages,
          links, ids, toc, lang: document.documentElement.lang, switcher};
}
"""
MATH_READY_JS = """
() => [...document.querySelectorAll('.arithmatex')]
        .every(e => e.querySelector('.katex, .katex-error'))
"""
# Layout at the current width: elements sticking out of the viewport (outermost only, and not
# inside a scroll container) and display formulas their box cuts off.
OVERFLOW_JS = """
() => {
  const vw = document.documentElement.clientWidth, out = [];
  if (document.documentElement.scrollWidth > vw + 1)
    out.push(`page scrolls sideways: ${document.documentElement.scrollWidth} px wide`);
  const scrolls = el => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const o = getComputedStyle(a).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
    }
    return false;
  };
  const name = el => el.tagName.toLowerCase() + (typeof el.className === 'string' && el.className
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const wide = el => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > vw + 1;
  };
  for (const el of document.querySelectorAll('.md-content *')) {
    if (!wide(el) || scrolls(el) || (el.parentElement && wide(el.parentElement))) continue;
    out.push(`${name(el)} is ${Math.round(el.getBoundingClientRect().right)} px wide: `
             + el.textContent.trim().slice(0, 60));
  }
  for (const d of document.querySelectorAll('.katex-display')) {
    const box = d.closest('div.arithmatex') || d, cs = getComputedStyle(box);
    const tex = (box.querySelector('annotation') || box).textContent.trim().slice(0, 60);
    if (box.scrollHeight > box.clientHeight + 1 && cs.overflowY !== 'visible')
      out.push(`display formula cut off at top or bottom: ${tex}`);
    if (box.scrollWidth > box.clientWidth + 1 && !['auto', 'scroll'].includes(cs.overflowX))
      out.push(`display formula cut off at the side: ${tex}`);
  }
  return out.slice(0, 12);
}
"""
EAGER_IMAGES_JS = """
async () => {
  const imgs = [...document.images];
  imgs.forEach(i => { if (i.loading === 'lazy') i.loading = 'eager'; });
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
}
"""


@dataclass
class Report:
    pages: int = 0
    requests_local: int = 0
    blocked: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    local_errors: list[str] = field(default_factory=list)
    problems: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    math: int = 0
    images: int = 0
    links_internal: int = 0
    links_external: int = 0

    def fail(self, page: str, message: str) -> None:
        self.problems[page].append(message)


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the site at ``prefix`` (a path ending in "/"), and its 404.html, with status 404,
    for any missing address, as static hosts do."""

    report: Report
    prefix: str = "/"

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if not path.startswith(self.prefix) and path + "/" != self.prefix:
            return self._send(404, "text/html", self._not_found())
        self.path = "/" + self.path[len(self.prefix) :]
        rel = unquote(urlsplit(self.path).path).lstrip("/")
        target = Path(self.directory) / rel
        if not (target.is_file() or (target / "index.html").is_file()):
            return self._send(404, "text/html", self._not_found())
        if self.path != "/sitemap.xml":
            return super().do_GET()
        # Material's instant navigation only intercepts links listed in sitemap.xml, whose URLs
        # start with mkdocs.yml's site_url.  Serve it rebased onto this server's origin, as the
        # deployed site is served from site_url, so instant navigation is tested too.
        text = (Path(self.directory) / "sitemap.xml").read_text(encoding="utf-8")
        first = re.search(r"<loc>(.*?)</loc>", text)
        if first:
            origin = f"http://{self.headers['Host']}{self.prefix}"
            text = text.replace(f"<loc>{first.group(1)}", f"<loc>{origin}")
        return self._send(200, "application/xml", text.encode())

    def _not_found(self) -> bytes:
        page = Path(self.directory) / "404.html"
        return page.read_bytes() if page.is_file() else b"not found"

    def _send(self, code: int, kind: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.report.requests_local += 1
        if isinstance(code, int) and code >= 400 and "/__missing__/" not in self.path:
            self.report.local_errors.append(f"{code} {self.path}")

    def log_message(self, format: str, *args: object) -> None:  # silence stderr
        pass


def serve(
    site: Path, report: Report, prefix: str = "/"
) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = type("Handler", (_Handler,), {"report": report, "prefix": prefix})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}{prefix}"


def page_url(base: str, rel: Path) -> str:
    path = rel.as_posix()
    if path.endswith("index.html"):
        path = path[: -len("index.html")]
    return base + path


def local_target(site: Path, base: str, url: str) -> tuple[Path | None, str]:
    """The file a same-site URL resolves to (None if missing) and its fragment."""
    url, fragment = urldefrag(url)
    path = unquote(urlsplit(url).path)[len(urlsplit(base).path) :]
    target = site / path
    if target.is_dir() or path == "" or path.endswith("/"):
        target = target / "index.html"
    return (target if target.is_file() else None), unquote(fragment)


def _load(page, url: str, report: Report, name: str, network: bool = True) -> None:
    page.goto(url, wait_until="load")
    try:
        page.wait_for_function(MATH_READY_JS, timeout=10_000)
    except Exception:
        pass  # reported by the caller as unrendered math
    page.evaluate(EAGER_IMAGES_JS)
    if network:
        try:
            page.wait_for_load_state("networkidle", timeout=10_000)
        except Exception:
            report.fail(name, "network did not go idle within 10 s")


def check_page(context, base: str, rel: Path, report: Report, found: dict, width: int) -> None:
    """Load one page at ``width`` px; the full checks at the first width, layout at the others."""
    name = rel.as_posix()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: report.fail(name, f"page error: {e}"))
    try:
        _load(page, page_url(base, rel), report, name)
        data = page.evaluate(PAGE_REPORT_JS)
        overflow = page.evaluate(OVERFLOW_JS)
    finally:
        page.close()
    for text in console:
        report.fail(name, f"console error: {text}")
    for tex in data["unrendered"]:
        report.fail(name, f"math not typeset: {tex!r}")
    for err in data["katexErrors"]:
        report.fail(name, f"KaTeX error: {err}")
    for problem in overflow:
        report.fail(name, f"at {width} px: {problem}")
    if width != WIDTHS[0]:
        return
    for src in data["brokenImages"]:
        report.fail(name, f"broken image: {src}")
    for entry in data["toc"]:
        if TEX.search(entry):
            report.fail(name, f"TeX in the table of contents: {entry!r}")
    got, want = (
        (data["lang"], sorted(data["switcher"])),
        (EDITIONS[edition_of(name)][1], sorted(EDITIONS)),
    )
    if got != want and not name.endswith("404.html"):
        report.fail(name, f"<html lang> and language switcher {got}, expected {want}")
    report.math += data["math"]
    report.images += data["images"]
    found[name] = data


def check_search_index(site: Path, report: Report) -> str:
    """The indexes Material downloads (one per edition): size, no TeX in what a result shows."""
    notes = []
    for edition, (folder, _) in EDITIONS.items():
        rel = f"{folder}search/search_index.json"
        path = site / rel
        if not path.is_file():
            if edition == "en" or (site / folder / "index.html").is_file():
                report.fail("(search)", f"{rel} is missing")
            continue
        size = path.stat().st_size
        if size > SEARCH_INDEX_LIMIT:
            report.fail("(search)", f"{rel} is {size} bytes, over {SEARCH_INDEX_LIMIT}")
        docs = json.loads(path.read_text(encoding="utf-8"))["docs"]
        for doc in docs:
            if not doc["location"].startswith(folder):
                report.fail("(search)", f"{rel} has an entry of another edition: {doc['location']}")
            for key in ("title", "text"):
                m = TEX.search(doc[key])
                if m:
                    around = doc[key][max(0, m.start() - 30) : m.end() + 30]
                    report.fail("(search)", f"TeX in the index ({doc['location']}): {around!r}")
        notes.append(f"{rel}: {size} bytes, {len(docs)} entries")
    return "search indexes: " + "; ".join(notes)


def check_links(site: Path, base: str, found: dict, report: Report) -> None:
    ids = {name: set(d["ids"]) for name, d in found.items()}
    for name, data in found.items():
        for href in sorted(set(data["links"])):
            if not href.startswith(("http://", "https://")):
                continue  # mailto:, javascript:, data:
            if not href.startswith(base):
                report.links_external += 1
                continue
            report.links_internal += 1
            target, fragment = local_target(site, base, href)
            if target is None:
                report.fail(name, f"broken link: {href[len(base) - 1 :]}")
                continue
            rel = target.relative_to(site).as_posix()
            if fragment and rel in ids and fragment not in ids[rel]:
                report.fail(name, f"missing anchor: {href[len(base) - 1 :]}")


def search_checks(lang: str | None = None) -> list[dict]:
    """The searches of tools/search.toml (of one language, or all)."""
    checks = tomllib.loads(SEARCHES.read_text(encoding="utf-8")).get("checks", [])
    return [c for c in checks if lang is None or c["lang"] == lang]


def check_searches(context, base: str, report: Report, checks: list[dict]) -> str:
    """Type each query into the search box (of the edition at ``base``); its first hit must be
    on the page expected."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    passed = 0
    try:
        page.goto(base, wait_until="load")
        box = page.locator("input.md-search__input")
        box.click()
        for check in [{"query": SEARCH_QUERY, "first": None}, *checks]:
            query = check["query"]
            box.fill(query)  # typed text (Chinese included), then a key event
            box.press("End")
            first = page.locator(".md-search-result__item > a").first
            try:
                first.wait_for(state="visible", timeout=15_000)
                page.wait_for_timeout(500)  # results of the last key typed
                href = first.get_attribute("href") or ""
            except Exception:
                report.fail("(search)", f"no results for {query!r}")
                continue
            rel = href[len(base) :] if href.startswith(base) else href
            want = check["first"]
            if want is not None and not rel.startswith(want):
                report.fail("(search)", f"first hit for {query!r} is {rel!r}, expected {want!r}")
            else:
                passed += 1
    except Exception as exc:
        report.fail("(search)", f"search failed: {exc}")
    finally:
        page.close()
    for e in errors:
        report.fail("(search)", f"page error: {e}")
    return f"searches: {passed} of {len(checks) + 1} with the expected first hit"


def check_instant_navigation(context, base: str, found: dict, report: Report) -> str:
    """Follow an in-site link from the home page and require the new page's math typeset."""
    target = next(
        (
            name
            for name, d in sorted(found.items(), key=lambda kv: -kv[1]["math"])
            if d["math"] and name != "index.html" and name != "404.html"
        ),
        None,
    )
    if target is None:
        return "instant navigation: no page with math to test"
    href = page_url(base, Path(target))[len(base) :]
    page = context.new_page()
    try:
        page.goto(base, wait_until="load")
        page.wait_for_function(MATH_READY_JS, timeout=10_000)
        marker = page.evaluate("() => (window.__llMarker = Math.random())")
        # Click a real link so Material's instant loader handles it (no full page load).
        page.evaluate(
            """(href) => { const a = document.createElement('a'); a.href = href;
                           a.textContent = 'x'; document.querySelector('article').append(a);
                           a.click(); }""",
            href,
        )
        page.wait_for_url(base + href, timeout=10_000)
        page.wait_for_function(MATH_READY_JS, timeout=10_000)
        same_document = page.evaluate("() => window.__llMarker") == marker
        n = page.evaluate("() => document.querySelectorAll('.arithmatex .katex').length")
        kind = "instant (same document)" if same_document else "full page load"
        return f"navigation to {target}: {kind}, {n} formulas typeset"
    except Exception as exc:
        report.fail("(instant navigation)", f"math not typeset after navigating to {target}: {exc}")
        return "instant navigation FAILED"
    finally:
        page.close()


def screenshots(browser, base: str, out: Path, pages: list[Path]) -> int:
    """Full-page screenshots of every page at every width (to look at, not checked)."""
    out.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        ctx = browser.new_context(viewport={"width": width, "height": 900})
        ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        page = ctx.new_page()
        for rel in pages:
            _load(page, page_url(base, rel), Report(), rel.as_posix())
            name = rel.as_posix().replace("/", "_").removesuffix(".html")
            page.screenshot(path=str(out / f"{name}-{width}.png"), full_page=True)
        ctx.close()
    return len(pages) * len(WIDTHS)


def check_deployed(browser, deployed: Path, report: Report) -> str:
    """tools/deploy_site.py's output, served under the sub-path of its address."""
    canonical = re.search(r'rel="canonical" href="([^"]+)"', (deployed / "index.html").read_text())
    versions = json.loads((deployed / "versions.json").read_text())
    version = versions[0]["version"]
    prefix = urlsplit(canonical.group(1)).path.removesuffix(f"{version}/") if canonical else "/"
    server, base = serve(deployed, report, prefix)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
    page = ctx.new_page()
    page.on("pageerror", lambda e: report.fail("(deployed)", f"page error: {e}"))
    where = f"(deployed under {prefix})"
    try:
        page.goto(base, wait_until="load")  # index.html redirects to the newest version
        page.wait_for_url(f"{base}{version}/", timeout=10_000)
        shown = page.locator("[data-ll-version]").first.inner_text().strip()
        if shown != version:
            report.fail(where, f"header shows version {shown!r}, expected {version!r}")
        try:
            page.locator(".md-version__current").first.wait_for(timeout=10_000)
        except Exception:
            report.fail(where, "no version selector (versions.json not read)")
        page.goto(f"{base}__missing__/page/", wait_until="load")
        styled = page.evaluate(
            "() => getComputedStyle(document.querySelector('.md-header')).position !== 'static'"
            " && [...document.styleSheets].length > 1"
        )
        if not styled:
            report.fail(where, "the 404 page loads no styles")
        links = page.evaluate(
            "() => [...document.querySelectorAll('article a[href]')].map(a => a.href)"
        )
        if not page.locator("label[for=__search]").count() or len(links) < 5:
            report.fail(where, "the 404 page offers no search or too few topics")
        for href in links:
            if href.startswith(base) and local_target(deployed, base, href)[0] is None:
                report.fail(where, f"404 page links to a missing page: {href}")
    except Exception as exc:
        report.fail(where, f"failed: {exc}")
    finally:
        ctx.close()
        server.shutdown()
    return f"deployed site under {prefix}: version {version}, {len(versions)} version(s)"


def check_offline(browser, offline: Path, report: Report) -> str:
    """The copy opened from disk: math and plots on every page, links to files that exist."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    pages = sorted(p for p in offline.rglob("*.html") if p.name != "404.html")
    typeset = 0
    for path in pages:
        name = f"(offline) {path.relative_to(offline).as_posix()}"
        page = ctx.new_page()
        page.on("pageerror", lambda e, n=name: report.fail(n, f"page error: {e}"))
        try:
            _load(page, path.as_uri(), report, name, network=False)
            data = page.evaluate(PAGE_REPORT_JS)
        finally:
            page.close()
        for tex in data["unrendered"][:3]:
            report.fail(name, f"math not typeset: {tex!r}")
        for src in data["brokenImages"]:
            report.fail(name, f"broken image: {src}")
        typeset += data["math"] - len(data["unrendered"])
        for href in set(data["links"]):
            if not href.startswith("file:"):
                continue
            target = Path(unquote(urlsplit(href).path))
            if not target.is_file():
                report.fail(name, f"link to a folder or a missing file: {href}")
    ctx.close()
    return f"offline copy: {len(pages)} pages from file://, {typeset} formulas typeset"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", default="site", type=Path, help="built site directory")
    parser.add_argument("--deployed", type=Path, help="tools/deploy_site.py's output to check")
    parser.add_argument("--offline", type=Path, help="the LOSSLAB_OFFLINE=1 build to check")
    parser.add_argument(
        "--screenshots", type=Path, default=None, help="save screenshots of every page here"
    )
    args = parser.parse_args(argv)
    site: Path = args.site.resolve()

    if not Path(CHROMIUM).exists():
        msg = f"browser_check: {CHROMIUM} not found (apt-get install -y chromium)."
        if os.environ.get("CI"):
            print(msg + " CI is set: failing, the browser check must not be skipped.")
            return 1
        print(msg + " Skipped locally; CI will run it.")
        return 0
    for d in (site, args.deployed, args.offline):
        if d is not None and not (d / "index.html").is_file():
            print(f"browser_check: {d}/index.html not found; build first.")
            return 1
    from playwright.sync_api import sync_playwright

    pages = sorted(p.relative_to(site) for p in site.rglob("*.html"))
    report = Report()
    server, base = serve(site, report)
    start = time.perf_counter()
    found: dict = {}
    notes: list[str] = [check_search_index(site, report)]

    def route(r) -> None:
        url = r.request.url
        if url.startswith(base):
            r.continue_()
        else:
            report.blocked[url].add(r.request.frame.url if r.request.frame else "?")
            r.abort()

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            for width in WIDTHS:
                context = browser.new_context(viewport={"width": width, "height": 900})
                context.route("**/*", route)
                for rel in pages:
                    check_page(context, base, rel, report, found, width)
                    report.pages += width == WIDTHS[0]
                if width == WIDTHS[0]:
                    check_links(site, base, found, report)
                    for ed, (folder, _) in EDITIONS.items():
                        if (site / folder / "index.html").is_file():
                            note = check_searches(context, base + folder, report, search_checks(ed))
                            notes.append(f"{ed}: {note}")
                    notes.append(check_instant_navigation(context, base, found, report))
                context.close()
                notes.append(
                    f"{len(pages)} pages at {width} px: {time.perf_counter() - start:.0f} s"
                )
            if args.deployed:
                notes.append(check_deployed(browser, args.deployed.resolve(), report))
            if args.offline:
                notes.append(check_offline(browser, args.offline.resolve(), report))
            if args.screenshots:
                n = screenshots(browser, base, args.screenshots, pages)
                notes.append(f"{n} screenshots in {args.screenshots}")
            browser.close()
    finally:
        server.shutdown()

    for url, origins in sorted(report.blocked.items()):
        report.fail("(network)", f"blocked off-site request: {url} (from {sorted(origins)[0]})")
    for line in report.local_errors:
        report.fail("(server)", f"local request failed: {line}")

    elapsed = time.perf_counter() - start
    print(f"browser_check: {report.pages} pages from {site} in {elapsed:.1f} s")
    print(f"  local requests served:      {report.requests_local}")
    print(f"  off-site requests blocked:  {len(report.blocked)}")
    print(f"  formulas typeset:           {report.math}")
    print(f"  images checked:             {report.images}")
    print(f"  links: internal {report.links_internal}, external {report.links_external}")
    for note in notes:
        print(f"  {note}")
    if report.problems:
        total = sum(len(v) for v in report.problems.values())
        print(f"\nFAILED: {total} problem(s)")
        for name in sorted(report.problems):
            print(f"  {name}")
            for msg in report.problems[name]:
                print(f"    - {msg}")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
