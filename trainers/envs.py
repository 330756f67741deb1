"""``LeagueVecEnv``: an SB3 ``VecEnv`` that trains one learner against league opponents, in process.

One SB3 env is one match of a single :class:`brawl_env.BatchEnv`; every VecEnv step is one
``BatchEnv.step`` for all matches. At the start of each episode of match ``k`` the env

- puts the learner in a random slot (0 or 1, from the env's own seeded generator), so it learns both
  sides of the (unmirrored) stage;
- asks ``choose_opponent(rng)`` for the opponent of that episode (an *opponent spec*), and takes the
  opponent object for it from the env's :class:`trainers.opponents.OpponentPool`, which calls
  ``make_opponent(spec)`` only the first time a spec's key is seen: nothing is rebuilt or reloaded per
  episode;
- tells that opponent object that a new episode starts in row ``k`` (``reset_rows``).

Every frame the opponent is given the observation of *that* frame from its own slot,
``obs[k, 1 - slot]`` (the original fed its opponents the frozen reset-time observation, so scripted bots
never reacted and snapshot opponents filled their history with one frame). Each distinct opponent
object is called once per frame with all the rows it plays, and network opponents that can act together
do so in one batched call (``fuse_opponents=False`` restores one call per object, for comparisons);
``trainers.opponents`` says how.

An opponent object is an agent of the one agent protocol (:class:`brawl_env.bots.Agent`: rows in, keys
out, a per-row reset with seeds), so neural-network opponents (snapshots, the learner's mirror) live in
the trainer, batched on its device, and scripted bots play through :func:`brawl_env.bots.bot_agent`
(batched where the bot is a ``FrameBot``: ConstantBot, BasedBot, ClockworkBot).

With ``action_repeat=k`` one VecEnv step is ``k`` frames: the learner's keys are held for ``k``
frames (its decisions come at 30/k Hz, as a human's do), its reward is the sum over those frames, and
the opponents still act on a fresh observation every frame. When an episode ends inside a block of
``k`` frames, the rest of the block already belongs to the next episode: the learner holds no keys in
it, its rewards count in that episode's statistics but not in any step's reward (no decision of the
learner caused them), and the step returns the new episode's observation after the block, flagged as
an episode start. Episode lengths in ``infos`` are in frames.

Episode ends come back the SB3 way: ``infos[k]["terminal_observation"]``,
``infos[k]["TimeLimit.truncated"]`` (the frame limit ended it rather than a knockout), a Monitor-style
``infos[k]["episode"] = {"r", "l", "t"}`` (so ``model.ep_info_buffer`` fills without a Monitor
wrapper), and ``infos[k]["brawl"]`` with the result, opponent, slot, statistics and reward breakdown.

A step does no Python work per match except for the matches whose episode ended in it: the per-step
state (held keys, step rewards, done flags, the opponents' observations) lives in arrays allocated once,
and every match without an episode end gets the same empty info dict, :data:`NO_INFO`, which refuses
writes (SB3's wrappers write into the infos of ended episodes only; write into a ``dict(info)`` copy).
The observations, rewards and done flags a step returns are new arrays each step, as SB3's own vector
envs return them: SB3 keeps references to them across steps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
from gymnasium.spaces import Box, MultiBinary
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvStepReturn

from brawl_env._actions import check_values
from brawl_env.batch import BatchEnv
from brawl_env.bots.agent import Agent
from brawl_env.config import check_seed
from brawl_env.engine import layout as L
from brawl_env.engine.rng import match_seed
from brawl_env.outcome import result_words

from .opponents import OpponentPool

__all__ = ["NO_INFO", "LeagueVecEnv"]

log = logging.getLogger(__name__)


class _NoInfo(dict):
    """An empty info dict that refuses writes: one object stands for every match without news in a
    step, so a write into it would show up in all of them."""

    __slots__ = ()

    def _refuse(self, *args, **kwargs):
        raise TypeError(
            "LeagueVecEnv's empty info is one shared object (NO_INFO) for every match without an episode "
            "end this step; write into a copy (dict(info)) instead"
        )

    __setitem__ = __delitem__ = __ior__ = setdefault = update = pop = popitem = clear = _refuse

    def __reduce__(self):  # unpickles as the one shared object (infos travel from Ray shards)
        return "NO_INFO"


NO_INFO: dict = _NoInfo()
"""The info of every match whose episode did not end in a step (empty, read-only, shared)."""


class LeagueVecEnv(VecEnv):
    """``n_envs`` matches, learner against per-episode opponents (see the module docstring).

    :param n_envs: number of matches (= SB3 envs).
    :param env_config: ``brawl_env.EnvConfig`` keys (``rewards="guide"``, ``max_frames`` ...).
    :param choose_opponent: ``rng -> spec``, called once per episode with the env's own generator.
    :param make_opponent: ``spec -> Agent`` (``brawl_env.bots.Agent``), called once per distinct spec key (see :func:`trainers.opponents.spec_key`).
    :param seed: seeds the first ``reset``; ``seed(s)`` then ``reset()`` replays everything from ``s``.
    :param action_repeat: frames per VecEnv step (the learner's keys are held that long); 1 = every frame.
    :param max_cached_opponents: keep at most this many opponent objects; beyond it the least recently
        chosen ones not playing any match are dropped (``close()`` is called on them when they have
        one). ``None``: keep all.
    :param fuse_opponents: let opponent objects that can act together do so in one call per frame (see
        the module docstring); False: one call per object (the old path, kept for benchmarks).

    Attributes for the trainer (read-only views, valid for the step just returned): ``learner_slots``
    ``(n,)``, ``opponent_specs`` (list), ``episode_starts`` ``(n,)`` (True where the returned
    observation is the first of an episode), ``opponent_obs`` ``(n, D)`` (what each opponent sees now).
    """

    def __init__(
        self,
        n_envs: int,
        *,
        env_config: dict | None = None,
        choose_opponent: Callable[[np.random.Generator], Any],
        make_opponent: Callable[[Any], Agent],
        seed: int = 0,
        action_repeat: int = 1,
        max_cached_opponents: int | None = None,
        fuse_opponents: bool = True,
    ):
        seed = check_seed(seed)
        if (
            isinstance(action_repeat, bool)
            or not isinstance(action_repeat, (int, np.integer))
            or action_repeat < 1
        ):
            raise ValueError(
                f"action_repeat must be an integer >= 1 (frames per decision); got {action_repeat!r}"
            )
        self.action_repeat = int(action_repeat)
        self.batch = BatchEnv(n_envs, seed=int(seed), **dict(env_config or {}))
        n = self.batch.n
        self.env_config = dict(env_config or {})
        self.choose_opponent = choose_opponent
        self.make_opponent = make_opponent
        self.max_cached_opponents = max_cached_opponents
        self.reward_names: tuple[str, ...] = tuple(self.batch.reward_names)
        self.render_mode = None
        obs_space = Box(self.batch.observation_space.low, self.batch.observation_space.high, dtype=np.float32)
        super().__init__(n, obs_space, MultiBinary(L.N_KEYS))

        self._rows = np.arange(n)
        self._keys = np.zeros((n, 2, L.N_KEYS), np.uint8)
        self._slots = np.zeros(n, np.int64)
        self._lflat = 2 * self._rows  # row * 2 + learner slot
        self._oflat = 2 * self._rows + 1  # row * 2 + opponent slot
        self.fuse_opponents = bool(fuse_opponents)
        #: the opponent objects and the rows each plays (``opponent_pool.fused``: the groups acting together)
        self.opponent_pool = OpponentPool(n, make_opponent, max_cached_opponents, self.fuse_opponents)
        self._ep_return = np.zeros(n, np.float64)
        self._ep_len = np.zeros(n, np.int64)
        self._ep_terms = np.zeros((n, len(self.reward_names)), np.float64)
        self._episode_starts = np.ones(n, bool)
        self._opp_obs = np.zeros((n, self.batch.obs_dim), np.float32)
        # a step's own state, written in place every step
        self._held = np.zeros((n, L.N_KEYS), np.uint8)
        self._step_rew = np.zeros(n, np.float32)
        self._step_done = np.zeros(n, bool)
        self._actions: np.ndarray | None = None
        self._pending_seed: int | None = int(seed)
        self._seeder = np.random.default_rng([0x4C45, int(seed) & 0xFFFFFFFFFFFFFFFF])
        self.rng = np.random.default_rng([0x4C45, 1, int(seed) & 0xFFFFFFFFFFFFFFFF])
        self._started = False
        self.t_start = time.time()

    # --- what the trainer reads -------------------------------------------------------------------
    @property
    def learner_slots(self) -> np.ndarray:
        return _readonly(self._slots)

    @property
    def opponent_specs(self) -> list[Any]:
        return list(self.opponent_pool.specs)

    @property
    def episode_starts(self) -> np.ndarray:
        return _readonly(self._episode_starts)

    @property
    def opponent_obs(self) -> np.ndarray:
        """Each match's current observation from the opponent's slot, ``(n, D)``."""
        return _readonly(self._opp_obs)

    @property
    def opponents(self) -> dict[Hashable, Any]:
        """The cached opponent objects by spec key."""
        return dict(self.opponent_pool.cache)

    # --- SB3 VecEnv API ---------------------------------------------------------------------------
    def seed(self, seed: int | None = None) -> list[int]:
        """Seeds the next ``reset()``: match ``k`` plays from ``match_seed(seed, k)`` and the env's
        generator (slots, opponent choice, opponent seeds) restarts from ``seed``. Returns the match
        seeds."""
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
        seed = check_seed(seed)
        self._pending_seed = seed
        return [int(match_seed(seed, k)) for k in range(self.num_envs)]

    def reset(self) -> np.ndarray:
        seed = self._pending_seed
        if seed is None:
            seed = int(self._seeder.integers(0, 2**63))
        self._pending_seed = None
        self._reset_seeds()
        self._reset_options()
        self.rng = np.random.default_rng([0x4C45, 1, seed & 0xFFFFFFFFFFFFFFFF])
        full = self.batch.reset(seed=seed)
        self._ep_return[:] = 0.0
        self._ep_len[:] = 0
        self._ep_terms[:] = 0.0
        self.opponent_pool.clear_rows()
        self._new_episodes(self._rows)
        self._episode_starts[:] = True
        self._started = True
        self._actions = None
        self.reset_infos = [NO_INFO] * self.num_envs
        full2 = full.reshape(2 * self.num_envs, -1)
        full2.take(self._oflat, axis=0, out=self._opp_obs)
        return full2.take(self._lflat, axis=0)

    def step_async(self, actions: np.ndarray) -> None:
        a = np.asarray(actions)
        if a.shape != (self.num_envs, L.N_KEYS):
            raise ValueError(
                f"learner actions must have shape ({self.num_envs}, {L.N_KEYS}) (envs, keys); got {a.shape}"
            )
        check_values(a, "learner actions")
        self._actions = a

    def step_wait(self) -> VecEnvStepReturn:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        if self._actions is None:
            raise RuntimeError("call step_async() before step_wait()")
        n = self.num_envs
        keys2 = self._keys.reshape(2 * n, L.N_KEYS)
        held = self._held
        np.copyto(held, self._actions, casting="unsafe")  # values were checked to be exactly 0 or 1
        self._actions = None
        step_rew, step_done = self._step_rew, self._step_done
        step_rew[:] = 0.0
        step_done[:] = False  # the episode this step's decision was made in has ended
        infos: list[dict] = [NO_INFO] * n
        for _ in range(self.action_repeat):
            keys2[self._lflat] = held
            self._act_opponents(keys2)
            full, reward, terminated, truncated, info = self.batch.step(self._keys)
            lflat = self._lflat
            rew = reward.reshape(2 * n).take(lflat)
            self._ep_return += rew
            self._ep_len += 1
            terms = info["reward_terms"]
            self._ep_terms += terms.reshape(2 * n, terms.shape[2]).take(lflat, axis=0)
            # the rewards of an episode started inside the block count in no step (module docstring)
            np.add(step_rew, rew, out=step_rew, where=~step_done)
            dones = terminated | truncated
            if dones.any():
                ended = np.flatnonzero(dones)
                # a new episode ended inside the same block: too short to learn from
                if step_done[ended].any():
                    raise RuntimeError(
                        f"an episode ended within {self.action_repeat} frames of its start; "
                        "use a smaller action_repeat or a longer max_frames"
                    )
                self._finish_episodes(ended, info, terminated, truncated, infos)
                self._new_episodes(ended)
                held[ended] = 0  # the rest of the block: the new episode, no decision yet
                step_done[ended] = True
            full2 = full.reshape(2 * n, -1)
            full2.take(self._oflat, axis=0, out=self._opp_obs)
        self._episode_starts[:] = step_done
        # new arrays for the caller, as SB3's vector envs return them (SB3 keeps them across steps)
        return full2.take(self._lflat, axis=0), step_rew.copy(), step_done.copy(), infos

    def _act_opponents(self, keys2: np.ndarray) -> None:
        """Every opponent's keys for this frame into ``keys2`` ((2n, keys), row * 2 + slot).

        A method of its own so that the opponents benchmark can time it."""
        self.opponent_pool.act(self._opp_obs, keys2)

    def close(self) -> None:
        self.opponent_pool.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        idx = list(self._get_indices(indices))
        if attr_name == "learner_slot":
            return [int(self._slots[i]) for i in idx]
        if attr_name == "opponent_spec":
            return [self.opponent_pool.specs[i] for i in idx]
        if attr_name in ("render_mode", "observation_space", "action_space", "reward_names", "env_config"):
            value = getattr(self, attr_name)
            return [value for _ in idx]
        raise AttributeError(
            f"LeagueVecEnv has no per-env attribute {attr_name!r} (its matches share one "
            "BatchEnv; per-env attributes: learner_slot, opponent_spec, render_mode, "
            "observation_space, action_space, reward_names, env_config)"
        )

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        raise NotImplementedError(
            "LeagueVecEnv's matches share one BatchEnv and have no per-env attributes to "
            "set; configure the env through its constructor"
        )

    def env_method(
        self, method_name: str, *method_args, indices: VecEnvIndices = None, **method_kwargs
    ) -> list[Any]:
        raise NotImplementedError(
            "LeagueVecEnv's matches share one BatchEnv and have no per-env methods; call "
            "methods on the LeagueVecEnv (or its .batch) directly"
        )

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        # No gymnasium wrappers exist per match. The env emits Monitor's episode infos itself, so it
        # answers True for Monitor: SB3's evaluate_policy then reads info["episode"] as it would.
        from stable_baselines3.common.monitor import Monitor

        wrapped = isinstance(wrapper_class, type) and issubclass(Monitor, wrapper_class)
        return [wrapped for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None for _ in range(self.num_envs)]

    # --- episodes ---------------------------------------------------------------------------------
    def _finish_episodes(
        self, ended: np.ndarray, info: dict, terminated: np.ndarray, truncated: np.ndarray, infos: list[dict]
    ) -> None:
        final_obs = info["final_observation"]
        final_stats = info["final_stats"]
        result = info["result"]
        now = round(time.time() - self.t_start, 6)
        names = self.reward_names
        for k in ended.tolist():
            s = int(self._slots[k])
            spec = self.opponent_pool.specs[k]
            d = infos[k] = {}
            d["terminal_observation"] = final_obs[k, s].copy()
            if truncated[k] and not terminated[k]:
                d["TimeLimit.truncated"] = True
            length = int(self._ep_len[k])
            d["episode"] = {"r": round(float(self._ep_return[k]), 6), "l": length, "t": now}
            res = result_words(result[k])[s]
            terms = self._ep_terms[k]
            d["brawl"] = {
                "result": res,
                "opponent_kind": str(getattr(spec, "kind", type(spec).__name__)),
                "opponent_name": str(getattr(spec, "name", spec)),
                "slot": s,
                "stats": dict(zip(L.STAT_NAMES, final_stats[k, s].tolist())),
                "opponent_stats": dict(zip(L.STAT_NAMES, final_stats[k, 1 - s].tolist())),
                "reward_terms": dict(zip(names, terms.tolist())),
                "frames": length,
                "truncated": bool(truncated[k] and not terminated[k]),
            }
        self._ep_return[ended] = 0.0
        self._ep_len[ended] = 0
        self._ep_terms[ended] = 0.0

    def _new_episodes(self, rows: np.ndarray) -> None:
        """Start new episodes in ``rows``: draw slots, choose opponents, reset their per-row state."""
        rng = self.rng
        self._slots[rows] = rng.integers(0, 2, len(rows))
        self._lflat = 2 * self._rows + self._slots
        self._oflat = 2 * self._rows + 1 - self._slots
        self.opponent_pool.start_episodes(rows, self.choose_opponent, rng, self._oflat)


def _readonly(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.flags.writeable = False
    return v
