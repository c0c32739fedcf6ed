"""Build the optional C kernels (losslab._kernels); all metadata is in pyproject.toml.

The extension is optional: if it cannot be compiled, losslab installs without it and every loss
runs on its NumPy path (see losslab/_fast.py). The flags keep the floating-point results
independent of the instruction set: no fused multiply-add (-ffp-contract=off), no fast-math.
"""

import sys

from setuptools import Extension, setup

if sys.platform == "win32":
    flags = ["/O2", "/fp:precise"]
else:
    flags = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-std=c11"]

setup(
    ext_modules=[
        Extension(
            "losslab._kernels",
            sources=["src/losslab/_kernels.c"],
            extra_compile_args=flags,
            optional=True,
        )
    ]
)
