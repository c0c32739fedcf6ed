"""pytest configuration shared by the test suite and the Markdown-page doctests.

Markdown pages under docs/ are collected by Sybil (``nox -s doctests``): ```python and ```pycon
fences holding ``>>>`` examples are doctests, other ```python fences are executed, and every page
runs top to bottom in one namespace. Fences with markdown-exec options (``exec="on"``) run at
site build time instead (``nox -s docs``).
"""

from __future__ import annotations

import doctest

from sybil import Sybil
from sybil.evaluators.python import PythonEvaluator
from sybil.parsers.markdown import CodeBlockParser, PythonCodeBlockParser, SkipParser

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


class PyconParser(PythonCodeBlockParser):
    """```pycon fences: interactive sessions, checked as doctests."""

    def __init__(self, doctest_optionflags: int = 0) -> None:
        super().__init__(doctest_optionflags=doctest_optionflags)
        self.codeblock_parser = CodeBlockParser("pycon", PythonEvaluator())


pytest_collect_file = Sybil(
    parsers=[
        PythonCodeBlockParser(doctest_optionflags=FLAGS),
        PyconParser(doctest_optionflags=FLAGS),
        SkipParser(),
    ],
    patterns=["*.md"],
    path="docs",
).pytest()

# Example user code for the type checkers (tests/test_typing.py): it is checked, never run, and
# some of it is wrong on purpose (a reduction the type checkers must reject).
collect_ignore = ["tests/typing_examples"]
