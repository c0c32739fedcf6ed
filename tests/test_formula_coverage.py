r"""Every display formula on the site is checked against the SymPy forms, or listed here.

``tests/test_formulas_in_docs.py`` proves each *marked* formula equal to its SymPy form (the
build runs the same checker, see docs/checking.md).  This file makes the marking complete: it
scans every ``$$`` block of every page and every ``.. math::`` block of every docstring in
``src/losslab/*.py``, splits them into equations (``\qquad``, ``\\``) and the right-hand sides
of chains (``L = A = B``), and requires each piece to be either checked by a marker or listed
in :data:`UNCHECKED` with the reason it cannot be.  A new unmarked formula fails here; so does
an entry of :data:`UNCHECKED` that no longer matches anything.

It also shows, on the real pages and docstrings, that a wrong formula fails: every checked
piece, multiplied by 2, is rejected, and a few realistic slips are rejected too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

sp = pytest.importorskip("sympy")

from losslab.symbolic import latex as L  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# The Chinese pages (docs/<page>.zh.md) display their English pages' formulas, block for block
# (tests/test_editions.py): scanning the English pages covers both editions.
PAGES = sorted(p for p in (ROOT / "docs").glob("*.md") if not p.name.endswith(".zh.md"))
SOURCES = sorted((ROOT / "src" / "losslab").glob("*.py"))

#: (file relative to the repository, a piece of the unchecked formula) -> why it is unchecked.
UNCHECKED: dict[tuple[str, str], str] = {
    # ---- pages ----
    ("src/losslab/ctc.py", r"\sum_{s:\ l'_s = k} \alpha_t(s)"): (
        "a sum over the extended label positions no SymbolicLoss states; "
        "losslab.symbolic.ctc.proof checks it against the sympy.diff of the sum over alignments"
    ),
    ("docs/index.md", r"\tfrac{1}{2}\,(1 - p)^2"): (
        "only the correct class's term of the book's 1/2 sum (y_k - t_k)^2, which no form "
        "states; the page adds the other classes' term and a doctest of the worst case"
    ),
    ("docs/index.md", r"\text{and}"): "a word between two formulas",
    ("docs/minibatch.md", r"P(\text{some repeat})"): (
        "birthday-problem probability of a repeated index; not a loss, no SymPy form"
    ),
    ("docs/softmax-cross-entropy.md", r"\mathrm{softmax}(z)_k"): (
        "the name softmax(z)_k, a definition (the right-hand side is checked)"
    ),
    ("docs/softmax-cross-entropy.md", r"p_k - t_k"): (
        "written with p_k = softmax(z)_k (the side before it is checked)"
    ),
    ("docs/digits-end-to-end.md", r"X_B^{\top} G"): "matrix calculus of a linear layer",
    ("docs/digits-end-to-end.md", r"\sum_{n \in B} G_{n,:}"): "matrix calculus of a linear layer",
    ("docs/gradient-descent.md", r"\theta \leftarrow \theta - \eta"): (
        "the update rule of gradient descent, not a function value"
    ),
    ("docs/gradient-descent.md", r"f(x) = x^4 - 3x^2 + x"): (
        "the page's example function, not a package function"
    ),
    ("docs/gradient-descent.md", r"f'(x) = 4x^3 - 6x + 1"): (
        "derivative of the page's example function (its doctests check it numerically)"
    ),
    ("docs/information.md", r"H(p) + D_{\mathrm{KL}}(p \,\|\, q)"): (
        "an identity between named measures; the cross_entropy_pq form proves it term by term"
    ),
    ("docs/information.md", r"D_{\mathrm{KL}}(p\,\|\,q)"): (
        "for one-hot p, H(p) = 0 so H(p, q) is the divergence; named measures (the last side, "
        "-log q_c, is checked)"
    ),
    ("docs/regularization.md", r"L(w) = L_0(w) + \Omega(w)"): "a definition of the total loss",
    ("docs/regularization.md", r"\tfrac12 (w - a)^2 + \Omega(w)"): (
        "the proximal objective in words; the prox results are checked in penalties.py"
    ),
    # ---- docstrings ----
    ("src/losslab/binary_cross_entropy.py", r"\varepsilon = 10^{-12}"): (
        "a constant, not a formula"
    ),
    ("src/losslab/information.py", r"0 \log 0 = 0"): "a convention (a limit the forms prove)",
    ("src/losslab/information.py", r"0 \log \tfrac{0}{q_i} = 0"): "a convention (a limit)",
    ("src/losslab/information.py", r"H(p) + D_{KL}(p \,\|\, q)"): (
        "an identity between named measures; the cross_entropy_pq form proves it term by term"
    ),
    ("src/losslab/information.py", r"0 \log q_i = 0 \text{ when } p_i = 0"): "a convention",
    ("src/losslab/kl_div.py", r"0 \log 0 = 0"): "a convention (a limit the kl_div form proves)",
    ("src/losslab/penalties.py", r"\operatorname*{arg\,min}_w \tfrac12 (w - a)^2 + \lambda |w|"): (
        "the definition of the prox as an arg min (its closed form on the right is checked)"
    ),
    ("src/losslab/classification.py", r"1 - \text{zero-one loss}"): "an identity in words",
    ("src/losslab/book.py", r"f'(x) \approx"): "a numerical approximation, not a formula",
    ("src/losslab/book.py", r"\frac{\partial f}{\partial x_i} \approx"): (
        "a numerical approximation, not a formula"
    ),
    ("src/losslab/numerical.py", r"f'(x) \approx"): "a numerical approximation",
    ("src/losslab/numerical.py", r"h = \sqrt[3]{\varepsilon}"): "a step-size rule",
    ("src/losslab/numerical.py", r"\frac{\partial f}{\partial x_i} \approx"): (
        "a numerical approximation"
    ),
    ("src/losslab/numerical.py", r"h_i = \sqrt[3]{\varepsilon}"): "a step-size rule",
    ("src/losslab/descent.py", r"x_{k+1} = x_k - \eta\,\nabla f(x_k)"): (
        "the update rule of gradient descent, not a function value"
    ),
    ("src/losslab/descent.py", r"k = 0, 1, \ldots"): "an index range",
    ("src/losslab/minibatch.py", r"P = 1 - \prod_{i=0}^{k-1}"): (
        "birthday-problem probability (a product and expm1/log1p); not a loss, no SymPy form"
    ),
}


@dataclass(frozen=True)
class Piece:
    """One equation, or one right-hand side of a chain, of a display block."""

    path: str  # relative to the repository
    line: int
    text: str
    checked: bool
    spec: str  # the block's marker ('' when unmarked)
    block: str  # the whole block
    equation: int = 0  # which equation of the block
    side: int = 0  # which side of the equation (0: the whole equation)


def _md_blocks(path: Path):
    """``(line, spec, body)`` of each ``$$`` display block outside code fences."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fence, i = False, 0
    while i < len(lines):
        s = lines[i].strip()
        if s.startswith("```"):
            fence = not fence
        elif not fence and s.startswith("$$"):
            j, spec = i - 1, ""
            while j >= 0 and not lines[j].strip():
                j -= 1
            if j >= 0 and (m := L._MARK_MD.search(lines[j])):
                spec = m["spec"]
            rest = s[2:]
            if rest.rstrip().endswith("$$"):
                body, end = rest.rstrip()[:-2], i
            else:
                end = i + 1
                while end < len(lines) and "$$" not in lines[end]:
                    end += 1
                body = "\n".join([rest, *lines[i + 1 : end], lines[end].split("$$")[0]])
            yield i + 1, spec, body
            i = end
        i += 1


