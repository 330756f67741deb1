"""Frame data: the 33 moves (11 slots x Punch, Spear, Hammer) loaded from ``brawl_env/data/moves.toml``.

The file is our own format (documented in ``docs/moves.md``). It is read once, validated with errors
that name the move and the field, and packed into flat arrays that the combat kernels index:

- ``first[weapon, slot]``: the move's first phase (row of the phase arrays), -1 if none;
- ``pi[phase, :]`` (int32) and ``pf[phase, :]`` (float64): one row per phase, columns below;
- ``boxes[phase, b, :]``: up to ``MAX_BOXES`` hitboxes ``(x forward, y up, width, height)``.

A move is a small graph of phases. Each phase has startup, active and recovery frames; hitboxes are
live during the active frames; after the recovery the move goes to ``on_hit`` if the phase hit
someone, else to ``on_miss``, or ends when that is empty. ``on_land`` jumps as soon as the caster
touches down (ground-pound); ``instant`` jumps to ``on_hit`` on the frame of the hit (multi-hits).
A ``charge`` phase has no hitbox: it lasts while the heavy key is held, between ``charge_min`` and
``charge_max`` frames, then goes to ``on_miss`` (the attack itself).
"""

from __future__ import annotations

import functools
import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import layout as L

MAX_BOXES = 3
WEAPON_KEYS = ("punch", "spear", "hammer")
SLOT_KEYS = L.MOVE_NAMES[1:]  # nlight ... groundpound

# phase int columns
(
    PH_STARTUP,
    PH_ACTIVE,
    PH_RECOVERY,
    PH_STUN,
    PH_ON_HIT,
    PH_ON_MISS,
    PH_ON_LAND,
    PH_INSTANT,
    PH_NO_GRAVITY,
    PH_CHARGE,
    PH_CHARGE_MIN,
    PH_CHARGE_MAX,
    PH_NBOXES,
    PH_PULL,
    PH_VEL_MODE,
    PH_VEL_FROM,
    PH_VEL_TO,
) = range(17)
N_PHI = 17
# phase float columns
(
    PH_DAMAGE,
    PH_KB_FIXED,
    PH_KB_VAR,
    PH_ANGLE,
    PH_PULL_X,
    PH_PULL_Y,
    PH_PULL_MULT,
    PH_VEL_X,
    PH_VEL_Y,
    PH_CHARGE_DAMAGE,
) = range(10)
N_PHF = 10
# caster velocity modes
VEL_NONE, VEL_SET, VEL_SET_X, VEL_ADD = 0, 1, 2, 3
_VEL_MODES = {"set": VEL_SET, "set_x": VEL_SET_X, "add": VEL_ADD}

_PHASE_KEYS = {
    "name",
    "startup",
    "active",
    "recovery",
    "damage",
    "kb_fixed",
    "kb_var",
    "angle",
    "stun",
    "hitboxes",
    "on_hit",
    "on_miss",
    "on_land",
    "instant",
    "gravity",
    "charge",
    "charge_min",
    "charge_max",
    "charge_damage",
    "pull",
    "caster_vel",
    "vel_mode",
    "vel_frames",
}
_MOVE_KEYS = {"doc", "phase"}


class MoveTable(NamedTuple):
    """Frame data as arrays (see the module docstring)."""

    first: np.ndarray  # (3, 12) int32
    pi: np.ndarray  # (phases, N_PHI) int32
    pf: np.ndarray  # (phases, N_PHF) float64
    boxes: np.ndarray  # (phases, MAX_BOXES, 4) float64


class MoveDataError(ValueError):
    """The frame-data file is malformed; the message names the move and the field."""


def _req_int(d, key, where, lo=0, hi=10_000, default=None):
    v = d.get(key, default)
    if v is None:
        raise MoveDataError(f"{where}: missing field {key!r}")
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise MoveDataError(f"{where}: {key} must be an integer in [{lo}, {hi}]; got {v!r}")
    return v


def _num(d, key, where, default=0.0, lo=-1e6, hi=1e6):
    v = d.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
        raise MoveDataError(f"{where}: {key} must be a number in [{lo:g}, {hi:g}]; got {v!r}")
    return float(v)


def _pair(d, key, where, n):
    v = d.get(key)
    if v is None:
        return None
    if (
        not isinstance(v, list)
        or len(v) != n
        or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v)
    ):
        raise MoveDataError(f"{where}: {key} must be a list of {n} numbers; got {v!r}")
    return [float(x) for x in v]


