"""Shared tactics of the built-in bots: the stage, a frame snapshot, a move book and a pilot.

Every built-in bot beyond the original's baselines flies with a :class:`Pilot`, which owns the
"stay alive" routine and the key discipline:

- **Never walk off a floor.** On the ground the pilot drops a horizontal key that would carry the body
  within ``EDGE_MARGIN`` of a floor's end, refuses a dash that would slide past it, and vetoes ground
  attacks whose lunge (from the move book) would end past it.
- **Cross the pit with jumps.** :meth:`Pilot.walk` walks to a point; when the point lies on the other
  floor (4 units away, the left one 2 lower) or on the moving platform, it jumps from near the inner
  edge and the air routine below carries it over, using the air jumps when it would fall short.
- **Recover when knocked off.** :meth:`Pilot.air` steers an airborne body to a landing. It predicts
  the fall frame by frame with the game's own constants (gravity, fall cap, air drift, solid floors,
  the moving platform), picks a floor it can still reach (its air jumps tried in the prediction; the
  preferred floor first, else the cheapest), brakes momentum that carries it away or past its aim with
  air turns (an air turn divides the horizontal speed by 3), and jumps only when the prediction says
  it will miss and it is about to drop below the floor's top (each jump restores the same 1 s of
  airtime, so late jumps go furthest), never right under a floor's underside. Jumps are fresh presses
  (never two frames running), air jumps are used one by one, and when none is left the recovery move
  (heavy in the air, once per airtime) lifts it the last stretch.
- **Fast-fall only when safe:** over a floor, above it, and not recovering.
- **No aerials off stage:** an airborne attack is allowed only over a floor, ending over it, when the
  fall without any key lands on that floor.

The move book (:data:`MOVES`) was measured on the engine: for each weapon and move slot, the first
frame that hits, the move's length, where a target's centre is hit relative to the attacker's start
(x forward, y up; the attacker's own lunge included) and how far the move carries the attacker.

The pilot runs every frame of every match a bot plays, training rollouts included, so its heavy parts
are compiled with the engine's decorator (``brawl_env._jit``: cache on, no fast-math, so they compute
exactly what the same lines compute in plain Python): reading the frame's snapshot, the flights
(:func:`predict_landing`, :func:`reachable`) and the choice of floor. A frame's landing predictions
are kept for its snapshot. ``tests/brawl_env/test_pilot_keys.py`` holds a fingerprint of the keys the
bots pressed on every frame of a fixed corpus before all this; they must keep pressing the same keys.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np

from .._jit import helper, kernel
from ..engine import layout as L
from ..engine import params as P
from ..engine.obs import (
    ME_BASE,
    N_LOOSE_WEAPONS,
    N_SPAWNERS,
    O_DAMAGE,
    O_FACING,
    O_GROUNDED,
    O_INVULN,
    O_JUMP_CD,
    O_JUMPS,
    O_ON_PLATFORM,
    O_RECOV,
    O_STATE,
    O_VX,
    O_VY,
    O_WEAPON,
    O_X,
    O_Y,
    OBS_DIM,
    OPP_BASE,
    PLAYER_FIELDS,
    PLAYER_OFFSETS,
    W_PVX,
    W_PVY,
    W_PX,
    W_PY,
    WORLD_FIELDS,
    WORLD_OFFSETS,
    Field,
)
from ..view import ObsView

# ---------------------------------------------------------------------------------------------------
# the stage
# ---------------------------------------------------------------------------------------------------

HALF_W, HALF_H = P.HALF_W, P.HALF_H
EDGE_MARGIN = 0.45  # a walking body's centre stays this far inside a floor's ends
DASH_ROOM = 3.8  # a dash (10 u/s for 9 frames) needs this much floor ahead
FPS = P.FPS
LEAD_FALL_CAP = 3.0
"""How far below its position an airborne target is led at most (units) when aiming a move at it."""


class Floor(NamedTuple):
    name: str
    x0: float
    x1: float
    top: float
    bottom: float
    inner: int  # +1: the pit lies to the right of this floor; -1: to its left

    @property
    def stand(self) -> float:
        """The centre height of a body standing on it."""
        return self.top + HALF_H

    @property
    def mid(self) -> float:
        return 0.5 * (self.x0 + self.x1)

    @property
    def inner_x(self) -> float:
        return self.x1 if self.inner > 0 else self.x0

    @property
    def outer_x(self) -> float:
        return self.x0 if self.inner > 0 else self.x1

    def clamp(self, x: float, margin: float = EDGE_MARGIN) -> float:
        return min(max(x, self.x0 + margin), self.x1 - margin)

    def overlaps(self, x: float) -> bool:
        return x + HALF_W > self.x0 and x - HALF_W < self.x1


RIGHT = Floor("right", P.FLOOR_R_X0, P.FLOOR_R_X1, P.FLOOR_R_TOP, P.FLOOR_R_BOTTOM, -1)
LEFT = Floor("left", P.FLOOR_L_X0, P.FLOOR_L_X1, P.FLOOR_L_TOP, P.FLOOR_L_BOTTOM, +1)
FLOORS = (RIGHT, LEFT)
PLATFORM = "platform"


def floor_under(x: float, y: float, slack: float = 0.05) -> Floor | None:
    """The floor a body at (x, y) stands on or is above (overlapping it horizontally)."""
    for f in FLOORS:
        if f.overlaps(x) and y - HALF_H >= f.top - slack:
            return f
    return None


def nearest_floor(x: float) -> Floor:
    return RIGHT if x > 0 else LEFT


def other(f: Floor) -> Floor:
    return LEFT if f is RIGHT else RIGHT


# ---------------------------------------------------------------------------------------------------
# a snapshot of one frame
# ---------------------------------------------------------------------------------------------------

CONTROL_STATES = (
    L.S_WALKING,
    L.S_STANDING,
    L.S_TURNAROUND,
    L.S_AIR_TURNAROUND,
    L.S_SPRINTING,
    L.S_IN_AIR,
    L.S_DASH,
)

# A bot reads a snapshot every frame. Its fields are decoded with the observation's offset table, the
# one ObsView reads: a value is the observation times its field's scale (in double precision), a flag
# is the observation above 0.5, a one-hot the index of its first largest entry. The fields every frame
# reads are decoded by one compiled call (built in plain Python they were the largest cost of a frame);
# the others are decoded when asked for.
_PLAYER = {f.name: f for f in PLAYER_FIELDS}
_WORLD = {f.name: f for f in WORLD_FIELDS}
_S_X, _S_Y, _S_VX, _S_VY = (float(_PLAYER[n].scale) for n in ("x", "y", "vx", "vy"))
_S_JUMPS, _S_RECOV, _S_JUMP_CD = (
    float(_PLAYER[n].scale) for n in ("jumps_left", "recoveries_left", "jump_cooldown")
)
_S_DAMAGE = float(_PLAYER["damage"].scale)
_N_STATES, _N_WEAPONS = _PLAYER["state"].size, _PLAYER["weapon"].size
_S_PX, _S_PY, _S_PVX, _S_PVY = (
    float(_WORLD[n].scale) for n in ("platform_x", "platform_y", "platform_vx", "platform_vy")
)
_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)


@helper
def _first_largest(obs, at: int, size: int) -> int:
    """A one-hot run's index: the first of its largest entries."""
    best = 0
    for i in range(1, size):
        if obs[at + i] > obs[at + best]:
            best = i
    return best


