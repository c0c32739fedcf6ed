# SymPy has no type information: every name is Any (see tests/typing_stubs/README.md).
from typing import Any

def __getattr__(name: str) -> Any: ...
