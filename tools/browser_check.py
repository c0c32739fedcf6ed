"""Load every page of the built site in headless Chromium and fail on anything a reader would hit.

    python tools/browser_check.py site            # nox -s browser
    python tools/browser_check.py site --screenshots site-screenshots

The site is served from 127.0.0.1 on a free port.  Every request to any other host is blocked
and recorded.  The check fails (exit 1) on:

* a request that leaves the site (CDN, web font, analytics, ...), or a local request that 404s;
* a console error or an uncaught page error;
* a broken image (``naturalWidth == 0``);
* an internal link to a page that does not exist, or to an anchor missing on that page;
* an ``.arithmatex`` element without a rendered ``.katex`` descendant, or any ``.katex-error``;
* search not returning results on the home page, or math not typeset after an instant-navigation
  page switch (Material's ``navigation.instant``).

Needs the ``playwright`` Python package and Debian's ``/usr/bin/chromium`` (never run
``playwright install``).  Without Chromium the check is skipped (exit 0) unless ``CI`` is set,
in which case it fails: CI must never skip it.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import re
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

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
  return {math: math.length, unrendered, katexErrors, images: imgs.length, brokenImages,
          links, ids};
}
"""
MATH_READY_JS = """
() => [...document.querySelectorAll('.arithmatex')]
        .every(e => e.querySelector('.katex, .katex-error'))
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
    report: Report

    def do_GET(self) -> None:
        if self.path != "/sitemap.xml":
            return super().do_GET()
        # Material's instant navigation only intercepts links listed in sitemap.xml, whose URLs
        # start with mkdocs.yml's site_url.  Serve it rebased onto this server's origin, as the
        # deployed site is served from site_url, so instant navigation is tested too.
        text = (Path(self.directory) / "sitemap.xml").read_text(encoding="utf-8")
        first = re.search(r"<loc>(.*?)</loc>", text)
        if first:
            origin = f"http://{self.headers['Host']}/"
            text = text.replace(f"<loc>{first.group(1)}", f"<loc>{origin}")
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.report.requests_local += 1
        if isinstance(code, int) and code >= 400:
            self.report.local_errors.append(f"{code} {self.path}")

    def log_message(self, format: str, *args: object) -> None:  # silence stderr
        pass


def serve(site: Path, report: Report) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = type("Handler", (_Handler,), {"report": report})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def page_url(base: str, rel: Path) -> str:
    path = rel.as_posix()
    if path.endswith("index.html"):
        path = path[: -len("index.html")]
    return base + path


def local_target(site: Path, base: str, url: str) -> tuple[Path | None, str]:
    """The file a same-site URL resolves to (None if missing) and its fragment."""
    url, fragment = urldefrag(url)
    path = unquote(urlsplit(url).path).lstrip("/")
    target = site / path
    if target.is_dir() or path == "" or path.endswith("/"):
        target = target / "index.html"
    return (target if target.is_file() else None), unquote(fragment)


def check_page(context, site: Path, base: str, rel: Path, report: Report, found: dict) -> None:
    name = rel.as_posix()
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: report.fail(name, f"page error: {e}"))
    try:
        page.goto(page_url(base, rel), wait_until="load")
        try:
            page.wait_for_function(MATH_READY_JS, timeout=10_000)
        except Exception:
            pass  # reported below as unrendered math
        page.evaluate(EAGER_IMAGES_JS)
        try:
            page.wait_for_load_state("networkidle", timeout=10_000)
        except Exception:
            report.fail(name, "network did not go idle within 10 s")
        data = page.evaluate(PAGE_REPORT_JS)
    finally:
        page.close()
    for text in console:
        report.fail(name, f"console error: {text}")
    for tex in data["unrendered"]:
        report.fail(name, f"math not typeset: {tex!r}")
    for err in data["katexErrors"]:
        report.fail(name, f"KaTeX error: {err}")
    for src in data["brokenImages"]:
        report.fail(name, f"broken image: {src}")
    report.math += data["math"]
    report.images += data["images"]
    found[name] = data


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


def check_search(context, base: str, report: Report) -> str:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(base, wait_until="load")
        box = page.locator("input.md-search__input")
        box.click()
        box.press_sequentially(SEARCH_QUERY, delay=30)  # real key events, as a reader types
        items = page.locator(".md-search-result__item")
        items.first.wait_for(state="visible", timeout=15_000)
        meta = page.locator(".md-search-result__meta").inner_text().strip()
        summary = f"{items.count()} result items for {SEARCH_QUERY!r} ({meta})"
    except Exception as exc:
        report.fail("(search)", f"no search results for {SEARCH_QUERY!r}: {exc}")
        summary = "search FAILED"
    finally:
        page.close()
    for e in errors:
        report.fail("(search)", f"page error: {e}")
    return summary


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


def screenshots(browser, base: str, out: Path, found: dict) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    shots = []
    api = next((n for n in sorted(found) if n.startswith("api/") and n != "api/index.html"), None)
    plan = [("home-light", "", "light"), ("home-dark", "", "dark")]
    if api:
        plan.append(("api-light", api, "light"))
    for label, rel, scheme in plan:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
        ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base) else r.abort())
        page = ctx.new_page()
        page.goto(page_url(base, Path(rel)) if rel else base, wait_until="networkidle")
        page.wait_for_function(MATH_READY_JS, timeout=10_000)
        path = out / f"{label}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)
        ctx.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", default="site", type=Path, help="built site directory")
    parser.add_argument(
        "--screenshots", type=Path, default=None, help="save screenshots of the home page here"
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
    if not (site / "index.html").is_file():
        print(f"browser_check: {site}/index.html not found; build first (mkdocs build --strict).")
        return 1
    from playwright.sync_api import sync_playwright

    pages = sorted(p.relative_to(site) for p in site.rglob("*.html"))
    report = Report()
    server, base = serve(site, report)
    start = time.perf_counter()
    found: dict = {}

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
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.route("**/*", route)
            for rel in pages:
                check_page(context, site, base, rel, report, found)
                report.pages += 1
            check_links(site, base, found, report)
            search = check_search(context, base, report)
            instant = check_instant_navigation(context, base, found, report)
            shots = screenshots(browser, base, args.screenshots, found) if args.screenshots else []
            context.close()
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
    print(f"  search: {search}")
    print(f"  {instant}")
    for shot in shots:
        print(f"  screenshot: {shot}")
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