@helper
def _read_player(obs, base: int):
    """The fields of the player block at ``base`` that the pilot reads every frame, in Body's order."""
    return (
        float(obs[base + O_X]) * _S_X,
        float(obs[base + O_Y]) * _S_Y,
        float(obs[base + O_VX]) * _S_VX,
        float(obs[base + O_VY]) * _S_VY,
        1 if obs[base + O_FACING] >= 0 else -1,
        bool(obs[base + O_GROUNDED] > 0.5),
        bool(obs[base + O_ON_PLATFORM] > 0.5),
        round(float(obs[base + O_JUMPS]) * _S_JUMPS),
        round(float(obs[base + O_RECOV]) * _S_RECOV),
        round(float(obs[base + O_JUMP_CD]) * _S_JUMP_CD),
        _first_largest(obs, base + O_STATE, _N_STATES),
        bool(obs[base + O_INVULN] > 0.5),
        float(obs[base + O_DAMAGE]) * _S_DAMAGE,
        _first_largest(obs, base + O_WEAPON, _N_WEAPONS),
    )


@kernel
def _read_frame(obs):
    """Both players' every-frame fields and the platform's (x, y, vx, vy)."""
    return (
        _read_player(obs, ME_BASE),
        _read_player(obs, OPP_BASE),
        (
            float(obs[W_PX]) * _S_PX,
            float(obs[W_PY]) * _S_PY,
            float(obs[W_PVX]) * _S_PVX,
            float(obs[W_PVY]) * _S_PVY,
        ),
    )


def _value(obs: np.ndarray, at: int, f: Field):
    """One field decoded in plain Python (``obs.item`` gives the value as a Python float)."""
    if f.kind == "onehot":
        run = obs[at : at + f.size].tolist()
        return run.index(max(run))
    if f.kind == "flag":
        return obs.item(at) > 0.5
    return obs.item(at) * float(f.scale)


_UNKNOWN = object()


def _on_demand(name: str, count: bool = False) -> property:
    """A Body field decoded from the observation when read; ``count``: rounded to a whole number."""
    f = _PLAYER[name]

    def read(body):
        value = _value(body._obs, body._base + PLAYER_OFFSETS[name], f)
        return int(round(value)) if count else value

    return property(read)


class Body:
    """One player's fields as plain Python numbers: ``fields`` from :func:`_read_player`, the rest read
    from its block at ``base`` of the observation ``obs`` when asked for."""

    __slots__ = (
        "x",
        "y",
        "vx",
        "vy",
        "facing",
        "grounded",
        "on_platform",
        "jumps",
        "recoveries",
        "jump_cd",
        "state",
        "invulnerable",
        "damage",
        "weapon",
        "_obs",
        "_base",
        "_floor",
    )

    def __init__(self, fields: tuple, obs: np.ndarray, base: int) -> None:
        (
            self.x,
            self.y,
            self.vx,
            self.vy,
            self.facing,
            self.grounded,
            self.on_platform,
            self.jumps,
            self.recoveries,
            self.jump_cd,
            self.state,
            self.invulnerable,
            self.damage,
            self.weapon,
        ) = fields
        self._obs, self._base = obs, base
        self._floor = _UNKNOWN

    # the fields no built-in bot reads every frame
    move = _on_demand("move")
    move_frame = _on_demand("move_frame", count=True)
    dodge_cd = _on_demand("dodge_cooldown", count=True)
    stun = _on_demand("stun", count=True)
    stocks = _on_demand("stocks")
    respawn = _on_demand("respawn_timer", count=True)
    charge = _on_demand("charge")

    @property
    def alive(self) -> bool:
        return self.state != L.S_KO

    @property
    def attacking(self) -> bool:
        return self.state == L.S_ATTACK

    @property
    def helpless(self) -> bool:
        """Cannot act this frame: stunned or knocked out."""
        return self.state in (L.S_STUN, L.S_KO)

    @property
    def floor(self) -> Floor | None:
        """The floor it stands on (None in the air or on the platform); a frame asks often, so the
        answer is kept."""
        if self._floor is _UNKNOWN:
            self._floor = None if not self.grounded or self.on_platform else floor_under(self.x, self.y)
        return self._floor


def _weapon_columns(kind: str, n: int) -> tuple:
    """Where the weapons ``kind0`` ... ``kind{n-1}`` sit in the observation, and their scales:
    (active, x, x scale, y, y scale, weapon, weapon size) each."""

    def at(k, name):
        return WORLD_OFFSETS[f"{kind}{k}_{name}"]

    def scale(k, name):
        return float(_WORLD[f"{kind}{k}_{name}"].scale)

    return tuple(
        (
            at(k, "active"),
            at(k, "x"),
            scale(k, "x"),
            at(k, "y"),
            scale(k, "y"),
            at(k, "weapon"),
            _WORLD[f"{kind}{k}_weapon"].size,
        )
        for k in range(n)
    )


_SPAWNER_COLUMNS = _weapon_columns("spawner", N_SPAWNERS)
_LOOSE_COLUMNS = _weapon_columns("loose", N_LOOSE_WEAPONS)


def _weapons(obs: np.ndarray, columns: tuple) -> list[tuple[float, float, int]]:
    """(x, y, weapon) of each active weapon of ``columns``; weapon 1 spear, 2 hammer."""
    out = []
    for active, x, sx, y, sy, w, size in columns:
        if obs.item(active) > 0.5:
            run = obs[w : w + size].tolist()
            out.append((obs.item(x) * sx, obs.item(y) * sy, 1 + run.index(max(run))))
    return out


