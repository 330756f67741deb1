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

**Reading a file from someone else.** :func:`load` checks before it allocates: the archive must hold
exactly ``meta.npy`` and ``keys.npy``; ``meta`` may declare at most 1 MiB; every header field is checked
on its own (types strict, seeds in [0, 2**64), ``frames`` at most the config's ``max_frames``, itself
at most 10 million); only then is ``keys`` read, and only if the size its zip entry declares is exactly
what ``frames`` needs (so a small file that inflates to gigabytes is refused from its directory entry,
and zip's reader never inflates past a declared size). Every refusal is one :class:`ReplayError` line
naming the file and the field.
"""

from __future__ import annotations

import io
import json
import numbers
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .engine import layout as L
from .files import atomic_write
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


class ReplayFormatError(ReplayError):
    """A file that is not a valid replay: not an archive of ours, a header field of the wrong type or
    range, or sizes that do not fit together (``brawl-league replay`` exits with code 3)."""


MAX_META_BYTES = 1 << 20
"""Largest ``meta`` member accepted (a real header is a few hundred bytes)."""
_NAME_CHARS = 200
_ENDINGS = ("stocks", "time", "forfeit", "unfinished", "aborted")


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
        return {
            "format": REPLAY_FORMAT,
            "rules_version": self.rules_version,
            "game_version": self.game_version,
            "config": dict(self.config),
            "match_seed": int(self.match_seed),
            "seed": self.seed,
            "names": list(self.names),
            "frames": self.frames,
            "outcome": self.outcome,
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the replay atomically (temporary file, then rename); returns the path."""
        path = Path(path)
        buf = io.BytesIO()
        meta = np.frombuffer(json.dumps(self.meta(), separators=(",", ":")).encode(), np.uint8)
        np.savez_compressed(buf, meta=meta, keys=pack_keys(self.keys))
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, buf.getvalue())
        return path


def _check_config(config: Any, where: str) -> dict[str, Any]:
    if not isinstance(config, dict) or set(config) != set(_CONFIG_KEYS):
        raise ReplayFormatError(
            f"{where}: config must hold exactly {list(_CONFIG_KEYS)}; got {config!r:.200}"
        )
    from .config import make_config

    try:
        make_config(**config)  # strict types and the same bounds as a live match
    except ValueError as err:
        raise ReplayFormatError(f"{where}: config: {err}") from None
    return {k: config[k] for k in _CONFIG_KEYS}


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_outcome(outcome: Any, where: str) -> dict[str, Any] | None:
    """The recorded outcome, field by field (None: nothing was recorded)."""
    if outcome is None:
        return None
    keys = {"winner", "ended_by", "frames", "final_hash", "forfeit"}
    if not isinstance(outcome, dict) or set(outcome) != keys:
        raise ReplayFormatError(
            f"{where}: outcome must be null or an object with exactly {sorted(keys)}; got {outcome!r:.200}"
        )
    if outcome["winner"] not in (None, 0, 1) or isinstance(outcome["winner"], bool):
        raise ReplayFormatError(
            f"{where}: outcome.winner must be 0, 1 or null; got {outcome['winner']!r:.80}"
        )
    if outcome["ended_by"] not in _ENDINGS:
        raise ReplayFormatError(
            f"{where}: outcome.ended_by must be one of {list(_ENDINGS)}; got {outcome['ended_by']!r:.80}"
        )
    if not _is_int(outcome["frames"]) or outcome["frames"] < 0:
        raise ReplayFormatError(
            f"{where}: outcome.frames must be an integer >= 0; got {outcome['frames']!r:.80}"
        )
    digest = outcome["final_hash"]
    if digest is not None and not (
        isinstance(digest, str) and len(digest) <= 128 and all(c in "0123456789abcdef" for c in digest)
    ):
        raise ReplayFormatError(
            f"{where}: outcome.final_hash must be a hex string or null; got {digest!r:.80}"
        )
    forfeit = outcome["forfeit"]
    if forfeit is not None and not (
        isinstance(forfeit, dict)
        and set(forfeit) == {"slot", "name", "reason"}
        and forfeit["slot"] in (0, 1)
        and not isinstance(forfeit["slot"], bool)
        and isinstance(forfeit["name"], str)
        and isinstance(forfeit["reason"], str)
    ):
        raise ReplayFormatError(
            f"{where}: outcome.forfeit must be null or {{slot: 0|1, name, reason}}; got {forfeit!r:.200}"
        )
    if outcome["ended_by"] == "forfeit" and forfeit is None:
        raise ReplayFormatError(f"{where}: outcome.ended_by is 'forfeit' but outcome.forfeit is null")
    return outcome


