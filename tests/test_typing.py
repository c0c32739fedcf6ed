"""Type checkers see losslab's hints: mypy --strict and pyright on the package's typed modules,
and on example user code (tests/typing_examples/*.py, which pyright checks in strict mode: each
file starts with ``# pyright: strict``).

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

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "tests" / "typing_examples").glob("*.py"))
SRC = ROOT / "src"

#: Modules checked with mypy --strict and pyright. Every module is to join; a module
#: listed here must stay clean.
STRICT_MODULES = (
    "__init__.py",
    "_config.py",
    "_types.py",
    "_validation.py",
    "classification.py",
    "descent.py",
    "minibatch.py",
)


def _tool(name: str) -> list[str]:
    """Command running ``name`` with this interpreter, or skip (fail under nox) if absent."""
    module = {"mypy": "mypy", "pyright": "pyright"}[name]
    try:
        __import__(module)
    except ImportError:
        if os.environ.get("LOSSLAB_REQUIRE_TYPECHECKERS") == "1":
            pytest.fail(f"{name} is not installed (pip install -e '.[typing]')")
        pytest.skip(f"{name} is not installed (pip install -e '.[typing]')")
    if name == "pyright" and shutil.which("node") is None:
        pytest.skip("pyright needs Node.js (apt-get install nodejs)")
    return [sys.executable, "-m", module]


def _mypy(*paths: Path, silent_imports: bool) -> subprocess.CompletedProcess[str]:
    args = [*_tool("mypy"), "--strict", "--no-incremental", "--python-version", "3.11"]
    if silent_imports:  # report the examples' errors only, using losslab's hints
        args.append("--follow-imports=silent")
    env = {**os.environ, "MYPYPATH": str(SRC)}
    return subprocess.run(
        [*args, *map(str, paths)], capture_output=True, text=True, env=env, cwd=ROOT
    )


def _pyright(*paths: Path) -> dict:
    config = {
        "typeCheckingMode": "standard",
        "pythonVersion": "3.11",
        "extraPaths": [str(SRC)],
        "reportUnnecessaryTypeIgnoreComment": "error",
    }
    with open(ROOT / "build" / "pyrightconfig.json", "w", encoding="utf-8") as f:
        json.dump(config, f)
    out = subprocess.run(
        [
            *_tool("pyright"),
            "--outputjson",
            "--project",
            str(ROOT / "build" / "pyrightconfig.json"),
            "--pythonpath",
            sys.executable,
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout)


@pytest.fixture(autouse=True)
def _build_dir() -> None:
    (ROOT / "build").mkdir(exist_ok=True)


def test_examples_pass_mypy_strict() -> None:
    out = _mypy(*EXAMPLES, silent_imports=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_typed_modules_pass_mypy_strict() -> None:
    out = _mypy(*(SRC / "losslab" / m for m in STRICT_MODULES), silent_imports=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_examples_and_typed_modules_pass_pyright() -> None:
    report = _pyright(*EXAMPLES, *(SRC / "losslab" / m for m in STRICT_MODULES))
    errors = [
        f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
        for d in report["generalDiagnostics"]
        if d["severity"] == "error"
    ]
    assert not errors, "\n".join(errors)
    assert report["summary"]["filesAnalyzed"] >= len(EXAMPLES)
    for path in EXAMPLES:
        assert "# pyright: strict" in path.read_text(encoding="utf-8").split("\n", 3)[1], path
