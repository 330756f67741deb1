"""The one place that decides how engine kernels are compiled.

Every compiled function in the engine is decorated with :func:`kernel`, so the compiler flags live here
and nowhere else (a test checks that). Flags, and why:

- ``cache=True``: compiling the step kernel takes seconds; the cache makes later imports cheap.
- ``fastmath=False``: replays must re-simulate bit for bit, and fast-math lets the compiler reorder
  floating-point arithmetic.
- ``nogil=True``: callers may step independent BatchEnvs from threads.

Numba's cache only notices edits to the file that defines a function, not to the modules it reads
constants or helpers from. So that an edit anywhere in the engine never runs a stale kernel, the cache
lives in a folder named after a hash of every engine source file (``brawl_env/engine/`` and this file;
unless the user set ``NUMBA_CACHE_DIR`` themselves, which we respect).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

KERNEL_FLAGS = {"cache": True, "fastmath": False, "nogil": True, "error_model": "numpy"}
# The big stages that step_match calls every frame (controls, integration, observation) are inlined
# into it at numba's IR level: each call hands over a dozen arrays, and inlining these three cut the
# batch step from about 1.85 to 1.5 us per match on one core. Inlining every function would reach
# 1.05 us but makes the first compile take about 3 minutes instead of 20 s, so the rest stay calls.
HELPER_FLAGS = dict(KERNEL_FLAGS, inline="always")

_ENGINE_ROOT = Path(__file__).resolve().parent / "engine"


def _source_hash() -> str:
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted(_ENGINE_ROOT.rglob("*.py")):
        digest.update(str(path.relative_to(_ENGINE_ROOT)).encode())
        digest.update(path.read_bytes())
    digest.update(numba.__version__.encode())
    return digest.hexdigest()[:16]


def _configure_cache() -> None:
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "brawl-league" / "numba" / _source_hash()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # read-only home: fall back to numba's own choice
        return
    numba.config.CACHE_DIR = str(folder)


_configure_cache()


def kernel(fn):
    """Compile ``fn`` with the engine's flags (see the module docstring)."""
    return numba.njit(**KERNEL_FLAGS)(fn)


def helper(fn):
    """Compile a rule stage that its caller inlines (the flags of :func:`kernel`, plus inlining)."""
    return numba.njit(**HELPER_FLAGS)(fn)
