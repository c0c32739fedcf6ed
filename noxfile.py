"""Every check losslab runs: `nox` runs them all (this is what CI runs); `nox -s NAME` runs one."""

from __future__ import annotations

import os
import shutil

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "tests", "doctests", "docs", "parity", "conventions", "browser"]

PYTHON = "3.11"
os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit and property tests, plus every docstring example (doctest)."""
    session.install("-e", ".[test,docs]")
    # The C kernels must have been built here (losslab falls back to NumPy where they cannot be).
    session.run(
        "pytest",
        "--doctest-modules",
        "src",
        "tests",
        *session.posargs,
        env={"LOSSLAB_REQUIRE_KERNELS": "1"},
    )
    # The NumPy fallback path: validation, accuracy and overflow once more without the kernels.
    session.run(
        "pytest",
        "-p",
        "no:cacheprovider",
        "tests/test_validation_table.py",
        "tests/test_accuracy_oracle.py",
        "tests/test_overflow.py",
        env={"LOSSLAB_PURE_NUMPY": "1"},
    )
    session.run(
        "python",
        "-c",
        "import losslab._fast as f; assert not f.active(), 'LOSSLAB_PURE_NUMPY=1 was ignored'",
        env={"LOSSLAB_PURE_NUMPY": "1"},
    )


@nox.session(python=PYTHON)
def doctests(session: nox.Session) -> None:
    """Every example on the Markdown pages of the site (Sybil)."""
    session.install("-e", ".[test,docs]")
    session.run("pytest", "-p", "no:cacheprovider", "docs", *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the site with mkdocs --strict (warnings are errors)."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict")


@nox.session(python=PYTHON)
def serve(session: nox.Session) -> None:
    """Build the site and serve it on http://127.0.0.1:8000 (Ctrl-C to stop)."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "serve", "--dev-addr", "127.0.0.1:8000", *session.posargs)


@nox.session(python=PYTHON, venv_backend="virtualenv")
def parity(session: nox.Session) -> None:
    """Compare every loss and gradient with torch.nn.functional on the CPU (float64 and float32)."""
    # The CPU wheel of torch 2.13.0 is available on the project's machines; pip finds it.
    session.install("-e", ".[test]")
    session.install("torch==2.13.0")
    # tests/symbolic/test_edges.py compares the kinks' subgradients with torch autograd too.
    session.run(
        "pytest",
        "tests/parity",
        "tests/symbolic/test_edges.py",
        *session.posargs,
        env={"LOSSLAB_REQUIRE_TORCH": "1"},
    )


@nox.session(python=PYTHON, venv_backend="virtualenv")
def conventions(session: nox.Session) -> None:
    """Run every convention case with the real libraries and compare with the committed record."""
    # CPU wheels only: torch 2.13.0 (pip finds the local wheel, uv does not), jax with optax,
    # Keras 3 on the torch backend (float64 inputs stay float64 there). losslab runs from src/
    # (its NumPy paths where the kernels are not built): no compiler run in this session.
    session.install(
        "numpy>=2", "torch==2.13.0", "keras>=3", "jax[cpu]", "optax", "scikit-learn", "scipy"
    )
    session.run(
        "python",
        "tools/conventions/run.py",
        "--check",
        *session.posargs,
        env={"KERAS_BACKEND": "torch", "JAX_PLATFORMS": "cpu", "PYTHONPATH": "src"},
    )


@nox.session(python=PYTHON)
def browser(session: nox.Session) -> None:
    """Load every built page in headless Chromium: math, links, images, no off-site request."""
    chromium = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )
    if chromium is None:
        if os.environ.get("CI"):
            session.error("Chromium is required in CI: apt-get install -y chromium")
        session.skip("Chromium not found (apt-get install -y chromium); browser check skipped")
    session.install("-e", ".[docs,browser]")
    session.run("mkdocs", "build", "--strict")
    session.run("python", "tools/browser_check.py", "site")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmark against the articles' NumPy and torch CPU (prints ratios; not run by default)."""
    session.install("-e", ".", "torch==2.13.0")
    session.run("python", "bench/bench_losses.py", *session.posargs)
