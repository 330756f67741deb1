"""`BatchEnv`: N matches stepped in one compiled call, numpy arrays in and out, auto-reset.

For trainers, tournaments and anyone who brings their own learner. There is no Python loop over matches:
`step` checks the actions, copies them into a preallocated buffer, makes one compiled call and returns
arrays. Both players of every match are driven by the caller (a bot or a network on each side).

```python
import numpy as np
from brawl_env import BatchEnv

env = BatchEnv(64, seed=0, max_frames=2700)        # the same arguments as parallel_env, but no render_mode
obs = env.reset(seed=1)                             # (64, 2, OBS_DIM) float32
keys = np.zeros((64, 2, 10), np.int8)               # matches x players x keys (W A S D Space H L J K G)
obs, reward, terminated, truncated, info = env.step(keys)
```

| call | returns |
|---|---|
| `BatchEnv(n, seed=0, **cfg)` | `n` matches; `cfg` as `parallel_env` takes it (`max_frames`, `stocks`, `damage_tiebreak`, `spawn`, `rewards`, `zero_sum`) |
| `reset(seed=None, match_seeds=None)` | observations `(n, 2, D)` float32; `[:, p]` is player p's own view, itself first |
| `step(actions)` | `(obs, reward, terminated, truncated, info)` |
| `stats()` | `{name: (n, 2) array}`: statistics of the episodes in progress (a copy) |
| `frame` | `(n,)`: frames played in each match's current episode |
| `observation_space`, `action_space` | one player's: `Box` of `D` floats, `MultiBinary(10)` |
| `reward_names` | the reward terms, in the order of `info["reward_terms"]` |

`step(actions)` takes actions of shape `(n, 2, 10)`: match, player (0 or 1), key; bool, integer or
float values that are exactly 0 or 1 (any other shape or value raises `ValueError` naming it). It returns
`obs` `(n, 2, D)` float32, `reward` `(n, 2)` float32 (each player's own), `terminated` `(n,)` bool (a
player lost its last stock), `truncated` `(n,)` bool (the frame limit) and `info`, a dict of arrays:

- `info["final_observation"]` `(n, 2, D)`: the last observation of each match that ended this step
  (for the others it holds nothing useful);
- `info["final_stats"]` `(n, 2, S)`: the statistics of the episode that ended (order:
  `brawl_env.engine.layout.STAT_NAMES`);
- `info["result"]` `(n,)` int8: 0 still running, 1 player 0 won, 2 player 1 won, 3 draw;
- `info["events"]` `(n, 2, E)`: this frame's events from each player's side (order: `EVENT_NAMES`);
- `info["reward_terms"]` `(n, 2, T)`: each reward term's share of the reward (order: `reward_names`);
  it sums to `reward`.

**Auto-reset.** A match that ends (terminated or truncated) restarts inside the same `step`: the
returned `obs` row is already the first observation of its next episode, and `frame` is 0 again. Read
the ending from `final_observation`, `final_stats` and `result`; never call `reset()` for one match.

**Seeding.** `reset(seed=s)` starts match k from `match_seed(s, k)`; when match k ends it restarts at
once with its next episode seed, so match k of a batch plays exactly what the same match plays alone
(`reset(match_seeds=[...])` on a batch of one, or `parallel_env().reset(options={"match_seed": ...})`).
`reset()` without a seed uses the constructor's `seed` the first time and fresh seeds after that.

**Buffers.** The returned arrays are the env's own buffers and are overwritten by the next `step`; copy
them if you keep them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.spaces import Box, MultiBinary

from ._actions import check_batch_keys
from .config import check_seed, make_config
from .engine import layout as L
from .engine.core import Engine
from .engine.obs import OBS_DIM, bounds
from .engine.rng import match_seed
from .rewards import frame_context


class BatchEnv:
    """``n`` independent matches of Brawl (see the module docstring).

    :param n: number of matches, at least 1.
    :param seed: base seed used by the first ``reset()`` that names none, in [0, 2**64) as every seed.
    :param cfg: match configuration (``max_frames``, ``stocks``, ``damage_tiebreak``, ``rewards``,
        ``zero_sum``; see ``brawl_env.EnvConfig``).
    """

    def __init__(self, n: int, seed: int = 0, **cfg: Any):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"n must be a positive integer number of matches; got {n!r}")
        seed = check_seed(seed)
        self.n = int(n)
        self.config = make_config(**cfg)
        self.engine = Engine(self.n, self.config)
        low, high = bounds()
        self.observation_space = Box(low, high, dtype=np.float32)  # one player's view
        self.action_space = MultiBinary(L.N_KEYS)  # one player's keys
        self.obs_dim = OBS_DIM
        self.rewards = self.config.reward_manager()
        self.reward_names = self.rewards.names
        self._next_base = seed
        self._seeder = np.random.default_rng(seed)
        self._started = False

    def reset(self, seed: int | None = None, match_seeds=None) -> np.ndarray:
        """Start episode 0 of every match; returns observations ``(n, 2, D)``."""
        if match_seeds is not None:
            if seed is not None:
                raise ValueError("give either seed or match_seeds, not both")
            if isinstance(match_seeds, np.ndarray):
                ms = match_seeds
                ok = ms.shape == (self.n,) and ms.dtype.kind in "iu"
                ok = ok and not (ms.dtype.kind == "i" and (ms < 0).any())  # -1 must not wrap to 2**64 - 1
            else:  # Python ints may exceed int64 (match seeds are 64-bit): numpy would make them floats
                seeds = list(match_seeds)
                ok = len(seeds) == self.n and all(
                    isinstance(x, (int, np.integer)) and not isinstance(x, bool) and 0 <= int(x) < 2**64
                    for x in seeds
                )
                ms = np.array([int(x) for x in seeds], dtype=np.uint64) if ok else np.asarray(seeds)
            if not ok:
                raise ValueError(
                    f"match_seeds must be {self.n} integers in [0, 2**64); got {match_seeds!r:.80}"
                )
            self.engine.reset(ms.astype(np.uint64))
        else:
            if seed is None:
                seed = self._next_base if not self._started else int(self._seeder.integers(0, 2**63))
            seed = check_seed(seed)
            self.engine.reset(np.array([match_seed(seed, k) for k in range(self.n)], dtype=np.uint64))
        self._started = True
        return self.engine.state.obs

    def step(self, actions) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict]:
        """Advance all matches one frame. Finished matches restart at once; their last observation,
        statistics and result are in ``info["final_observation"]``, ``info["final_stats"]`` and
        ``info["result"]`` (0 running, 1 player 0 won, 2 player 1 won, 3 draw). ``info["events"]`` holds
        the frame's events ``(n, 2, events)`` and ``info["reward_terms"]`` each reward term's share
        ``(n, 2, terms)``, in the order of ``self.reward_names``; it sums to the reward."""
        if not self._started:
            raise RuntimeError("call reset() before step()")
        a = check_batch_keys(actions, self.n)
        np.copyto(self.engine.keys, a, casting="unsafe")  # values were checked to be exactly 0 or 1
        out = self.engine.step(auto_reset=True)
        st = self.engine.state
        reward, terms = self.rewards.compute(frame_context(st, out, self.engine.keys))
        info = {
            "final_observation": out.final_obs,
            "final_stats": out.final_stats,
            "result": out.result,
            "events": st.ev,
            "reward_terms": terms,
        }
        return st.obs, reward, out.terminated, out.truncated, info

    def stats(self) -> dict[str, np.ndarray]:
        """Statistics of the episodes in progress, ``{name: (n, 2) array}`` (a copy)."""
        st = self.engine.state.st
        return {name: st[:, :, k].copy() for k, name in enumerate(L.STAT_NAMES)}

    @property
    def frame(self) -> np.ndarray:
        """Frames played in each match's current episode."""
        return self.engine.state.mi[:, L.FRAME]

    def state_nbytes(self) -> int:
        """Bytes of game state held for all matches."""
        return self.engine.nbytes()
