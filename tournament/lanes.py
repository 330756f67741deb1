"""Playing a batch of matches in lock step: one engine, one lane per match, one call per agent per frame.

:func:`run_batch` steps every match of a batch together in one :class:`~brawl_env.engine.core.Engine`
(the core under :class:`~brawl_env.BatchEnv`, used here without auto-reset so a finished lane stays
finished). Each frame, every agent in the batch is asked once for the keys of all its live lanes:

- a **network** (:class:`NetworkPlayer`) runs one forward pass for all its lanes, each with its own LSTM
  state and encoder window; keys are drawn from its Bernoulli probabilities with a counter-based hash of
  (the lane's reset seed, frame, key), so every lane's draws are its own and independent of the batch;
- the built-in **ConstantBot, BasedBot and ClockworkBot** run on arrays
  (:class:`trainers.envs.BotOpponent`'s vectorised modes, which give exactly one bot's keys per lane);
- every **other bot** (RandomBot, the pilot bots, anyone's file or module bot) gets one instance per
  lane, each call guarded (:class:`LaneBots`).

Lanes never share state, a lane's agents are reset exactly as :func:`brawl_env.match.run_match` resets
them, and the engine steps each match as it would alone, so a match's result is the same as playing it
alone with ``run_match(a, b, seed=entry.seed)`` (the tests check it, bit for bit via the final state hash).

**Faults.** A guarded call that raises, returns anything but ten keys of exactly 0 or 1, uses more than
the bot's ``time_budget`` of CPU time (CPU, not wall time, so a loaded machine does not cost a bot its
match), or has not returned after ``hang_limit`` seconds of wall time (interrupted by a timer on the
main thread of a Unix process) forfeits that lane's match, and only that one. If both sides fault on
the same frame, slot 0's fault counts, as in ``run_match``. A batched player that raises forfeits all
its live lanes in the batch. A hang the timer cannot interrupt (inside C code, or a bot that blocks the
signal) is caught by the caller's watchdog, which reads the heartbeat this module writes.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from brawl_env.bots.base import Bot
from brawl_env.config import make_config
from brawl_env.engine import layout as L
from brawl_env.engine.core import Engine
from brawl_env.engine.rng import match_seed
from brawl_env.replay import pack_keys, state_hash
from brawl_env.view import ObsView

from .agents import AgentSpec, bot_class_for, build_policy
from .schedule import Entry

#: heartbeat slots: [beats, agent index acting (-1: none), lane (-1: all its lanes or none), frame]
HB_BEAT, HB_AGENT, HB_LANE, HB_FRAME = range(4)
HB_SIZE = 4

_SEED63 = 0x7FFFFFFFFFFFFFFF
_TICK = 0.05  # seconds between timer checks while guarded bots run


class _Timeout(BaseException):
    """Raised inside a bot's call by the timer once its hang limit has passed."""


class _Guard:
    """A periodic timer whose handler raises :class:`_Timeout` once ``deadline`` (perf_counter) passes."""

    def __init__(self) -> None:
        self.deadline = math.inf
        self.active = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
        self._previous = None

    def _handler(self, signum, frame):  # pragma: no cover - runs inside the signal
        now = time.perf_counter()
        if now > self.deadline:
            # re-armed: a bot that swallows the exception and keeps going is interrupted again next tick
            self.deadline = now + _TICK / 2
            raise _Timeout()

    def install(self) -> None:
        if self.active:
            self._previous = signal.signal(signal.SIGALRM, self._handler)

    def start(self) -> None:
        if self.active:
            if signal.getsignal(signal.SIGALRM) != self._handler:  # a bot replaced it
                signal.signal(signal.SIGALRM, self._handler)
            signal.setitimer(signal.ITIMER_REAL, _TICK, _TICK)

    def stop(self) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def uninstall(self) -> None:
        if self.active:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous if self._previous is not None else signal.SIG_DFL)


def _reason(err: BaseException, what: str) -> str:
    text = str(err).strip().replace("\n", " ")
    return (
        f"{what} raised {type(err).__name__}: {text[:300]}" if text else f"{what} raised {type(err).__name__}"
    )


