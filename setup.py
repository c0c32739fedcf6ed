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

CSRC = "src/losslab/_csrc/"
SOURCES = [CSRC + name for name in ("pair.c", "rows.c", "pool.c", "module.c")]
HEADERS = [CSRC + name for name in ("common.h", "vecmath.h")]

# One source, two builds: 256-bit vectors (the portable module) and 512-bit vectors (used only
# where the CPU has AVX-512; see losslab/_fast.py).
setup(
    ext_modules=[
        Extension(
            name,
            sources=SOURCES,
            depends=HEADERS,
            define_macros=[("VBYTES", str(vbytes))],
            extra_compile_args=flags,
            optional=True,
        )
        for name, vbytes in (("losslab._kernels", 32), ("losslab._kernels512", 64))
    ]
)
