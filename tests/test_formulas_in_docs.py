"""Every formula marked on the site or in a docstring equals the SymPy form the tests check."""

from __future__ import annotations

from pathlib import Path

import pytest

from losslab.symbolic.latex import check_paths, check_text, markdown

ROOT = Path(__file__).resolve().parents[1]

RIGHT_PAGE = r"""
<!-- formula: mse_loss mean -->
$$
\mathrm{MSE}(x, y) = \frac{1}{n}\sum_{i=1}^{n} (x_i - y_i)^2
$$
"""


def test_marked_formulas_in_repository_are_right():
    findings = check_paths([ROOT / "docs", ROOT / "src" / "losslab"])
    wrong = [str(f) for f in findings if not f.ok]
    assert not wrong, "\n".join(wrong)
    # The checker saw the formulas of docs/checking.md at least (it is not vacuous).
    assert any(f.path.endswith("checking.md") for f in findings)


def test_right_formula_passes():
    [finding] = check_text(RIGHT_PAGE)
    assert finding.ok, finding


@pytest.mark.parametrize(
    ("wrong", "why"),
    [
        (r"\frac{1}{n}\sum_{i=1}^{n} (x_i + y_i)^2", "sign error"),
        (r"\frac{1}{2n}\sum_{i=1}^{n} (x_i - y_i)^2", "factor 1/2"),
        (r"\frac{1}{n}\sum_{i=1}^{n} |x_i - y_i|", "another loss"),
    ],
)
def test_wrong_formula_in_a_page_fails(tmp_path, wrong, why):
    page = tmp_path / "page.md"
    page.write_text(RIGHT_PAGE.replace(r"\frac{1}{n}\sum_{i=1}^{n} (x_i - y_i)^2", wrong))
    [finding] = check_paths([tmp_path])
    assert not finding.ok, why
    assert "differs" in finding.message
    assert str(page) in str(finding)


def test_wrong_derived_gradient_in_a_docstring_fails(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text(
        'def f():\n    r"""Loss.\n\n    .. math::\n        :formula: mse_loss value gradient\n\n'
        "        \\ell_i = (x_i - y_i)^2, \\qquad\n"
        "        \\frac{\\partial L}{\\partial x_i} = \\frac{1}{n}(x_i - y_i)\n"
        '    """\n'
    )
    value, gradient = check_paths([source])
    assert value.ok and value.message == "proved by simplify"
    assert not gradient.ok


def test_marker_problems_are_reported():
    mismatch = "<!-- formula: mse_loss value mean -->\n$$\n(x_i - y_i)^2\n$$\n"
    [f] = check_text(mismatch)
    assert not f.ok and "2 formula(s)" in f.message
    unknown = "<!-- formula: mse_loss median -->\n$$\n(x_i - y_i)^2\n$$\n"
    assert not check_text(unknown)[0].ok
    dangling = "<!-- formula: mse_loss value -->\nsome text\n"
    assert "not followed" in check_text(dangling)[0].message
    unparsable = "<!-- formula: mse_loss value -->\n$$\n\\operatorname{foo}(x_i\n$$\n"
    assert "cannot parse" in check_text(unparsable)[0].message


def test_generated_markdown_is_accepted_by_the_checker():
    import sympy as sp

    from losslab import symbolic

    text = markdown("mse_loss")
    form = symbolic.get("mse_loss")
    assert sp.latex(form.gradient) in text
