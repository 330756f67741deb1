"""Playing a batch of matches in lock step: the match runner (``brawl_env.match.Lanes``), one lane per
match, one call per agent per frame.

:func:`run_batch` seats every agent of a batch in its lanes and lets the runner step them together in one
engine. Each frame, every agent is asked once for the keys of all its live lanes:

- a **network** (any trainer's checkpoint, loaded through the trainer registry: ``league.agents``) acts
  for all its lanes in one call; the default trainer's runs one forward pass for all of them, each lane
  with its own LSTM state and encoder window and its keys drawn with a counter-based hash of (the lane's
  reset seed, decision, key), so every lane's draws are its own and independent of the batch;
- the built-in **ConstantBot, BasedBot and ClockworkBot** are ``FrameBot`` s: their plans run on arrays
  for all their lanes (``brawl_env.bots.FrameAgent``, exactly one bot's keys per lane);
- every **other bot** (RandomBot, the pilot bots, anyone's file or module bot) gets one instance per
  lane, each call guarded (:class:`LaneBots`).

The runner resets a lane's agents exactly as :func:`brawl_env.match.run_match` resets them, so a match's
result is the same as playing it alone with ``run_match(a, b, seed=entry.seed)`` (the tests check it, bit
for bit via the final state hash).

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

from brawl_env.bots.agent import BotAgent, FrameAgent
from brawl_env.bots.base import Bot, FrameBot
from brawl_env.engine.rng import match_seed
from brawl_env.match import Lanes, MatchResult, fault_reason
from brawl_env.replay import pack_keys
from league.agents import AgentSpec, bot_class_for, make_agent

from .config import BatchSettings
from .schedule import Entry

#: heartbeat slots: [beats, agent index acting (-1: none), lane (-1: all its lanes or none), frame]
HB_BEAT, HB_AGENT, HB_LANE, HB_FRAME = range(4)
HB_SIZE = 4

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


class LaneBots(BotAgent):
    """One bot instance per lane, every call guarded (see the module docstring)."""

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
        super().__init__(cls, name=name)
        self.guard, self.hb, self.index = guard, hb, index
        budget = getattr(cls, "time_budget", 0.05)
        self.budget = float(budget if time_budget is None else time_budget)
        self.hang = float(hang_limit if hang_limit is not None else max(10 * self.budget, 0.5))

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
            return None, fault_reason(err, what)
        used = time.thread_time() - t0
        if what == "act" and used > self.budget:
            return None, f"{what} used {used:.3f} s of CPU, over its per-frame budget of {self.budget:g} s"
        return value, None

    def reset_rows(self, rows: np.ndarray, seeds: np.ndarray | None = None) -> None:
        self.guard.start()  # the timer runs only while untrusted code does
        try:
            super().reset_rows(rows, seeds)
        finally:
            self.guard.stop()

    def act(self, obs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        self.guard.start()
        try:
            return super().act(obs, rows)
        finally:
            self.guard.stop()


def vectorised_mode(cls: type[Bot]) -> bool:
    """True when a bot plays all its lanes in one call: a built-in ``FrameBot`` (ConstantBot, BasedBot,
    ClockworkBot). Anyone else's FrameBot is untrusted code and plays per lane, guarded."""
    from brawl_env.bots.registry import BUILTIN

    return issubclass(cls, FrameBot) and f"{cls.__module__}:{cls.__name__}" in BUILTIN.values()


# ---------------------------------------------------------------------------------------------------
# agents cached per process: a worker loads each network and bot class once
# ---------------------------------------------------------------------------------------------------

_NETWORKS: dict[tuple, Any] = {}
_CLASSES: dict[tuple, type] = {}


def _network(agent: AgentSpec, deterministic: bool):
    """The checkpoint's agent, loaded once per process through its trainer's plugin and reused by every
    batch (a batch resets the rows it plays)."""
    key = (agent.name, agent.sha256, agent.spec, deterministic)
    if key not in _NETWORKS:
        _NETWORKS[key] = make_agent(agent, deterministic=deterministic)
    return _NETWORKS[key]


def _bot_cls(agent: AgentSpec) -> type[Bot]:
    key = (agent.name, agent.sha256, agent.spec)
    if key not in _CLASSES:
        _CLASSES[key] = bot_class_for(agent)
    return _CLASSES[key]