def _rst_blocks(path: Path):
    """``(line, spec, body)`` of each ``.. math::`` block (and ``$$`` block) of a module."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith(".. math::"):
            base = len(line) - len(line.lstrip())
            spec, body, j = "", [line.strip()[len(".. math::") :]], i + 1
            while j < len(lines) and (
                not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > base
            ):
                if m := L._MARK_RST.match(lines[j]):
                    spec = m["spec"] if j == i + 1 else spec
                elif not re.match(r"^\s*:\w+:", lines[j]):
                    body.append(lines[j])
                j += 1
            yield i + 1, spec, "\n".join(body)
        elif line.strip() == "$$":  # a Markdown display block inside a docstring
            raise AssertionError(f"{path}:{i + 1}: use .. math:: in docstrings (not covered)")


def _pieces(rel: str, line: int, spec: str, body: str) -> list[Piece]:
    words = spec.split()[1:]
    parts = [w for w in words if "=" not in w]
    eqs = L.equations(body)
    if spec and len(parts) != len(eqs):
        parts = []  # the checker reports the mismatch; count the block as unchecked here
    out = []
    for k, eq in enumerate(eqs):
        part = parts[k] if k < len(parts) else "-"
        sides = L.sides(eq)
        rhs = sides[1:] or sides
        names = part.split("|") if "|" in part else ["-"] * (len(rhs) - 1) + [part]
        if len(names) != len(rhs):
            names = ["-"] * len(rhs)
        if all(n == "-" for n in names):  # nothing of it is checked: the equation is the unit
            out.append(Piece(rel, line, eq, False, spec, body, k, 0))
            continue
        first = len(sides) - len(rhs)
        for m, (n, side) in enumerate(zip(names, rhs, strict=True)):
            out.append(Piece(rel, line, side, n != "-", spec, body, k, first + m))
    return out


def _all_pieces() -> list[Piece]:
    out = []
    for path in PAGES:
        rel = str(path.relative_to(ROOT))
        for line, spec, body in _md_blocks(path):
            out += _pieces(rel, line, spec, body)
    for path in SOURCES:
        rel = str(path.relative_to(ROOT))
        for line, spec, body in _rst_blocks(path):
            out += _pieces(rel, line, spec, body)
    return out


PIECES = _all_pieces()


def _norm(tex: str) -> str:
    return " ".join(tex.split())


def _english(path: str) -> str:
    # a translated page (docs/<page>.zh.md) shows its English page's formulas verbatim
    # (tests/test_editions.py): the English page's entries cover it
    return re.sub(r"\.[a-z]{2}\.md$", ".md", path)


def _allowed(piece: Piece) -> list[tuple[str, str]]:
    path = _english(piece.path)
    return [key for key in UNCHECKED if key[0] == path and _norm(key[1]) in _norm(piece.text)]


def test_the_scan_sees_the_site():
    paths = {p.path for p in PIECES}
    for page in ("docs/mse.md", "docs/cross-entropy.md", "docs/softmax-cross-entropy.md"):
        assert page in paths
    assert "src/losslab/mse.py" in paths and "src/losslab/softmax.py" in paths
    assert sum(p.checked for p in PIECES) >= 40


def test_every_formula_is_checked_or_listed_with_a_reason():
    missing = [
        f"{p.path}:{p.line}: {_norm(p.text)}" for p in PIECES if not p.checked and not _allowed(p)
    ]
    assert not missing, "unmarked formulas (mark them or list them in UNCHECKED):\n" + "\n".join(
        missing
    )
    assert all(len(reason) > 10 for reason in UNCHECKED.values())


def test_no_stale_entries_in_the_list():
    used = {key for p in PIECES if not p.checked for key in _allowed(p)}
    stale = [f"{path}: {snippet}" for path, snippet in UNCHECKED if (path, snippet) not in used]
    assert not stale, "UNCHECKED entries that match no unchecked formula:\n" + "\n".join(stale)


def test_a_new_unmarked_formula_fails(tmp_path):
    page = (
        "Text.\n\n$$\n\\ell_i = |x_i - y_i|^3\n$$\n\n"
        "<!-- formula: l1_loss value -->\n$$\n|x_i - y_i|\n$$\n"
    )
    (tmp_path / "new.md").write_text(page)
    pieces = [
        q
        for line, spec, body in _md_blocks(tmp_path / "new.md")
        for q in _pieces("new.md", line, spec, body)
    ]
    assert [q.checked for q in pieces] == [False, True]
    assert not _allowed(pieces[0])


CHECKED = [p for p in PIECES if p.checked]


@pytest.mark.parametrize(
    "piece", CHECKED, ids=[f"{p.path.split('/')[-1]}:{p.line}:{k}" for k, p in enumerate(CHECKED)]
)
def test_a_wrong_factor_in_every_checked_formula_fails(piece):
    """Each checked piece, restated as 2 times itself in its own block, is rejected."""
    page = f"<!-- formula: {piece.spec} -->\n$$\n{piece.block}\n$$\n"
    right = L.check_text(page)
    assert right and all(f.ok for f in right), [str(f) for f in right if not f.ok]
    eqs = L.equations(piece.block)
    sides = L.sides(eqs[piece.equation])
    sides[piece.side] = " 2 " + sides[piece.side]
    eqs[piece.equation] = "=".join(sides)
    sep = " \\qquad "
    wrong = f"<!-- formula: {piece.spec} -->\n$$\n{sep.join(eqs)}\n$$\n"
    findings = L.check_text(wrong)
    bad = [f for f in findings if not f.ok]
    assert len(bad) == 1, [str(f) for f in findings]
    assert "differs" in bad[0].message or "differ" in bad[0].message


# Realistic slips in the real pages and docstrings: each must fail the check (and the build,
# whose fence in docs/checking.md runs the same check_paths over docs/ and src/losslab).
SLIPS = [
    ("docs/mse.md", r"\frac{2}{d}\,(y_k - t_k)", r"\frac{1}{d}\,(y_k - t_k)"),
    ("docs/mse.md", r"\frac{1}{2}\sum_{k=1}^{d}", r"\frac{1}{d}\sum_{k=1}^{d}"),
    ("docs/cross-entropy.md", r"-\frac{t_k}{y_k + \delta}", r"-\frac{t_k}{y_k}"),
    ("docs/cross-entropy.md", r"= -\ln y_c", r"= \ln y_c"),
    ("docs/softmax-cross-entropy.md", r"{\sum_j e^{z_j}} - t_k", r"{\sum_j e^{z_j}} + t_k"),
    ("docs/softmax-cross-entropy.md", r"= -z_c + \ln\sum_{j=1}", r"= z_c + \ln\sum_{j=1}"),
    ("docs/why-loss-not-accuracy.md", r"{(1 + e^{-x})^2}", r"{(1 + e^{-x})}"),
    ("docs/index.md", r"-\log p \quad", r"\log p \quad"),
    ("src/losslab/softmax.py", r"{\sum_j e^{x_j - m}}", r"{\sum_j e^{x_j}}"),
    (
        "src/losslab/softmax.py",
        r"\dfrac{e^{-|x|}}{1 + e^{-|x|}} & x < 0",
        r"\dfrac{1}{1 + e^{-|x|}} & x < 0",
    ),
    (
        "src/losslab/huber.py",
        r"\delta\,\bigl(|x_i - y_i| - \tfrac12\delta\bigr)",
        r"\delta\,\bigl(|x_i - y_i| + \tfrac12\delta\bigr)",
    ),
    (
        "src/losslab/binary_cross_entropy.py",
        r"- p\,y_i\,\sigma(-x_i)\bigr]",
        r"- p\,y_i\,\sigma(x_i)\bigr]",
    ),
    ("src/losslab/penalties.py", r"= \frac{a}{1 + \lambda}", r"= \frac{a}{1 + 2\lambda}"),
    ("src/losslab/book.py", r"E = \frac{1}{2}\sum_k", r"E = \sum_k"),
    # Formulas with two indices, gathered entries, Iverson brackets, LSE, max and arg max:
    # double sums are expanded with N = K = 3, 4 and N = 2 < K = 3 (numeric, at random points
    # and random labels); Iverson brackets are Kronecker deltas; LSE is log sum exp (numeric
    # for any shift m, and proved symbolically for k = 3 by the log_softmax form).
    ("docs/cross-entropy.md", r"\sum_k t_{nk}\ln y_{nk}", r"\sum_k t_{nk}\ln y_{kn}"),
    ("docs/cross-entropy.md", r"\ln y_{n,c_n} .", r"\ln y_{c_n,n} ."),
    (
        "docs/minibatch.md",
        r"E = -\frac{1}{N}\sum_{n=1}^{N}\sum_{k}",
        r"E = -\sum_{n=1}^{N}\sum_{k}",
    ),
    (
        "docs/minibatch.md",
        r"\ln\!\big(y_{n,c_n} + \delta\big),",
        r"\ln\!\big(y_{n,n} + \delta\big),",
    ),
    ("src/losslab/book.py", r"\sum_k t_{nk} \ln(y_{nk} + \delta)", r"\sum_k t_{nk} \ln(y_{nk})"),
    ("src/losslab/book.py", r"{\sum_i \exp(a_i - \max_j a_j)}", r"{\sum_i \exp(a_i)}"),
    ("src/losslab/softmax.py", r"m + \log\sum_j e^{x_j - m}", r"\log\sum_j e^{x_j - m}"),
    ("src/losslab/softmax.py", r"\quad m = \max_j x_j", r"\quad m = \max_j x_k"),
    ("src/losslab/cross_entropy.py", r"w_{y_n}[c = y_n]", r"w_{y_n}[c \ne y_n]"),
    (
        "src/losslab/cross_entropy.py",
        r"+ \tfrac{\varepsilon}{C} w_c &",
        r"+ \tfrac{\varepsilon}{C} w_{y_n} &",
    ),
    ("src/losslab/cross_entropy.py", r"(1-\varepsilon)\,t_{n,c}", r"(1-\varepsilon)\,t_{c,n}"),
    ("src/losslab/cross_entropy.py", r"-w_{y_n}\, x_{n, y_n}", r"-w_{n}\, x_{n, y_n}"),
    ("src/losslab/classification.py", r"\hat y_n \ne y_n", r"\hat y_n = y_n"),
    (
        "src/losslab/classification.py",
        r"\operatorname*{arg\,max}_c x_{n,c}",
        r"\operatorname*{arg\,max}_c x_{c,n}",
    ),
    (
        "src/losslab/classification.py",
        r"\frac{1}{N}\sum_{n=1}^{N} \mathbb{1}",
        r"\frac{1}{N}\sum_{n=1}^{N} 1 - \mathbb{1}",
    ),
    ("docs/other-losses.md", r"x_c \ne y\bigr]", r"x_c = y\bigr]"),
    # 'mean' reductions: the sum over the rows that are not ignored, and N' positions.
    (
        "src/losslab/cross_entropy.py",
        r"{\sum_{n:\,y_n\ne\text{ignore}} w_{y_n}},",
        r"{\sum_{n:\,y_n=\text{ignore}} w_{y_n}},",
    ),
    (
        "src/losslab/cross_entropy.py",
        r"\mathrm{mean} = \frac{\sum_n \ell_n}{\sum_{n:\,y_n\ne\text{ignore}} w_{y_n}}" + "\n",
        r"\mathrm{mean} = \frac{\sum_n \ell_n}{\sum_{n} w_{y_n}}" + "\n",
    ),
    ("src/losslab/cross_entropy.py", r"\frac{1}{N'}\sum_n \ell_n", r"\frac{1}{N}\sum_n \ell_n"),
    ("docs/softmax-cross-entropy.md", r"L(z, c) = -\ln p_c", r"L(z, c) = -\ln p_k"),
    # accuracy and BCE as functions of a shared bias b (a comparison inside the bracket)
    ("docs/why-loss-not-accuracy.md", r"[\,(x_n + b > 0) = t_n\,]", r"[\,(x_n - b > 0) = t_n\,]"),
    (
        "docs/why-loss-not-accuracy.md",
        r"\ln\big(1 - \sigma(x_n + b)\big)",
        r"\ln\big(\sigma(x_n + b)\big)",
    ),
]


@pytest.mark.parametrize(("path", "right", "wrong"), SLIPS)
def test_a_slip_in_a_real_page_fails(path, right, wrong):
    text = (ROOT / path).read_text(encoding="utf-8")
    assert text.count(right) == 1, right
    before = L.check_text(text, path)
    assert before and all(f.ok for f in before)
    after = L.check_text(text.replace(right, wrong), path)
    assert len(after) == len(before)
    assert sum(not f.ok for f in after) == 1, [str(f) for f in after if not f.ok]


def _numeric(expr, values: dict[str, np.ndarray], n: int) -> float:
    """Evaluate a form's formula with sums over ``n`` entries at the given arrays."""
    expr = expr.xreplace({s: n for s in expr.free_symbols if s.name == "n"}).doit()
    subs = {}
    for ix in expr.atoms(sp.Indexed):
        subs[ix] = float(values[ix.base.label.name][int(ix.indices[0]) - 1])
    for s in expr.free_symbols:
        if s.name in values and np.ndim(values[s.name]) == 0:
            subs[s] = float(values[s.name])
    return float(expr.xreplace(subs))


def test_the_book_formulas_are_the_book_functions():
    """The forms' 'book' formulas the pages are checked against compute losslab.book."""
    from losslab import book, symbolic

    rng = np.random.default_rng(3)
    y = rng.uniform(0.01, 1.0, 5)
    y /= y.sum()
    t = np.eye(5)[2]
    mse = symbolic.get("mse_loss").formulas["book"]
    assert np.isclose(_numeric(mse, {"x": y, "y": t}, 5), book.mean_squared_error(y, t), rtol=1e-13)
    ce = symbolic.get("cross_entropy_pq").formulas["book"]
    value = _numeric(ce, {"p": t, "q": y, "delta": np.float64(1e-7)}, 5)
    assert np.isclose(value, book.cross_entropy_error(y, t), rtol=1e-13)
    # ... and with another delta they would not be.
    other = _numeric(ce, {"p": t, "q": y, "delta": np.float64(1e-2)}, 5)
    assert not np.isclose(other, book.cross_entropy_error(y, t), rtol=1e-6)
