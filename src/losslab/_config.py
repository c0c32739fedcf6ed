"""``losslab.show_config()``: what this installation runs (versions, kernel build, threads)."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Literal, TypeAlias, TypedDict, overload

import numpy as np

from . import _fast, threads

__all__ = ["show_config"]

#: The kernel builds ``show_config`` reports (``"none"``: the NumPy paths run).
Build: TypeAlias = Literal["AVX-512", "AVX2", "256-bit baseline", "none"]

#: Losses run about this much slower on the NumPy paths than with the compiled kernels
#: (docs/performance.md has the measured ratios).
_NUMPY_ONLY_HINT = (
    "the NumPy paths run (correct, about 2-3x slower); install a C compiler "
    "(gcc or clang) and reinstall losslab to build the kernels"
)


class KernelInfo(TypedDict):
    """Which compiled kernel build runs, and why."""

    active: bool
    build: Build
    module: str | None
    vector_bits: int | None
    reason: str


class ThreadInfo(TypedDict):
    """How many threads the block-wise kernels use, and where the number comes from."""

    count: int
    source: str
    cpu_count: int | None


class Config(TypedDict):
    """The dictionary returned by ``show_config(mode="dicts")``."""

    losslab: dict[str, str]
    python: dict[str, str]
    numpy: dict[str, str]
    kernels: KernelInfo
    threads: ThreadInfo


def _cpu_has_avx2() -> bool | None:
    """True/False from /proc/cpuinfo where it exists (Linux), else None (unknown)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return "avx2" in line.split()
    except OSError:
        return None
    return None


def _kernel_info() -> KernelInfo:
    """Which build ``losslab._fast`` uses, and why (the switch itself is in ``_fast``)."""
    module = _fast.kernels
    if module is None:
        if os.environ.get(_fast.ENV_VAR, "").strip() not in ("", "0"):
            reason = f"{_fast.ENV_VAR}={os.environ[_fast.ENV_VAR]} was set before import losslab"
        else:
            try:
                importlib.import_module("losslab._kernels")  # only asks whether it was built
            except ImportError:
                reason = f"the C extension losslab._kernels was not built: {_NUMPY_ONLY_HINT}"
            else:
                reason = "the kernels were switched off in this process (losslab._fast)"
        return KernelInfo(active=False, build="none", module=None, vector_bits=None, reason=reason)
    bits = 64 * int(module.lanes())
    name = str(module.__name__)
    if bits >= 512:
        build: Build = "AVX-512"
        reason = "the CPU supports AVX-512F, so the 512-bit build is used"
    else:
        avx2 = _cpu_has_avx2()
        build = "256-bit baseline" if avx2 is False else "AVX2"
        try:
            _kernels512 = importlib.import_module("losslab._kernels512")
        except ImportError:
            why = "the 512-bit build is not installed"
        else:
            why = (
                "the CPU has no AVX-512F"
                if not _kernels512.preferred()
                else "the 512-bit build was switched off in this process"
            )
        clone = {
            True: "its AVX2 code runs",
            False: "the CPU has no AVX2, so its baseline (SSE2) code runs",
            None: "AVX2 support of the CPU unknown",
        }[avx2]
        reason = f"256-bit build: {why}; {clone}"
    return KernelInfo(active=True, build=build, module=name, vector_bits=bits, reason=reason)


def _thread_info() -> ThreadInfo:
    count = threads.get_num_threads()
    source = {
        "set": "set by losslab.set_num_threads",
        "environment": f"environment variable {threads.NUM_THREADS_ENV}",
        "default": "default: min(2, os.cpu_count())",
    }[threads.num_threads_source()]
    return ThreadInfo(count=count, source=source, cpu_count=os.cpu_count())


def _config() -> Config:
    import platform

    from . import __version__

    here = os.path.dirname(os.path.abspath(__file__))
    return Config(
        losslab={"version": __version__, "path": here},
        python={
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        numpy={"version": np.__version__},
        kernels=_kernel_info(),
        threads=_thread_info(),
    )


@overload
def show_config(mode: Literal["stdout"] = ...) -> None: ...
@overload
def show_config(mode: Literal["dicts"]) -> Config: ...
def show_config(mode: Literal["stdout", "dicts"] = "stdout") -> Config | None:
    r"""Show what this installation of losslab runs: versions, kernel build, threads.

    Parameters
    ----------
    mode : {"stdout", "dicts"}, default "stdout"
        ``"stdout"`` prints a short report; ``"dicts"`` returns it as a dictionary instead
        (for programs and bug reports), with the keys ``losslab``, ``python``, ``numpy``,
        ``kernels`` (``active``, ``build``: ``"AVX-512"``, ``"AVX2"``,
        ``"256-bit baseline"`` or ``"none"``, ``module``, ``vector_bits``, ``reason``) and
        ``threads`` (``count``, ``source``, ``cpu_count``).

    Returns
    -------
    dict or None
        The report for ``mode="dicts"``, else None.

    Raises
    ------
    ValueError
        If `mode` is not ``"stdout"`` or ``"dicts"``.

    Notes
    -----
    The compiled kernels are optional: an installation without a C compiler runs every loss
    on its NumPy path (same results to a few ulps, about 2-3 times slower), and
    ``kernels.build`` is then ``"none"`` with the reason. ``LOSSLAB_PURE_NUMPY=1`` set before
    ``import losslab`` switches the kernels off. Neither the build nor the thread count
    changes a result beyond those few ulps.

    Conventions
    -----------
    Like ``numpy.show_config()`` (same ``mode`` values); PyTorch's counterpart is
    ``torch.__config__.show()``.

    Examples
    --------
    >>> import losslab
    >>> info = losslab.show_config(mode="dicts")
    >>> print(info["losslab"]["version"] == losslab.__version__)
    True
    >>> print(info["kernels"]["build"] in ("AVX-512", "AVX2", "256-bit baseline", "none"))
    True
    >>> losslab.show_config()  # doctest: +ELLIPSIS
    losslab ...
    kernels ...
    """
    if mode not in ("stdout", "dicts"):
        raise ValueError(f'`mode` is {mode!r}, expected "stdout" or "dicts"')
    config = _config()
    if mode == "dicts":
        return config
    k, t = config["kernels"], config["threads"]
    build = k["build"] if not k["active"] else f"{k['build']} ({k['module']})"
    print(
        f"losslab {config['losslab']['version']}  ({config['losslab']['path']})\n"
        f"Python  {config['python']['version']} ({config['python']['implementation']})"
        f"  {config['python']['executable']}\n"
        f"NumPy   {config['numpy']['version']}\n"
        f"kernels {build}\n"
        f"        {k['reason']}\n"
        f"threads {t['count']} ({t['source']}; os.cpu_count() = {t['cpu_count']})"
    )
    return None
