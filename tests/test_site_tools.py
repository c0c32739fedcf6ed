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


def test_api_pages_are_derived_from_the_package(tmp_path):
    pkg = tmp_path / "losslab"
    (pkg / "symbolic").mkdir(parents=True)
    (pkg / "mse.py").write_text('r"""Mean squared error.\n\nMore."""\n')
    (pkg / "symbolic" / "__init__.py").write_text('"""SymPy forms."""\n')
    (pkg / "_private.py").write_text('"""Hidden."""\ndef grad(): ...\n')
    (pkg / "__init__.py").write_text("from ._private import grad\nfrom .mse import mse_loss\n")
    modules = mkdocs_hooks.public_modules(tmp_path)
    assert modules == [("mse", "Mean squared error."), ("symbolic", "SymPy forms.")]
    assert mkdocs_hooks.top_level_private_names(tmp_path) == ["grad"]
    index = mkdocs_hooks.api_index(modules, ["grad"])
    assert "| [`losslab.mse`](mse.md) | Mean squared error. |" in index
    assert "`grad`" in index
    assert mkdocs_hooks.api_page("mse", "Mean squared error").endswith("::: losslab.mse\n")
    assert "::: losslab.grad\n" in mkdocs_hooks.top_level_page(["grad"])


def test_real_api_covers_the_central_functions():
    src = ROOT / "src"
    modules = dict(mkdocs_hooks.public_modules(src))
    assert {"mse", "threads", "symbolic", "book"} <= set(modules)
    assert all(summary for summary in modules.values())
    top = mkdocs_hooks.top_level_private_names(src)
    assert {"grad", "value_and_grad", "differentiable_functions"} <= set(top)


def test_tex_is_stripped_for_toc_and_search():
    assert (
        mkdocs_hooks.strip_tex(r"E3. \([0.1, 0.7]\) is not one-hot")
        == "E3. [0.1, 0.7] is not one-hot"
    )
    assert mkdocs_hooks.strip_tex(r"\(\frac{1}{n}\sum_i \delta\)") == "1/nΣ_i δ"
    html = "<p>Loss \\(x^2\\)</p><pre><code>&gt;&gt;&gt; print(f(1))\n2.5\n... more\n</code></pre>"
    text = mkdocs_hooks.search_text(html)
    assert "\\(" not in text and "<" not in text.replace("&lt;", "")
    assert "print(f(1))" not in text and "2.5" not in text and "Loss x^2" in text
    assert "kept" in mkdocs_hooks.search_text("<pre><code>kept = 1</code></pre>")


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
    assert "http" not in re.sub(r"(#.*|site_url.*|repo_url.*)$", "", text, flags=re.MULTILINE)


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
    """Every number of the performance summary appears in the recorded run it cites."""
    import benchrun

    text = benchrun.summary()
    kept = sorted(p.stem for p in benchrun.RESULTS.glob("*"))
    assert kept == sorted(benchrun.RUNS), "bench/results keeps only the runs the site shows"
    shown = benchrun.block()
    for name in (benchrun.SHOWN, benchrun.KEEP_MEMORY):
        recorded = "\n".join(benchrun._lines(name))
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
        assert benchrun.rows(name)[0][benchrun.load(name)["columns"][0]["name"]] in freed
    for threads in (1, 2):
        faster, rows = benchrun.rows_faster(benchrun.SHOWN, threads)
        assert f"({faster}/{rows} rows faster)" in shown
        slower = benchrun.slower_rows(benchrun.SHOWN, threads)
        assert len(slower) == rows - faster  # each slower row is listed once
        for row in slower:
            assert row in text and f"slower: {row}" in shown


def test_benchjson_round_trip():
    import benchjson

    text = (
        "# a run\nloss  dtype  N  thr  losslab\n---------------------------\n"
        "mse  float64  1000  1  0.10\nmse  float32  1000  2  12.50\n\n# targets\nPASS x\n"
    )
    run = benchjson.parse(text)
    assert run["rows"][1] == ["mse", "float32", 1000, 2, 12.5]
    assert run["columns"][4] == {"name": "losslab", "decimals": 2}
    assert run["report"] == ["", "# targets", "PASS x"]
    out = benchjson.render(run)
    assert "12.50" in out and "0.10" in out and out.endswith("PASS x")
    assert benchjson.parse(out) == run
    import json

    assert json.loads(benchjson.dumps(run)) == run
    only = benchjson.table(run, keep=lambda r: r["thr"] == 2)
    assert len(only) == 3 and "float32" in only[2]


def test_doctest_sessions_outside_examples_become_code():
    pytest.importorskip("griffe")
    import griffe_rst_math as g

    doc = "Summary:\n\n>>> x = 1\n>>> print(x)\n1\n\nAfter.\n\nExamples\n--------\n>>> y = 2\n"
    out = g.fence_doctests(doc)
    assert "```pycon\n>>> x = 1\n>>> print(x)\n1\n```\n\nAfter." in out
    assert out.endswith("Examples\n--------\n>>> y = 2"), "the numpy parser handles Examples"


def test_source_maps_are_dropped(tmp_path):
    js = tmp_path / "assets" / "javascripts"
    js.mkdir(parents=True)
    (js / "b.min.js").write_text("var a=1;\n//# sourceMappingURL=b.min.js.map\n")
    (js / "b.min.js.map").write_text('{"sources": ["http://127.0.0.1:8000/x"]}')
    assert mkdocs_hooks.drop_source_maps(tmp_path) == 1
    assert not (js / "b.min.js.map").exists()
    assert "sourceMappingURL" not in (js / "b.min.js").read_text()
