"""Every check losslab runs: `nox` runs them all (this is what CI runs); `nox -s NAME` runs one.

Python versions (docs/contributors/toolchain.md): `tests` runs on 3.11, 3.12 and 3.13; every other
session on 3.11. Interpreters are never downloaded (`download_python = "never"`): nox uses the
ones installed (pyenv's, the system's). A missing interpreter fails the run in CI (where the
environment variable CI is set, nox's own default) and is skipped with a message elsewhere, so a
machine with only Python 3.13 runs `nox -s tests-3.13` and skips the rest.
"""

from __future__ import annotations

import glob
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.download_python = "never"
nox.options.error_on_missing_interpreters = "CI" in os.environ
nox.options.sessions = ["lint", "tests", "doctests", "docs", "parity", "conventions", "browser"]

PYTHON = "3.11"
PYTHONS = ["3.11", "3.12", "3.13"]
#: Exact versions of the documentation toolchain (how to update: the file's header).
DOCS_CONSTRAINTS = ("-c", "constraints-docs.txt")
#: PyTorch for the parity and bench sessions: always the CPU build (the default Linux wheel on
#: PyPI is the CUDA build, about 4 GB). A local CPU wheel is used where pip's find-links has one
#: (`PIP_FIND_LINKS`, or `LOSSLAB_TORCH_WHEEL=/path/to/torch-2.13.0+cpu-...whl`); otherwise
#: PyTorch's CPU index, `LOSSLAB_TORCH_INDEX` (default https://download.pytorch.org/whl/cpu).
TORCH = "2.13.0"
TORCH_INDEX = os.environ.get("LOSSLAB_TORCH_INDEX", "https://download.pytorch.org/whl/cpu")


def _local_torch_wheel(session: nox.Session) -> str | None:
    if os.environ.get("LOSSLAB_TORCH_WHEEL"):
        return os.environ["LOSSLAB_TORCH_WHEEL"]
    tag = "cp" + session.python.replace(".", "") if isinstance(session.python, str) else ""
    for folder in os.environ.get("PIP_FIND_LINKS", "").split():
        found = sorted(glob.glob(os.path.join(folder, f"torch-{TORCH}+cpu-{tag}-*.whl")))
        if found:
            return found[-1]
    return None


def _install_torch_cpu(session: nox.Session) -> None:
    """Install torch==TORCH, the CPU build, and fail if a CUDA build came in."""
    wheel = _local_torch_wheel(session)
    if wheel is not None:
        session.install(wheel)
    else:
        session.install(f"torch=={TORCH}", "--index-url", TORCH_INDEX)
    session.run(
        "python",
        "-c",
        "import torch, sys; sys.exit(f'torch {torch.__version__} is a CUDA build; install the"
        " CPU one (LOSSLAB_TORCH_INDEX)' if torch.version.cuda else 0)",
    )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


