"""Type checkers see losslab's hints: mypy --strict and pyright (strict) on every module of the
package and on example user code (tests/typing_examples/*.py), with the settings of
pyproject.toml's [tool.mypy] and [tool.pyright].

Both checkers read the stubs of the NumPy installed for the running interpreter as that Python
version reads them (``--python-version``/``--pythonversion``): NumPy 2.5 supports Python 3.12 and
later only, and its stubs use names that exist from 3.12 on (``collections.abc.Buffer``), so
checking them "as Python 3.11" made ``ArrayLike`` partially unknown.

The checkers are in the ``typing`` extra, which the ``tests`` session installs; outside it the
tests skip when a checker is missing, unless LOSSLAB_REQUIRE_TYPECHECKERS=1 (set by nox).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "tests" / "typing_examples").glob("*.py"))
PACKAGE = ROOT / "src" / "losslab"
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def _checked() -> list[Path]:
    """Every module (and stub) of the package, a new one included, and the examples."""
    return [*sorted(PACKAGE.rglob("*.py")), *sorted(PACKAGE.rglob("*.pyi")), *EXAMPLES]


def _tool(name: str) -> list[str]:
    """Command running ``name`` with this interpreter, or skip (fail under nox) if absent."""
    try:
        __import__(name)
    except ImportError:
        if os.environ.get("LOSSLAB_REQUIRE_TYPECHECKERS") == "1":
            pytest.fail(f"{name} is not installed (pip install -e '.[typing]')")
        pytest.skip(f"{name} is not installed (pip install -e '.[typing]')")
    if name == "pyright" and shutil.which("node") is None:
        pytest.skip("pyright needs Node.js (apt-get install nodejs)")
    return [sys.executable, "-m", name]


def test_package_and_examples_pass_mypy_strict() -> None:
    args = [*_tool("mypy"), "--no-incremental", "--python-version", VERSION]
    out = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)  # files: pyproject.toml
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"in {len(_checked())} source files" in out.stdout, out.stdout


def test_package_and_examples_pass_pyright_strict() -> None:
    args = [*_tool("pyright"), "--outputjson", "--pythonversion", VERSION]
    args += ["--pythonpath", sys.executable, "--project", str(ROOT / "pyproject.toml")]
    out = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    report: dict[str, Any] = json.loads(out.stdout)
    errors = [
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]
    assert not errors, "\n".join(errors)
    assert report["summary"]["filesAnalyzed"] >= len(_checked())


def test_examples_are_strict() -> None:
    """The examples keep pyright's strict rules (private names included) on their own."""
    for path in EXAMPLES:
        assert "# pyright: strict" in path.read_text(encoding="utf-8").split("\n", 3)[1], path
