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


# Page notation the checker reads (cases, sums without limits, P(i), \bigl[...\bigr], \ln p,
# sums over j != y, two penalties side by side, renamed letters), each with a deliberate error
# that must be caught.  The right versions are those of the site's pages.
NOTATION = [
    (
        "huber_loss residual",
        r"""\ell_\delta(r) =
\begin{cases}
\tfrac12 r^2 & |r| \le \delta,\\
\delta\,\bigl(|r| - \tfrac12\delta\bigr) & |r| > \delta .
\end{cases}""",
        r"\tfrac12\delta\bigr)",
        r"\delta\bigr)",
    ),
    ("entropy value P=p", r"H(P) = -\sum_i P(i)\,\log_b P(i),", r"= -\sum", r"= \sum"),
    (
        "kl_divergence ratio",
        r"D = \sum_i p(i)\,\log_b \frac{p(i)}{q(i)} \;\ge\; 0,",
        r"\frac{p(i)}{q(i)}",
        r"\frac{q(i)}{p(i)}",
    ),
    (
        "binary_cross_entropy probability",
        r"\ell(p, t) = -\bigl[t \ln p + (1 - t)\ln(1 - p)\bigr].",
        r"(1 - t)\ln(1 - p)",
        r"(1 - t)\ln(p)",
    ),
    (
        "multi_margin_loss svm s=x",
        r"L_i = \sum_{j \ne y_i} \max(0,\ s_j - s_{y_i} + 1).",
        "+ 1)",
        "- 1)",
    ),
    (
        "l1_penalty value l2_penalty.value",
        r"\Omega_1 = \lambda \sum_i |w_i| \quad\text{(L1)}, \qquad "
        r"\Omega_2 = \frac{\lambda}{2} \sum_i w_i^2 \quad\text{(L2)},",
        r"\frac{\lambda}{2}",
        r"\lambda",
    ),
    ("cross_entropy_pq one_hot", r"H(p, q) = -\log q_c .", r"-\log", r"\log"),
    # Entries with two indices (t_{nk} under a double sum), gathered entries (y_{n,c_n},
    # w_{y_n}), Iverson brackets, LSE, max_j and arg max.
    (
        "cross_entropy_pq batch y=q t=p",
        r"E = -\frac{1}{N}\sum_{n=1}^{N}\sum_k t_{nk}\ln y_{nk}",
        r"\ln y_{nk}",
        r"\ln y_{kn}",
    ),
    (
        "cross_entropy_pq batch_label y=q t=p",
        r"E = -\frac{1}{N}\sum_{n=1}^{N}\ln y_{n,c_n}",
        r"y_{n,c_n}",
        r"y_{n,c_1}",
    ),
    ("nll_loss label", r"\ell_n = -w_{y_n}\, x_{n, y_n}", r"x_{n, y_n}", r"x_{y_n, n}"),
    (
        "cross_entropy coef_label",
        r"a_{n,c} = (1-\varepsilon)\,w_{y_n}[c = y_n] + \tfrac{\varepsilon}{C} w_c",
        r"[c = y_n]",
        r"[c \ne y_n]",
    ),
    ("log_softmax general", r"x_k - \operatorname{LSE}(x)", r"x_k -", r"-x_k -"),
    ("log_softmax max", r"m = \max_j x_j", r"\max_j x_j", r"-\max_j x_j"),
    (
        "softmax general a=x",
        r"y_k = \frac{\exp(a_k - \max_j a_j)}{\sum_i \exp(a_i - \max_j a_j)}",
        r"{\sum_i \exp(a_i - \max_j a_j)}",
        r"{\sum_i \exp(a_i - \max_j a_j) + 1}",
    ),
    (
        "zero_one_loss single",
        r"\mathbb{1}\bigl[\operatorname{arg\,max}_c x_c \ne y\bigr]",
        r"\ne",
        "=",
    ),
    (
        "nll_loss mean_labels",
        r"\mathrm{mean} = \frac{\sum_n \ell_n}{\sum_{n:\,y_n\ne\text{ignore}} w_{y_n}}",
        r"\sum_{n:\,y_n\ne\text{ignore}} w_{y_n}",
        r"\sum_{n:\,y_n\ne\text{ignore}} 1",
    ),
    (
        "accuracy mean",
        r"\frac{1}{N}\sum_{n=1}^{N} \mathbb{1}\left[\hat y_n = y_n\right]",
        r"\frac{1}{N}",
        r"\frac{1}{2N}",
    ),
]


