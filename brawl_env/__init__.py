"""brawl_env: the Brawl game engine, its PettingZoo doors and a batched env.

Importing this package is cheap: the engine (numba) loads on first use of one of the names below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__all__ = ["parallel_env", "env", "raw_env", "BatchEnv", "ObsView", "EnvConfig", "match_seed", "KEY_NAMES"]

_LAZY = {
    "parallel_env": ("brawl_env.parallel", "parallel_env"),
    "env": ("brawl_env.parallel", "env"),
    "raw_env": ("brawl_env.parallel", "raw_env"),
    "BatchEnv": ("brawl_env.batch", "BatchEnv"),
    "ObsView": ("brawl_env.view", "ObsView"),
    "EnvConfig": ("brawl_env.config", "EnvConfig"),
    "match_seed": ("brawl_env.engine.rng", "match_seed"),
    "KEY_NAMES": ("brawl_env.engine.layout", "KEY_NAMES"),
}

if TYPE_CHECKING:  # pragma: no cover
    from .batch import BatchEnv
    from .config import EnvConfig
    from .engine.layout import KEY_NAMES
    from .engine.rng import match_seed
    from .parallel import env, parallel_env, raw_env
    from .view import ObsView


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'brawl_env' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
