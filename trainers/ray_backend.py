"""``RayVecEnv``: the training matches split into shards, each a Ray actor running a ``LeagueVecEnv``.

The learner (one process, the GPU's if there is one) keeps the policy, the league and the run's files;
the shards keep the game: shard ``k`` is a Ray actor that owns a :class:`trainers.envs.LeagueVecEnv` of
its share of the matches and the opponent objects playing in them. To the learner this is one SB3
``VecEnv`` of ``n_envs`` matches, so PPO, the callbacks, the CSVs and the checkpoints are those of a
local run.

- **A vector step** sends each shard its rows of the learner's actions in one remote call each, then
  waits for all of them with one ``ray.get``: the shards step their engines, scripted bots and network
  opponents at the same time, and return observations, rewards, dones and the SB3 infos (episode
  results included), which are concatenated in shard order.
- **Opponent picks stay with the learner.** ``choose_opponent`` (the league's sampler) runs in the
  learner process only; every shard holds a queue of picks the learner drew for it, and a new episode
  takes the next one. A shard never holds fewer picks than matches (an episode starts at most once per
  match per step): reset sends ``2 x matches``, and each step returns how many it took, which the next
  step sends again. A pick is therefore drawn up to one step before its episode starts (a local run
  draws it at the start): weights the league changes at the end of a rollout reach picks a step later.
- **Opponents are shipped once.** The first pick of an opponent key calls ``ship_opponent(spec)``
  (plain data a shard can build the opponent from, for the plugin an agent spec with its file's
  bytes); that is ``ray.put`` once and every later pick of the key carries only the reference. A shard
  builds each opponent object once (``LeagueVecEnv``'s cache) with ``opponents.make(pick, payload)``.
- **The learner's own weights** (the mirror opponent: ``ship_opponent`` returns None for it) go to the
  shards only once such a pick has been drawn, and then whenever ``weights_version()`` changes (after
  each update): ``ray.put`` once, shared by all shards, handed to ``opponents.set_weights``.
- **League writes stay with the learner**: results come back in the infos and the trainer records
  them in its league database, which one process writes.
- **Seeds**: shard 0 plays from the run's seed itself (so a one-shard run plays the matches of a local
  run), shard ``k > 0`` from :func:`shard_seeds` (a hash of the seed and ``k``), so runs replay.
- **Ray itself**: joined where ``ray.init`` was already called (a test's instance), connected to
  ``address`` where one is given, else a local instance with one CPU per shard is started, and shut
  down again by :meth:`RayVecEnv.close` only then. ``close`` kills the shard actors (also after errors
  and Ctrl-C: the trainer closes its env in a ``finally``).

Episode times in ``infos[k]["episode"]["t"]`` are re-stamped by the learner against its own clock.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvStepReturn

from brawl_env.config import check_seed

__all__ = [
    "RAY_MISSING",
    "RayBackendError",
    "OpponentBuilder",
    "RayVecEnv",
    "ShardPick",
    "ray_session",
    "shard_sizes",
    "shard_seeds",
]

log = logging.getLogger(__name__)

RAY_MISSING = (
    "the Ray backend needs the optional 'ray' package: pip install 'brawl-league[ray]' (or pip install ray)"
)


CLOSE_WAIT_S = 10.0
"""Seconds ``RayVecEnv.close`` waits for the shards to leave on their own before killing them."""


class RayBackendError(RuntimeError):
    """Ray is missing, or a shard failed (the message carries the shard's traceback)."""


def import_ray():
    """``ray``, or a :class:`RayBackendError` saying how to install it (Ray is an optional extra)."""
    try:
        import ray
    except ImportError as err:
        raise RayBackendError(f"{RAY_MISSING} ({err})") from None
    return ray


# ---------------------------------------------------------------------------------------------------
# splitting and seeding
# ---------------------------------------------------------------------------------------------------


def shard_sizes(n_envs: int, shards: int) -> list[int]:
    """Matches per shard: as even as can be, the first ``n_envs % shards`` shards one more."""
    if isinstance(shards, bool) or not isinstance(shards, (int, np.integer)) or not 1 <= shards <= n_envs:
        raise ValueError(f"shards must be an integer from 1 to the number of envs ({n_envs}); got {shards!r}")
    base, extra = divmod(int(n_envs), int(shards))
    return [base + (k < extra) for k in range(int(shards))]


def shard_seeds(seed: int, shards: int) -> list[int]:
    """The seed of each shard's ``LeagueVecEnv``: shard 0 the seed itself, shard ``k`` a 64-bit hash of
    (seed, k) (numpy's ``SeedSequence``), so shards play distinct matches and a run replays."""
    seed = check_seed(seed)
    return [seed] + [
        int(np.random.SeedSequence([0x5348, seed, k]).generate_state(1, np.uint64)[0])
        for k in range(1, int(shards))
    ]


# ---------------------------------------------------------------------------------------------------
# what travels to a shard
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShardPick:
    """One opponent pick as a shard receives it: ``kind``/``name`` for the infos, ``key`` for the
    opponent cache, ``payload`` a Ray reference to what the opponent is built from (None: the learner's
    own weights, sent separately)."""

    kind: str
    name: str
    key: Hashable
    payload: Any = field(default=None, compare=False, repr=False)


class OpponentBuilder(Protocol):
    """Builds opponent objects inside a shard. Sent to each shard once (it must pickle), so it holds
    settings, not networks."""

    def make(self, pick: ShardPick, payload: Any) -> Any:
        """The opponent agent (``brawl_env.bots.Agent``) of a pick; ``payload`` is what
        ``ship_opponent`` returned for it (None for the learner's mirror)."""

    def set_weights(self, weights: Any) -> None:
        """The learner's current weights (for mirror opponents, now or later)."""


class _Shard:
    """The body of a shard actor (wrapped by ``ray.remote`` at run time: Ray is optional)."""

    def __init__(
        self,
        index: int,
        n_envs: int,
        env_config: dict,
        seed: int,
        action_repeat: int,
        opponents: OpponentBuilder,
    ):
        from trainers.envs import LeagueVecEnv

        self.index = index
        self.opponents = opponents
        self.queue: deque[ShardPick] = deque()
        self.used = 0
        self.env = LeagueVecEnv(
            n_envs,
            env_config=env_config,
            choose_opponent=self._choose,
            make_opponent=self._make,
            seed=seed,
            action_repeat=action_repeat,
        )

    def _choose(self, rng) -> ShardPick:
        if not self.queue:  # the learner keeps at least one pick per match queued: a bug if it did not
            raise RuntimeError(f"shard {self.index} ran out of opponent picks")
        self.used += 1
        return self.queue.popleft()

    def _make(self, pick: ShardPick):
        payload = pick.payload
        if payload is not None:
            import ray

            payload = ray.get(payload)
        return self.opponents.make(pick, payload)

    def _take(self, picks: list[ShardPick], weights: Any) -> None:
        if weights is not None:
            self.opponents.set_weights(weights)
        self.queue.extend(picks)
        self.used = 0

    def describe(self) -> dict:
        env = self.env
        return {
            "observation_space": env.observation_space,
            "action_space": env.action_space,
            "reward_names": env.reward_names,
            "num_envs": env.num_envs,
            "pid": os.getpid(),
        }

    def seed(self, seed: int | None) -> list[int]:
        return self.env.seed(seed)

    def reset(self, picks: list[ShardPick], weights: Any) -> tuple[np.ndarray, int]:
        self.queue.clear()
        self._take(picks, weights)
        return self.env.reset(), self.used

    def step(self, actions: np.ndarray, picks: list[ShardPick], weights: Any):
        self._take(picks, weights)
        self.env.step_async(actions)
        obs, rewards, dones, infos = self.env.step_wait()
        return obs, rewards, dones, infos, self.used

    def get_attr(self, name: str, indices: list[int]) -> list[Any]:
        return self.env.get_attr(name, indices)

    def env_is_wrapped(self, wrapper_class: type, indices: list[int]) -> list[bool]:
        return self.env.env_is_wrapped(wrapper_class, indices)

    def ping(self) -> int:
        return self.index

    def exit(self) -> None:
        import ray

        ray.actor.exit_actor()


# ---------------------------------------------------------------------------------------------------
# Ray itself
# ---------------------------------------------------------------------------------------------------


class ray_session:  # noqa: N801 - used like a function: ``with ray_session(...)``
    """Ray for this process: joined if already initialised, connected to ``address`` if given, else a
    local instance of ``num_cpus`` CPUs started, whose workers import the modules this process imports
    (``PYTHONPATH`` from ``sys.path``, as the tournament's local workers do). ``close`` shuts Ray down
    only if it was started here."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None):
        self.ray = ray = import_ray()
        self.started = False
        if ray.is_initialized():
            return
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            paths = [p for p in sys.path if p and os.path.isdir(p)]
            env_vars = {
                "PYTHONPATH": os.pathsep.join([*filter(None, [os.environ.get("PYTHONPATH")]), *paths])
            }
            ray.init(
                num_cpus=num_cpus,
                include_dashboard=False,
                log_to_driver=False,
                runtime_env={"env_vars": env_vars},
            )
        self.started = True

    def close(self) -> None:
        if self.started:
            self.started = False
            self.ray.shutdown()

    def __enter__(self) -> ray_session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------------
# the VecEnv
# ---------------------------------------------------------------------------------------------------


class RayVecEnv(VecEnv):
    """``n_envs`` matches in ``shards`` Ray actors (see the module docstring).

    :param n_envs: matches in all (= SB3 envs), split by :func:`shard_sizes`.
    :param shards: Ray actors (one CPU each), from 1 to ``n_envs``.
    :param env_config: ``brawl_env.EnvConfig`` keys, for every shard.
    :param choose_opponent: ``rng -> spec`` in the learner (``rng``: the learner's generator, seeded
        from ``seed``); a spec has ``kind``, ``name`` and a hashable, picklable ``key``.
    :param ship_opponent: ``spec -> payload``, called once per spec key: plain data the shards'
        ``opponents.make`` builds the opponent from, or None for the learner's own weights.
    :param opponents: the shard-side builder (:class:`OpponentBuilder`), pickled to every shard.
    :param seed: the run's seed (:func:`shard_seeds`); ``seed(s)`` then ``reset()`` replays from ``s``.
    :param action_repeat: frames per step (``LeagueVecEnv``'s).
    :param weights_version: ``() -> hashable`` that changes when the learner's weights do (without
        it, the weights go with every step once a shard may need them).
    :param weights: ``() -> picklable`` weights for ``opponents.set_weights``.
    :param address: a Ray cluster's address (see :class:`ray_session`).
    """

    def __init__(
        self,
        n_envs: int,
        shards: int,
        *,
        env_config: dict | None = None,
        choose_opponent: Callable[[np.random.Generator], Any],
        ship_opponent: Callable[[Any], Any],
        opponents: OpponentBuilder,
        seed: int = 0,
        action_repeat: int = 1,
        weights_version: Callable[[], Hashable] | None = None,
        weights: Callable[[], Any] | None = None,
        address: str | None = None,
    ):
        seed = check_seed(seed)
        sizes = shard_sizes(n_envs, shards)
        self.choose_opponent, self.ship_opponent = choose_opponent, ship_opponent
        self.weights_version, self.weights = weights_version, weights
        self.sizes = sizes
        self.bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
        self.rng = np.random.default_rng([0x5241, seed])
        self._payloads: dict[Hashable, Any] = {}
        self._want_weights = False
        self._sent_version: Any = None
        self._owed = [2 * s for s in sizes]
        self._pending: list | None = None
        self._actors: list = []
        self._closed = False
        self.render_mode = None
        self.session = ray_session(address, num_cpus=len(sizes))
        self.ray = ray = self.session.ray
        try:
            actor = ray.remote(num_cpus=1, max_restarts=0)(_Shard)
            seeds = shard_seeds(seed, len(sizes))
            self._actors = [
                actor.remote(k, size, dict(env_config or {}), seeds[k], action_repeat, opponents)
                for k, size in enumerate(sizes)
            ]
            described = self._get([a.describe.remote() for a in self._actors], "starting")
        except BaseException:
            self.close()
            raise
        self.actors = tuple(self._actors)  # the handles, for inspection (a closed env's are dead)
        first = described[0]
        self.reward_names: tuple[str, ...] = tuple(first["reward_names"])
        self.shard_pids = [d["pid"] for d in described]
        self.t_start = time.time()
        super().__init__(n_envs, first["observation_space"], first["action_space"])

    # --- plumbing ---------------------------------------------------------------------------------
    def _get(self, refs: list, what: str) -> list:
        """``ray.get`` of one call per shard; a failure names the shard and carries its traceback."""
        ray = self.ray
        try:
            return ray.get(refs)
        except ray.exceptions.RayError:
            first = None  # every shard's outcome is read (Ray logs errors nobody read), the first raised
            for k, ref in enumerate(refs):
                try:
                    ray.get(ref)
                except ray.exceptions.RayTaskError as err:
                    first = first or RayBackendError(f"shard {k} failed while {what}:\n{err}")
                except ray.exceptions.RayError as err:
                    first = first or RayBackendError(
                        f"shard {k}'s Ray actor was lost while {what} ({type(err).__name__}: {err})"
                    )
            if first is not None:
                raise first from None
            raise

    def _draw(self, count: int) -> list[ShardPick]:
        picks = []
        for _ in range(count):
            spec = self.choose_opponent(self.rng)
            key = spec.key
            if key not in self._payloads:
                payload = self.ship_opponent(spec)
                self._payloads[key] = None if payload is None else self.ray.put(payload)
            ref = self._payloads[key]
            self._want_weights |= ref is None
            picks.append(ShardPick(str(spec.kind), str(spec.name), key, ref))
        return picks

    def _picks(self) -> list[list[ShardPick]]:
        picks = [self._draw(n) for n in self._owed]
        self._owed = [0] * len(self.sizes)
        return picks

    def _weights_ref(self):
        """A reference to the learner's weights when a shard may need them and they changed, else None."""
        if not self._want_weights or self.weights is None:
            return None
        version = self.weights_version() if self.weights_version is not None else object()
        if self._sent_version is not None and version == self._sent_version:
            return None
        self._sent_version = version
        return self.ray.put(self.weights())

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("this RayVecEnv is closed")

    # --- SB3 VecEnv API ---------------------------------------------------------------------------
    def seed(self, seed: int | None = None) -> list[int]:
        """Seeds the next ``reset()`` of every shard (:func:`shard_seeds`); returns all match seeds."""
        self._check_open()
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
        seeds = shard_seeds(seed, len(self.sizes))
        self.rng = np.random.default_rng([0x5241, seeds[0]])
        got = self._get([a.seed.remote(s) for a, s in zip(self._actors, seeds)], "seeding")
        return [s for shard in got for s in shard]

    def reset(self) -> np.ndarray:
        self._check_open()
        self._owed = [2 * s for s in self.sizes]  # a fresh queue: one pick per match, one step's worth more
        picks = self._picks()
        weights = self._weights_ref()
        got = self._get([a.reset.remote(p, weights) for a, p in zip(self._actors, picks)], "resetting")
        self._owed = [used - s for s, (_, used) in zip(self.sizes, got)]  # back to one pick per match
        self.reset_infos = [{} for _ in range(self.num_envs)]
        return np.concatenate([obs for obs, _ in got])

    def step_async(self, actions: np.ndarray) -> None:
        self._check_open()
        a = np.asarray(actions)
        if a.ndim < 1 or a.shape[0] != self.num_envs:
            raise ValueError(f"learner actions must have {self.num_envs} rows (envs); got shape {a.shape}")
        picks = self._picks()
        weights = self._weights_ref()
        b = self.bounds
        self._pending = [
            actor.step.remote(a[b[k] : b[k + 1]], picks[k], weights) for k, actor in enumerate(self._actors)
        ]

    def step_wait(self) -> VecEnvStepReturn:
        if self._pending is None:
            raise RuntimeError("call step_async() before step_wait()")
        refs, self._pending = self._pending, None
        got = self._get(refs, "stepping")
        now = round(time.time() - self.t_start, 6)
        infos: list[dict] = []
        for k, (_, _, _, shard_infos, used) in enumerate(got):
            self._owed[k] = used
            for info in shard_infos:
                if "episode" in info:
                    info["episode"]["t"] = now
                infos.append(info)
        obs = np.concatenate([g[0] for g in got])
        rewards = np.concatenate([g[1] for g in got])
        dones = np.concatenate([g[2] for g in got])
        return obs, rewards, dones, infos

    def close(self) -> None:
        """Kill the shard actors and shut Ray down if this env started it (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._pending = None
        actors, self._actors = self._actors, []
        ray = self.ray
        # each shard leaves after the call it is in (a step takes milliseconds); Ray reports a shard
        # that left as dead, so nothing sent to it later runs. A shard stuck past the wait is killed.
        exits = []
        for a in actors:
            try:
                exits.append(a.exit.remote())
            except Exception:  # noqa: BLE001 - already gone: nothing left to stop
                log.debug("shard actor already gone", exc_info=True)
        if exits:
            ray.wait(exits, num_returns=len(exits), timeout=CLOSE_WAIT_S)
        for a in actors:
            try:
                ray.kill(a, no_restart=True)
            except Exception:  # noqa: BLE001 - already gone: nothing left to stop
                log.debug("shard actor already gone", exc_info=True)
        self._payloads.clear()
        self.session.close()

    def _by_shard(self, indices: VecEnvIndices) -> list[tuple[int, list[int]]]:
        """Global env indices as (shard, local indices) in the order given."""
        out: list[tuple[int, list[int]]] = []
        for i in self._get_indices(indices):
            k = int(np.searchsorted(self.bounds, i, side="right")) - 1
            if out and out[-1][0] == k:
                out[-1][1].append(i - self.bounds[k])
            else:
                out.append((k, [i - self.bounds[k]]))
        return out

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        self._check_open()
        parts = self._by_shard(indices)
        got = self._get(
            [self._actors[k].get_attr.remote(attr_name, idx) for k, idx in parts], "reading attributes"
        )
        return [v for values in got for v in values]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        raise NotImplementedError(
            "RayVecEnv's matches live in Ray actors and have no per-env attributes to set; "
            "configure the env through its constructor"
        )

    def env_method(
        self, method_name: str, *method_args, indices: VecEnvIndices = None, **method_kwargs
    ) -> list[Any]:
        raise NotImplementedError("RayVecEnv's matches live in Ray actors and have no per-env methods")

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        self._check_open()
        parts = self._by_shard(indices)
        got = self._get(
            [self._actors[k].env_is_wrapped.remote(wrapper_class, idx) for k, idx in parts],
            "reading wrappers",
        )
        return [v for values in got for v in values]

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None for _ in range(self.num_envs)]