# What is proved symbolically and what only numerically, for the formulas of the notation
# above: a formula without sums, max or arg max is proved by ``simplify`` (the gathered entry
# of nll_loss, the label coefficients with their Iverson bracket); a formula with one is
# expanded with concrete sizes (3, 4 and, for two-index entries, N = 2 rows of K = 3 classes)
# and compared at random points, four times as many when labels (c_n, y_n) are drawn.
HOW = [
    ("nll_loss label", r"\ell_n = -w_{y_n}\, x_{n, y_n}", "proved by simplify", 0),
    (
        "cross_entropy coef_label",
        r"(1-\varepsilon)\,w_{y_n}[c = y_n] + \tfrac{\varepsilon}{C} w_c",
        "proved by simplify",
        0,
    ),
    (
        "cross_entropy_pq batch y=q t=p",
        r"-\frac1N\sum_{n=1}^{N}\sum_k t_{nk}\ln y_{nk}",
        "agrees",
        18,
    ),
    ("cross_entropy_pq batch_label y=q t=p", r"-\frac1N\sum_{n=1}^{N}\ln y_{n,c_n}", "agrees", 72),
    ("zero_one_loss argmax", r"\operatorname*{arg\,max}_c x_{n,c}", "agrees", 18),
    (
        "softmax general a=x",
        r"\frac{e^{a_k - \max_j a_j}}{\sum_i e^{a_i - \max_j a_j}}",
        "agrees",
        12,
    ),
]


@pytest.mark.parametrize(("spec", "tex", "how", "points"), HOW)
def test_what_is_proved_and_what_is_sampled(spec, tex, how, points):
    [finding] = check_text(f"<!-- formula: {spec} -->\n$$\n{tex}\n$$\n")
    assert finding.ok and finding.message.startswith(how), finding
    if points:
        assert int(finding.message.split()[2]) >= points


def test_cases_rows_are_checked_one_by_one():
    block = r"""a_{n,c} = \begin{cases}
(1-\varepsilon)\,w_{y_n}[c = y_n] + \tfrac{\varepsilon}{C} w_c & \text{labels } y_n \\
w_c\left((1-\varepsilon)\,t_{n,c} + \tfrac{\varepsilon}{C}\right) & \text{probabilities } t_n
\end{cases}"""
    page = f"<!-- formula: cross_entropy coef_label;coef_prob -->\n$$\n{block}\n$$\n"
    [right] = check_text(page)
    assert right.ok and "row 2: proved by simplify" in right.message, right
    [wrong] = check_text(page.replace(r"\tfrac{\varepsilon}{C}\right)", r"\varepsilon\right)"))
    assert not wrong.ok and "row 1: proved" in wrong.message
    assert "differ" in wrong.message.split("row 2:")[1]
    [short] = check_text(page.replace("coef_label;coef_prob", "coef_label;coef_prob;coef_prob"))
    assert not short.ok and "3 row(s)" in short.message


@pytest.mark.parametrize(("spec", "right", "old", "new"), NOTATION)
def test_page_notation_is_checked_both_ways(spec, right, old, new):
    page = f"<!-- formula: {spec} -->\n$$\n{right}\n$$\n"
    findings = check_text(page)
    assert findings and all(f.ok for f in findings), [str(f) for f in findings]
    assert old in right
    wrong = page.replace(old, new, 1)
    assert not all(f.ok for f in check_text(wrong)), f"not caught: {new!r} for {old!r}"
