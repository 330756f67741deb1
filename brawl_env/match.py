"""Playing matches: the one runner that drives the engine with agents.

:class:`Lanes` steps ``n`` matches (lanes) of one engine in lock step. Agents of the one agent protocol
(:class:`brawl_env.bots.Agent`: rows in, keys out) are seated in lanes and slots; each frame every seat
is asked once for the keys of all its live lanes (a lane is an agent's row), so a batched agent (a
network, a ``FrameBot``) pays one call per frame for the whole batch. Lanes never share state, each
agent's rows are reset with ``(match seed + slot) mod 2**63``, and the engine steps each match as it
would alone: a match plays the same in any batch as alone (the tests check it, bit for bit through the
final :func:`state_hash`).

**Forfeits.** An agent's call that raises, or its :class:`~brawl_env.bots.Faults` for some rows, or keys
that are not ten 0/1 values (from an agent that does not vouch for its keys with ``trusted_keys``)
forfeit that lane's match on that frame, and only that one; if both sides of a lane fail on the same
frame, slot 0's fault counts. With ``errors="raise"`` (trusted agents, such as a trainer's own
evaluation) the error propagates instead. A bot is guarded by whoever seats it: :func:`run_match` wraps
:class:`~brawl_env.bots.Bot` instances in a :class:`~brawl_env.bots.GuardedBot` (per-frame time budget).

Every loop that plays agents against each other runs here: :func:`run_match` (one match, the ``match``
command and the bot ladder), the trainers' evaluation, tournament batches, human play
(``render.PlaySession``) and replays (``replay.simulate``, two agents that press the recorded keys).
Results are :class:`MatchResult` s, their words from :mod:`brawl_env.outcome`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .bots.agent import Faults, key_faults
from .bots.base import Bot
from .bots.guard import BotFault, GuardedBot
from .config import MAX_FRAMES, STOCKS, check_seed, make_config
from .engine import layout as L
from .engine.core import Engine
from .engine.rng import match_seed
from .engine.state import State
from .outcome import ended_by as ended_by_word
from .outcome import result_word, winner as winner_of

SEED63 = 0x7FFFFFFFFFFFFFFF
CONFIG_KEYS = ("max_frames", "stocks", "damage_tiebreak")


def state_hash(state: State, m: int = 0) -> str:
    """A hash of everything match ``m`` holds (positions, timers, items, generator, stats, observations).

    Two simulations are the same match exactly when their hashes agree frame for frame; results and
    replays store the final one so a re-simulation can prove it reproduced the recording.
    """
    digest = hashlib.sha256()
    for name, array in zip(state._fields, state):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(array[m]).tobytes())
    return digest.hexdigest()[:32]


@dataclass
class MatchResult:
    """What happened in one match. ``winner`` is the slot (0 or 1) or None for a draw (or no result)."""

    seed: int | None
    names: tuple[str, str]
    winner: int | None
    frames: int
    ended_by: str  # "stocks", "time", "forfeit", or "unfinished" (stopped before its end)
    stats: tuple[dict, dict]  # per slot: the engine's match statistics
    forfeit: dict[str, Any] | None = None  # {"slot": s, "name": ..., "reason": ...}
    keys: np.ndarray | None = field(default=None, repr=False)  # (frames, 2, 10) when recorded
    match_seed: int = 0  # the exact 64-bit seed the engine was reset with
    config: dict = field(default_factory=dict)  # max_frames, stocks, damage_tiebreak
    final_hash: str = ""  # state_hash of the final state

    def result_for(self, slot: int) -> str:
        """``"win"``, ``"loss"`` or ``"draw"`` for ``slot``; ``"none"`` for an unfinished match."""
        if self.winner is None and self.ended_by == "unfinished":
            return "none"
        return result_word(self.winner, slot)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("keys")
        d["results"] = [self.result_for(0), self.result_for(1)]
        return d


# --------------------------------------------------------------------------------------------------------
# agents of one match


class SingleAgent:
    """An agent of one match (``reset(seed)``, ``act(obs) -> keys``) as an agent of the one protocol,
    for one row. A :class:`~brawl_env.bots.GuardedBot`'s faults fail the row."""

    def __init__(self, agent: Any):
        self.agent = agent
        self.name = getattr(agent, "name", type(agent).__name__)
        self.trusted_keys = isinstance(agent, GuardedBot)  # it checks every frame's keys itself

    def reset_rows(self, rows: np.ndarray, seeds: np.ndarray | None = None) -> None:
        if len(rows) != 1:
            raise ValueError(f"agent {self.name!r} plays one match at a time; got {len(rows)} rows")
        try:
            self.agent.reset(seed=int(seeds[0]) if seeds is not None else None)
        except BotFault as fault:
            raise Faults({0: fault.reason}) from None

    def act(self, obs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        try:
            return np.asarray(self.agent.act(obs[0]))[None]
        except BotFault as fault:
            raise Faults({0: fault.reason}) from None


def as_agent(agent: Any) -> Any:
    """An agent of the one protocol: a :class:`~brawl_env.bots.Bot` guarded for one match, an agent of
    one match adapted to one row, or an agent of the protocol as it is."""
    if isinstance(agent, Bot):
        return SingleAgent(GuardedBot(agent))
    if hasattr(agent, "act") and hasattr(agent, "reset_rows"):
        return agent
    if hasattr(agent, "act") and hasattr(agent, "reset"):
        return SingleAgent(agent)
    raise TypeError(
        f"an agent needs reset_rows(rows, seeds) and act(obs, rows), or reset(seed) and act(obs); "
        f"got {type(agent).__name__}"
    )


def fault_reason(err: BaseException, what: str) -> str:
    """A forfeit's reason for an error raised by an agent's ``what`` (``"act"``, ``"reset"`` ...)."""
    text = str(err).strip().replace("\n", " ")
    return (
        f"{what} raised {type(err).__name__}: {text[:300]}" if text else f"{what} raised {type(err).__name__}"
    )


@dataclass
class _Seat:
    agent: Any
    lanes: np.ndarray
    slots: np.ndarray
    name: str
    tag: Any


# --------------------------------------------------------------------------------------------------------
# the runner


class Lanes:
    """``n`` matches in lock step (see the module docstring).

    :param match_seeds: the 64-bit seed each lane's engine match starts from.
    :param seeds: the base seed each lane's result reports (default: the match seeds).
    :param record_keys: keep every frame's keys, for replays.
    :param errors: ``"forfeit"`` (an agent's error forfeits its lanes) or ``"raise"``.
    :param watch: ``watch(tag, frame)`` is called before every call into a seat's agent (with the tag it
        was seated with) and ``watch(None, frame)`` once all have acted: a heartbeat for watchdogs.
    """

    def __init__(
        self,
        match_seeds: Sequence[int],
        *,
        max_frames: int = MAX_FRAMES,
        stocks: int = STOCKS,
        damage_tiebreak: bool = False,
        seeds: Sequence[int | None] | None = None,
        record_keys: bool = False,
        errors: str = "forfeit",
        watch: Callable[[Any, int], None] | None = None,
    ):
        if errors not in ("forfeit", "raise"):
            raise ValueError(f"errors is 'forfeit' or 'raise'; got {errors!r}")
        self.n = n = len(match_seeds)
        self.config = make_config(max_frames=max_frames, stocks=stocks, damage_tiebreak=damage_tiebreak)
        self.engine = Engine(n, self.config)
        self.match_seeds = np.array([int(s) for s in match_seeds], np.uint64)
        self.engine.reset(self.match_seeds)
        self.seeds = list(seeds) if seeds is not None else [int(s) for s in self.match_seeds]
        self.errors = errors
        self.watch = watch
        self.names = [["player_0", "player_1"] for _ in range(n)]
        self.live = np.ones(n, bool)
        self.frames = np.zeros(n, np.int64)
        self.forfeits: dict[int, dict] = {}
        self.results: dict[int, MatchResult] = {}
        self.frame = 0
        self.trace = np.zeros((max_frames, n, 2, L.N_KEYS), np.uint8) if record_keys else None
        self._keys = np.zeros((n, 2, L.N_KEYS), np.uint8)
        self._seats: list[_Seat] = []
        self._taken = np.zeros((n, 2), bool)
        self._frozen = np.zeros(n, bool)  # forfeited lanes: never stepped again

    @property
    def config_dict(self) -> dict:
        return {k: getattr(self.config, k) for k in CONFIG_KEYS}

    def seat(self, agent: Any, lanes, slots, name: str | None = None, tag: Any = None) -> None:
        """Seat ``agent`` (see :func:`as_agent`) in ``lanes`` at ``slots`` (one slot, or one per lane)."""
        agent = as_agent(agent)
        lanes = np.atleast_1d(np.asarray(lanes, np.int64))
        slots = np.broadcast_to(np.asarray(slots, np.int64), lanes.shape).copy()
        if len(np.unique(lanes)) != len(lanes):
            raise ValueError("an agent plays one slot per lane (its rows are the lanes)")
        if self._taken[lanes, slots].any():
            raise ValueError("a seat is taken twice")
        self._taken[lanes, slots] = True
        name = name or getattr(agent, "name", type(agent).__name__)
        for lane, slot in zip(lanes.tolist(), slots.tolist()):
            self.names[lane][slot] = name
        self._seats.append(_Seat(agent, lanes, slots, name, tag))

    # -- playing ---------------------------------------------------------------------------------------
    def start(self) -> list[int]:
        """Reset every seated agent's rows; returns the lanes already over (forfeits at reset)."""
        if not self._taken.all():
            raise ValueError("every lane needs an agent in both slots before it starts")
        found: dict[int, tuple[int, str, str]] = {}
        for seat in self._seats:
            seeds = (self.match_seeds[seat.lanes] + seat.slots.astype(np.uint64)) & np.uint64(SEED63)
            self._call(
                seat,
                found,
                np.arange(len(seat.lanes)),
                "reset",
                lambda s=seat, sd=seeds: s.agent.reset_rows(s.lanes, sd),
            )
        return self._forfeit(found)

    def step(self) -> list[int]:
        """One frame for every live lane; returns the lanes that ended on it."""
        obs = self.engine.state.obs
        keys = self._keys
        found: dict[int, tuple[int, str, str]] = {}
        for seat in self._seats:
            idx = np.flatnonzero(self.live[seat.lanes])
            if not len(idx):
                continue
            lanes, slots = seat.lanes[idx], seat.slots[idx]
            out = self._call(
                seat, found, idx, "act", lambda a=seat.agent, o=obs[lanes, slots], r=lanes: a.act(o, r)
            )
            if out is not None:
                keys[lanes, slots] = out
        if self.watch is not None:
            self.watch(None, self.frame)
        ended = self._forfeit(found)
        if self.trace is not None:
            self.trace[self.frame] = keys
        self.engine.keys[:] = keys
        frozen = np.flatnonzero(self._frozen)
        if len(frozen):  # a forfeited match stays as it was when it ended
            self.engine.state.mi[frozen, L.DONE] = L.TRUNCATED
        out = self.engine.step(auto_reset=False)
        if len(frozen):
            self.engine.state.mi[frozen, L.DONE] = L.RUNNING
        self.frame += 1
        self.frames[self.live] = self.frame
        for lane in np.flatnonzero((out.terminated | out.truncated) & self.live).tolist():
            self._finish(lane)
            ended.append(lane)
        if (
            self.frame >= self.config.max_frames and self.live.any()
        ):  # pragma: no cover - the engine ends them
            raise RuntimeError(f"matches still running after {self.config.max_frames} frames")
        return ended

    def run(self, on_end: Callable[[int, MatchResult], None] | None = None) -> list[MatchResult]:
        """Start and play every lane to its end; ``on_end(lane, result)`` as each one ends."""
        ended = self.start()
        while True:
            if on_end is not None:
                for lane in ended:
                    on_end(lane, self.results[lane])
            if not self.live.any():
                break
            ended = self.step()
        return [self.results[k] for k in range(self.n)]

    # -- faults and results ------------------------------------------------------------------------------
    def _call(self, seat: _Seat, found: dict, idx: np.ndarray, what: str, fn) -> np.ndarray | None:
        """Call into ``seat``'s agent for its rows ``idx``; failures go into ``found`` (lane -> fault).
        Returns the keys of an ``act`` call (zeros in failed rows)."""
        if self.watch is not None:
            self.watch(seat.tag, self.frame)
        m = len(idx)
        reasons: dict[int, str] = {}
        out = None
        try:
            out = fn()
        except Faults as faults:
            if self.errors == "raise":
                raise
            reasons, out = faults.reasons, faults.keys
        except Exception as err:  # noqa: BLE001 - an agent's error is its forfeit
            if self.errors == "raise":
                raise
            reasons = {i: fault_reason(err, what) for i in range(m)}
        if what == "act":
            out = self._checked(seat, out, m, reasons)
        for i, reason in reasons.items():
            lane, slot = int(seat.lanes[idx[i]]), int(seat.slots[idx[i]])
            if lane not in found or found[lane][0] > slot:
                found[lane] = (slot, seat.name, reason)
        return out

    def _checked(self, seat: _Seat, out, m: int, reasons: dict[int, str]) -> np.ndarray:
        if out is None:
            return np.zeros((m, L.N_KEYS), np.uint8)
        out = np.asarray(out)
        if out.shape != (m, L.N_KEYS):
            why = f"bad keys: {m} rows of {L.N_KEYS} keys, shape ({m}, {L.N_KEYS}), expected; got shape {out.shape}"
            if self.errors == "raise":
                raise ValueError(f"agent {seat.name!r}: {why}")
            reasons.update({i: why for i in range(m) if i not in reasons})
            return np.zeros((m, L.N_KEYS), np.uint8)
        if not getattr(seat.agent, "trusted_keys", False):
            bad = key_faults(out)
            if bad and self.errors == "raise":
                raise ValueError(f"agent {seat.name!r}: {next(iter(bad.values()))}")
            for i, why in bad.items():
                reasons.setdefault(i, why)
        if reasons:
            out = out.copy()
            out[list(reasons)] = 0
        return out

    def _forfeit(self, found: dict[int, tuple[int, str, str]]) -> list[int]:
        ended = []
        for lane, (slot, name, reason) in sorted(found.items()):
            if not self.live[lane]:
                continue
            self.forfeits[lane] = {"slot": slot, "name": name, "reason": reason}
            self._finish(lane)
            self._frozen[lane] = True
            ended.append(lane)
        return ended

    def _finish(self, lane: int) -> None:
        self.live[lane] = False
        self.results[lane] = self.result(lane)

    def result(self, lane: int) -> MatchResult:
        """The result of ``lane``: as it ended, or ``"unfinished"`` while it still runs."""
        if lane in self.results:
            return self.results[lane]
        state = self.engine.state
        st, pi, mi = state.st[lane], state.pi[lane], state.mi[lane]
        stats = tuple({name: float(st[p, k]) for k, name in enumerate(L.STAT_NAMES)} for p in range(2))
        for p in range(2):
            stats[p]["stocks_left"] = float(pi[p, L.STOCKS])
        forfeit = self.forfeits.get(lane)
        if forfeit is not None:
            won_by, how = 1 - forfeit["slot"], "forfeit"
        elif int(mi[L.DONE]) != L.RUNNING:
            won_by, how = winner_of(mi[L.RESULT]), ended_by_word(mi[L.DONE])
        else:
            won_by, how = None, "unfinished"
        frames = int(self.frames[lane])
        keys = self.trace[:frames, lane].copy() if self.trace is not None else None
        return MatchResult(
            seed=self.seeds[lane],
            names=tuple(self.names[lane]),
            winner=won_by,
            frames=frames,
            ended_by=how,
            stats=stats,
            forfeit=forfeit,
            keys=keys,
            match_seed=int(self.match_seeds[lane]),
            config=self.config_dict,
            final_hash=state_hash(state, lane),
        )


def run_match(
    agent0, agent1, seed: int, max_frames: int = MAX_FRAMES, stocks: int = STOCKS, record_keys: bool = False
) -> MatchResult:
    """Play one match from base seed ``seed`` (match seed ``match_seed(seed, 0)``); see :func:`as_agent`
    for what an agent may be. ``seed`` is in [0, 2**64)."""
    seed = check_seed(seed)
    lanes = Lanes(
        [match_seed(seed, 0)], seeds=[seed], max_frames=max_frames, stocks=stocks, record_keys=record_keys
    )
    lanes.seat(agent0, [0], 0)
    lanes.seat(agent1, [0], 1)
    return lanes.run()[0]