def parse(text: str, source: str = "moves.toml") -> MoveTable:
    """Parse and validate frame data; raise :class:`MoveDataError` naming the move and field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise MoveDataError(f"{source}: not valid TOML: {err}") from None
    extra = set(data) - set(WEAPON_KEYS) - {"format"}
    if extra:
        raise MoveDataError(
            f"{source}: unknown top-level table(s) {sorted(extra)}; allowed: {list(WEAPON_KEYS)}"
        )
    if data.get("format") != 1:
        raise MoveDataError(f"{source}: format must be 1; got {data.get('format')!r}")
    first = np.full((len(WEAPON_KEYS), L.N_MOVE_SLOTS), -1, np.int32)
    rows_i, rows_f, rows_b = [], [], []
    for w, wkey in enumerate(WEAPON_KEYS):
        moves = data.get(wkey)
        if not isinstance(moves, dict):
            raise MoveDataError(f"{source}: missing table [{wkey}]")
        unknown = set(moves) - set(SLOT_KEYS)
        if unknown:
            raise MoveDataError(f"{wkey}: unknown move(s) {sorted(unknown)}; moves are {list(SLOT_KEYS)}")
        for s, skey in enumerate(SLOT_KEYS, start=1):
            where_move = f"{wkey}.{skey}"
            move = moves.get(skey)
            if move is None:
                raise MoveDataError(f"{where_move}: missing move")
            bad = set(move) - _MOVE_KEYS
            if bad:
                raise MoveDataError(
                    f"{where_move}: unknown field(s) {sorted(bad)}; allowed: {sorted(_MOVE_KEYS)}"
                )
            phases = move.get("phase")
            if not isinstance(phases, list) or not phases:
                raise MoveDataError(f"{where_move}: needs at least one [[{where_move}.phase]]")
            names = [ph.get("name", str(k)) for k, ph in enumerate(phases)]
            if len(set(names)) != len(names):
                raise MoveDataError(f"{where_move}: phase names repeat: {names}")
            base = len(rows_i)
            first[w, s] = base

            def link(ph, key, where, names=names, base=base):
                target = ph.get(key, "")
                if target == "":
                    return -1
                if target not in names:
                    raise MoveDataError(f"{where}: {key} = {target!r} names no phase; phases: {names}")
                return base + names.index(target)

            for k, ph in enumerate(phases):
                where = f"{where_move}.phase[{names[k]}]"
                bad = set(ph) - _PHASE_KEYS
                if bad:
                    raise MoveDataError(
                        f"{where}: unknown field(s) {sorted(bad)}; allowed: {sorted(_PHASE_KEYS)}"
                    )
                ri = np.zeros(N_PHI, np.int32)
                rf = np.zeros(N_PHF, np.float64)
                rb = np.zeros((MAX_BOXES, 4), np.float64)
                for flag in ("charge", "instant", "gravity"):
                    if flag in ph and not isinstance(ph[flag], bool):
                        raise MoveDataError(f"{where}: {flag} must be true or false; got {ph[flag]!r}")
                charge = bool(ph.get("charge", False))
                ri[PH_STARTUP] = _req_int(ph, "startup", where, default=0)
                ri[PH_ACTIVE] = _req_int(ph, "active", where, default=0)
                ri[PH_RECOVERY] = _req_int(ph, "recovery", where, default=0)
                ri[PH_STUN] = _req_int(ph, "stun", where, default=0, hi=120)
                ri[PH_ON_HIT] = link(ph, "on_hit", where)
                ri[PH_ON_MISS] = link(ph, "on_miss", where)
                ri[PH_ON_LAND] = link(ph, "on_land", where)
                ri[PH_INSTANT] = int(bool(ph.get("instant", False)))
                ri[PH_NO_GRAVITY] = int(not ph.get("gravity", True))
                ri[PH_CHARGE] = int(charge)
                if charge:
                    ri[PH_CHARGE_MIN] = _req_int(ph, "charge_min", where, hi=600)
                    ri[PH_CHARGE_MAX] = _req_int(ph, "charge_max", where, lo=1, hi=600)
                    if ri[PH_CHARGE_MIN] > ri[PH_CHARGE_MAX]:
                        raise MoveDataError(f"{where}: charge_min must not exceed charge_max")
                    if ri[PH_ON_MISS] < 0:
                        raise MoveDataError(f"{where}: a charge phase needs on_miss (the attack it releases)")
                boxes = ph.get("hitboxes", [])
                if not isinstance(boxes, list) or len(boxes) > MAX_BOXES:
                    raise MoveDataError(
                        f"{where}: hitboxes must be a list of at most {MAX_BOXES} [x, y, w, h]"
                    )
                for b, box in enumerate(boxes):
                    vals = _pair({"hitboxes": box}, "hitboxes", where, 4)
                    if vals[2] <= 0 or vals[3] <= 0:
                        raise MoveDataError(f"{where}: hitbox {b} needs positive width and height; got {box}")
                    rb[b] = vals
                ri[PH_NBOXES] = len(boxes)
                if charge and boxes:
                    raise MoveDataError(f"{where}: a charge phase has no hitboxes (it only holds the move)")
                if boxes and ri[PH_ACTIVE] == 0:
                    raise MoveDataError(f"{where}: hitboxes need active > 0 frames")
                rf[PH_DAMAGE] = _num(ph, "damage", where, lo=0, hi=700)
                rf[PH_KB_FIXED] = _num(ph, "kb_fixed", where, lo=0, hi=10_000)
                rf[PH_KB_VAR] = _num(ph, "kb_var", where, lo=0, hi=10_000)
                rf[PH_ANGLE] = _num(ph, "angle", where, lo=-360, hi=360)
                rf[PH_CHARGE_DAMAGE] = _num(ph, "charge_damage", where, lo=0, hi=10)
                pull = _pair(ph, "pull", where, 3)
                if pull is not None:
                    ri[PH_PULL] = 1
                    rf[PH_PULL_X], rf[PH_PULL_Y], rf[PH_PULL_MULT] = pull
                vel = _pair(ph, "caster_vel", where, 2)
                if vel is not None:
                    mode = ph.get("vel_mode", "set")
                    if mode not in _VEL_MODES:
                        raise MoveDataError(
                            f"{where}: vel_mode must be one of {sorted(_VEL_MODES)}; got {mode!r}"
                        )
                    ri[PH_VEL_MODE] = _VEL_MODES[mode]
                    rf[PH_VEL_X], rf[PH_VEL_Y] = vel
                    # A charge phase stays on its frame 0, so its default window is [0, 1].
                    total = max(int(ri[PH_STARTUP] + ri[PH_ACTIVE] + ri[PH_RECOVERY]), 1)
                    frames = ph.get("vel_frames", [0, total])
                    if (
                        not isinstance(frames, list)
                        or len(frames) != 2
                        or not all(isinstance(x, int) for x in frames)
                        or not 0 <= frames[0] <= frames[1]
                    ):
                        raise MoveDataError(
                            f"{where}: vel_frames must be [from, to] frame numbers; got {frames!r}"
                        )
                    ri[PH_VEL_FROM], ri[PH_VEL_TO] = frames
                elif "vel_mode" in ph or "vel_frames" in ph:
                    raise MoveDataError(f"{where}: vel_mode / vel_frames need caster_vel")
                if not charge and ri[PH_STARTUP] + ri[PH_ACTIVE] + ri[PH_RECOVERY] == 0:
                    raise MoveDataError(f"{where}: a phase must last at least one frame")
                rows_i.append(ri)
                rows_f.append(rf)
                rows_b.append(rb)
            # Every path through the move must end: no phase may reach itself by on_hit / on_miss links.
            for k in range(len(phases)):
                seen, stack = set(), [base + k]
                while stack:
                    row = stack.pop()
                    for nxt in (rows_i[row][PH_ON_HIT], rows_i[row][PH_ON_MISS]):
                        if nxt == base + k:
                            raise MoveDataError(
                                f"{where_move}: phase {names[k]!r} can follow itself (a loop), "
                                "so the move might never end"
                            )
                        if nxt >= 0 and nxt not in seen:
                            seen.add(nxt)
                            stack.append(nxt)
    return MoveTable(first=first, pi=np.stack(rows_i), pf=np.stack(rows_f), boxes=np.stack(rows_b))


def default_path() -> Path:
    return Path(str(resources.files("brawl_env") / "data" / "moves.toml"))


@functools.cache
def load() -> MoveTable:
    """The package's frame data, parsed once per process."""
    path = default_path()
    return parse(path.read_text(), source=str(path))
