"""``LeagueVecEnv``: an SB3 ``VecEnv`` that trains one learner against league opponents, in process.

One SB3 env is one match of a single :class:`brawl_env.BatchEnv`; every VecEnv step is one
``BatchEnv.step`` for all matches. At the start of each episode of match ``k`` the env

- puts the learner in a random slot (0 or 1, from the env's own seeded generator), so it learns both
  sides of the (unmirrored) stage;
- asks ``choose_opponent(rng)`` for the opponent of that episode (an *opponent spec*), and takes the
  opponent object for it from a cache keyed by the spec, calling ``make_opponent(spec)`` only the first
  time a spec is seen: nothing is rebuilt or reloaded per episode (the original reloaded a snapshot from
  disk, twice, every self-play episode);
- tells that opponent object that a new episode starts in row ``k`` (``reset_rows``).

Every frame the opponent is given the observation of *that* frame from its own slot,
``obs[k, 1 - slot]`` (the original fed its opponents the frozen reset-time observation, so scripted bots
never reacted and snapshot opponents filled their history with one frame). Each distinct opponent
object is called once per step with all the rows it plays.

The opponent interface (:class:`Opponent`) is small so that neural-network opponents (snapshots, the
learner's mirror) can live in the trainer, batched on its device; :class:`BotOpponent` adapts scripted
:class:`~brawl_env.bots.Bot` classes, with vectorised fast paths for the built-in ConstantBot,
RandomBot, BasedBot and ClockworkBot.

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
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
from gymnasium.spaces import Box, MultiBinary
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvStepReturn

from brawl_env.batch import BatchEnv
from brawl_env.bots.base import Bot
from brawl_env.engine import layout as L
from brawl_env.engine.obs import ME_BASE, OPP_BASE, PLAYER_FIELDS, PLAYER_OFFSETS
from brawl_env.engine.rng import match_seed
from brawl_env.view import ObsView

__all__ = [
    "LeagueVecEnv", "Opponent", "OpponentSpec", "BotOpponent", "spec_key", "check_binary",
]

log = logging.getLogger(__name__)

RESULT_NAMES = {L.R_P0_WINS: ("win", "loss"), L.R_P1_WINS: ("loss", "win"), L.R_DRAW: ("draw", "draw")}


# ---------------------------------------------------------------------------------------------------
# opponents
# ---------------------------------------------------------------------------------------------------

@runtime_checkable
class Opponent(Protocol):
    """What the env needs from an opponent object (one object may play many matches at once).

    ``reset_rows(rows)`` (or ``reset_rows(rows, seeds)``: the env passes one 63-bit seed per row when
    the method accepts a ``seeds`` parameter) says new episodes start in these matches, so their
    per-match state (frame counters, recurrent state, observation history) must be cleared.
    ``act(obs, rows)`` gets the current observations ``(m, D)`` float32 of the rows ``(m,)`` it plays
    (its own view, itself first) and returns ``(m, 10)`` keys of 0/1; it is called once per frame for
    every row it plays, so per-row state advances by exactly one frame per call.

    The env checks that the returned keys are exactly 0/1 unless the object has a true attribute
    ``trusted_keys`` (it guarantees that itself).
    """

    def reset_rows(self, rows: np.ndarray) -> None: ...

    def act(self, obs: np.ndarray, rows: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class OpponentSpec:
    """A plain opponent spec: ``kind`` ("bot", "snapshot", "mirror" ...) and ``name`` for the logs;
    ``key`` groups specs that share one opponent object (default ``(kind, name)``)."""

    kind: str
    name: str
    key: Hashable = None

    def __post_init__(self):
        if self.key is None:
            object.__setattr__(self, "key", (self.kind, self.name))


def spec_key(spec: Any) -> Hashable:
    """The cache key of an opponent spec: its ``.key`` when it has one, else the spec itself."""
    key = getattr(spec, "key", None)
    if key is None:
        key = spec
    try:
        hash(key)
    except TypeError:
        raise TypeError(f"an opponent spec must be hashable or have a hashable .key; got {spec!r}") from None
    return key


def _accepts_seeds(method) -> bool:
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False
    return "seeds" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def check_binary(a: np.ndarray, who: str) -> None:
    """Raise unless every value of ``a`` is exactly 0 or 1 (bool, integer or float; nothing is rounded)."""
    kind = a.dtype.kind
    if kind == "b":
        return
    if kind not in "iuf":
        raise TypeError(f"{who}: keys must be bool, integer or float 0/1 values; got dtype {a.dtype}")
    bad = (a != 0) & (a != 1)  # NaN equals neither
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{who}: every key must be exactly 0 or 1; got {a[idx]!r} at index {idx}")


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser on uint64 arrays (wrapping arithmetic): a counter-based hash."""
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