def _check_meta(meta: Any, where: str, check_version: bool) -> dict[str, Any]:
    """The header, field by field; returns it with ``config`` reduced to its three keys."""
    from .config import check_seed

    if not isinstance(meta, dict):
        raise ReplayFormatError(f"{where}: the header is not a JSON object; got {type(meta).__name__}")
    if meta.get("format") != REPLAY_FORMAT or isinstance(meta.get("format"), bool):
        raise ReplayFormatError(
            f"{where}: unknown replay format {meta.get('format')!r:.80}; this game reads "
            f"format {REPLAY_FORMAT}"
        )
    rules, game = meta.get("rules_version"), meta.get("game_version")
    if not _is_int(rules) or not isinstance(game, str) or len(game) > _NAME_CHARS:
        raise ReplayFormatError(
            f"{where}: rules_version must be an integer and game_version a string; "
            f"got {rules!r:.80} and {game!r:.80}"
        )
    if check_version and rules != RULES_VERSION:
        raise ReplayVersionError(
            f"{where}: recorded with game version {game} (rules version {rules}), but this is game version "
            f"{GAME_VERSION} (rules version {RULES_VERSION}); its matches would not re-simulate the same. "
            "Play it with the brawl-league release that recorded it."
        )
    config = _check_config(meta.get("config"), where)
    for key, optional in (("match_seed", False), ("seed", True)):
        if key not in meta:
            raise ReplayFormatError(f"{where}: the header has no {key!r}")
        if meta[key] is None and optional:
            continue
        try:
            check_seed(meta[key], key)
        except (TypeError, ValueError) as err:
            raise ReplayFormatError(f"{where}: {err}") from None
    names = meta.get("names")
    if not (
        isinstance(names, list)
        and len(names) == 2
        and all(isinstance(n, str) and 0 < len(n) <= _NAME_CHARS for n in names)
    ):
        raise ReplayFormatError(
            f"{where}: names must be two strings of 1-{_NAME_CHARS} characters; got {names!r:.200}"
        )
    frames = meta.get("frames")
    if not _is_int(frames) or not 0 <= frames <= config["max_frames"]:
        raise ReplayFormatError(
            f"{where}: frames must be an integer from 0 to the config's max_frames "
            f"({config['max_frames']}); got {frames!r:.80}"
        )
    outcome = _check_outcome(meta.get("outcome"), where)
    return {**meta, "config": config, "outcome": outcome}


def _npy_member(zf: zipfile.ZipFile, name: str, limit: int, where: str) -> np.ndarray:
    """One ``.npy`` member, refused from its zip entry if it declares more than ``limit`` bytes."""
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise ReplayFormatError(
            f"{where}: {name} declares {info.file_size:,} bytes, more than the {limit:,} its header allows"
        )
    with zf.open(info) as fh:
        data = fh.read(limit + 1)  # zip's reader stops at the declared size; +1 shows a lie
    if len(data) > limit:
        raise ReplayFormatError(f"{where}: {name} holds more than {limit:,} bytes")
    buf = io.BytesIO(data)
    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    try:
        version = np.lib.format.read_magic(buf)
        if version not in readers:
            raise ValueError(f"npy format version {version}")
        shape, fortran, dtype = readers[version](buf)
    except ValueError as err:
        raise ReplayFormatError(f"{where}: {name} is not a numpy array ({err})") from None
    if fortran or dtype.hasobject or len(shape) not in (1, 2):
        raise ReplayFormatError(f"{where}: {name} has an unexpected layout ({dtype}, {shape})")
    count = int(np.prod(shape, dtype=np.int64))
    body = data[buf.tell() :]
    if len(body) != count * dtype.itemsize:
        raise ReplayFormatError(f"{where}: {name} declares {shape} {dtype} but holds {len(body):,} bytes")
    return np.frombuffer(body, dtype=dtype).reshape(shape)