class Snapshot:
    """What a bot sees this frame: ``me``, ``opp`` (:class:`Body`) and the world, decoded with the same
    field table as ``ObsView`` (``view.me.x`` is ``snapshot.me.x``)."""

    __slots__ = ("me", "opp", "plat_x", "plat_y", "plat_vx", "plat_vy", "_obs")

    def __init__(self, view: ObsView) -> None:
        # a private copy, flat and contiguous (callers reuse their buffers, and the fields decoded on
        # demand read it later); float32 and float64 values are exact in a double, others become one
        obs = view.obs
        if obs.ndim == 1 and (obs.dtype is _FLOAT32 or obs.dtype is _FLOAT64):
            obs = obs.copy()
        else:  # a batch of one, or another type
            obs = np.array(obs, _FLOAT32 if obs.dtype is _FLOAT32 else _FLOAT64).reshape(-1)
        if len(obs) < OBS_DIM:  # the compiled reader does not check its indices
            raise ValueError(f"an observation has {OBS_DIM} values; got {len(obs)}")
        self._obs = obs
        me, opp, (self.plat_x, self.plat_y, self.plat_vx, self.plat_vy) = _read_frame(obs)
        self.me = Body(me, obs, ME_BASE)
        self.opp = Body(opp, obs, OPP_BASE)

    @property
    def spawners(self) -> list[tuple[float, float, int]]:
        """(x, y, weapon) of each weapon showing at a spawner; weapon 1 spear, 2 hammer."""
        return _weapons(self._obs, _SPAWNER_COLUMNS)

    @property
    def loose(self) -> list[tuple[float, float, int]]:
        """(x, y, weapon) of each dropped weapon lying on the stage."""
        return _weapons(self._obs, _LOOSE_COLUMNS)

    @property
    def time_left(self) -> float:
        return _value(self._obs, WORLD_OFFSETS["time_left"], _WORLD["time_left"])

    @property
    def plat_top(self) -> float:
        return self.plat_y + P.PLAT_HALF_H


# ---------------------------------------------------------------------------------------------------
# predicting a fall
# ---------------------------------------------------------------------------------------------------
#
# A bot asks where a body will land several times a frame, and flying 90 or 120 frames ahead in plain
# Python was most of its time, so the flights below are compiled (brawl_env._jit: no fast-math, so
# they compute exactly what the same lines compute in Python). The compiled code sees the floors as
# rows of numbers, in the order of FLOORS, and names a surface by its row (-1: none).

_G = P.GRAVITY / FPS
_DRIFT = P.AIR_ACCEL
_FLOOR_ROWS = np.array([(f.x0, f.x1, f.top, f.bottom, f.mid) for f in FLOORS])  # x0, x1, top, bottom, mid
_NOWHERE, _ON_PLATFORM = -1, len(FLOORS)
_SURFACES = FLOORS + (PLATFORM, None)  # by code: a floor's row, _ON_PLATFORM, or _NOWHERE (the last)


@helper
def steer(x: float, vx: float, facing: int, tx: float) -> int:
    """The horizontal key (-1, 0, +1) that flies a body at ``x`` toward ``tx`` in the air.

    Holds toward the target, but brakes with an air turn (pressing against the facing divides the
    speed by 3) when it moves away from the target or would overshoot it.
    """
    d = tx - x
    if abs(d) < 0.15:
        return -facing if abs(vx) > 2.0 and vx * facing > 0 else 0
    sgn = 1 if d > 0 else -1
    if vx * sgn < -2.0 or (vx * sgn > 0 and vx * vx / (2 * P.AIR_ACCEL * FPS) > abs(d) + 0.25):
        return -facing if vx * facing > 0 or vx * sgn < -2.0 else sgn
    return sgn


@helper
def _air_step(x: float, vx: float, facing: int, tx: float):
    """One frame of air control toward ``tx``: (vx, facing)."""
    dirn = steer(x, vx, facing, tx)
    if dirn != 0 and dirn != facing:
        return vx / P.AIR_TURN_DIVISOR, dirn
    if dirn != 0:
        target = dirn * P.WALK_SPEED
        vx = min(vx + _DRIFT, target) if vx < target else max(vx - _DRIFT, target)
    return vx, facing


@helper
def _meet_floors(x: float, y: float, x1: float, y1: float, vx: float, vy: float):
    """A frame's move from (x, y) to (x1, y1) against the solid floors: ``(floor, x1, y1, vx, vy)``, where
    ``floor`` is the row of the floor it lands on (coming from above its top), else -1 and the move is
    stopped at any floor's underside or wall."""
    for i in range(len(_FLOOR_ROWS)):
        x0, fx1, top, bottom, mid = _FLOOR_ROWS[i]
        if x1 + HALF_W > x0 and x1 - HALF_W < fx1 and y1 - HALF_H < top and y1 + HALF_H > bottom:
            if y - HALF_H >= top - 1e-9:
                return i, x1, y1, vx, vy
            if y + HALF_H <= bottom + 1e-9:
                y1 = bottom - HALF_H
                vy = min(vy, 0.0)
            elif x < mid:
                x1 = x0 - HALF_W
                vx = min(vx, 0.0)
            else:
                x1 = fx1 + HALF_W
                vx = max(vx, 0.0)
    return _NOWHERE, x1, y1, vx, vy


@kernel
def _fly(
    x: float,
    y: float,
    vx: float,
    vy: float,
    facing: int,
    steering: bool,
    tx: float,
    with_plat: bool,
    px: float,
    ptop: float,
    pvx: float,
    pvy: float,
    frames: int,
):
    """:func:`predict_landing` in numbers: ``(surface code, frames, x)``."""
    for k in range(1, frames + 1):
        if steering:
            vx, facing = _air_step(x, vx, facing, tx)
        landed, x1, y1, vx, vy = _meet_floors(x, y, x + vx / FPS, y + vy / FPS, vx, vy)
        if landed != _NOWHERE:
            return landed, k, x1
        if with_plat and vy <= 0.0:
            t0, t1 = (k - 1) / FPS, k / FPS
            if (
                y - HALF_H >= ptop + pvy * t0 - 1e-9
                and y1 - HALF_H <= ptop + pvy * t1
                and abs(x1 - px - pvx * t1) < P.PLAT_HALF_W + HALF_W
            ):
                return _ON_PLATFORM, k, x1
        x, y = x1, y1
        if abs(x) > P.BLAST_X or abs(y) > P.BLAST_Y:
            return _NOWHERE, k, x
        vy = max(vy - _G, -P.MAX_FALL_SPEED)
    return _NOWHERE, frames, x


