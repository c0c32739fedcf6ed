"""Type stub of the 512-bit build of the compiled kernels: the interface of ``_kernels.pyi``."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

_F = NDArray[Any]

BLOCK: int
LANES: int
BUILD: str
PAIR_KINDS: dict[str, int]
ROW_KINDS: tuple[str, ...]

def pair(
    kind: int,
    float32: bool,
    x: _F,
    t: _F,
    w: _F | None,
    param: float,
    loss: _F | None,
    grad: _F | None,
    grad_scale: float,
    partial: NDArray[np.float64] | None,
    block: int,
    nthreads: int = 1,
    /,
) -> bool: ...
def softmax_ce(
    float32: bool,
    x: _F,
    c: int,
    y: NDArray[np.int64],
    f: _F | None,
    scale: float,
    loss: _F | None,
    grad: _F | None,
    partial: NDArray[np.float64] | None,
    block: int,
    nthreads: int = 1,
    ignore: int | None = None,
    /,
) -> tuple[bool, int, int]: ...
def nll(
    float32: bool,
    x: _F,
    c: int,
    y: NDArray[np.int64],
    f: _F | None,
    keep: _F | None,
    scale: float,
    loss: _F | None,
    grad: _F | None,
    partial: NDArray[np.float64] | None,
    block: int,
    nthreads: int = 1,
    ignore: int | None = None,
    /,
) -> tuple[int, int, int]: ...
def exp(x: NDArray[np.float64], out: NDArray[np.float64], /) -> None: ...
def log1p(x: NDArray[np.float64], out: NDArray[np.float64], /) -> None: ...
def log(x: NDArray[np.float64], out: NDArray[np.float64], /) -> None: ...
def expf(x: NDArray[np.float32], out: NDArray[np.float32], /) -> None: ...
def log1pf(x: NDArray[np.float32], out: NDArray[np.float32], /) -> None: ...
def logf(x: NDArray[np.float32], out: NDArray[np.float32], /) -> None: ...
def preferred() -> bool: ...
def target() -> str: ...
def lanes() -> int: ...
def worker_tasks() -> int: ...
