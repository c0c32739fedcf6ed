"""Tests for the documentation-site tooling in tools/ (hooks, math conversion, plots, checks)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import browser_check  # noqa: E402
import mkdocs_hooks  # noqa: E402


def test_api_modules_match_developers_md():
    layout = (ROOT / "DEVELOPERS.md").read_text(encoding="utf-8").split("## Public API")[0]
    listed = re.findall(r"^  (\w+)(?:\.py|/)\s", layout, flags=re.MULTILINE)
    public = [m for m in listed if not m.startswith("_")]
    assert sorted(m for m, _, _ in mkdocs_hooks.API_MODULES) == sorted(public)


def test_every_existing_module_gets_an_api_page(tmp_path):
    pkg = tmp_path / "losslab"
    (pkg / "symbolic").mkdir(parents=True)
    (pkg / "mse.py").write_text("")
    (pkg / "symbolic" / "__init__.py").write_text("")
    (pkg / "notlisted.py").write_text("")
    assert mkdocs_hooks.existing_modules(tmp_path) == ["mse", "symbolic"]
    index = mkdocs_hooks.api_index(["mse"])
    assert "[`losslab.mse`](mse.md)" in index
    assert "`losslab.l1` (not written yet)" in index
    assert mkdocs_hooks.api_page("mse", "Mean squared error").endswith("::: losslab.mse\n")


def test_real_modules_are_all_found():
    src = ROOT / "src"
    found = mkdocs_hooks.existing_modules(src)
    assert "mse" in found
    for m, _, _ in mkdocs_hooks.API_MODULES:
        exists = (src / "losslab" / f"{m}.py").exists() or (src / "losslab" / m).is_dir()
        assert (m in found) == exists, m


def test_rst_math_is_converted_for_arithmatex():
    pytest.importorskip("griffe")
    import griffe_rst_math as g

    doc = (
        "Summary.\n\n.. math::\n\n    a = b\n    + c\n\n    d = e\n\n"
        "Text with :math:`x_i` and :func:`~losslab.mse.mse_loss`.\n\n"
        "Parameters\n----------\nx : array_like\n    Predictions :math:`x`.\n"
    )
    out = g.convert(doc, "losslab.mse")
    assert "$$\na = b\n+ c\n$$\n\n$$\nd = e\n$$" in out
    assert "$x_i$" in out and "Predictions $x$." in out
    assert '<autoref identifier="losslab.mse.mse_loss" optional><code>mse_loss</code>' in out
    assert ".. math::" not in out and ":math:" not in out
    # Indented directive (inside a section) keeps its indentation; options are dropped.
    nested = g.convert("Notes\n-----\n  .. math::\n     :label: eq\n\n     y = 1\n  after")
    assert "  $$\n  y = 1\n  $$\n\n  after" in nested and ":label:" not in nested
    assert g.convert("no math here") == "no math here"


def test_siteplot_svg_is_inline_safe():
    pytest.importorskip("matplotlib")
    import siteplot

    def draw():
        fig, ax = siteplot.figure()
        ax.plot([0, 1, 2], [2, 0, 1], label="$x^2$")
        ax.legend()
        return siteplot.svg(fig, alt="A V-shaped line.", caption="Caption & more")

    out = draw()
    assert out == draw(), "SVG output must be reproducible"
    assert out.startswith('<figure class="ll-plot">') and out.endswith("</figure>")
    assert "<?xml" not in out and "<!DOCTYPE" not in out and "<metadata" not in out
    assert 'role="img" aria-label="A V-shaped line."' in out
    assert "<figcaption>Caption &amp; more</figcaption>" in out
    assert "<text" not in out and "@font-face" not in out and "url(http" not in out
    assert "\n\n" not in out, "a blank line would end Markdown's raw HTML block"
    prefix = re.search(r'id="(f[0-9a-f]{8}-)', out).group(1)
    assert all(i.startswith(prefix) for i in re.findall(r'\bid="([^"]+)"', out))
    assert all(r.startswith(prefix) for r in re.findall(r"url\(#([^)]+)\)", out))
    assert "<style>.ll-plot__svg *{" in out
    with pytest.raises(ValueError, match="`alt`"):
        siteplot.svg(siteplot.figure()[0], alt=" ")


def test_katex_is_vendored_with_woff2_fonts_only():
    katex = ROOT / "docs" / "assets" / "katex"
    css = (katex / "katex.min.css").read_text(encoding="utf-8")
    urls = re.findall(r"url\(([^)]+)\)", css)
    assert urls and all(u.endswith(".woff2") for u in urls)
    assert all((katex / u).is_file() for u in urls)
    assert (katex / "katex.min.js").is_file() and (katex / "LICENSE").is_file()


def test_mkdocs_yml_keeps_the_site_offline():
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s+font: false", text, flags=re.MULTILINE)
    assert "http" not in re.sub(r"(#.*|site_url.*)$", "", text, flags=re.MULTILINE)


def test_browser_check_resolves_local_links(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text("")
    (tmp_path / "index.html").write_text("")
    base = "http://127.0.0.1:1/"
    target, frag = browser_check.local_target(tmp_path, base, base + "a/#sec%201")
    assert target == tmp_path / "a" / "index.html" and frag == "sec 1"
    assert browser_check.local_target(tmp_path, base, base)[0] == tmp_path / "index.html"
    assert browser_check.local_target(tmp_path, base, base + "missing/")[0] is None
    assert browser_check.page_url(base, Path("a/index.html")) == base + "a/"


def test_browser_check_never_skips_in_ci(monkeypatch, capsys):
    monkeypatch.setattr(browser_check, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("CI", "1")
    assert browser_check.main(["site"]) == 1
    monkeypatch.delenv("CI")
    assert browser_check.main(["site"]) == 0
    assert "not found" in capsys.readouterr().out


def test_benchrun_numbers_come_from_the_recorded_runs():
    """Every number of the performance page's summary appears in the recorded run it cites."""
    import benchrun

    text = benchrun.summary()
    shown = (benchrun.RESULTS / f"{benchrun.SHOWN}.txt").read_text()
    runs = (benchrun.SHOWN, benchrun.KEEP_MEMORY, benchrun.PYTHON_POOL, benchrun.BEFORE_KERNELS)
    earlier = [name for _, names in benchrun.EARLIER for name in names]
    for name in (*runs, *earlier, *benchrun.FREED):
        assert (benchrun.RESULTS / f"{name}.txt").exists()
    for name in (benchrun.SHOWN, benchrun.KEEP_MEMORY, *earlier):
        recorded = (benchrun.RESULTS / f"{name}.txt").read_text()
        for threads in (2, 1) if name == benchrun.SHOWN else (2,):
            target = benchrun.softmax(name, threads)
            ms = target["ms"]
            assert f"{ms} ms" in text and f"thread(s): {ms} ms" in recorded
            for key, what in (("torch", "0.5 x torch (2 threads)"), ("rw", "4 x read+write pass")):
                limit = target[f"{key}_limit"]
                assert f"{limit} ms" in text and f"<= {what} {limit} ms" in recorded
                assert target[f"{key}_pass"] == (ms <= limit)
    freed = benchrun.freed()
    for name in benchrun.FREED:
        assert (benchrun.RESULTS / f"{name}.txt").read_text().strip() in freed
    for threads in (1, 2):
        faster, rows = benchrun.rows_faster(benchrun.SHOWN, threads)
        assert f"({faster}/{rows} rows faster)" in shown
        slower = benchrun.slower_rows(benchrun.SHOWN, threads)
        assert len(slower) == rows - faster  # each slower row is listed once
        for row in slower:
            assert row in text and f"slower: {row}" in shown
