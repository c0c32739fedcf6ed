"""Build the optional C kernels (losslab._kernels); all metadata is in pyproject.toml.

The extension is optional: if it cannot be compiled, losslab installs without it, prints one
warning line, and every loss runs on its NumPy path (``losslab._fast.kernel_info()`` says which
runs). The flags keep the floating-point results independent of the instruction set: no fused
multiply-add (-ffp-contract=off), no fast-math. The libraries carry no debug information and
are stripped.
"""

import copy
import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

CSRC = "src/losslab/_csrc/"
SOURCES = [CSRC + name for name in ("pair.c", "rows.c", "pool.c", "module.c")]
HEADERS = [CSRC + name for name in ("common.h", "vecmath.h")]

if sys.platform == "win32":
    flags, link_flags = ["/O2", "/fp:precise"], []
else:
    flags = ["-O3", "-g0", "-ffp-contract=off", "-fno-math-errno", "-std=c11"]
    flags.append("-fvisibility=hidden")  # only the module's init function is exported
    link_flags = ["-s"] if sys.platform.startswith("linux") else []  # strip


def _say(line: str) -> None:
    """Print ``line`` where the person installing sees it: pip keeps a build's output to
    itself unless it runs with -v, so the line also goes to the terminal when there is one."""
    print(line, file=sys.stderr, flush=True)
    if not sys.stderr.isatty():
        try:
            with open("/dev/tty", "w") as tty:
                tty.write(line + "\n")
        except OSError:
            pass


class BuildExt(build_ext):
    """Both builds at once (each in its own temporary directory: they share the sources), and
    one plain warning line when the kernels could not be built."""

    def initialize_options(self) -> None:
        super().initialize_options()
        self.failed: list[str] = []

    def finalize_options(self) -> None:
        super().finalize_options()
        if self.parallel is None:
            self.parallel = 2

    def build_extension(self, ext: Extension) -> None:
        own = copy.copy(self)  # a build_temp of its own, safe when the builds run in parallel
        own.build_temp = os.path.join(self.build_temp, ext.name)
        try:
            super(BuildExt, own).build_extension(ext)
        except Exception as exc:
            self.failed.append(f"{ext.name}: {str(exc).splitlines()[0] if str(exc) else exc}")
            raise

    def run(self) -> None:
        super().run()
        if len(self.failed) == len(self.extensions):
            _say(
                "WARNING: losslab's C kernels could not be built ("
                + "; ".join(self.failed)
                + "). losslab works without them, on its NumPy paths (2-3x slower); "
                "losslab.show_config() tells what runs."
            )
        elif self.failed:
            _say(f"WARNING: {'; '.join(self.failed)}; losslab uses its other kernel build.")


# One source, two builds: 256-bit vectors (the portable module) and 512-bit vectors (used only
# where the CPU has AVX-512; see losslab/_fast.py).
setup(
    cmdclass={"build_ext": BuildExt},
    ext_modules=[
        Extension(
            name,
            sources=SOURCES,
            depends=HEADERS,
            define_macros=[("VBYTES", str(vbytes))],
            extra_compile_args=flags,
            extra_link_args=link_flags,
            optional=True,
        )
        for name, vbytes in (("losslab._kernels", 32), ("losslab._kernels512", 64))
    ],
)
