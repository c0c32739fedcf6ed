"""User code that mypy --strict and pyright strict must accept (tests/test_typing.py)."""
# pyright: strict

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

import losslab
from losslab import mse_loss, show_config

x = np.array([1.0, 2.0, 3.0])
y = np.array([0.0, 2.0, 4.0])

config = show_config(mode="dicts")
build: str = config["kernels"]["build"]
threads: int = config["threads"]["count"]
nothing: None = show_config()

value = mse_loss(x, y)
print(value, build, threads, nothing)
gradient = losslab.grad(losslab.mse_loss)(x, y)
names: list[str] = list(losslab.__all__)
z: NDArray[np.float64] = np.asarray(gradient, dtype=np.float64)