def predict_landing(
    x: float,
    y: float,
    vx: float,
    vy: float,
    tx: float | None,
    plat: tuple[float, float, float, float] | None,
    frames: int = 90,
    facing: int | None = None,
):
    """Fly a body forward with the game's air physics, steering toward ``tx`` (None: no key).

    Returns ``(surface, frames, x)``: the floor (or :data:`PLATFORM`) it lands on, when and where, or
    ``(None, frames, x)`` when it leaves through a blast line or has not landed after ``frames``.
    ``plat`` is the platform's (centre x, top, vx, vy), moving in a straight line.
    """
    if facing is None:
        facing = 1 if vx >= 0 else -1
    px, ptop, pvx, pvy = (0.0, 0.0, 0.0, 0.0) if plat is None else plat
    # the arguments are cast so that the compiled code is only ever called with one signature
    surface, k, x_end = _fly(
        float(x),
        float(y),
        float(vx),
        float(vy),
        int(facing),
        tx is not None,
        0.0 if tx is None else float(tx),
        plat is not None,
        float(px),
        float(ptop),
        float(pvx),
        float(pvy),
        int(frames),
    )
    return _SURFACES[surface], k, x_end


@kernel
def _reaches(
    x: float,
    y: float,
    vx: float,
    vy: float,
    facing: int,
    jumps: int,
    cd: int,
    floor: int,
    aim: float,
    frames: int,
) -> bool:
    """:func:`reachable` in numbers; ``floor`` is the row of the floor to reach."""
    top = _FLOOR_ROWS[floor, 2]
    for _ in range(frames):
        vx, facing = _air_step(x, vx, facing, aim)
        if cd > 0:
            cd -= 1
        elif jumps > 0 and vy < 2.5 and (y + vy * 5 / FPS < top + 1.3 or y < top + 0.3):
            vy = P.JUMP_SPEED
            jumps -= 1
            cd = P.AIR_JUMP_COOLDOWN + 1
        landed, x1, y1, vx, vy = _meet_floors(x, y, x + vx / FPS, y + vy / FPS, vx, vy)
        if landed != _NOWHERE:
            return landed == floor
        x, y = x1, y1
        if abs(x) > P.BLAST_X or abs(y) > P.BLAST_Y:
            return False
        vy = max(vy - _G, -P.MAX_FALL_SPEED)
    return False


def reachable(me: Body, f: Floor, aim: float, frames: int = 120) -> bool:
    """Can an airborne body land on floor ``f`` by drifting toward ``aim`` and using its air jumps late
    (when about to drop below the floor's top)? The recovery move is kept in reserve."""
    return _reaches(
        float(me.x),
        float(me.y),
        float(me.vx),
        float(me.vy),
        int(me.facing),
        int(me.jumps),
        int(max(me.jump_cd, 0)),
        FLOORS.index(f),
        float(aim),
        int(frames),
    )


@helper
def _safe_x(floor: int, x: float) -> float:
    """``x`` clamped onto floor row ``floor``, 0.9 inside its ends (``Pilot.landing_x`` with no target)."""
    return min(max(x, _FLOOR_ROWS[floor, 0] + 0.9), _FLOOR_ROWS[floor, 1] - 0.9)


@kernel
def _choose_floor_row(
    x: float, y: float, vx: float, vy: float, facing: int, jumps: int, cd: int, prefer: int
) -> int:
    """:meth:`Pilot.choose_floor` in numbers: the row of the floor to fly to; ``prefer`` is a row or -1."""
    if prefer >= 0 and _reaches(x, y, vx, vy, facing, jumps, cd, prefer, _safe_x(prefer, x), 120):
        return prefer
    # what each floor costs: the way to its nearest safe point, the climb (dear), momentum that carries
    # the body away from it, and being under it
    n = len(_FLOOR_ROWS)
    cost = np.empty(n)
    for i in range(n):
        x0, x1, top, bottom, mid = _FLOOR_ROWS[i]
        lx = min(max(x, x0 + 0.6), x1 - 0.6)
        dx = abs(lx - x)
        rise = max(0.0, top + 0.3 - y)
        away = -vx * (1.0 if lx > x else -1.0) if dx > 0.1 else 0.0
        cost[i] = dx + 1.6 * rise + 0.25 * max(away, 0.0)
        if x + HALF_W > x0 and x - HALF_W < x1 and y < top:
            cost[i] += 3.0
    # the cheapest floor it can reach (ties go to the first in FLOORS), else the cheapest
    tried = np.zeros(n, np.bool_)
    cheapest = -1
    for _ in range(n):
        best = -1
        for i in range(n):
            if not tried[i] and (best < 0 or cost[i] < cost[best]):
                best = i
        tried[best] = True
        if cheapest < 0:
            cheapest = best
        if best != prefer and _reaches(x, y, vx, vy, facing, jumps, cd, best, _safe_x(best, x), 120):
            return best  # (prefer was tried above)
    return cheapest


@functools.cache
def warm_up() -> None:
    """Compile the flights (or load them from numba's cache) before a bot's first frame needs them; a
    pilot calls it when it is made. Every call above passes the same argument types, so nothing is
    compiled later."""
    predict_landing(0.0, 0.0, 0.0, 0.0, 0.0, (0.0, 0.0, 0.0, 0.0))
    _reaches(0.0, 0.0, 0.0, 0.0, 1, 0, 0, 0, 0.0, 1)
    _choose_floor_row(0.0, 0.0, 0.0, 0.0, 1, 0, 0, -1)
    steer(0.0, 0.0, 1, 0.0)
    for dtype in (_FLOAT32, _FLOAT64):  # what a Snapshot hands over
        _read_frame(np.zeros(OBS_DIM, dtype))


# ---------------------------------------------------------------------------------------------------
# the move book
# ---------------------------------------------------------------------------------------------------


