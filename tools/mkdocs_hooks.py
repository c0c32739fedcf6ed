"""MkDocs hooks for the losslab site (loaded by ``hooks:`` in mkdocs.yml).

1. ``tools/`` goes on ``sys.path`` so markdown-exec fences can ``from siteplot import ...``
   (any other builder: ``PYTHONPATH=tools``); matplotlib is pinned to the Agg backend.
2. API reference pages: one page per module of DEVELOPERS.md (``API_MODULES`` below).  A page
   is generated (``::: losslab.<module>``) for every module that exists in ``src/losslab``,
   unless ``docs/api/<module>.md`` is written by hand, and added to the "API" nav section.
   Modules that do not exist yet are listed on the API index page as "not written yet" and in
   the build log, so a missing module is visible and a new one gets its page automatically.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.losslab")

#: (module, title, one-line description), in the order of DEVELOPERS.md.
API_MODULES: list[tuple[str, str, str]] = [
    ("mse", "Mean squared error", "`mse_loss`"),
    ("l1", "Mean absolute error", "`l1_loss`"),
    ("huber", "Huber and smooth L1", "`huber_loss`, `smooth_l1_loss`"),
    ("softmax", "Softmax and sigmoid", "`softmax`, `log_softmax`, `sigmoid`, `log_sigmoid`"),
    ("cross_entropy", "Cross-entropy", "`cross_entropy` (logits), `nll_loss` (log-probabilities)"),
    (
        "binary_cross_entropy",
        "Binary cross-entropy",
        "`binary_cross_entropy`, `binary_cross_entropy_with_logits`",
    ),
    (
        "margin",
        "Margin losses",
        "`multi_margin_loss`, `hinge_embedding_loss`, `soft_margin_loss`",
    ),
    ("kl_div", "KL divergence loss", "`kl_div` (PyTorch's `KLDivLoss` convention)"),
    (
        "information",
        "Entropy, KL divergence, cross-entropy",
        "`entropy`, `kl_divergence`, `cross_entropy_pq` with an explicit log base",
    ),
    ("classification", "0-1 loss and accuracy", "`zero_one_loss`, `accuracy`"),
    ("penalties", "Weight penalties", "`l1_penalty`, `l2_penalty`"),
    ("minibatch", "Mini-batches", "`sample_batch`, `iterate_minibatches`"),
    ("numerical", "Numerical differentiation", "`numerical_diff`, `numerical_gradient`"),
    ("descent", "Gradient descent", "`gradient_descent`, `DescentResult`"),
    ("book", "Textbook code", "the articles' functions, names and numbers as printed"),
    ("gradcheck", "Gradient check", "three-way gradient check (loads SymPy on use)"),
    ("symbolic", "Symbolic forms", "SymPy forms of the losses (loaded on use)"),
]

API_SECTION = "API"


def _root(config: Any) -> Path:
    return Path(config.config_file_path).resolve().parent


def existing_modules(src: Path) -> list[str]:
    """Names from ``API_MODULES`` that exist as ``src/losslab/<m>.py`` or a package."""
    pkg = src / "losslab"
    return [
        m
        for m, _, _ in API_MODULES
        if (pkg / f"{m}.py").is_file() or (pkg / m / "__init__.py").is_file()
    ]


def api_page(module: str, title: str) -> str:
    # The module heading rendered by mkdocstrings (heading_level: 1) is the page title.
    return f"<!-- API reference: {title} -->\n::: losslab.{module}\n"


def api_index(present: list[str]) -> str:
    rows = []
    for m, title, desc in API_MODULES:
        link = f"[`losslab.{m}`]({m}.md)" if m in present else f"`losslab.{m}` (not written yet)"
        rows.append(f"| {link} | {title} | {desc} |")
    table = "\n".join(rows)
    return f"""# API reference

Every public function is importable from the top-level package (`import losslab`); the pages
below document them module by module, with the formula, the gradient, the exceptions raised,
how other libraries differ, and examples. Signatures and defaults follow
`torch.nn.functional` wherever PyTorch has the loss.

| Module | Topic | Contents |
| --- | --- | --- |
{table}

Gradients of every differentiable function come from one place:
`losslab.grad(f)` and `losslab.value_and_grad(f)` (see `losslab.differentiable_functions()`).
"""


def on_config(config: Any, **kwargs: Any) -> Any:
    tools = str(_root(config) / "tools")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    os.environ.setdefault("MPLBACKEND", "Agg")

    present = existing_modules(_root(config) / "src")
    missing = [m for m, _, _ in API_MODULES if m not in present]
    if missing:
        log.info("losslab API pages skipped (module not written yet): %s", ", ".join(missing))
    for item in config.nav or []:
        if isinstance(item, dict) and API_SECTION in item:
            section = [p for p in item[API_SECTION] if p == "api/index.md"]
            section += [{f"losslab.{m}": f"api/{m}.md"} for m in present]
            item[API_SECTION] = section
            break
    else:
        log.warning("mkdocs.yml nav has no %r section for the API pages", API_SECTION)
    config.extra["losslab_api_modules"] = present
    return config


def on_files(files: Any, config: Any, **kwargs: Any) -> Any:
    from mkdocs.structure.files import File  # imported here: the tests need no MkDocs

    present = config.extra["losslab_api_modules"]
    titles = {m: t for m, t, _ in API_MODULES}
    if files.get_file_from_path("api/index.md") is None:
        files.append(File.generated(config, "api/index.md", content=api_index(present)))
    for m in present:
        if files.get_file_from_path(f"api/{m}.md") is None:
            files.append(File.generated(config, f"api/{m}.md", content=api_page(m, titles[m])))
    return files
