"""The Chinese edition shows what the English pages compute, nothing else (tools/editions.py).

For every ``docs/<page>.zh.md``: the same code blocks (```pycon sessions with their outputs,
```python code, ```python exec="on" plot fences), the same displayed formulas and formula markers,
in the same order, as ``docs/<page>.md``; every decimal number of its prose is on the English
page.  The pages the edition must have are there.  (The examples of both editions also run as
doctests: conftest.py collects ``docs/*.md``, ``*.zh.md`` included.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import editions  # noqa: E402

TRANSLATED = editions.translated_pages("zh")


def test_every_page_of_the_list_has_a_chinese_edition() -> None:
    missing = {p for p in editions.ZH_PAGES if not (editions.DOCS / f"{p}.zh.md").is_file()}
    assert missing - editions.PENDING == set(), "pages without docs/<page>.zh.md"
    assert editions.PENDING - missing == set(), "translated: take them out of PENDING"


def test_every_learn_page_is_on_the_list() -> None:
    # the Learn section of the navigation (mkdocs.yml) is the list of pages a learner reads
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("\nnav:\n", 1)[1]
    learn = nav.split("  - Learn:\n", 1)[1].split("\n  - ", 1)[0]
    pages = [line.rsplit(": ", 1)[1].removesuffix(".md") for line in learn.splitlines()]
    assert pages, "no Learn section found in mkdocs.yml"
    assert sorted(set(pages) - set(editions.ZH_PAGES)) == []


def test_every_chinese_page_has_an_english_page() -> None:
    orphans = [p for p in TRANSLATED if not (editions.DOCS / f"{p}.md").is_file()]
    assert orphans == []


@pytest.mark.parametrize("page", TRANSLATED)
def test_chinese_page_computes_what_the_english_page_computes(page: str) -> None:
    english = editions.english_source(page)
    chinese = (editions.DOCS / f"{page}.zh.md").read_text(encoding="utf-8")
    problems = editions.compare(english, chinese)
    assert problems == [], f"docs/{page}.zh.md:\n" + "\n".join(problems)


@pytest.mark.parametrize("page", TRANSLATED)
def test_chinese_page_has_the_english_section_ids(page: str) -> None:
    # links to a section (errata.md#e4, from either edition) and the language switcher keep
    # their anchor only if both editions give a section the same id: ``## 梯度 { #gradient }``
    pytest.importorskip("markdown")
    english = editions.heading_ids(editions.english_source(page))
    chinese = editions.heading_ids((editions.DOCS / f"{page}.zh.md").read_text(encoding="utf-8"))
    if page in editions.PARTIAL:  # may end with a section saying where the rest is
        chinese = chinese[: len(english)]
    assert chinese == english


@pytest.mark.parametrize("page", TRANSLATED)
def test_chinese_page_links_stay_in_the_chinese_edition(page: str) -> None:
    # A link written as a page of docs/ (``mse.md``) resolves to the Chinese edition of that page
    # (or to the English page, shown in the Chinese edition, when it has none): links must not
    # name the .zh.md file nor leave the edition through ../ or an absolute address of the site.
    chinese = (editions.DOCS / f"{page}.zh.md").read_text(encoding="utf-8")
    bad = [t for t in editions.link_targets(chinese) if ".zh.md" in t or t.startswith(("/", "../"))]
    assert bad == []


# ---- the comparison itself can fail ---------------------------------------------------------

ENGLISH = """# Title

Some prose with 0.0673.

```pycon
>>> print(1 + 1)
2
```

$$
E = \\frac{1}{2}\\sum_k (y_k - t_k)^2
$$

!!! note
    ```python exec="on" html="on"
    print("plot")
    ```
"""


def test_identical_blocks_pass() -> None:
    chinese = ENGLISH.replace("Some prose with", "中文的说明：").replace("# Title", "# 标题")
    assert editions.compare(ENGLISH, chinese) == []
    kinds = [b.kind for b in editions.blocks(ENGLISH)]
    assert kinds == ["code", "math", "code"]


def test_a_missing_example_fails() -> None:
    chinese = ENGLISH.replace(">>> print(1 + 1)\n2\n", "")
    chinese = chinese.replace("```pycon\n```\n", "")
    problems = editions.compare(ENGLISH, chinese)
    assert problems and ("missing on the translated" in problems[0] or "differs" in problems[0])


def test_a_changed_output_or_formula_fails() -> None:
    assert editions.compare(ENGLISH, ENGLISH.replace("\n2\n", "\n3\n"))
    assert editions.compare(ENGLISH, ENGLISH.replace("\\frac{1}{2}", "\\frac12"))
    assert editions.compare(ENGLISH, ENGLISH.replace('print("plot")', 'print("图")'))


def test_a_number_typed_differently_fails() -> None:
    problems = editions.compare(ENGLISH, ENGLISH.replace("0.0673", "0.0637"))
    assert problems == ["number 0.0637 of the translated prose is not on the English page"]


# ---- one search index per edition ----------------------------------------------------------


def test_the_search_index_is_split_by_edition(tmp_path: Path) -> None:
    import json

    index = tmp_path / "search" / "search_index.json"
    index.parent.mkdir()
    docs = [
        {"location": "mse/", "title": "Mean squared error", "text": "half or mean"},
        {"location": "zh/mse/", "title": "均方误差", "text": "二分之一还是平均"},
        {"location": "zh/api/mse/", "title": "losslab.mse", "text": "the API, in English"},
    ]
    index.write_text(json.dumps({"config": {"lang": ["en", "zh"]}, "docs": docs}))
    written = editions.split_search_index(index, ["zh"])
    assert written == {"zh": tmp_path / "zh" / "search" / "search_index.json"}
    en = json.loads(index.read_text())["docs"]
    zh = json.loads(written["zh"].read_text())["docs"]
    assert [d["location"] for d in en] == ["mse/"]
    assert [d["location"] for d in zh] == ["zh/mse/", "zh/api/mse/"]
    # a page shown in English in the Chinese edition keeps its title, not its text
    assert zh[0]["text"] == "二分之一还是平均" and zh[1] == {**docs[2], "text": ""}


def test_the_offline_index_script_picks_the_edition_by_html_lang() -> None:
    script = editions.offline_index_script({"": '{"docs": "en"}', "zh": '{"docs": "zh"}'})
    assert script == (
        'var __index = /^zh/.test(document.documentElement.lang) ? {"docs": "zh"} : '
        '{"docs": "en"};\n'
    )