#: Tests run on Python 3.12 and 3.13 (3.11 runs them all): everything but the checks of the
#: formulas' text on the pages and docstrings and of the symbolic forms, which do not depend on
#: the interpreter and took 1,100 of the 1,226 s of the 3.11 run (measured on a loaded machine;
#: 4 min 45 s of CPU time for the whole run). The type checks run on every version, each against
#: the NumPy it resolves (2.5 from Python 3.12 on).
OTHER_PYTHONS_TESTS: tuple[str, ...] = (
    "--doctest-modules",
    "src",
    "tests",
    "--ignore=tests/test_formula_coverage.py",
    "--ignore=tests/test_formulas_in_docs.py",
    "--ignore=tests/symbolic",
    "--ignore=tests/test_bench_scripts.py",
)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Unit and property tests, plus every docstring example (doctest); type checks."""
    # nox fails a session on any exit code but 0, so pytest's 5 (no test ran) fails it too.
    session.install("-e", ".[test,docs,typing]")
    # The C kernels must have been built here (losslab falls back to NumPy where they cannot be);
    # mypy and pyright must run (tests/test_typing.py skips only where they are absent).
    env = {"LOSSLAB_REQUIRE_KERNELS": "1", "LOSSLAB_REQUIRE_TYPECHECKERS": "1"}
    if session.python == PYTHON or not OTHER_PYTHONS_TESTS:
        session.run("pytest", "--doctest-modules", "src", "tests", *session.posargs, env=env)
    else:
        session.run("pytest", *OTHER_PYTHONS_TESTS, *session.posargs, env=env)
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
def sdist(session: nox.Session) -> None:
    """Build the sdist, unpack it, and run the tests that read files outside tests/ in it."""
    session.install("build")
    tmp = Path(tempfile.mkdtemp(prefix="losslab-sdist-"))
    session.run("python", "-m", "build", "--sdist", "--outdir", str(tmp))
    (archive,) = tmp.glob("losslab-*.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(tmp, filter="data")
    root = next(p for p in tmp.iterdir() if p.is_dir())
    # The unpacked package without the compiled kernels (NumPy paths): no compile step here.
    session.install(*nox.project.load_toml(root / "pyproject.toml")["project"]["dependencies"])
    extras = nox.project.load_toml(root / "pyproject.toml")["project"]["optional-dependencies"]
    session.install(*extras["test"], *extras["docs"])
    with session.chdir(root):
        env = {"PYTHONPATH": str(root / "src")}
        session.run("pytest", "-p", "no:cacheprovider", "--collect-only", "-q", env=env)
        session.run("pytest", "-p", "no:cacheprovider", "-q", *SDIST_TESTS, env=env)
    shutil.rmtree(tmp)


#: What `nox -s sdist` runs in the unpacked sdist (after collecting the whole suite): the tests
#: that read conftest.py, docs/, tools/, bench/ and mkdocs.yml, and the package's own.
SDIST_TESTS = (
    "tests/test_package.py",
    "tests/test_site_tools.py",
    "tests/test_bench_scripts.py",
    "tests/test_formulas_in_docs.py",
    "tests/test_catalog.py",
    "tests/test_derived_lists.py",
    "tests/test_mse.py",
    "docs/mse.md",
)


@nox.session(python=PYTHON)
def doctests(session: nox.Session) -> None:
    """Every example on the Markdown pages of the site (Sybil)."""
    session.install("-e", ".[test,docs]", *DOCS_CONSTRAINTS)
    session.run("pytest", "-p", "no:cacheprovider", "docs", *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Build the site with mkdocs --strict (warnings are errors) into site/."""
    session.install("-e", ".[docs]", *DOCS_CONSTRAINTS)
    session.run("mkdocs", "build", "--strict")


@nox.session(python=PYTHON)
def serve(session: nox.Session) -> None:
    """Build the site and serve it on http://127.0.0.1:8000 (Ctrl-C to stop)."""
    session.install("-e", ".[docs]", *DOCS_CONSTRAINTS)
    session.run("mkdocs", "serve", "--dev-addr", "127.0.0.1:8000", *session.posargs)


@nox.session(python=PYTHON)
def deploy(session: nox.Session) -> None:
    """The deployable site in deploy-site/ (versioned as mike does; nothing is pushed).

    The address it will be served from: LOSSLAB_SITE_URL or `nox -s deploy -- --site-url URL`.
    Also builds site-offline/, the copy to open from disk (file://).
    """
    session.install("-e", ".[docs]")
    session.run("python", "tools/deploy_site.py", "--out", "deploy-site", *session.posargs)
    session.run("python", "tools/deploy_site.py", "--offline", "--out", "site-offline")


@nox.session(python=PYTHON, venv_backend="virtualenv")
def parity(session: nox.Session) -> None:
    """Compare every loss and gradient with torch.nn.functional on the CPU (float64 and float32)."""
    session.install("-e", ".[test]")
    _install_torch_cpu(session)
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
    """Every built page in headless Chromium at 1280 and 390 px, the searches, the deployable
    site under a sub-path and the offline copy from file:// (tools/browser_check.py)."""
    chromium = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )
    if chromium is None:
        if os.environ.get("CI"):
            session.error("Chromium is required in CI: apt-get install -y chromium")
        session.skip("Chromium not found (apt-get install -y chromium); browser check skipped")
    session.install("-e", ".[docs,browser]", *DOCS_CONSTRAINTS)
    session.run("mkdocs", "build", "--strict")
    # the deployable site for an address with a sub-path, and the offline copy
    deploy_args = ["--out", "build/deploy", "--site-url", "https://losslab.example/docs/losslab/"]
    session.run("python", "tools/deploy_site.py", *deploy_args)
    session.run("python", "tools/deploy_site.py", "--offline", "--out", "build/offline")
    session.run(
        "python",
        "tools/browser_check.py",
        "site",
        "--deployed",
        "build/deploy",
        "--offline",
        "build/offline",
        *session.posargs,
    )


@nox.session(python=PYTHON, venv_backend="virtualenv")
def bench(session: nox.Session) -> None:
    """Benchmark against the articles' NumPy and torch CPU (prints ratios; not run by default)."""
    session.install("-e", ".")
    _install_torch_cpu(session)
    session.run("python", "bench/bench_losses.py", *session.posargs)