class LaneBots:
    """One bot instance per lane, every call guarded (see the module docstring)."""

    batched = False

    def __init__(
        self,
        cls: type[Bot],
        name: str,
        guard: _Guard,
        hb,
        index: int,
        time_budget: float | None = None,
        hang_limit: float | None = None,
    ):
        self.cls, self.name, self.guard, self.hb, self.index = cls, name, guard, hb, index
        budget = getattr(cls, "time_budget", 0.05)
        self.budget = float(budget if time_budget is None else time_budget)
        self.hang = float(hang_limit if hang_limit is not None else max(10 * self.budget, 0.5))
        self.bots: dict[int, Bot] = {}

    def _call(self, lane: int, fn, what: str):
        """Run ``fn`` guarded; returns ``(value, None)`` or ``(None, reason)``. Only ``act`` has a CPU
        budget; creating and resetting a bot may take up to the larger of the hang limit and 5 s."""
        hb, guard = self.hb, self.guard
        hb[HB_LANE] = lane
        hb[HB_BEAT] += 1
        hang = self.hang if what == "act" else max(self.hang, 5.0)
        t0 = time.thread_time()
        try:
            guard.deadline = time.perf_counter() + hang
            value = fn()
            guard.deadline = math.inf
        except _Timeout:
            guard.deadline = math.inf
            return None, f"{what} did not return within {hang:g} s (interrupted)"
        except BaseException as err:  # noqa: BLE001 - anything a bot raises (even SystemExit) is its forfeit
            guard.deadline = math.inf
            return None, _reason(err, what)
        used = time.thread_time() - t0
        if what == "act" and used > self.budget:
            return None, f"{what} used {used:.3f} s of CPU, over its per-frame budget of {self.budget:g} s"
        return value, None

    def start(self, lanes: np.ndarray, seeds: np.ndarray) -> list[tuple[int, str]]:
        faults = []
        self.guard.start()
        try:
            for i, (lane, seed) in enumerate(zip(lanes.tolist(), seeds.tolist())):
                bot, why = self._call(lane, self.cls, "creating the bot")
                if why is None:
                    self.bots[lane] = bot
                    _, why = self._call(lane, lambda b=bot, s=seed: b.reset(seed=int(s)), "reset")
                if why is not None:
                    faults.append((i, why))
        finally:
            self.guard.stop()
        return faults

    def act(self, obs: np.ndarray, lanes: np.ndarray) -> tuple[np.ndarray, list[tuple[int, str]]]:
        m = len(lanes)
        raw = np.zeros((m, L.N_KEYS), np.float64)
        faults: list[tuple[int, str]] = []
        failed = np.zeros(m, bool)
        bots = self.bots
        self.guard.start()
        try:
            for i, lane in enumerate(lanes.tolist()):
                bot = bots[lane]
                keys, why = self._call(lane, lambda b=bot, o=obs[i]: b.act(ObsView(o)), "act")
                if why is None:
                    why = _store(keys, raw, i)
                if why is not None:
                    faults.append((i, why))
                    failed[i] = True
        finally:
            self.guard.stop()
        bad = ((raw != 0) & (raw != 1)).any(axis=1) & ~failed
        for i in np.flatnonzero(bad).tolist():
            j = int(np.flatnonzero((raw[i] != 0) & (raw[i] != 1))[0])
            faults.append((i, f"bad keys: every key must be exactly 0 or 1; got {raw[i, j]:g} at index {j}"))
        raw[failed | bad] = 0
        return raw.astype(np.int8), faults


def _store(keys: Any, raw: np.ndarray, i: int) -> str | None:
    """Copy one bot's keys into ``raw[i]`` (values checked afterwards); a reason if they cannot be keys."""
    a = keys if type(keys) is np.ndarray else None
    if a is None:
        try:
            a = np.asarray(keys)
        except Exception as err:  # noqa: BLE001
            return f"bad keys: not an array of 10 keys ({type(err).__name__})"
    if a.shape != (L.N_KEYS,):
        return f"bad keys: an action is {L.N_KEYS} keys, shape ({L.N_KEYS},); got shape {a.shape}"
    if a.dtype.kind not in "biuf":
        return f"bad keys: keys must be bool, integer or float 0/1 values; got dtype {a.dtype}"
    raw[i] = a
    return None


class IdleBot:
    """ConstantBot for all its lanes: no keys, ever (no need to import the trainer's fast paths)."""

    batched = True

    def start(self, lanes: np.ndarray, seeds: np.ndarray) -> list:
        return []

    def act(self, obs: np.ndarray, lanes: np.ndarray) -> tuple[np.ndarray, list]:
        return np.zeros((len(lanes), L.N_KEYS), np.int8), []