_KEY_BITS = (np.uint64(1) << np.arange(L.N_KEYS, dtype=np.uint64))

_PF = {f.name: f for f in PLAYER_FIELDS}
_BASED_COLS = np.array([ME_BASE + PLAYER_OFFSETS["x"], ME_BASE + PLAYER_OFFSETS["y"],
                        OPP_BASE + PLAYER_OFFSETS["x"], OPP_BASE + PLAYER_OFFSETS["y"], ME_BASE + PLAYER_OFFSETS["vy"]])
_BASED_SCALES = np.array([_PF["x"].scale, _PF["y"].scale, _PF["x"].scale, _PF["y"].scale, _PF["vy"].scale],
                         np.float32)
_ME_GROUNDED = ME_BASE + PLAYER_OFFSETS["grounded"]
_OPP_GROUNDED = OPP_BASE + PLAYER_OFFSETS["grounded"]
_OPP_STATE = slice(OPP_BASE + PLAYER_OFFSETS["state"], OPP_BASE + PLAYER_OFFSETS["state"] + L.N_STATES)


class BotOpponent:
    """Scripted bots as an :class:`Opponent`: one bot per match row, each with its own state.

    :param bot: a :class:`~brawl_env.bots.Bot` subclass or a bot spec string (``"BasedBot"``,
        ``"file.py:Class"``, ``"module:Class"``).
    :param bot_kwargs: keyword arguments for the bot's constructor.
    :param seed: seeds the per-row seeds used when ``reset_rows`` is called without seeds.
    :param vectorised: use the array fast path for the built-ins (exact classes, not subclasses):
        ConstantBot, BasedBot and ClockworkBot give exactly the keys of one bot per row; RandomBot
        presses each key with probability 1/2 from a counter-based hash of (row seed, frame, key), so
        each row is seeded and reproducible on its own, though its stream differs from
        ``RandomBot``'s numpy generator. Other bots keep one instance per row and are called row by row.
    """

    def __init__(self, bot: type[Bot] | str, bot_kwargs: dict | None = None, *, seed: int = 0,
                 vectorised: bool = True):
        from brawl_env.bots import builtin as B
        from brawl_env.bots.registry import bot_class

        cls = bot_class(bot) if isinstance(bot, str) else bot
        if not (isinstance(cls, type) and issubclass(cls, Bot)):
            raise TypeError(f"BotOpponent needs a Bot subclass or a bot spec string; got {bot!r}")
        self.bot_class = cls
        self.bot_kwargs = dict(bot_kwargs or {})
        self.name = cls.__name__
        self._seeder = np.random.default_rng(int(seed) & 0xFFFFFFFFFFFFFFFF)
        self._mode = "rows"
        if vectorised:
            self._mode = {B.ConstantBot: "constant", B.RandomBot: "random", B.BasedBot: "based",
                          B.ClockworkBot: "clockwork"}.get(cls, "rows")
        if self._mode == "clockwork":
            template = cls(**self.bot_kwargs)
            self._sheet = (np.stack(template.frames).astype(np.int8) if template.frames
                           else np.zeros((0, L.N_KEYS), np.int8))
            self._loop = bool(template.loop)
        elif self._mode == "based":
            found = basedbot_fingerprint()
            if found != BASEDBOT_FINGERPRINT:
                log.warning("BasedBot's code changed since BotOpponent's vectorised copy was written "
                            "(fingerprint %s, expected %s): running one BasedBot per row instead", found,
                            BASEDBOT_FINGERPRINT)
                self._mode = "rows"
            self._edge = float(cls.EDGE)
        # the fast paths return int8 0/1 by construction and the row path checks each bot's keys
        self.trusted_keys = True
        self._bots: dict[int, Bot] = {}             # row -> bot instance (generic path)
        self._t = np.zeros(0, np.int64)             # per-row frame counters (fast paths)
        self._seed = np.zeros(0, np.uint64)         # per-row seeds (RandomBot fast path)

    def __repr__(self) -> str:
        return f"BotOpponent({self.name}, mode={self._mode})"

    def _grow(self, rows: np.ndarray) -> None:
        need = int(rows.max()) + 1 if len(rows) else 0
        if need > len(self._t):
            self._t = np.concatenate([self._t, np.zeros(need - len(self._t), np.int64)])
            self._seed = np.concatenate([self._seed, np.zeros(need - len(self._seed), np.uint64)])

    def reset_rows(self, rows: np.ndarray, seeds: np.ndarray | None = None) -> None:
        rows = np.asarray(rows, np.int64)
        if seeds is None:
            seeds = self._seeder.integers(0, 2**63, len(rows))
        seeds = np.asarray(seeds).astype(np.uint64)
        if self._mode == "rows":
            for r, s in zip(rows.tolist(), seeds.tolist()):
                bot = self._bots.get(r)
                if bot is None:
                    bot = self._bots[r] = self.bot_class(**self.bot_kwargs)
                bot.reset(seed=int(s))
            return
        self._grow(rows)
        self._t[rows] = 0
        self._seed[rows] = seeds

    def act(self, obs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        m = len(rows)
        mode = self._mode
        if mode == "constant":
            return np.zeros((m, L.N_KEYS), np.int8)
        if mode == "rows":
            out = np.empty((m, L.N_KEYS), np.int8)
            for i, r in enumerate(rows.tolist()):
                bot = self._bots.get(r)
                if bot is None:  # a row never reset: start it as reset_rows would
                    self.reset_rows(np.array([r]))
                    bot = self._bots[r]
                keys = np.asarray(bot.act(ObsView(obs[i])))
                if keys.shape != (L.N_KEYS,):
                    raise ValueError(f"bot {self.name!r} returned keys of shape {keys.shape}; expected ({L.N_KEYS},)")
                check_binary(keys, f"bot {self.name!r}")
                out[i] = keys
            return out
        if m and int(rows.max()) >= len(self._t):  # rows never reset start at frame 0
            self._grow(rows)
        t = self._t[rows]
        self._t[rows] = t + 1
        if mode == "random":
            h = _splitmix64(self._seed[rows] ^ _splitmix64(t.astype(np.uint64)))
            return ((h[:, None] & _KEY_BITS) != 0).astype(np.int8)
        if mode == "clockwork":
            n_sheet = len(self._sheet)
            if n_sheet == 0:
                return np.zeros((m, L.N_KEYS), np.int8)
            if self._loop:
                return self._sheet[t % n_sheet]
            keys = self._sheet[np.minimum(t, n_sheet - 1)]
            keys[t >= n_sheet] = 0
            return keys
        return self._based(obs, t + 1)

    def _based(self, obs: np.ndarray, t: np.ndarray) -> np.ndarray:
        """BasedBot's plan (``brawl_env/bots/builtin.py``) on arrays; ``t`` is each row's counter after
        its increment, as ``self.t`` is inside ``BasedBot.act``. Fields are decoded as ``ObsView`` does
        (the float32 value times the field's scale) and then compared in float64, as the bot's
        ``float(...)`` does, so every comparison is the bot's bit for bit."""
        T = _tactics()
        vals = (obs[:, _BASED_COLS] * _BASED_SCALES).astype(np.float64)
        mx, my, ox, oy, mvy = vals[:, 0], vals[:, 1], vals[:, 2], vals[:, 3], vals[:, 4]
        me_grounded = obs[:, _ME_GROUNDED] > 0.5
        opp_grounded = obs[:, _OPP_GROUNDED] > 0.5
        ostate = obs[:, _OPP_STATE].argmax(axis=1)
        keys = np.zeros((len(obs), L.N_KEYS), np.int8)

        over = _floor_under(T, mx, my, 0.3)
        x0, x1, _ = _floor_fields(T, over)
        inside = (over >= 0) & (x0 < mx) & (mx < x1)
        off_stage = ~me_grounded & ~inside
        # off stage: steer for the opponent's floor (when it stands on one), else the nearer floor
        goal = np.where(opp_grounded, _floor_under(T, ox, oy + 0.1, 0.05), -1)
        nearest = np.where(mx > 0, T.FLOORS.index(T.RIGHT), T.FLOORS.index(T.LEFT))  # tactics.nearest_floor
        goal = np.where(goal >= 0, goal, nearest)
        gx0, gx1, gtop = _floor_fields(T, goal)
        aim = np.minimum(np.maximum(mx, gx0 + 1.0), gx1 - 1.0)
        falling = off_stage & (mvy < 0.0) & (my < gtop + 1.5)
        near = (ox - mx) ** 2 + (oy - my) ** 2 < 4.0
        edge = self._edge
        at_end = ~off_stage & ((mx > T.RIGHT.x1 - edge) | (mx < T.LEFT.x0 + edge))
        turn = at_end & ~near  # near the opponent it stands at the end and jabs
        chase = ~off_stage & ~at_end & (ostate != L.S_STUN) & (ostate != L.S_KO)
        go_right = (off_stage & (aim > mx)) | (turn & ~(mx > 0)) | (chase & (ox > mx))
        go_left = (off_stage & ~(aim > mx)) | (turn & (mx > 0)) | (chase & ~(ox > mx))
        keys[:, L.K_RIGHT] = go_right
        keys[:, L.K_LEFT] = go_left
        keys[:, L.K_JUMP] = (falling | (oy > my + 0.1)) & (t % 2 == 0)
        keys[:, L.K_LIGHT] = ~off_stage & near
        return keys


def _tactics():
    from brawl_env.bots import tactics

    return tactics


def _floor_under(T, x: np.ndarray, y: np.ndarray, slack: float) -> np.ndarray:
    """``tactics.floor_under`` on arrays: the index in ``tactics.FLOORS`` of the first floor found, or -1."""
    out = np.full(len(x), -1, np.int64)
    for i, f in enumerate(T.FLOORS):
        hit = (out < 0) & (x + T.HALF_W > f.x0) & (x - T.HALF_W < f.x1) & (y - T.HALF_H >= f.top - slack)
        out[hit] = i
    return out


def _floor_fields(T, idx: np.ndarray):
    """x0, x1, top of the floors ``idx`` (NaN where -1, so every comparison with them is False)."""
    rows = _floor_table(T.FLOORS)[idx]  # -1 picks the NaN row
    return rows[:, 0], rows[:, 1], rows[:, 2]


@functools.cache
def _floor_table(floors) -> np.ndarray:
    return np.array([[f.x0, f.x1, f.top] for f in floors] + [[np.nan] * 3], np.float64)


def _fingerprint(*objs) -> str:
    """A hash of the source of ``objs``, ignoring blank lines, comment lines and indentation (None if
    unreadable). Plain text on purpose: ``ast.dump`` (and f-string tokens) differ between Python
    versions, which would silently switch the fast path off on another Python."""
    import hashlib

    digest = hashlib.sha256()
    for obj in objs:
        try:
            text = inspect.getsource(obj)
        except (OSError, TypeError):
            return None
        lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
        digest.update("\n".join(lines).encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def basedbot_fingerprint() -> str | None:
    """The fingerprint of the code :meth:`BotOpponent._based` reproduces (BasedBot and the stage
    helpers it calls). When it is not :data:`BASEDBOT_FINGERPRINT`, BasedBot changed after the fast
    path was written: ``BotOpponent`` then runs one BasedBot per row (correct, slower) and warns."""
    from brawl_env.bots.builtin import BasedBot

    T = _tactics()
    return _fingerprint(BasedBot, T.floor_under, T.nearest_floor, T.Floor.clamp, T.Floor.overlaps)


#: the fingerprint of the BasedBot that ``BotOpponent._based`` reproduces (update both together)
BASEDBOT_FINGERPRINT = "4120d25e06e88005"


# ---------------------------------------------------------------------------------------------------
# the VecEnv
# ---------------------------------------------------------------------------------------------------

class _Group:
    """One opponent object and the rows it plays, with the precomputed indices it needs each step."""

    __slots__ = ("opponent", "rows", "flat")

    def __init__(self, opponent, rows: np.ndarray, flat: np.ndarray):
        # flat: row * 2 + opponent slot, an index into the (2n, ...) views of the batch arrays
        self.opponent, self.rows, self.flat = opponent, rows, flat


class LeagueVecEnv(VecEnv):
    """``n_envs`` matches, learner against per-episode opponents (see the module docstring).

    :param n_envs: number of matches (= SB3 envs).
    :param env_config: ``brawl_env.EnvConfig`` keys (``rewards="guide"``, ``max_frames`` ...).
    :param choose_opponent: ``rng -> spec``, called once per episode with the env's own generator.
    :param make_opponent: ``spec -> Opponent``, called once per distinct spec key (see :func:`spec_key`).
    :param seed: seeds the first ``reset``; ``seed(s)`` then ``reset()`` replays everything from ``s``.
    :param action_repeat: frames per VecEnv step (the learner's keys are held that long); 1 = every frame.
    :param max_cached_opponents: keep at most this many opponent objects; beyond it the least recently
        chosen ones not playing any match are dropped (``close()`` is called on them when they have
        one). ``None``: keep all.

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
        make_opponent: Callable[[Any], Opponent],
        seed: int = 0,
        action_repeat: int = 1,
        max_cached_opponents: int | None = None,
    ):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an integer; got {seed!r}")
        if isinstance(action_repeat, bool) or not isinstance(action_repeat, (int, np.integer)) or action_repeat < 1:
            raise ValueError(f"action_repeat must be an integer >= 1 (frames per decision); got {action_repeat!r}")
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
        self._lflat = 2 * self._rows            # row * 2 + learner slot
        self._oflat = 2 * self._rows + 1        # row * 2 + opponent slot
        self._specs: list[Any] = [None] * n
        self._row_keys: list[Hashable] = [None] * n
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._seeds_kw: dict[int, bool] = {}
        self._groups: list[_Group] = []
        self._ep_return = np.zeros(n, np.float64)
        self._ep_len = np.zeros(n, np.int64)
        self._ep_terms = np.zeros((n, len(self.reward_names)), np.float64)
        self._episode_starts = np.ones(n, bool)
        self._opp_obs = np.zeros((n, self.batch.obs_dim), np.float32)
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
        return list(self._specs)

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
        return dict(self._cache)

    # --- SB3 VecEnv API ---------------------------------------------------------------------------
    def seed(self, seed: int | None = None) -> list[int]:
        """Seeds the next ``reset()``: match ``k`` plays from ``match_seed(seed, k)`` and the env's
        generator (slots, opponent choice, opponent seeds) restarts from ``seed``. Returns the match
        seeds."""
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0] >> np.uint64(1))
        seed = int(seed)
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
        self._specs = [None] * self.num_envs
        self._row_keys = [None] * self.num_envs
        self._new_episodes(self._rows)
        self._episode_starts = np.ones(self.num_envs, bool)
        self._started = True
        self._actions = None
        self.reset_infos = [{} for _ in range(self.num_envs)]
        full2 = full.reshape(2 * self.num_envs, -1)
        self._opp_obs = full2.take(self._oflat, axis=0)
        return full2.take(self._lflat, axis=0)

    def step_async(self, actions: np.ndarray) -> None:
        a = np.asarray(actions)
        if a.shape != (self.num_envs, L.N_KEYS):
            raise ValueError(f"learner actions must have shape ({self.num_envs}, {L.N_KEYS}) (envs, keys); got {a.shape}")
        check_binary(a, "learner actions")
        self._actions = a

    def step_wait(self) -> VecEnvStepReturn:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        if self._actions is None:
            raise RuntimeError("call step_async() before step_wait()")
        n = self.num_envs
        keys2 = self._keys.reshape(2 * n, L.N_KEYS)
        held = np.array(self._actions, dtype=np.uint8, copy=True)
        self._actions = None
        step_rew = np.zeros(n, np.float32)
        step_done = np.zeros(n, bool)          # the episode this step's decision was made in has ended
        infos: list[dict] = [{} for _ in range(n)]
        for _ in range(self.action_repeat):
            keys2[self._lflat] = held
            for g in self._groups:
                out = np.asarray(g.opponent.act(self._opp_obs[g.rows], g.rows))
                if out.shape != (len(g.rows), L.N_KEYS):
                    raise ValueError(f"opponent {g.opponent!r} returned keys of shape {out.shape}; expected "
                                     f"({len(g.rows)}, {L.N_KEYS})")
                if not getattr(g.opponent, "trusted_keys", False):
                    check_binary(out, f"opponent {g.opponent!r}")
                keys2[g.flat] = out
            full, reward, terminated, truncated, info = self.batch.step(self._keys)
            lflat = self._lflat
            rew = reward.reshape(2 * n).take(lflat)
            self._ep_return += rew
            self._ep_len += 1
            terms = info["reward_terms"]
            self._ep_terms += terms.reshape(2 * n, terms.shape[2]).take(lflat, axis=0)
            step_rew += np.where(step_done, 0.0, rew).astype(np.float32)
            dones = terminated | truncated
            if dones.any():
                ended = np.flatnonzero(dones)
                first = ended[~step_done[ended]]
                if first.size < ended.size:  # a new episode ended inside the same block: too short to learn from
                    raise RuntimeError(f"an episode ended within {self.action_repeat} frames of its start; "
                                       "use a smaller action_repeat or a longer max_frames")
                self._finish_episodes(ended, info, terminated, truncated, infos)
                self._new_episodes(ended)
                held[ended] = 0               # the rest of the block: the new episode, no decision yet
                step_done[ended] = True
            full2 = full.reshape(2 * n, -1)
            self._opp_obs = full2.take(self._oflat, axis=0)
        self._episode_starts = step_done.copy()
        return full2.take(self._lflat, axis=0), step_rew, step_done, infos

    def close(self) -> None:
        for opp in self._cache.values():
            closer = getattr(opp, "close", None)
            if callable(closer):
                closer()
        self._cache.clear()
        self._groups = []

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        idx = list(self._get_indices(indices))
        if attr_name == "learner_slot":
            return [int(self._slots[i]) for i in idx]
        if attr_name == "opponent_spec":
            return [self._specs[i] for i in idx]
        if attr_name in ("render_mode", "observation_space", "action_space", "reward_names", "env_config"):
            value = getattr(self, attr_name)
            return [value for _ in idx]
        raise AttributeError(f"LeagueVecEnv has no per-env attribute {attr_name!r} (its matches share one "
                             "BatchEnv; per-env attributes: learner_slot, opponent_spec, render_mode, "
                             "observation_space, action_space, reward_names, env_config)")

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        raise NotImplementedError("LeagueVecEnv's matches share one BatchEnv and have no per-env attributes to "
                                  "set; configure the env through its constructor")

    def env_method(self, method_name: str, *method_args, indices: VecEnvIndices = None, **method_kwargs) -> list[Any]:
        raise NotImplementedError("LeagueVecEnv's matches share one BatchEnv and have no per-env methods; call "
                                  "methods on the LeagueVecEnv (or its .batch) directly")

    def env_is_wrapped(self, wrapper_class: type, indices: VecEnvIndices = None) -> list[bool]:
        # No gymnasium wrappers exist per match. The env emits Monitor's episode infos itself, so it
        # answers True for Monitor: SB3's evaluate_policy then reads info["episode"] as it would.
        from stable_baselines3.common.monitor import Monitor

        wrapped = isinstance(wrapper_class, type) and issubclass(Monitor, wrapper_class)
        return [wrapped for _ in self._get_indices(indices)]

    def get_images(self) -> Sequence[np.ndarray | None]:
        return [None for _ in range(self.num_envs)]

    # --- episodes ---------------------------------------------------------------------------------
    def _finish_episodes(self, ended: np.ndarray, info: dict, terminated: np.ndarray, truncated: np.ndarray,
                         infos: list[dict]) -> None:
        final_obs = info["final_observation"]
        final_stats = info["final_stats"]
        result = info["result"]
        now = round(time.time() - self.t_start, 6)
        names = self.reward_names
        for k in ended.tolist():
            s = int(self._slots[k])
            spec = self._specs[k]
            d = infos[k]
            d["terminal_observation"] = final_obs[k, s].copy()
            if truncated[k] and not terminated[k]:
                d["TimeLimit.truncated"] = True
            length = int(self._ep_len[k])
            d["episode"] = {"r": round(float(self._ep_return[k]), 6), "l": length, "t": now}
            res = RESULT_NAMES.get(int(result[k]), ("draw", "draw"))[s]
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
        touched: dict[Hashable, list[int]] = {}
        for k in rows.tolist():
            spec = self.choose_opponent(rng)
            key = spec_key(spec)
            if key not in self._cache:
                self._cache[key] = self.make_opponent(spec)
            else:
                self._cache.move_to_end(key)
            self._specs[k] = spec
            self._row_keys[k] = key
            touched.setdefault(key, []).append(k)
        seeds = rng.integers(0, 2**63, len(rows), dtype=np.int64)
        seed_of = dict(zip(rows.tolist(), seeds.tolist()))
        for key, ks in touched.items():
            opp = self._cache[key]
            r = np.asarray(ks, np.int64)
            wants = self._seeds_kw.get(id(opp))
            if wants is None:
                wants = self._seeds_kw[id(opp)] = _accepts_seeds(opp.reset_rows)
            if wants:
                opp.reset_rows(r, seeds=np.asarray([seed_of[k] for k in ks], np.int64))
            else:
                opp.reset_rows(r)
        self._evict()
        self._regroup()

    def _regroup(self) -> None:
        # grouped by object, not by key: an object that serves several keys is still called once
        by_obj: dict[int, tuple[Any, list[int]]] = {}
        for k, key in enumerate(self._row_keys):
            opp = self._cache[key]
            by_obj.setdefault(id(opp), (opp, []))[1].append(k)
        groups = []
        for opp, ks in by_obj.values():
            r = np.asarray(ks, np.int64)
            groups.append(_Group(opp, r, self._oflat[r]))
        self._groups = groups

    def _evict(self) -> None:
        limit = self.max_cached_opponents
        if limit is None or len(self._cache) <= limit:
            return
        in_use = set(self._row_keys)
        for key in list(self._cache):
            if len(self._cache) <= limit:
                break
            if key in in_use:
                continue
            opp = self._cache.pop(key)
            self._seeds_kw.pop(id(opp), None)
            closer = getattr(opp, "close", None)
            if callable(closer):
                closer()


def _readonly(a: np.ndarray) -> np.ndarray:
    v = a.view()
    v.flags.writeable = False
    return v
