"""Bring your own learner: Stable-Baselines3 on ``brawl_v0`` through SuperSuit.

SuperSuit's documented route from a PettingZoo ParallelEnv to SB3 is::

    vec = supersuit.pettingzoo_env_to_vec_env_v1(brawl_env.parallel_env())
    vec = supersuit.concat_vec_envs_v1(vec, n, base_class="stable_baselines3")

With SuperSuit 3.11 and SB3 2.x it fails twice on this env (``tests/brawl_env/test_interop.py`` keeps
both failures reproduced, so we notice when upstream fixes them):

1. ``PPO(..., seed=s)`` (and ``vec.seed(s)``) raise ``AttributeError: 'ConcatVecEnv' object has no
   attribute 'seed'``: SuperSuit's SB3 wrapper forwards ``seed`` to its gymnasium vector env, which seeds
   only through ``reset(seed=...)``. Its ``reset(seed=...)`` goes through the same missing method.
2. SB3 samples ``MultiBinary`` actions as float32 0/1 and SuperSuit concatenates them into an int8
   buffer with numpy's ``same_kind`` casting: ``TypeError: Cannot cast array data from dtype('float32')
   to dtype('int8')``.

:func:`sb3_vec_env` builds the same SuperSuit vector env and puts a thin subclass of SuperSuit's own SB3
wrapper on it that fixes exactly these: ``seed(s)`` remembers ``s`` and the next ``reset()`` passes it
on as ``reset(seed=s)`` (match ``i`` gets seed ``s + i``, later matches follow from it), and actions
are checked to be exactly 0/1 (never rounded: 0.5 raises ``ValueError``) before they are cast to the
action space's dtype. It also answers SB3's ``get_attr("render_mode")`` (so ``VecMonitor`` on top does not
warn) and tells SB3 when an episode ended at the frame limit
(``info["TimeLimit.truncated"]``), which SuperSuit's wrapper drops, so PPO bootstraps there instead of
treating the limit as a real end.

Each agent of each match is one SB3 env (SuperSuit's ``pettingzoo_env_to_vec_env``): ``num_matches``
matches give ``2 * num_matches`` envs, ``player_0`` and ``player_1`` of match ``i`` at indices ``2i`` and
``2i + 1``. One SB3 policy therefore plays both sides: self-play with shared weights. Observations are
egocentric (``[me | opponent | world]``), so that is well posed.

supersuit and stable-baselines3 are imported only when :func:`sb3_vec_env` is called; they come with the
``test`` extra (``pip install 'brawl-league[test]'``).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ._actions import check_values
from .engine.layout import N_KEYS

INSTALL_HINT = "pip install 'brawl-league[test]'  (or: pip install supersuit stable-baselines3)"


def _require() -> None:
    try:
        import stable_baselines3  # noqa: F401
        import supersuit  # noqa: F401
    except ImportError as err:
        missing = getattr(err, "name", None) or "supersuit / stable-baselines3"
        raise ImportError(
            f"brawl_env.interop needs supersuit and stable-baselines3, and {missing} is not "
            f"installed; install the test extra: {INSTALL_HINT}"
        ) from err


@functools.cache
def adapter_class() -> type:
    """The SB3 VecEnv class that :func:`sb3_vec_env` returns (built on first use: it subclasses
    SuperSuit's ``SB3VecEnvWrapper``, so it cannot exist before supersuit is imported)."""
    _require()
    from supersuit.vector.sb3_vector_wrapper import SB3VecEnvWrapper

    class BrawlSB3VecEnv(SB3VecEnvWrapper):
        """SuperSuit's SB3 wrapper with working ``seed()``, checked 0/1 actions and time-limit flags."""

        def __init__(self, venv, agents_per_match: int = 2):
            super().__init__(venv)
            self.agents_per_match = agents_per_match
            self.num_matches = self.num_envs // agents_per_match
            self._pending_seed: int | None = None

        def seed(self, seed: int | None = None) -> list[int | None]:
            # SB3's contract (since gym 0.26): seeds take effect at the next reset.
            self._pending_seed = None if seed is None else int(seed)
            if seed is None:
                return [None] * self.num_envs
            return [int(seed) + i // self.agents_per_match for i in range(self.num_envs)]

        def reset(self, seed: int | None = None, options: dict | None = None):
            if seed is None:
                seed, self._pending_seed = self._pending_seed, None
            observations, self.reset_infos = self.venv.reset(seed=seed, options=options)
            return observations

        def step_async(self, actions) -> None:
            a = np.asarray(actions)
            if a.shape != (self.num_envs, N_KEYS):
                raise ValueError(
                    f"SB3 actions: expected shape ({self.num_envs}, {N_KEYS}) (envs, keys); got {a.shape}"
                )
            check_values(a, "SB3 actions (env, key)")  # raises on anything but exact 0/1
            self.venv.step_async(a.astype(self.action_space.dtype, copy=False))

        def get_attr(self, attr_name: str, indices=None) -> list:
            # SuperSuit's version asks its gymnasium vector env, which has no get_attr, so every SB3
            # wrapper put on top (VecMonitor, VecNormalize) warned that render_mode was undefined.
            if attr_name == "render_mode":
                n = self.num_envs if indices is None else len(list(self._get_indices(indices)))
                return [self.render_mode] * n
            return super().get_attr(attr_name, indices)

        def step_wait(self):
            observations, rewards, terminations, truncations, infos = self.venv.step_wait()
            terminations = np.asarray(terminations, bool)
            truncations = np.asarray(truncations, bool)
            for i in np.flatnonzero(truncations & ~terminations):
                infos[i]["TimeLimit.truncated"] = True
            return observations, rewards, terminations | truncations, infos

    return BrawlSB3VecEnv


def sb3_vec_env(num_matches: int = 4, seed: int | None = None, num_cpus: int = 0, **cfg: Any):
    """An SB3 ``VecEnv`` of ``2 * num_matches`` agent-envs over ``num_matches`` Brawl matches.

    ``cfg`` goes to :func:`brawl_env.parallel_env` (``max_frames``, ``rewards`` ...). ``seed``, when
    given, seeds the first reset (the same as calling ``seed(seed)``; ``PPO(..., seed=s)`` also works).
    ``num_cpus > 0`` runs the matches in SuperSuit's worker processes (usually slower for this cheap env).
    """
    _require()
    import supersuit

    from .parallel import parallel_env

    if int(num_matches) < 1:
        raise ValueError(f"num_matches must be at least 1; got {num_matches!r}")
    par = parallel_env(**cfg)
    agents = len(par.possible_agents)
    vec = supersuit.pettingzoo_env_to_vec_env_v1(par)
    vec = supersuit.concat_vec_envs_v1(vec, int(num_matches), num_cpus=num_cpus, base_class="gymnasium")
    out = adapter_class()(vec, agents_per_match=agents)
    if seed is not None:
        out.seed(seed)
    return out