class Move(NamedTuple):
    """One move of one weapon, as measured on the engine against a still target."""

    first: int  # frame of the first hit (the input frame is 1)
    length: int  # frames in the Attack state on a whiff
    fx0: float  # a target centre at (fx, dy) from the attacker's start is hit: fx forward ...
    fx1: float
    dy0: float  # ... and dy up
    dy1: float
    lunge: float  # how far forward the move carries the attacker (ground moves)
    power: float  # launch speed (u/s) of its strongest hit on a target at 100 damage
    damage: float  # damage of the whole chain when it all lands


NLIGHT, DLIGHT, SLIGHT, NSIG, DSIG, SSIG, NAIR, DAIR, SAIR, RECOVERY, GROUNDPOUND = range(1, 12)
GROUND_SLOTS = (NLIGHT, DLIGHT, SLIGHT, NSIG, DSIG, SSIG)
AIR_SLOTS = (NAIR, DAIR, SAIR, RECOVERY, GROUNDPOUND)
HEAVY_SLOTS = (NSIG, DSIG, SSIG, RECOVERY, GROUNDPOUND)
_SLOT_KEYS = {
    NLIGHT: ("light",),
    DLIGHT: ("down", "light"),
    SLIGHT: ("side", "light"),
    NSIG: ("heavy",),
    DSIG: ("down", "heavy"),
    SSIG: ("side", "heavy"),
    NAIR: ("light",),
    DAIR: ("down", "light"),
    SAIR: ("side", "light"),
    RECOVERY: ("heavy",),
    GROUNDPOUND: ("down", "heavy"),
}

_D = (  # damage of each move's full chain, slots 1-11, per weapon
    (14, 8, 13, 20, 32, 18, 11, 16, 13, 15, 34),
    (14, 10, 15, 24, 27, 25, 15, 13, 17, 18, 36),
    (19, 7, 17, 27, 18, 26, 20, 16, 20, 15, 50),
)
_M = {
    # punch
    (0, 1): (4, 16, -0.25, 1.00, -0.50, 0.75, 0.00, 9.3),  # nlight
    (0, 2): (6, 17, 0.25, 2.00, -1.00, 0.50, 0.67, 5.9),  # dlight
    (0, 3): (8, 18, 0.25, 1.50, -0.75, 0.75, 1.12, 11.8),  # slight
    (0, 4): (11, 18, -0.50, 0.50, -0.50, 1.25, 0.00, 13.3),  # nsig
    (0, 5): (8, 26, -1.50, 1.50, -1.00, 0.25, 0.00, 16.8),  # dsig
    (0, 6): (12, 23, 0.25, 1.50, -0.75, 0.75, 1.20, 15.9),  # ssig
    (0, 7): (5, 20, -0.50, 1.00, -1.00, 0.75, 0.00, 12.7),  # nair
    (0, 8): (7, 24, 0.00, 3.25, -3.00, -0.50, 3.96, 14.1),  # dair
    (0, 9): (8, 21, 0.00, 1.75, -1.25, 0.25, 2.06, 9.1),  # sair
    (0, 10): (7, 23, 0.00, 2.00, 0.75, 3.00, 1.57, 12.0),  # recovery
    (0, 11): (11, 26, -1.25, 1.25, -3.00, -2.00, 0.00, 13.5),  # groundpound
    # spear
    (1, 1): (5, 25, 0.50, 2.00, -0.75, 0.75, 0.00, 10.1),  # nlight
    (1, 2): (5, 24, -0.50, 1.75, 0.00, 3.00, 2.00, 12.1),  # dlight (pole vault)
    (1, 3): (8, 28, 0.00, 3.00, -0.50, 0.50, 0.00, 10.6),  # slight
    (1, 4): (12, 26, 0.25, 1.75, -0.25, 1.50, 0.00, 16.5),  # nsig
    (1, 5): (20, 36, -0.25, 1.00, -0.75, 0.50, -0.10, 17.5),  # dsig
    (1, 6): (17, 24, 1.75, 3.50, -0.75, 0.75, 2.44, 18.6),  # ssig
    (1, 7): (9, 22, -2.00, 2.00, -2.00, 0.75, 0.00, 9.6),  # nair
    (1, 8): (8, 18, -0.75, 0.75, -2.50, -0.75, 0.00, 9.2),  # dair
    (1, 9): (8, 21, 0.25, 3.25, -1.25, 0.25, 0.23, 9.2),  # sair
    (1, 10): (9, 21, -0.75, 1.50, 2.00, 3.00, 0.00, 12.8),  # recovery
    (1, 11): (11, 28, -2.00, 2.75, -3.00, -2.00, 0.00, 11.9),  # groundpound
    # hammer
    (2, 1): (5, 22, 0.00, 2.00, -0.75, 0.75, 0.00, 20.0),  # nlight
    (2, 2): (6, 22, 0.00, 2.00, -1.00, 0.25, 0.00, 4.9),  # dlight
    (2, 3): (8, 21, 1.00, 3.75, -0.75, 0.75, 2.44, 9.1),  # slight
    (2, 4): (11, 33, -0.25, 2.00, -0.75, 1.50, 0.00, 25.4),  # nsig
    (2, 5): (19, 54, 1.00, 3.25, -1.00, 0.50, 1.00, 46.8),  # dsig
    (2, 6): (18, 41, 0.25, 3.00, -0.75, 0.75, 0.00, 18.8),  # ssig
    (2, 7): (10, 23, -0.50, 1.00, -1.75, 0.25, 0.00, 11.0),  # nair
    (2, 8): (9, 25, -0.75, 1.00, -2.00, -0.50, 0.00, 18.2),  # dair
    (2, 9): (10, 24, 0.75, 3.00, -1.75, 0.00, 4.05, 12.5),  # sair
    (2, 10): (8, 23, 0.00, 1.75, 1.50, 3.00, 1.15, 28.4),  # recovery
    (2, 11): (14, 26, -1.50, 1.50, -3.00, -2.75, 0.00, 27.0),  # groundpound
}
#: MOVES[weapon][slot] -> Move (slot 0 is None)
MOVES: tuple[tuple[Move | None, ...], ...] = tuple(
    (None,) + tuple(Move(*_M[(w, s)], damage=float(_D[w][s - 1])) for s in range(1, 12)) for w in range(3)
)


@functools.cache  # the move book is fixed: each answer is worked out once
def reach(weapon: int, slots=(SLIGHT, NLIGHT, SSIG)) -> float:
    """The longest forward reach among ``slots`` of ``weapon`` (ground pokes by default)."""
    return max(MOVES[weapon][s].fx1 for s in slots)