class VectorBot:
    """A built-in bot run on arrays for all its lanes (``trainers.envs.BotOpponent``'s fast paths)."""

    batched = True

    def __init__(self, cls: type[Bot]):
        from brawl_env.bots import bot_agent

        self.opponent = bot_agent(cls, seed=0)

    def start(self, lanes: np.ndarray, seeds: np.ndarray) -> list[tuple[int, str]]:
        self.opponent.reset_rows(lanes, seeds)
        return []

    def act(self, obs: np.ndarray, lanes: np.ndarray) -> tuple[np.ndarray, list]:
        return self.opponent.act(obs, lanes), []


def vectorised_mode(cls: type[Bot]) -> bool:
    """True when :class:`VectorBot` reproduces ``cls`` exactly (RandomBot's fast path does not: its
    stream differs from RandomBot's own generator, so RandomBot plays per lane)."""
    from brawl_env.bots import builtin as B

    return cls in (B.ConstantBot, B.ClockworkBot, B.BasedBot)


_U53 = 1.0 / (1 << 53)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class NetworkPlayer:
    """A network acting for all its lanes at once (see the module docstring).

    :param deterministic: press a key when its probability is above 1/2 instead of sampling.
    :param repeat: the model's ``action_repeat``: each lane decides on the first frame of every block of
        ``repeat`` frames and holds those keys for the block, as the network did in training (the trainer's
        ``PolicyRunner`` does the same); only deciding frames reach the network. Default: the policy's
        ``action_repeat`` attribute (set by :func:`tournament.agents.build_policy` from the model card), or 1.
    """

    batched = True

    def __init__(self, policy, lanes: np.ndarray, deterministic: bool = False, repeat: int | None = None):
        self.policy = policy
        self.deterministic = deterministic
        self.repeat = int(repeat if repeat is not None else getattr(policy, "action_repeat", 1))
        n = int(lanes.max()) + 1 if len(lanes) else 0
        self.row_of = np.full(n, -1, np.int64)
        self.row_of[lanes] = np.arange(len(lanes))
        self.state = policy.new_state(len(lanes))
        self.seed = np.zeros(len(lanes), np.uint64)
        self.t = np.zeros(len(lanes), np.uint64)  # decisions made, per row (the sampling counter)
        self.left = np.zeros(len(lanes), np.int64)  # frames left in each row's current block
        self.held = np.zeros((len(lanes), L.N_KEYS), np.int8)

    def start(self, lanes: np.ndarray, seeds: np.ndarray) -> list:
        rows = self.row_of[lanes]
        self.policy.reset_state(self.state, rows)
        self.seed[rows] = np.asarray(seeds, np.uint64)
        self.t[rows] = 0
        self.left[rows] = 0
        return []

    def act(self, obs: np.ndarray, lanes: np.ndarray) -> tuple[np.ndarray, list]:
        rows = self.row_of[lanes]
        if self.repeat == 1:
            return self._decide(obs, rows), []
        due = self.left[rows] == 0
        if due.any():
            self.held[rows[due]] = self._decide(obs[due], rows[due])
            self.left[rows[due]] = self.repeat
        self.left[rows] -= 1
        return self.held[rows].copy(), []

    def _decide(self, obs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        import torch

        policy = self.policy
        with torch.no_grad():
            o = torch.as_tensor(obs, dtype=torch.float32, device=policy.device)
            everyone = len(rows) == len(self.seed) and (rows == np.arange(len(rows))).all()
            idx = None if everyone else torch.as_tensor(rows, device=policy.device)
            p = policy.key_probs(o, self.state, idx).double().cpu().numpy()
        if self.deterministic:
            return (p > 0.5).astype(np.int8)
        t = self.t[rows]
        self.t[rows] = t + np.uint64(1)
        base = _splitmix64(self.seed[rows] ^ _splitmix64(t))
        h = _splitmix64(base[:, None] ^ np.arange(1, L.N_KEYS + 1, dtype=np.uint64)[None, :])
        u = (h >> np.uint64(11)).astype(np.float64) * _U53
        return (u < p).astype(np.int8)


# ---------------------------------------------------------------------------------------------------
# agents cached per process: a worker loads each network and bot class once
# ---------------------------------------------------------------------------------------------------

_POLICIES: dict[tuple, Any] = {}
_CLASSES: dict[tuple, type] = {}


def _policy(agent: AgentSpec):
    key = (agent.name, agent.sha256, agent.spec)
    if key not in _POLICIES:
        _POLICIES[key] = build_policy(agent)
    return _POLICIES[key]


def _bot_cls(agent: AgentSpec) -> type[Bot]:
    key = (agent.name, agent.sha256, agent.spec)
    if key not in _CLASSES:
        _CLASSES[key] = bot_class_for(agent)
    return _CLASSES[key]


def make_player(agent: AgentSpec, lanes: np.ndarray, guard: _Guard, hb, index: int, settings: dict):
    if agent.kind == "nn":
        return NetworkPlayer(_policy(agent), lanes, deterministic=settings.get("deterministic", False))
    cls = _bot_cls(agent)
    if settings.get("vectorise", True) and vectorised_mode(cls):
        from brawl_env.bots.builtin import ConstantBot

        return IdleBot() if cls is ConstantBot else VectorBot(cls)
    return LaneBots(
        cls,
        agent.name,
        guard,
        hb,
        index,
        time_budget=settings.get("time_budget"),
        hang_limit=settings.get("hang_limit"),
    )


# ---------------------------------------------------------------------------------------------------
# the batch
# ---------------------------------------------------------------------------------------------------


def run_batch(
    agents: dict[str, AgentSpec],
    entries: Sequence[Entry],
    settings: dict,
    emit: Callable[[dict], None],
    hb=None,
) -> None:
    """Play ``entries`` in lock step; ``emit(result)`` is called as each match ends.

    ``settings``: ``frames``, ``stocks``, optional ``record_keys`` (default True), ``deterministic``,
    ``time_budget``, ``hang_limit``, ``vectorise``. ``hb`` is a heartbeat array (see ``HB_*``) a watchdog
    may read from another process. A result is a dict (see :func:`_result`); its ``keys`` is the packed
    ``(frames, 2)`` uint16 key record (:func:`brawl_env.replay.pack_keys`) when recording.
    """
    hb = hb if hb is not None else np.zeros(HB_SIZE, np.int64)
    frames_max, stocks = int(settings["frames"]), int(settings["stocks"])
    record = settings.get("record_keys", True)
    entries = list(entries)
    n = len(entries)
    config = make_config(max_frames=frames_max, stocks=stocks)
    cfg_dict = {k: getattr(config, k) for k in ("max_frames", "stocks", "damage_tiebreak")}
    engine = Engine(n, config)
    mseeds = np.array([match_seed(e.seed, 0) for e in entries], np.uint64)
    engine.reset(mseeds)
    order = list(agents)
    guard = _Guard()
    guard.install()
    try:
        # lanes of each agent, and the reset seed of each (lane, slot), as run_match seeds them
        groups = []
        for name in dict.fromkeys(x for e in entries for x in (e.a, e.b)):
            lanes = np.array([i for i, e in enumerate(entries) if name in (e.a, e.b)], np.int64)
            slots = np.array([entries[i].names.index(name) for i in lanes], np.int64)
            seeds = np.array([(int(mseeds[i]) + int(s)) & _SEED63 for i, s in zip(lanes, slots)], np.uint64)
            index = order.index(name)
            hb[HB_AGENT] = index
            hb[HB_LANE] = -1
            hb[HB_BEAT] += 1
            player = make_player(agents[name], lanes, guard, hb, index, settings)
            groups.append([player, lanes, slots, seeds, index, name])
        # batched players act first; the guarded ones after, with the timer running only around them
        groups.sort(key=lambda g: not g[0].batched)
        live = np.ones(n, bool)
        finished = np.zeros(n, bool)
        trace = np.zeros((frames_max, n, 2, L.N_KEYS), np.uint8) if record else None
        keys = np.zeros((n, 2, L.N_KEYS), np.uint8)

        def finish(lane: int, frames: int, forfeit: dict | None) -> None:
            finished[lane] = True
            live[lane] = False
            emit(
                _result(
                    entries[lane],
                    engine,
                    lane,
                    frames,
                    forfeit,
                    mseeds[lane],
                    cfg_dict,
                    trace[:frames, lane] if trace is not None else None,
                )
            )

        def faults_to_forfeits(found: dict[int, tuple[int, str, str]], frames: int) -> None:
            for lane, (slot, name, reason) in sorted(found.items()):
                forfeit = {"slot": slot, "name": name, "reason": reason}
                finish(lane, frames, forfeit)
                engine.state.mi[lane, L.DONE] = L.TRUNCATED  # never stepped again

        def collect(found, player_group, idx, faults):
            _, lanes, slots, _, _, name = player_group
            for i, reason in faults:
                lane, slot = int(lanes[idx[i]]), int(slots[idx[i]])
                if lane not in found or found[lane][0] > slot:
                    found[lane] = (slot, name, reason)

        found: dict[int, tuple[int, str, str]] = {}
        for g in groups:
            player, lanes, slots, seeds, index, name = g
            hb[HB_AGENT] = index
            hb[HB_LANE] = -1
            hb[HB_BEAT] += 1
            try:
                faults = player.start(lanes, seeds)
            except Exception as err:  # noqa: BLE001 - a batched player failing fails all its lanes
                faults = [(i, _reason(err, "reset")) for i in range(len(lanes))]
            collect(found, g, np.arange(len(lanes)), faults)
        faults_to_forfeits(found, 0)

        frame = 0
        state = engine.state
        while live.any():
            hb[HB_FRAME] = frame
            obs = state.obs
            found = {}
            for g in groups:
                player, lanes, slots, _, index, name = g
                idx = np.flatnonzero(live[lanes])
                if not len(idx):
                    continue
                gl, gs = lanes[idx], slots[idx]
                hb[HB_AGENT] = index
                hb[HB_LANE] = -1
                hb[HB_BEAT] += 1
                try:
                    out, faults = player.act(obs[gl, gs], gl)
                except Exception as err:  # noqa: BLE001
                    out, faults = (
                        np.zeros((len(gl), L.N_KEYS), np.int8),
                        [(i, _reason(err, "act")) for i in range(len(gl))],
                    )
                keys[gl, gs] = out
                if faults:
                    collect(found, g, idx, faults)
            hb[HB_AGENT] = -1
            if found:
                faults_to_forfeits(found, frame)
            if trace is not None:
                trace[frame] = keys
            engine.keys[:] = keys
            out = engine.step(auto_reset=False)
            frame += 1
            ended = np.flatnonzero((out.terminated | out.truncated) & live)
            for lane in ended.tolist():
                finish(lane, frame, None)
            if frame >= frames_max and live.any():  # pragma: no cover - the engine ends matches at max_frames
                raise RuntimeError(f"matches still running after {frames_max} frames")
    finally:
        guard.uninstall()
        hb[HB_AGENT] = -1
        hb[HB_LANE] = -1


def _result(
    entry: Entry,
    engine: Engine,
    lane: int,
    frames: int,
    forfeit: dict | None,
    mseed,
    cfg: dict,
    keys: np.ndarray | None,
) -> dict:
    """One finished match, JSON-ready apart from ``keys`` (packed key record or None)."""
    st, pi, mi = engine.state.st[lane], engine.state.pi[lane], engine.state.mi[lane]
    stats = [{name: float(st[p, k]) for k, name in enumerate(L.STAT_NAMES)} for p in range(2)]
    for p in range(2):
        stats[p]["stocks_left"] = float(pi[p, L.STOCKS])
    if forfeit is not None:
        winner, ended_by = 1 - forfeit["slot"], "forfeit"
    else:
        winner = {L.R_P0_WINS: 0, L.R_P1_WINS: 1}.get(int(mi[L.RESULT]))
        ended_by = "stocks" if int(mi[L.DONE]) == L.TERMINATED else "time"
    a_slot = entry.a_slot
    result_a = "draw" if winner is None else ("win" if winner == a_slot else "loss")
    return {
        "index": entry.index,
        "a": entry.a,
        "b": entry.b,
        "a_slot": a_slot,
        "seed": entry.seed,
        "match_seed": int(mseed),
        "names": list(entry.names),
        "winner": winner,
        "result_a": result_a,
        "ended_by": ended_by,
        "frames": int(frames),
        "forfeit": forfeit,
        "stats": stats,
        "final_hash": state_hash(engine.state, lane),
        "config": dict(cfg),
        "keys": pack_keys(keys) if keys is not None else None,
    }


def run_batch_collect(agents: dict[str, AgentSpec], entries: Sequence[Entry], settings: dict) -> list[dict]:
    """:func:`run_batch` returning every result at the end (the Ray task body)."""
    out: list[dict] = []
    set_threads(agents, settings)
    run_batch(agents, entries, settings, out.append)
    return out


def set_threads(agents: dict[str, AgentSpec], settings: dict) -> None:
    """Give torch ``settings["torch_threads"]`` threads when a network plays (workers share the cores)."""
    threads = settings.get("torch_threads")
    if threads and any(a.kind == "nn" for a in agents.values()):
        import torch

        torch.set_num_threads(int(threads))