def make_player(agent: AgentSpec, lanes: np.ndarray, guard: _Guard, hb, index: int, settings: BatchSettings):
    """The agent of the one protocol that plays ``agent`` in ``lanes``."""
    if agent.kind == "nn":
        return _network(agent, settings.deterministic)
    cls = _bot_cls(agent)
    if vectorised_mode(cls):
        return FrameAgent(cls(), name=agent.name)
    return LaneBots(
        cls,
        agent.name,
        guard,
        hb,
        index,
        time_budget=settings.time_budget,
        hang_limit=settings.hang_limit,
    )


# ---------------------------------------------------------------------------------------------------
# the batch
# ---------------------------------------------------------------------------------------------------


def run_batch(
    agents: dict[str, AgentSpec],
    entries: Sequence[Entry],
    settings: BatchSettings,
    emit: Callable[[dict], None],
    hb=None,
) -> None:
    """Play ``entries`` in lock step under ``settings``; ``emit(result)`` is called as each match ends.

    ``hb`` is a heartbeat array (see ``HB_*``) a watchdog may read from another process. A result is a
    dict (see :func:`_result`); its ``keys`` is the packed ``(frames, 2)`` uint16 key record
    (:func:`brawl_env.replay.pack_keys`): every match is recorded, since its replay is its record.
    """
    hb = hb if hb is not None else np.zeros(HB_SIZE, np.int64)
    entries = list(entries)

    def watch(index, frame: int) -> None:
        hb[HB_FRAME] = frame
        hb[HB_AGENT] = -1 if index is None else index
        hb[HB_LANE] = -1
        if index is not None:
            hb[HB_BEAT] += 1

    runner = Lanes(
        [match_seed(e.seed, 0) for e in entries],
        seeds=[e.seed for e in entries],
        max_frames=settings.frames,
        stocks=settings.stocks,
        record_keys=True,
        watch=watch,
    )
    order = list(agents)
    guard = _Guard()
    guard.install()
    try:
        seats = []
        for name in dict.fromkeys(x for e in entries for x in (e.a, e.b)):
            lanes = np.array([i for i, e in enumerate(entries) if name in (e.a, e.b)], np.int64)
            slots = np.array([entries[i].names.index(name) for i in lanes], np.int64)
            index = order.index(name)
            watch(index, 0)
            seats.append(
                (make_player(agents[name], lanes, guard, hb, index, settings), lanes, slots, name, index)
            )
        # batched players act first; the guarded ones after, with the timer running only around them
        seats.sort(key=lambda seat: isinstance(seat[0], LaneBots))
        for player, lanes, slots, name, index in seats:
            runner.seat(player, lanes, slots, name=name, tag=index)
        runner.run(on_end=lambda lane, res: emit(_result(entries[lane], res)))
    finally:
        guard.uninstall()
        hb[HB_AGENT] = -1
        hb[HB_LANE] = -1


def _result(entry: Entry, res: MatchResult) -> dict:
    """One finished match, JSON-ready apart from ``keys`` (packed key record or None)."""
    return {
        "index": entry.index,
        "a": entry.a,
        "b": entry.b,
        "a_slot": entry.a_slot,
        "seed": entry.seed,
        "match_seed": res.match_seed,
        "names": list(entry.names),
        "winner": res.winner,
        "result_a": res.result_for(entry.a_slot),
        "ended_by": res.ended_by,
        "frames": res.frames,
        "forfeit": res.forfeit,
        "stats": list(res.stats),
        "final_hash": res.final_hash,
        "config": dict(res.config),
        "keys": pack_keys(res.keys) if res.keys is not None else None,
    }


def run_batch_collect(
    agents: dict[str, AgentSpec], entries: Sequence[Entry], settings: BatchSettings
) -> list[dict]:
    """:func:`run_batch` returning every result at the end (the Ray task body)."""
    out: list[dict] = []
    set_threads(agents, settings)
    run_batch(agents, entries, settings, out.append)
    return out


def set_threads(agents: dict[str, AgentSpec], settings: BatchSettings) -> None:
    """A worker's untimed set-up: give torch ``settings.torch_threads`` threads when a network plays
    (workers share the cores), and compile the built-in bots' code before any bot's call is timed."""
    if any(a.kind == "bot" for a in agents.values()):
        from brawl_env.bots import warm_up

        warm_up()
    threads = settings.torch_threads
    if threads and any(a.kind == "nn" for a in agents.values()):
        import torch

        torch.set_num_threads(int(threads))
