"""Replays: a match as its seed and both players' key presses, re-simulated bit for bit.

A match is fully decided by its 64-bit match seed, its configuration and the ten keys each player held
on every frame (GAME.md "Time, space, randomness"), so that is all a replay stores, with the names of
the players and, for checking, the recorded outcome and a hash of the final state. Re-simulating needs
no agents, which is also how videos of recorded matches are made.

File format (``.replay``, a numpy ``.npz`` archive, read without pickle):

- ``meta``: UTF-8 JSON: ``format``, ``rules_version``, ``game_version``, ``config`` (``max_frames``,
  ``stocks``, ``damage_tiebreak``), ``match_seed``, ``seed`` (base seed, or null), ``names``,
  ``frames`` and ``outcome`` (``winner`` 0/1/null, ``ended_by``, ``frames``, ``final_hash``,
  ``forfeit``), or null when nothing was recorded.
- ``keys``: ``(frames, 2)`` uint16, bit k = key k (W A S D Space H L J K G), deflate-compressed. A
  90-second match takes a few kilobytes.

A replay recorded under another ``RULES_VERSION`` (``brawl_env.engine.version``) is refused: the
engine it needs no longer exists, and re-simulating would show a different match.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .engine import layout as L
from .engine.version import GAME_VERSION, RULES_VERSION
from .match import Lanes, MatchResult

if TYPE_CHECKING:  # pragma: no cover
    from .engine.core import Engine

REPLAY_FORMAT = 1
SUFFIX = ".replay"
_CONFIG_KEYS = ("max_frames", "stocks", "damage_tiebreak")
_BITS = (1 << np.arange(L.N_KEYS)).astype(np.uint16)


class ReplayError(ValueError):
    """A replay file is unreadable or inconsistent; the message names the file and the problem."""


class ReplayVersionError(ReplayError):
    """A replay was recorded by a game whose rules differ from this one's."""


# --- keys -------------------------------------------------------------------------------------------
def pack_keys(keys: np.ndarray) -> np.ndarray:
    """``(frames, 2, 10)`` keys of 0/1 -> ``(frames, 2)`` uint16, bit k = key k."""
    keys = np.asarray(keys)
    if keys.ndim != 3 or keys.shape[1:] != (2, L.N_KEYS):
        raise ValueError(f"keys must have shape (frames, 2, {L.N_KEYS}); got {keys.shape}")
    if keys.size and not np.isin(keys, (0, 1)).all():
        raise ValueError("keys must be 0 or 1")
    return (keys.astype(np.uint16) * _BITS).sum(axis=2, dtype=np.uint16)


def unpack_keys(packed: np.ndarray) -> np.ndarray:
    """Inverse of :func:`pack_keys`: ``(frames, 2)`` uint16 -> ``(frames, 2, 10)`` uint8."""
    packed = np.asarray(packed, np.uint16)
    return ((packed[..., None] & _BITS) != 0).astype(np.uint8)


# --- the record ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Replay:
    """One recorded match (see the module docstring). ``keys`` is ``(frames, 2, 10)`` uint8."""

    keys: np.ndarray = field(repr=False)
    match_seed: int
    config: dict[str, Any]
    names: tuple[str, str] = ("player_0", "player_1")
    seed: int | None = None
    outcome: dict[str, Any] | None = None
    rules_version: int = RULES_VERSION
    game_version: str = GAME_VERSION

    @property
    def frames(self) -> int:
        return int(self.keys.shape[0])

    def meta(self) -> dict[str, Any]:
        """The JSON header written to the file."""
        return {"format": REPLAY_FORMAT, "rules_version": self.rules_version, "game_version": self.game_version,
                "config": dict(self.config), "match_seed": int(self.match_seed), "seed": self.seed,
                "names": list(self.names), "frames": self.frames, "outcome": self.outcome}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the replay atomically (temporary file, then rename); returns the path."""
        path = Path(path)
        buf = io.BytesIO()
        meta = np.frombuffer(json.dumps(self.meta(), separators=(",", ":")).encode(), np.uint8)
        np.savez_compressed(buf, meta=meta, keys=pack_keys(self.keys))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            with open(tmp, "xb") as f:
                f.write(buf.getvalue())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path


def _check_config(config: Any, where: str) -> dict[str, Any]:
    if not isinstance(config, dict) or set(config) != set(_CONFIG_KEYS):
        raise ReplayError(f"{where}: config must hold exactly {list(_CONFIG_KEYS)}; got {config!r}")
    return {k: config[k] for k in _CONFIG_KEYS}


def load(path: str | os.PathLike, check_version: bool = True) -> Replay:
    """Read a replay file; raise :class:`ReplayVersionError` naming both versions if its rules differ.

    ``check_version=False`` reads an old replay's header and keys anyway (to inspect it, not to play it).
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            packed = data["keys"]
    except FileNotFoundError:
        raise
    except Exception as err:  # noqa: BLE001 - zip, npz, JSON or missing members: "not a replay"
        raise ReplayError(f"{path}: not a replay file ({type(err).__name__}: {err})") from None
    if not isinstance(meta, dict) or meta.get("format") != REPLAY_FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else meta
        raise ReplayError(f"{path}: unknown replay format {found!r}; this game reads format {REPLAY_FORMAT}")
    rules, game = meta.get("rules_version"), meta.get("game_version")
    if check_version and rules != RULES_VERSION:
        raise ReplayVersionError(
            f"{path}: recorded with game version {game} (rules version {rules}), but this is game version "
            f"{GAME_VERSION} (rules version {RULES_VERSION}); its matches would not re-simulate the same. "
            "Play it with the brawl-league release that recorded it.")
    if packed.ndim != 2 or packed.shape[1] != 2 or packed.dtype != np.uint16 or (packed >> L.N_KEYS).any():
        raise ReplayError(f"{path}: keys must be (frames, 2) uint16 of 10 bits; got {packed.shape} {packed.dtype}")
    if meta.get("frames") != packed.shape[0]:
        raise ReplayError(f"{path}: header says {meta.get('frames')} frames, keys hold {packed.shape[0]}")
    config = _check_config(meta.get("config"), str(path))
    names = meta.get("names")
    if not (isinstance(names, list) and len(names) == 2 and all(isinstance(n, str) for n in names)):
        raise ReplayError(f"{path}: names must be two strings; got {names!r}")
    return Replay(keys=unpack_keys(packed), match_seed=int(meta["match_seed"]), config=config, names=tuple(names),
                  seed=meta.get("seed"), outcome=meta.get("outcome"), rules_version=rules, game_version=game)


