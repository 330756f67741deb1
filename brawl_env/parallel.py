"""
# Brawl (`brawl_v0`)

A two-player platform fighter: two floors over a pit, a one-way moving platform, 3 stocks each.
Rules: `GAME.md`; every number we tuned or fixed: `docs/rules.md`.

| | |
|---|---|
| Creation | `brawl_env.parallel_env(**cfg)` (Parallel API), `brawl_env.env(**cfg)` (AEC API) |
| Agents | `player_0`, `player_1` |
| Action space | `MultiBinary(10)`: W A S D Space H L J K G (up, left, down, right, jump, pickup/drop, dash/dodge, light, heavy, taunt) |
| Observation space | `Box(low, high, (OBS_DIM,), float32)`; low is -1 or 0 per field, high is 1 |
| Observation values | scaled and clipped into the Box; itself first, then the opponent, then the world |
| Frame rate | 30 frames per second; one step is one frame |
| Import | `import brawl_env` |

## Observations
One float32 vector per agent: `[me | opponent | world]`. Both player blocks have the same fields, so
one policy can play either slot. The full table (offset, name, scale, meaning) is in `docs/env.md`,
generated from `brawl_env.engine.obs` by `python -m brawl_env.docs`. For scripted bots and tests,
`brawl_env.ObsView(obs)` names every field: `view.me.damage`, `view.opponent.state`, `view.world.platform_x`.

## Actions
Ten keys, each 0 or 1, held this frame. The engine derives just-pressed, held and released from
consecutive frames, as the original did. Actions may be bool, integer or float arrays whose values
are exactly 0 or 1; anything else (another shape, NaN, 0.5, 2) raises an error naming the problem,
the agent and the key, before either agent's keys are used.

## Rewards
By default (`rewards="sparse"`) +1 to the winner and -1 to the loser on the final frame, 0 otherwise.
`rewards="guide"` applies the training guide's shaping; a table `{term: weight}` picks terms by name
(`brawl_env.rewards`, listed in `docs/rewards.md`). Every step `infos[agent]["reward_terms"]` holds
each term's share of that agent's reward, and they sum to the reward.

## Termination and truncation
A match terminates on the frame a player loses its last stock and is truncated at `max_frames`.
Both agents are then done together and `env.agents` becomes empty; call `reset()` to play again.

## Infos
Every step, `infos[agent]["events"]` maps the names of this frame's non-zero events, from that agent's
point of view, to their values: `damage_dealt` / `damage_taken` (points), `hit_landed` / `hit_taken`,
`combo_landed` / `combo_taken` (hits on a stunned player), `knockout_dealt` / `knocked_out`,
`weapon_pickup` (1 spear, 2 hammer) with `pickup_source` (1 spawner, 2 dropped weapon), `weapon_drop`,
`dodge`, `attack_started` (the move slot, 1-11), `jump`, `landed`, `respawned`, `won` / `lost` / `drawn`. On the final frame `infos[agent]` also holds `result` (`"win"`, `"loss"` or `"draw"`) and
`stats` (damage dealt and taken, knockouts, stocks left, weapon pickups, attacks started, hits landed,
frames alive, dodges, jumps).

The door is thin: per step it checks both agents' keys in one vectorised pass, finds the frame's events
once (for `events` and for the reward terms), skips event reward terms whose events did not fire (their
shares are the same bits computing them gives) and copies the two observations (yours to keep). Its
Python costs about one engine step; `brawl-league bench env` measures both (`docs/benchmarks.md`).

## Arguments
- `max_frames` (int, 2700): frame limit; 2700 frames is the original's 90-second match.
- `stocks` (int, 3): stocks per player.
- `damage_tiebreak` (bool, False): at the frame limit with equal stocks, less damage wins.
- `spawn` ("apart"): "apart" starts one player over each floor (the original); "same_floor" starts both
  over the right floor (a training curriculum).
- `rewards` ("sparse"): a preset name ("sparse", "guide") or a table of reward terms.
- `zero_sum` (bool, False): each reward becomes (mine - theirs) / 2, term by term.
- `render_mode` (None, `"human"`, `"rgb_array"`).

Unknown arguments raise `ValueError` listing the allowed ones; types are strict (`max_frames=True` or
`damage_tiebreak="no"` is an error, not a one-frame match or a flag). Seeding goes only through
`reset(seed=...)`; `reset(options={"match_seed": s})` starts the match from an exact 64-bit match seed
(as used by `BatchEnv` and replays). Both are integers in [0, 2**64); anything else is an error, so two
different seeds never alias one match.

## Version history
- v0: stage, movement, stocks; 33 moves from frame data with simultaneous hits; weapons and spawners.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.spaces import Box, MultiBinary
from gymnasium.utils import EzPickle, seeding
from pettingzoo import ParallelEnv

from ._actions import check_agents_keys
from .config import check_seed, make_config
from .engine import layout as L
from .engine.core import Engine
from .engine.obs import bounds
from .engine.rng import match_seed
from .outcome import result_words
from .rewards import RewardContext

AGENTS = ("player_0", "player_1")
# (agent, event index, event name) of each entry of one match's flattened (2, N_EV) events.
_EVENT_SLOTS = tuple((i, k, name) for i in range(len(AGENTS)) for k, name in enumerate(L.EVENT_NAMES))


class BrawlParallelEnv(ParallelEnv, EzPickle):
    """One match of Brawl behind PettingZoo's Parallel API (see the module docstring)."""

    metadata = {
        "name": "brawl_v0",
        "render_modes": ["human", "rgb_array"],
        "render_fps": 30,
        "is_parallelizable": True,
    }

    def __init__(self, render_mode: str | None = None, **cfg: Any):
        EzPickle.__init__(self, render_mode=render_mode, **cfg)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"unknown render_mode {render_mode!r}; allowed: None, "
                + ", ".join(repr(m) for m in self.metadata["render_modes"])
            )
        self.render_mode = render_mode
        self.config = make_config(**cfg)
        self.engine = Engine(1, self.config)
        self.rewards = self.config.reward_manager()
        # Views made once: the engine writes its arrays in place, so these serve every step.
        st = self.engine.state
        self._reward_context = RewardContext(st.pf, st.pi, st.ev, self.engine.keys)
        self._keys = self.engine.keys[0]  # (2, 10): both agents' keys
        self._events = st.ev[0].reshape(-1)  # (2 * N_EV,): agent 0's events, then agent 1's
        self._obs = (st.obs[0, 0], st.obs[0, 1])
        self.possible_agents = list(AGENTS)
        self.agents: list[str] = []
        low, high = bounds()
        self._observation_spaces = {a: Box(low, high, dtype=np.float32) for a in AGENTS}
        self._action_spaces = {a: MultiBinary(L.N_KEYS) for a in AGENTS}
        self._np_random: np.random.Generator | None = None

    # -- spaces ------------------------------------------------------------------------------------
    def _check_agent(self, agent: str) -> None:
        if agent not in self._observation_spaces:
            raise ValueError(f"unknown agent {agent!r}; agents are {list(AGENTS)}")

    def observation_space(self, agent: str) -> Box:
        self._check_agent(agent)
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> MultiBinary:
        self._check_agent(agent)
        return self._action_spaces[agent]

    # -- episode -----------------------------------------------------------------------------------
    def reset(self, seed: int | None = None, options: dict | None = None):
        # Other option keys are ignored: PettingZoo's api_test passes arbitrary options to reset().
        exact = (options or {}).get("match_seed")
        if exact is not None:
            exact = check_seed(exact, 'options["match_seed"]')
        if seed is not None:
            seed = check_seed(seed)
            self._np_random, _ = seeding.np_random(seed)
        if exact is not None:
            mseed = exact
        elif seed is not None:
            mseed = match_seed(seed, 0)
        else:
            if self._np_random is None:
                self._np_random, _ = seeding.np_random()
            mseed = int(self._np_random.integers(0, 2**63))
        self.engine.reset(np.array([mseed], dtype=np.uint64))
        self.match_seed = mseed
        self.agents = list(AGENTS)
        obs = self.engine.state.obs[0]
        return ({a: obs[i].copy() for i, a in enumerate(AGENTS)}, {a: {"events": {}} for a in AGENTS})

    def step(self, actions: dict):
        # The per-step Python is kept to about the engine step's own cost (docs/benchmarks.md): one
        # vectorised key check for both agents, events found with one nonzero() and used twice (infos and
        # the reward terms' gate), reward terms skipped when none of their events fired.
        if not self.agents:
            raise RuntimeError("the match is over (or never started): call reset() before step()")
        if not isinstance(actions, dict):
            raise TypeError(
                f"actions must be a dict {{agent: keys}} for {list(AGENTS)}; got {type(actions).__name__}"
            )
        if actions.keys() != self._observation_spaces.keys():
            unknown = sorted(set(actions) - set(AGENTS))
            missing = sorted(set(AGENTS) - set(actions))
            raise ValueError(
                f"actions must name exactly {list(AGENTS)}; unknown: {unknown}, missing: {missing}"
            )
        self._keys[...] = check_agents_keys((actions["player_0"], actions["player_1"]), AGENTS)
        out = self.engine.step(auto_reset=False)
        events: tuple[dict, dict] = ({}, {})
        fired = []  # indices of the events that fired for either agent: the reward terms' gate
        ev = self._events
        for f in ev.nonzero()[0].tolist():  # most frames fire none
            i, k, name = _EVENT_SLOTS[f]
            events[i][name] = ev.item(f)
            fired.append(k)
        (r0, r1), (t0, t1) = self.rewards.compute_one(self._reward_context, fired)
        names = self.rewards.names
        observations = {"player_0": self._obs[0].copy(), "player_1": self._obs[1].copy()}
        rewards = {"player_0": r0, "player_1": r1}
        infos = {
            "player_0": {"events": events[0], "reward_terms": dict(zip(names, t0))},
            "player_1": {"events": events[1], "reward_terms": dict(zip(names, t1))},
        }
        term, trunc = out.terminated.item(0), out.truncated.item(0)
        if term or trunc:
            words = result_words(out.result[0])
            for i, a in enumerate(AGENTS):
                infos[a]["result"] = words[i]
                infos[a]["stats"] = {
                    name: float(out.final_stats[0, i, k]) for k, name in enumerate(L.STAT_NAMES)
                }
            self.agents = []
        return (
            observations,
            rewards,
            {"player_0": term, "player_1": term},
            {"player_0": trunc, "player_1": trunc},
            infos,
        )

    def render(self):
        """The current frame: ``(H, W, 3)`` uint8 in ``rgb_array`` mode; in ``human`` mode a window shows
        it (paced to 30 frames per second) and None is returned. Rendering never changes the match.

        The renderer (pygame) is created on the first call, so an env that never renders never imports
        pygame. Its resolution is ``render_resolution`` (``"480p"``, ``"720p"`` or ``"1080p"``) and
        ``render_hitboxes`` adds the debug overlay; set either before the first call.
        """
        if self.render_mode is None:
            return None
        if self._renderer is None:
            from .render import Renderer

            self._renderer = Renderer(
                resolution=self.render_resolution,
                mode=self.render_mode,
                names=self.possible_agents,
                hitboxes=self.render_hitboxes,
                max_frames=self.config.max_frames,
                stocks=self.config.stocks,
                moves=self.engine.moves,
            )
        return self._renderer.render(self.engine.state, 0)

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None

    # Render settings and the lazily made renderer (class attributes, so __init__ and pickling stay as they are).
    render_resolution: str = "480p"
    render_hitboxes: bool = False
    _renderer = None


def parallel_env(**cfg: Any) -> BrawlParallelEnv:
    """A Parallel-API Brawl env (see ``brawl_env.parallel``'s module docstring for the arguments)."""
    return BrawlParallelEnv(**cfg)


def env(**cfg: Any):
    """An AEC-API Brawl env, derived from the parallel one (PettingZoo's ``parallel_to_aec``)."""
    from pettingzoo.utils.conversions import parallel_to_aec

    return parallel_to_aec(parallel_env(**cfg))


raw_env = BrawlParallelEnv
