"""Playing one match between two agents, frame by frame, with faults turned into forfeits.

An agent is anything with ``reset(seed)`` and ``act(obs) -> keys`` over its own observation vector; a
:class:`~brawl_env.bots.Bot` is wrapped in a :class:`~brawl_env.bots.GuardedBot` so a bot that raises,
returns bad keys or runs over its time budget loses the match as a forfeit, with the reason recorded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from .bots.base import Bot
from .bots.guard import BotFault, GuardedBot
from .config import make_config
from .engine import layout as L
from .engine.core import Engine
from .engine.rng import match_seed
from .replay import state_hash


class Agent(Protocol):
    name: str

    def reset(self, seed: int | None = None) -> None: ...

    def act(self, obs: np.ndarray) -> np.ndarray: ...


@dataclass
class MatchResult:
    """What happened in one match. ``winner`` is the slot (0 or 1) or None for a draw."""

    seed: int
    names: tuple[str, str]
    winner: int | None
    frames: int
    ended_by: str                      # "stocks", "time" or "forfeit"
    stats: tuple[dict, dict]           # per slot: the engine's match statistics
    forfeit: dict[str, Any] | None = None   # {"slot": s, "name": ..., "reason": ...}
    keys: np.ndarray | None = field(default=None, repr=False)  # (frames, 2, 10) when recorded
    match_seed: int = 0                # the exact 64-bit seed the engine was reset with
    config: dict = field(default_factory=dict)   # max_frames, stocks, damage_tiebreak
    final_hash: str = ""               # brawl_env.replay.state_hash of the final state

    def replay(self):
        """This match as a :class:`~brawl_env.replay.Replay` (needs ``record_keys=True``)."""
        from .replay import from_match

        return from_match(self)

    def result_for(self, slot: int) -> str:
        if self.winner is None:
            return "draw"
        return "win" if self.winner == slot else "loss"

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("keys")
        d["results"] = [self.result_for(0), self.result_for(1)]
        return d


def as_agent(agent) -> Agent:
    """Wrap bots in a guard; anything else must already have ``reset``/``act(obs)``."""
    if isinstance(agent, Bot):
        return GuardedBot(agent)
    if not (hasattr(agent, "act") and hasattr(agent, "reset")):
        raise TypeError(f"an agent needs reset() and act(obs); got {type(agent).__name__}")
    return agent


def run_match(agent0, agent1, seed: int, max_frames: int = 2700, stocks: int = 3,
              record_keys: bool = False) -> MatchResult:
    """Play one match from base seed ``seed`` (match seed ``match_seed(seed, 0)``)."""
    agents = (as_agent(agent0), as_agent(agent1))
    names = tuple(getattr(a, "name", type(a).__name__) for a in agents)
    config = make_config(max_frames=max_frames, stocks=stocks)
    engine = Engine(1, config)
    mseed = match_seed(seed, 0)
    engine.reset(np.array([mseed], np.uint64))
    trace = np.zeros((max_frames, 2, L.N_KEYS), np.uint8) if record_keys else None
    forfeit = None
    for slot, agent in enumerate(agents):
        try:
            agent.reset(seed=(mseed + slot) & 0x7FFFFFFFFFFFFFFF)
        except BotFault as fault:
            forfeit = {"slot": slot, "name": names[slot], "reason": fault.reason}
            break
    frame = 0
    while forfeit is None:
        obs = engine.state.obs[0]
        for slot, agent in enumerate(agents):
            try:
                engine.keys[0, slot] = agent.act(obs[slot])
            except BotFault as fault:
                forfeit = {"slot": slot, "name": names[slot], "reason": fault.reason}
                break
        if forfeit is not None:
            break
        if trace is not None:
            trace[frame] = engine.keys[0]
        out = engine.step(auto_reset=False)
        frame += 1
        if out.terminated[0] or out.truncated[0]:
            break
    st = engine.state.st[0]
    stats = tuple({name: float(st[p, k]) for k, name in enumerate(L.STAT_NAMES)} for p in range(2))
    for p in range(2):
        stats[p]["stocks_left"] = float(engine.state.pi[0, p, L.STOCKS])
    if forfeit is not None:
        winner, ended_by = 1 - forfeit["slot"], "forfeit"
    else:
        result = int(engine.state.mi[0, L.RESULT])
        winner = {L.R_P0_WINS: 0, L.R_P1_WINS: 1}.get(result)
        ended_by = "stocks" if out.terminated[0] else "time"
    return MatchResult(seed=seed, names=names, winner=winner, frames=frame, ended_by=ended_by, stats=stats,
                       forfeit=forfeit, keys=trace[:frame] if trace is not None else None, match_seed=mseed,
                       config={k: getattr(config, k) for k in ("max_frames", "stocks", "damage_tiebreak")},
                       final_hash=state_hash(engine.state))