@functools.cache
def threat_reach(weapon: int) -> float:
    """How far in front of a grounded player its ground moves can hit (the danger zone to stay out of)."""
    return max(MOVES[weapon][s].fx1 + max(MOVES[weapon][s].lunge, 0.0) * 0.5 for s in GROUND_SLOTS)


def move_keys(slot: int, toward: int) -> list[int]:
    """The key indices that start ``slot`` facing ``toward`` (+1 right, -1 left).

    Side moves hold the direction; neutral moves hold up plus the direction (up keeps them neutral,
    the direction turns the facing); down moves hold down plus the direction.
    """
    side = L.K_RIGHT if toward > 0 else L.K_LEFT
    keys = [side]
    for k in _SLOT_KEYS[slot]:
        if k == "light":
            keys.append(L.K_LIGHT)
        elif k == "heavy":
            keys.append(L.K_HEAVY)
        elif k == "down":
            keys.append(L.K_DOWN)
    if _SLOT_KEYS[slot][0] in ("light", "heavy"):
        keys.append(L.K_UP)
    return keys


def hits(s: Snapshot, slot: int, toward: int, lead: float = 1.0, slack: float = 0.0) -> bool:
    """Would ``slot`` started now, facing ``toward``, hit the opponent where it will be at the hit frame?

    The opponent's position is led by its velocity over the move's startup (times ``lead``); an
    airborne attacker's own drift is added. ``slack`` widens the box.
    """
    mv = MOVES[s.me.weapon][slot]
    dx, dy = _offset_at_hit(s, mv, lead)
    return mv.fx0 - slack <= dx * toward <= mv.fx1 + slack and mv.dy0 - slack <= dy <= mv.dy1 + slack


def _offset_at_hit(s: Snapshot, mv: Move, lead: float) -> tuple[float, float]:
    """Where the opponent will be when ``mv`` hits, relative to the attacker then: (dx, dy)."""
    me, opp = s.me, s.opp
    t = mv.first / FPS
    ox = opp.x + opp.vx * t * lead
    oy = opp.y
    if not opp.grounded:
        oy += (opp.vy * t - 0.5 * P.GRAVITY * t * t) * lead
        if oy < opp.y - LEAD_FALL_CAP:
            oy = opp.y - LEAD_FALL_CAP
    mx, my = me.x, me.y
    if not me.grounded:
        mx += me.vx * t
        my += me.vy * t  # the book already includes the fall from rest
    return ox - mx, oy - my


# ---------------------------------------------------------------------------------------------------
# the pilot
# ---------------------------------------------------------------------------------------------------


def _toward(x: float, target: float) -> int:
    if target > x + 0.05:
        return 1
    if target < x - 0.05:
        return -1
    return 0