def from_match(result: MatchResult) -> Replay:
    """The replay of a match played by :func:`brawl_env.match.run_match` with ``record_keys=True``."""
    if result.keys is None:
        raise ValueError("this match was played without recording keys: run_match(..., record_keys=True)")
    outcome = {"winner": result.winner, "ended_by": result.ended_by, "frames": result.frames,
               "final_hash": result.final_hash, "forfeit": result.forfeit}
    return Replay(keys=np.asarray(result.keys, np.uint8), match_seed=int(result.match_seed),
                  config=_check_config(dict(result.config), "match result"), names=tuple(result.names),
                  seed=int(result.seed), outcome=outcome)


# --- re-simulation --------------------------------------------------------------------------------------
@dataclass
class Simulation:
    """What a re-simulation reached; ``matches_recording`` is None when the replay recorded no outcome."""

    winner: int | None
    ended_by: str          # "stocks", "time", "forfeit" (as recorded) or "unfinished"
    frames: int
    final_hash: str
    stats: tuple[dict, dict]
    matches_recording: bool | None

    def result_for(self, slot: int) -> str:
        if self.winner is None:
            return "draw" if self.ended_by in ("stocks", "time") else "none"
        return "win" if self.winner == slot else "loss"


def make_engine(replay: Replay) -> Engine:
    """An engine reset to the replay's first frame."""
    from .config import make_config
    from .engine.core import Engine

    engine = Engine(1, make_config(**replay.config))
    engine.reset(np.array([replay.match_seed], np.uint64))
    return engine


class RecordedKeys:
    """An agent that presses the keys a replay recorded for one side, frame by frame."""

    trusted_keys = True  # a loaded replay's keys are 0/1 by construction

    def __init__(self, keys: np.ndarray, name: str):
        self.keys, self.name, self.t = keys, name, 0

    def reset_rows(self, rows: np.ndarray, seeds: np.ndarray | None = None) -> None:
        self.t = 0

    def act(self, obs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        self.t += 1
        return self.keys[self.t - 1][None]


def _played(replay: Replay) -> Iterator[Lanes]:
    """Play the replay's keys through the match runner, yielding it after each frame."""
    lanes = Lanes([replay.match_seed], seeds=[replay.seed], **replay.config)
    for slot in range(2):
        lanes.seat(RecordedKeys(replay.keys[:, slot], replay.names[slot]), [0], slot)
    lanes.start()
    for t in range(replay.frames):
        if not lanes.live[0]:
            raise ReplayError(f"the match ended after {t} frames but the replay holds {replay.frames}: "
                              "it was recorded with different rules or corrupted")
        lanes.step()
        yield lanes


def iter_frames(replay: Replay) -> Iterator[Engine]:
    """Step an engine through the replay, yielding it after each frame (render or inspect it there)."""
    for lanes in _played(replay):
        yield lanes.engine


def simulate(replay: Replay, on_frame: Callable[[Engine], None] | None = None) -> Simulation:
    """Re-simulate a replay from its seed and keys; ``on_frame(engine)`` runs after every frame."""
    lanes = None
    for lanes in _played(replay):
        if on_frame is not None:
            on_frame(lanes.engine)
    if lanes is None:  # no frames recorded: the match as it starts
        lanes = Lanes([replay.match_seed], seeds=[replay.seed], **replay.config)
    res = lanes.result(0)
    recorded = replay.outcome or {}
    winner, ended_by = res.winner, res.ended_by
    if ended_by == "unfinished" and recorded.get("ended_by") == "forfeit" and recorded.get("forfeit"):
        winner, ended_by = 1 - int(recorded["forfeit"]["slot"]), "forfeit"
    matches = None
    if recorded.get("final_hash"):
        matches = (res.final_hash == recorded["final_hash"] and winner == recorded.get("winner")
                   and ended_by == recorded.get("ended_by") and replay.frames == recorded.get("frames"))
    return Simulation(winner=winner, ended_by=ended_by, frames=replay.frames, final_hash=res.final_hash,
                      stats=res.stats, matches_recording=matches)


def with_outcome(replay: Replay, sim: Simulation) -> Replay:
    """The replay with ``sim``'s outcome recorded (for replays made from bare keys, such as human play)."""
    outcome = {"winner": sim.winner, "ended_by": sim.ended_by, "frames": sim.frames, "final_hash": sim.final_hash,
               "forfeit": (replay.outcome or {}).get("forfeit")}
    return replace(replay, outcome=outcome)