def load(path: str | os.PathLike, check_version: bool = True) -> Replay:
    """Read a replay file; raise :class:`ReplayVersionError` naming both versions if its rules differ.

    ``check_version=False`` reads an old replay's header and keys anyway (to inspect it, not to play it).
    A file that is not a valid replay raises :class:`ReplayFormatError` (see the module docstring for the
    checks, all made before anything large is read).
    """
    path = Path(path)
    where = str(path)
    if path.is_dir():
        raise ReplayFormatError(f"{where}: not a replay file (a directory)")
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        raise ReplayFormatError(f"{where}: not a replay file ({type(err).__name__}: {err})") from None
    with zf:
        members = set(zf.namelist())
        if members != {"meta.npy", "keys.npy"}:
            raise ReplayFormatError(
                f"{where}: not a replay file (members {sorted(members)!r:.200}, "
                "expected meta.npy and keys.npy)"
            )
        try:
            raw = _npy_member(zf, "meta.npy", MAX_META_BYTES, where)
            if raw.dtype != np.uint8 or raw.ndim != 1:
                raise ReplayFormatError(f"{where}: meta.npy must be UTF-8 bytes; got {raw.dtype} {raw.shape}")
            try:
                meta = json.loads(raw.tobytes().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
                raise ReplayFormatError(f"{where}: the header is not UTF-8 JSON ({err})") from None
            meta = _check_meta(meta, where, check_version)
            frames = meta["frames"]
            # a (frames, 2) uint16 array: 4 bytes a frame after an npy header of at most a few hundred bytes
            packed = _npy_member(zf, "keys.npy", 4 * frames + 4096, where)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as err:
            raise ReplayFormatError(f"{where}: damaged replay file ({type(err).__name__}: {err})") from None
    if packed.shape != (frames, 2) or packed.dtype != np.dtype("<u2") or (packed >> L.N_KEYS).any():
        raise ReplayFormatError(
            f"{where}: keys must be ({frames}, 2) uint16 of 10 bits, as the header's frames "
            f"say; got {packed.shape} {packed.dtype}"
        )
    return Replay(
        keys=unpack_keys(packed),
        match_seed=int(meta["match_seed"]),
        config=meta["config"],
        names=tuple(meta["names"]),
        seed=meta["seed"],
        outcome=meta["outcome"],
        rules_version=meta["rules_version"],
        game_version=meta["game_version"],
    )


def from_match(result: MatchResult) -> Replay:
    """The replay of a match played by :func:`brawl_env.match.run_match` with ``record_keys=True``."""
    if result.keys is None:
        raise ValueError("this match was played without recording keys: run_match(..., record_keys=True)")
    outcome = {
        "winner": result.winner,
        "ended_by": result.ended_by,
        "frames": result.frames,
        "final_hash": result.final_hash,
        "forfeit": result.forfeit,
    }
    return Replay(
        keys=np.asarray(result.keys, np.uint8),
        match_seed=int(result.match_seed),
        config=_check_config(dict(result.config), "match result"),
        names=tuple(result.names),
        seed=int(result.seed),
        outcome=outcome,
    )


# --- re-simulation --------------------------------------------------------------------------------------
@dataclass
class Simulation:
    """What a re-simulation reached; ``matches_recording`` is None when the replay recorded no outcome."""

    winner: int | None
    ended_by: str  # "stocks", "time", "forfeit" (as recorded) or "unfinished"
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
            raise ReplayError(
                f"the match ended after {t} frames but the replay holds {replay.frames}: "
                "it was recorded with different rules or corrupted"
            )
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
        matches = (
            res.final_hash == recorded["final_hash"]
            and winner == recorded.get("winner")
            and ended_by == recorded.get("ended_by")
            and replay.frames == recorded.get("frames")
        )
    return Simulation(
        winner=winner,
        ended_by=ended_by,
        frames=replay.frames,
        final_hash=res.final_hash,
        stats=res.stats,
        matches_recording=matches,
    )


def with_outcome(replay: Replay, sim: Simulation) -> Replay:
    """The replay with ``sim``'s outcome recorded (for replays made from bare keys, such as human play)."""
    outcome = {
        "winner": sim.winner,
        "ended_by": sim.ended_by,
        "frames": sim.frames,
        "final_hash": sim.final_hash,
        "forfeit": (replay.outcome or {}).get("forfeit"),
    }
    return replace(replay, outcome=outcome)