class Pilot:
    """Keys and survival for one bot (see the module docstring). Call :meth:`reset` with the bot's.

    A bot's frame: ``s = pilot.read(view)``; if ``pilot.in_danger(s)``, return ``pilot.finish(s,
    pilot.air(s))``; otherwise build keys (``pilot.walk``, attacks ...) and return ``pilot.finish(s, keys)``.
    """

    def __init__(self) -> None:
        warm_up()
        self.reset()

    def reset(self) -> None:
        self.prev = np.zeros(L.N_KEYS, np.int8)
        self.t = 0
        self.recovering = False  # the last air() call found the landing unsafe
        self.recovery_move = False  # the last air() call asked for the recovery move
        self._chosen = None  # ((frame, prefer), floor): choose_floor's answer this frame
        self._landings = (None, {})  # (snapshot, {tx: landing}): landing's answers for one snapshot

    # -- reading -------------------------------------------------------------------------------------

    def read(self, view: ObsView) -> Snapshot:
        self.t += 1
        return Snapshot(view)

    @staticmethod
    def plat(s: Snapshot) -> tuple[float, float, float, float]:
        return s.plat_x, s.plat_top, s.plat_vx, s.plat_vy

    def landing(self, s: Snapshot, tx: float | None = None):
        """Where the body will land (surface, frames, x), holding toward ``tx`` if given. A frame asks
        the same question more than once (am I in danger? then: fly there), so answers are kept for
        the snapshot they were asked of."""
        seen, known = self._landings
        if seen is not s:
            known = {}
            self._landings = (s, known)
        if tx not in known:
            me = s.me
            known[tx] = predict_landing(me.x, me.y, me.vx, me.vy, tx, self.plat(s), facing=me.facing)
        return known[tx]

    def in_danger(self, s: Snapshot) -> bool:
        """Airborne (and alive) without a floor to land on if it keeps drifting toward the nearest one."""
        me = s.me
        if me.grounded or not me.alive:
            return False
        f = floor_under(me.x, me.y)
        if f is not None and f.x0 + 0.3 < me.x < f.x1 - 0.3 and abs(me.vx) < 4.0:
            return False
        surface, _, _ = self.landing(s, self.landing_x(s, self.choose_floor(s)))
        return surface is None

    # -- the air ---------------------------------------------------------------------------------------

    def choose_floor(self, s: Snapshot, prefer: Floor | None = None) -> Floor:
        """The floor to fly to: ``prefer`` when it can be reached, else the cheapest reachable one."""
        key = (self.t, None if prefer is None else prefer.name)
        if self._chosen is not None and self._chosen[0] == key:
            return self._chosen[1]
        f = self._choose_floor(s, prefer)
        self._chosen = (key, f)
        return f

    def _choose_floor(self, s: Snapshot, prefer: Floor | None) -> Floor:
        me = s.me
        row = _choose_floor_row(
            float(me.x),
            float(me.y),
            float(me.vx),
            float(me.vy),
            int(me.facing),
            int(me.jumps),
            int(max(me.jump_cd, 0)),
            -1 if prefer is None else FLOORS.index(prefer),
        )
        return FLOORS[row]

    @staticmethod
    def landing_x(s: Snapshot, f: Floor, tx: float | None = None) -> float:
        """The x to aim for on floor ``f``: ``tx`` clamped onto it, else the nearest safe point."""
        return f.clamp(s.me.x if tx is None else tx, 0.9)

    def air(self, s: Snapshot, prefer: Floor | str | None = None, tx: float | None = None) -> np.ndarray:
        """Keys that fly an airborne body to a landing on ``prefer`` (a floor, :data:`PLATFORM`, or None
        for the cheapest floor), near ``tx``. The platform is aimed at only while the fall reaches it."""
        keys = np.zeros(L.N_KEYS, np.int8)
        me = s.me
        self.recovery_move = False
        if me.grounded or not me.alive:
            return keys
        if prefer is PLATFORM:
            surface, _, _ = self.landing(s, s.plat_x)
            if surface is PLATFORM:
                self.recovering = False
                d = steer(me.x, me.vx, me.facing, s.plat_x)
                if d:
                    keys[L.K_RIGHT if d > 0 else L.K_LEFT] = 1
                return keys
            prefer = None
        f = self.choose_floor(s, prefer)
        aim = self.landing_x(s, f, tx)
        # under the floor (not beside its wall): go round it, out past its nearer end, before rising
        under = me.y + HALF_H < f.bottom + 0.3 and f.x0 - HALF_W - 0.3 < me.x < f.x1 + HALF_W + 0.3
        if under:
            aim = f.x0 - HALF_W - 0.45 if me.x < f.mid else f.x1 + HALF_W + 0.45
        # steer: toward the aim, braking with air turns (each divides the speed by 3) when the
        # momentum carries it away or past the aim
        dirn = steer(me.x, me.vx, me.facing, aim)
        surface, frames, _ = self.landing(s, aim)
        safe = surface is f or (surface is not None and prefer is None)
        self.recovering = not safe
        if dirn != 0 and dirn != me.facing and me.state in (L.S_IN_AIR, L.S_AIR_TURNAROUND):
            keys[L.K_RIGHT if dirn > 0 else L.K_LEFT] = 1  # an air turn: no jump on this frame
            return keys
        if dirn > 0:
            keys[L.K_RIGHT] = 1
        elif dirn < 0:
            keys[L.K_LEFT] = 1
        if safe:
            return keys
        # will miss: jump when about to drop below the floor's top (a jump restores the same airtime
        # wherever it is used, so the last moment goes furthest)
        soon = me.y + me.vy * 5 / FPS
        deadline = f.top + 1.3
        blocked = False
        for g in FLOORS:  # a jump right under a floor only bumps its underside
            if g.overlaps(me.x) and me.y + HALF_H < g.bottom + 0.1 and me.y + HALF_H + 2.4 > g.bottom:
                blocked = True
        need_now = soon < deadline or under or me.y < f.top + 0.3
        if need_now and not blocked and me.vy < 2.5:
            if me.jumps > 0 and me.jump_cd <= 0:
                if not self.prev[L.K_JUMP]:
                    keys[L.K_JUMP] = 1
                return keys
            if me.recoveries > 0 and me.jumps == 0 and (me.vy < 0.5) and not under:
                # the recovery move: heavy in the air, once per airtime, facing the aim
                keys[L.K_HEAVY] = 1
                if dirn == 0:
                    keys[L.K_UP] = 1
                self.recovery_move = True
                return keys
        return keys

    # -- the ground ------------------------------------------------------------------------------------

    def walk(
        self, s: Snapshot, tx: float, ty: float | None = None, stop: float = 0.15, platform: bool = False
    ) -> np.ndarray:
        """Keys that take the body toward (tx, ty): along its floor, or across the pit with jumps.

        ``ty`` (a height) decides which floor ``tx`` is on when ``tx`` lies over the pit; without it
        the point's floor is the one on ``tx``'s side. ``platform``: the point is on the moving platform
        (jump on from a floor's inner end when the jump lands on it). Stops ``stop`` short, and at the
        floor's ends.
        """
        me = s.me
        if not me.grounded:
            if platform:
                return self.air(s, PLATFORM, tx)
            dest = floor_under(tx, ty if ty is not None else 10.0)
            return self.air(s, dest, tx)
        keys = np.zeros(L.N_KEYS, np.int8)
        here = me.floor
        if platform and me.on_platform:
            half = P.PLAT_HALF_W - 0.25
            gx = min(max(tx, s.plat_x - half), s.plat_x + half)
            d = _toward(me.x, gx)
            if abs(gx - me.x) > stop and d != 0:
                keys[L.K_RIGHT if d > 0 else L.K_LEFT] = 1
            return keys
        if platform and here is not None:
            toward_pit = here.inner
            dist = (here.inner_x - me.x) * toward_pit
            if dist < 2.0 and me.facing == toward_pit:
                vx = me.vx if abs(me.vx) > 1.0 else 0.0
                land, _, _ = predict_landing(
                    me.x, me.y, vx, P.JUMP_SPEED, s.plat_x, self.plat(s), facing=me.facing
                )
                if land is PLATFORM:
                    keys[L.K_RIGHT if toward_pit > 0 else L.K_LEFT] = 1
                    self._press(keys, L.K_JUMP)
                    return keys
            gx = here.inner_x - toward_pit * (EDGE_MARGIN + 0.3)
            d = _toward(me.x, gx)
            if abs(gx - me.x) > stop and d != 0:
                keys[L.K_RIGHT if d > 0 else L.K_LEFT] = 1
            elif me.facing != toward_pit:
                keys[L.K_RIGHT if toward_pit > 0 else L.K_LEFT] = 1  # a turn on the spot
            return keys
        dest = self.dest_floor(tx, ty)
        if me.on_platform or here is None:
            # on the platform: step off toward the destination floor with a jump when near its end
            pdir = _toward(me.x, tx if dest is None else dest.clamp(tx))
            if pdir != 0:
                keys[L.K_RIGHT if pdir > 0 else L.K_LEFT] = 1
                at_end = abs(me.x - s.plat_x) > P.PLAT_HALF_W - 0.3 and (me.x - s.plat_x) * pdir > 0
                if dest is not None and at_end:
                    self._press(keys, L.K_JUMP)
            return keys
        if dest is None or dest is here:
            gx = here.clamp(tx)
            d = _toward(me.x, gx)
            if abs(gx - me.x) > stop and d != 0:
                keys[L.K_RIGHT if d > 0 else L.K_LEFT] = 1
            return keys
        # the other floor: walk to the inner end, jump from near it at full speed
        toward_pit = here.inner
        keys[L.K_RIGHT if toward_pit > 0 else L.K_LEFT] = 1
        dist = (here.inner_x - me.x) * toward_pit
        going = me.vx * toward_pit > 5.0 or dist < EDGE_MARGIN + 0.4
        if dist < 1.2 and going and me.facing == toward_pit:
            self._press(keys, L.K_JUMP)
        return keys

    @staticmethod
    def dest_floor(tx: float, ty: float | None = None) -> Floor | None:
        for f in FLOORS:
            if f.x0 - HALF_W < tx < f.x1 + HALF_W:
                return f
        if ty is not None:
            # over the pit: the floor below the point, by height
            return RIGHT if ty > RIGHT.top + 0.2 and tx > 0 else (LEFT if tx < 0 else RIGHT)
        return RIGHT if tx > 0 else LEFT

    def _press(self, keys: np.ndarray, k: int) -> None:
        """Press ``k`` only if it was up last frame (jump, dash, drop and taunt need a fresh press)."""
        if not self.prev[k]:
            keys[k] = 1

    # -- attacks ---------------------------------------------------------------------------------------

    def attack_safe(self, s: Snapshot, slot: int, toward: int) -> bool:
        """A move that will not carry the body off a floor (ground) or start off stage (air)."""
        me = s.me
        mv = MOVES[me.weapon][slot]
        if me.grounded:
            if me.on_platform:
                return abs(me.x + toward * mv.lunge - s.plat_x) < P.PLAT_HALF_W + 0.2
            f = me.floor
            if f is None:
                return False
            end = me.x + toward * mv.lunge
            return f.x0 + 0.3 < end < f.x1 - 0.3
        if slot == RECOVERY and me.recoveries <= 0:
            return False
        return self.air_attack_ok(s, toward * mv.lunge)

    def air_attack_ok(self, s: Snapshot, lunge: float = 0.0) -> bool:
        """An aerial is allowed only over a floor, above it, ending over it (``lunge`` forward), and
        when the fall without any key lands on a floor (a move takes the drift away)."""
        me = s.me
        f = floor_under(me.x, me.y)
        if f is None or not (f.x0 + 0.3 < me.x < f.x1 - 0.3 and f.x0 + 0.3 < me.x + lunge < f.x1 - 0.3):
            return False
        land, frames, _ = self.landing(s)  # no key held: the facing plays no part
        return land is f and frames > 3

    def attack_keys(self, s: Snapshot, slot: int, toward: int) -> np.ndarray:
        keys = np.zeros(L.N_KEYS, np.int8)
        for k in move_keys(slot, toward):
            keys[k] = 1
        return keys

    def best_attack(self, s: Snapshot, slots, score=None, lead: float = 1.0, slack: float = 0.0):
        """The best move of ``slots`` that hits now and is safe: (slot, toward) or None.

        ``score(move, slot)`` ranks the candidates (default: damage, plus power at high damage).
        """
        me, opp = s.me, s.opp
        if opp.invulnerable or not opp.alive or me.state not in CONTROL_STATES:
            return None
        toward = 1 if opp.x >= me.x else -1
        ground = me.grounded
        moves = MOVES[me.weapon]
        best, best_score = None, -1e9
        for slot in slots:
            if (slot in GROUND_SLOTS) != ground:
                continue
            mv = moves[slot]
            # hits(s, slot, d, lead, slack) for both ways at once: the height is the same either way
            dx, dy = _offset_at_hit(s, mv, lead)
            if not mv.dy0 - slack <= dy <= mv.dy1 + slack:
                continue
            for d in (toward, -toward):
                if not mv.fx0 - slack <= dx * d <= mv.fx1 + slack or not self.attack_safe(s, slot, d):
                    continue
                if score is not None:
                    val = score(mv, slot)
                else:
                    val = mv.damage + mv.power * opp.damage / 100.0 - mv.first
                if val > best_score:
                    best, best_score = (slot, d), val
        return best

    # -- the last word -----------------------------------------------------------------------------------

    def finish(self, s: Snapshot, keys: np.ndarray, allow_drop: bool = False) -> np.ndarray:
        """Make ``keys`` safe and legal, remember them, and return them as int8.

        Fresh presses for jump, dash and taunt; no walking or dashing off a floor's ends; no S on the
        platform (a drop-through) unless ``allow_drop``; fast-fall (S) in the air only over a floor;
        no attacks in the air off stage except the recovery.
        """
        keys = np.asarray(keys, np.int8).tolist()  # plain ints: cheaper to read and write one by one
        prev = self.prev
        me = s.me
        for k in (L.K_JUMP, L.K_DASH, L.K_TAUNT):
            if keys[k] and prev[k]:
                keys[k] = 0
        if keys[L.K_LEFT] and keys[L.K_RIGHT]:
            keys[L.K_LEFT] = 0
        dirn = int(keys[L.K_RIGHT]) - int(keys[L.K_LEFT])
        if me.grounded and not keys[L.K_JUMP]:
            f = me.floor
            if f is not None and dirn != 0 and not (keys[L.K_LIGHT] or keys[L.K_HEAVY]):
                edge = f.x1 if dirn > 0 else f.x0
                room = (edge - me.x) * dirn
                turning = me.facing != dirn and abs(me.vx) < 0.5  # a turn on the spot does not move
                if room < EDGE_MARGIN + 0.25 and not turning:
                    keys[L.K_LEFT] = keys[L.K_RIGHT] = 0
                elif keys[L.K_DASH] and room < DASH_ROOM:
                    keys[L.K_DASH] = 0
            attack = keys[L.K_LIGHT] or keys[L.K_HEAVY]
            if me.on_platform and dirn != 0:
                keys[L.K_DASH] = 0
                if (me.x - s.plat_x) * dirn > P.PLAT_HALF_W - 0.1 and not attack:
                    keys[L.K_LEFT] = keys[L.K_RIGHT] = 0  # no walking off the platform
            if me.on_platform and keys[L.K_DOWN] and not allow_drop and not attack:
                keys[L.K_DOWN] = 0
        elif not me.grounded:
            f = floor_under(me.x, me.y)
            over = f is not None and f.x0 + 0.3 < me.x < f.x1 - 0.3
            attacking = keys[L.K_LIGHT] or keys[L.K_HEAVY]
            if (
                attacking
                and not self.recovery_move
                and me.state in CONTROL_STATES
                and not self.air_attack_ok(s)
            ):
                keys[L.K_LIGHT] = keys[L.K_HEAVY] = 0
                attacking = False
            if keys[L.K_DOWN] and not attacking and (not over or self.recovering):
                keys[L.K_DOWN] = 0
        keys = np.array(keys, np.int8)
        self.prev = keys
        self.recovery_move = False
        return keys
