"""The package as users and packagers meet it: public names, show_config, the sdist."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import platform
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

import losslab
from losslab import _fast

ROOT = Path(__file__).resolve().parents[1]
INIT = ROOT / "src" / "losslab" / "__init__.py"


def _literal_all() -> list[str]:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)  # raises if __all__ is computed
            assert isinstance(value, list)
            return value
    raise AssertionError("src/losslab/__init__.py has no __all__ = [...]")


def _imported_public_names() -> set[str]:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            names.update(a.asname or a.name for a in node.names)
    return {n for n in names if not n.startswith("_")}


def test_all_is_a_literal_list_of_the_public_names() -> None:
    literal = _literal_all()
    assert literal == sorted(set(literal)), "__all__: keep it sorted, without repeats"
    assert set(literal) == _imported_public_names()
    assert list(losslab.__all__) == literal
    for name in literal:
        assert callable(getattr(losslab, name)), name


def test_package_ships_type_information() -> None:
    assert (ROOT / "src" / "losslab" / "py.typed").is_file()


def test_show_config_dict_reports_this_process() -> None:
    info = losslab.show_config(mode="dicts")
    assert info["losslab"]["version"] == losslab.__version__
    assert info["numpy"]["version"] == np.__version__
    assert info["python"]["version"] == platform.python_version()
    k = info["kernels"]
    assert k["active"] is _fast.active()
    if _fast.active():
        assert k["module"] == _fast.kernels.__name__
        assert k["vector_bits"] == 64 * _fast.kernels.lanes()
        assert k["build"] == ("AVX-512" if k["vector_bits"] == 512 else k["build"])
        assert k["build"] in ("AVX-512", "AVX2", "256-bit baseline")
    else:
        assert (k["build"], k["module"], k["vector_bits"]) == ("none", None, None)
    assert k["reason"]
    assert info["threads"]["count"] == losslab.get_num_threads()


def test_show_config_explains_numpy_paths() -> None:
    previous = _fast.use_kernels(None)
    try:
        k = losslab.show_config(mode="dicts")["kernels"]
    finally:
        _fast.use_kernels(previous)
    assert (k["active"], k["build"]) == (False, "none")
    built = importlib.util.find_spec("losslab._kernels") is not None
    expected = "switched off" if built else "not built"
    assert expected in k["reason"]


def test_show_config_names_the_environment_switch() -> None:
    code = "import json, losslab; print(json.dumps(losslab.show_config(mode='dicts')['kernels']))"
    env = {**os.environ, "LOSSLAB_PURE_NUMPY": "1", "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    k = json.loads(out.stdout)
    assert (k["active"], k["build"]) == (False, "none")
    assert "LOSSLAB_PURE_NUMPY=1" in k["reason"]


def test_show_config_thread_source() -> None:
    losslab.set_num_threads(1)
    try:
        t = losslab.show_config(mode="dicts")["threads"]
    finally:
        losslab.set_num_threads(None)
    assert t["count"] == 1
    assert "set_num_threads" in t["source"]
    assert losslab.show_config(mode="dicts")["threads"]["source"] != t["source"]


def test_show_config_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert losslab.show_config() is None
    out = capsys.readouterr().out
    info = losslab.show_config(mode="dicts")
    assert out.startswith(f"losslab {losslab.__version__}")
    assert f"NumPy   {np.__version__}" in out
    assert info["kernels"]["reason"] in out
    assert f"threads {info['threads']['count']} " in out


def test_show_config_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError, match=r"^`mode` is 'dict'"):
        losslab.show_config(mode="dict")  # type: ignore[call-overload]


def test_show_config_keeps_import_light() -> None:
    code = (
        "import sys, losslab; losslab.show_config(mode='dicts'); "
        "print([m for m in ('sympy', 'scipy', 'matplotlib', 'torch') if m in sys.modules])"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "[]"


# Files the test suite reads besides tests/: pytest collects and passes in the unpacked sdist.
NEEDED = ("LICENSE", "conftest.py", "pyproject.toml", "setup.py", "mkdocs.yml", "DEVELOPERS.md")
NEEDED_TREES = ("tests", "docs", "tools", "bench", "src/losslab")


def _needed_files() -> set[str]:
    files = set(NEEDED)
    for tree in NEEDED_TREES:
        for path in (ROOT / tree).rglob("*"):
            rel = path.relative_to(ROOT)
            if (
                path.is_file()
                and "__pycache__" not in rel.parts
                and path.suffix not in (".so", ".pyd", ".pyc")
            ):
                files.add(rel.as_posix())
    return files


@pytest.mark.skipif(not (ROOT / "setup.py").exists(), reason="needs the source tree")
def test_sdist_has_everything_the_tests_need(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "setup.py", "-q", "sdist", "-d", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (archive,) = tmp_path.glob("losslab-*.tar.gz")
    with tarfile.open(archive) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    missing = sorted(_needed_files() - names)
    assert not missing, f"missing from the sdist: {missing[:20]}"
    assert not [n for n in names if n.endswith((".so", ".pyd")) or "__pycache__" in n]
