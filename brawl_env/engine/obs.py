"""The observation: one float32 vector per agent, itself first, with a named layout.

This module holds the one offset table that feeds the observation writer (below), the bots' named view
(``brawl_env.view``), the docs table (``docs/env.md``) and the tests. Every field is scaled into
[-1, 1] (signed) or [0, 1] (unsigned, flags, one-hots) and clipped there, so an observation always lies
inside the declared Box.

Layout: ``[me block | opponent block | world block]``. Both player blocks have the same fields, so an
agent in either slot sees the game the same way (the stage itself is not mirrored: its floors differ).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._jit import helper, kernel
from . import layout as L
from . import params as P


class Field(NamedTuple):
    """One named run of the observation vector."""

    name: str
    size: int  # number of floats (one-hots and repeated groups have several)
    signed: bool  # True: [-1, 1]; False: [0, 1]
    scale: float  # observation = clip(value / scale); the view multiplies back
    kind: str  # "value", "flag", "onehot"
    doc: str


def _f(name, scale, doc, signed=True, size=1, kind="value"):
    return Field(name, size, signed, scale, kind, doc)


PLAYER_FIELDS: tuple[Field, ...] = (
    _f("x", 15.0, "position x (world units; blast line at +-14.9)"),
    _f("y", 9.0, "position y, +y up (blast line at +-8.4)"),
    _f("vx", 30.0, "velocity x (u/s)"),
    _f("vy", 30.0, "velocity y (u/s)"),
    _f("facing", 1.0, "+1 facing right, -1 facing left"),
    _f("grounded", 1.0, "1 when standing on a floor or the platform", signed=False, kind="flag"),
    _f("on_platform", 1.0, "1 when standing on the moving platform", signed=False, kind="flag"),
    _f("jumps_left", float(P.AIR_JUMPS), "air jumps left (0-2; 2 while grounded)", signed=False),
    _f("recoveries_left", float(P.RECOVERIES), "recoveries left this airtime (0-1)", signed=False),
    _f("jump_cooldown", float(P.AIR_JUMP_COOLDOWN), "frames before another air jump", signed=False),
    _f("dodge_cooldown", float(P.DODGE_COOLDOWN_AIR), "frames before another dodge", signed=False),
    _f(
        "state",
        1.0,
        "player state, one-hot over the 13 states (layout.STATE_NAMES)",
        signed=False,
        size=L.N_STATES,
        kind="onehot",
    ),
    _f("state_timer", 90.0, "frames left in a timed state (dash, dodge, stun, KO, taunt ...)", signed=False),
    _f("stun", 30.0, "stun frames left", signed=False),
    _f("invulnerable", 1.0, "1 while hits cannot land (dodge or respawn)", signed=False, kind="flag"),
    _f("invuln_timer", float(P.RESPAWN_INVULN_FRAMES), "respawn invulnerability frames left", signed=False),
    _f("damage", P.DAMAGE_CAP, "damage points (cap 700; the HUD shows x 5/7 %)", signed=False),
    _f("stocks", 1.0, "stocks left, as a fraction of the starting stocks", signed=False),
    _f("respawn_timer", float(P.RESPAWN_FRAMES), "frames until respawn while knocked out", signed=False),
    _f(
        "move",
        1.0,
        "current move slot, one-hot (layout.MOVE_NAMES; 'none' when not attacking)",
        signed=False,
        size=L.N_MOVE_SLOTS,
        kind="onehot",
    ),
    _f("move_frame", 60.0, "frames into the current move", signed=False),
    _f("charge", 1.0, "heavy-attack charge, fraction of its cap", signed=False),
    _f(
        "weapon",
        1.0,
        "held weapon, one-hot (punch, spear, hammer)",
        signed=False,
        size=L.N_WEAPONS,
        kind="onehot",
    ),
)

N_SPAWNERS = 2
N_LOOSE_WEAPONS = 4

_world = [
    _f("dx", 30.0, "opponent x minus my x"),
    _f("dy", 17.0, "opponent y minus my y"),
    _f("distance", 34.0, "distance to the opponent", signed=False),
    _f("platform_x", 2.0, "moving platform centre x"),
    _f("platform_y", 2.0, "moving platform centre y"),
    _f("platform_vx", 1.1, "moving platform velocity x (u/s)"),
    _f("platform_vy", 1.1, "moving platform velocity y (u/s)"),
]
for _i in range(N_SPAWNERS):
    _world += [
        _f(f"spawner{_i}_active", 1.0, f"spawner {_i} holds a weapon", signed=False, kind="flag"),
        _f(f"spawner{_i}_x", 15.0, f"spawner {_i} weapon x"),
        _f(f"spawner{_i}_y", 9.0, f"spawner {_i} weapon y"),
        _f(
            f"spawner{_i}_weapon",
            1.0,
            f"spawner {_i} weapon type, one-hot (spear, hammer)",
            signed=False,
            size=2,
            kind="onehot",
        ),
        _f(
            f"spawner{_i}_timer",
            1.0,
            f"spawner {_i}: showing, despawn frames left / 350; waiting, frames to the next spawn / 1050",
            signed=False,
        ),
    ]
for _i in range(N_LOOSE_WEAPONS):
    _world += [
        _f(f"loose{_i}_active", 1.0, f"dropped weapon slot {_i} is in use", signed=False, kind="flag"),
        _f(f"loose{_i}_x", 15.0, f"dropped weapon {_i} x"),
        _f(f"loose{_i}_y", 9.0, f"dropped weapon {_i} y"),
        _f(
            f"loose{_i}_weapon",
            1.0,
            f"dropped weapon {_i} type, one-hot (spear, hammer)",
            signed=False,
            size=2,
            kind="onehot",
        ),
        _f(f"loose{_i}_life", 1.0, f"dropped weapon {_i}: fraction of its 250-frame life left", signed=False),
    ]
_world.append(_f("time_left", 1.0, "fraction of the frame limit left", signed=False))
WORLD_FIELDS: tuple[Field, ...] = tuple(_world)


def _offsets(fields: tuple[Field, ...], base: int = 0) -> dict[str, int]:
    out, at = {}, base
    for f in fields:
        out[f.name] = at
        at += f.size
    return out


PLAYER_BLOCK = sum(f.size for f in PLAYER_FIELDS)
PLAYER_OFFSETS = _offsets(PLAYER_FIELDS)  # relative to a player block
ME_BASE, OPP_BASE, WORLD_BASE = 0, PLAYER_BLOCK, 2 * PLAYER_BLOCK
WORLD_OFFSETS = _offsets(WORLD_FIELDS, WORLD_BASE)  # absolute
OBS_DIM = WORLD_BASE + sum(f.size for f in WORLD_FIELDS)


def bounds() -> tuple[np.ndarray, np.ndarray]:
    """The Box bounds (low, high) of the observation, float32."""
    low = np.zeros(OBS_DIM, np.float32)
    for base in (ME_BASE, OPP_BASE):
        for f in PLAYER_FIELDS:
            if f.signed:
                low[base + PLAYER_OFFSETS[f.name] : base + PLAYER_OFFSETS[f.name] + f.size] = -1.0
    for f in WORLD_FIELDS:
        if f.signed:
            low[WORLD_OFFSETS[f.name] : WORLD_OFFSETS[f.name] + f.size] = -1.0
    return low, np.ones(OBS_DIM, np.float32)


def layout_table() -> list[dict]:
    """Rows (offset, name, size, range, scale, meaning) for the docs and tests."""
    rows = []
    for block, base in (("me", ME_BASE), ("opponent", OPP_BASE)):
        for f in PLAYER_FIELDS:
            rows.append(
                dict(
                    offset=base + PLAYER_OFFSETS[f.name],
                    name=f"{block}.{f.name}",
                    size=f.size,
                    low=-1.0 if f.signed else 0.0,
                    high=1.0,
                    scale=f.scale,
                    kind=f.kind,
                    doc=f.doc,
                )
            )
    for f in WORLD_FIELDS:
        rows.append(
            dict(
                offset=WORLD_OFFSETS[f.name],
                name=f"world.{f.name}",
                size=f.size,
                low=-1.0 if f.signed else 0.0,
                high=1.0,
                scale=f.scale,
                kind=f.kind,
                doc=f.doc,
            )
        )
    return rows


# Compile-time offsets for the writer.
_O = PLAYER_OFFSETS
O_X, O_Y, O_VX, O_VY, O_FACING = _O["x"], _O["y"], _O["vx"], _O["vy"], _O["facing"]
O_GROUNDED, O_ON_PLATFORM, O_JUMPS, O_RECOV = (
    _O["grounded"],
    _O["on_platform"],
    _O["jumps_left"],
    _O["recoveries_left"],
)
O_JUMP_CD, O_DODGE_CD, O_STATE, O_STATE_TIMER = (
    _O["jump_cooldown"],
    _O["dodge_cooldown"],
    _O["state"],
    _O["state_timer"],
)
O_STUN, O_INVULN, O_INVULN_T, O_DAMAGE = _O["stun"], _O["invulnerable"], _O["invuln_timer"], _O["damage"]
O_STOCKS, O_RESPAWN, O_MOVE, O_MOVE_FRAME = _O["stocks"], _O["respawn_timer"], _O["move"], _O["move_frame"]
O_CHARGE, O_WEAPON = _O["charge"], _O["weapon"]
_W = WORLD_OFFSETS
W_DX, W_DY, W_DIST = _W["dx"], _W["dy"], _W["distance"]
W_PX, W_PY, W_PVX, W_PVY = _W["platform_x"], _W["platform_y"], _W["platform_vx"], _W["platform_vy"]
W_TIME_LEFT = _W["time_left"]


@kernel
def _signed(v, scale):
    x = v / scale
    if x > 1.0:
        return 1.0
    if x < -1.0:
        return -1.0
    return x


@kernel
def _unsigned(v, scale):
    x = v / scale
    if x > 1.0:
        return 1.0
    if x < 0.0:
        return 0.0
    return x


@kernel
def _write_player(out, base, pf, pi, m, p, stocks0):
    out[base + O_X] = _signed(pf[m, p, L.PX], 15.0)
    out[base + O_Y] = _signed(pf[m, p, L.PY], 9.0)
    out[base + O_VX] = _signed(pf[m, p, L.VX], 30.0)
    out[base + O_VY] = _signed(pf[m, p, L.VY], 30.0)
    out[base + O_FACING] = 1.0 if pi[m, p, L.FACING] > 0 else -1.0
    sup = pi[m, p, L.SUPPORT]
    out[base + O_GROUNDED] = 1.0 if sup != L.SUP_NONE else 0.0
    out[base + O_ON_PLATFORM] = 1.0 if sup == L.SUP_PLATFORM else 0.0
    out[base + O_JUMPS] = _unsigned(pi[m, p, L.JUMPS_LEFT], 2.0)
    out[base + O_RECOV] = _unsigned(pi[m, p, L.RECOVERIES_LEFT], 1.0)
    out[base + O_JUMP_CD] = _unsigned(pi[m, p, L.JUMP_COOLDOWN], 6.0)
    out[base + O_DODGE_CD] = _unsigned(pi[m, p, L.DODGE_COOLDOWN], 82.0)
    state = pi[m, p, L.STATE]
    for s in range(L.N_STATES):
        out[base + O_STATE + s] = 1.0 if s == state else 0.0
    timer = pi[m, p, L.TIMER]
    out[base + O_STATE_TIMER] = _unsigned(timer, 90.0)
    out[base + O_STUN] = _unsigned(timer, 30.0) if state == L.S_STUN else 0.0
    inv = pi[m, p, L.INVULN_TIMER]
    out[base + O_INVULN] = 1.0 if (inv > 0 or state == L.S_DODGE) else 0.0
    out[base + O_INVULN_T] = _unsigned(inv, 90.0)
    out[base + O_DAMAGE] = _unsigned(pf[m, p, L.DAMAGE], 700.0)
    out[base + O_STOCKS] = _unsigned(pi[m, p, L.STOCKS], stocks0)
    out[base + O_RESPAWN] = _unsigned(timer, 90.0) if state == L.S_KO else 0.0
    move = pi[m, p, L.MOVE]
    for s in range(L.N_MOVE_SLOTS):
        out[base + O_MOVE + s] = 1.0 if s == move else 0.0
    out[base + O_MOVE_FRAME] = _unsigned(pi[m, p, L.MOVE_FRAME], 60.0)
    out[base + O_CHARGE] = _unsigned(pf[m, p, L.MOVE_CHARGE], 1.0)
    weapon = pi[m, p, L.WEAPON]
    for s in range(L.N_WEAPONS):
        out[base + O_WEAPON + s] = 1.0 if s == weapon else 0.0


_SP = WORLD_OFFSETS["spawner1_active"] - WORLD_OFFSETS["spawner0_active"]  # stride of a spawner group
_LS = WORLD_OFFSETS["loose1_active"] - WORLD_OFFSETS["loose0_active"]  # stride of a loose group
W_SP0 = WORLD_OFFSETS["spawner0_active"]
W_LS0 = WORLD_OFFSETS["loose0_active"]


@kernel
def _write_items(out, it, itf, m):
    for i in range(L.N_SPAWNERS):
        base = W_SP0 + i * _SP
        kind = it[m, i, L.IKIND]
        showing = kind == L.I_SHOWING
        out[base] = 1.0 if showing else 0.0
        out[base + 1] = _signed(itf[m, i, L.IX], 15.0) if showing else 0.0
        out[base + 2] = _signed(itf[m, i, L.IY], 9.0) if showing else 0.0
        w = it[m, i, L.IWEAPON]
        out[base + 3] = 1.0 if (showing and w == L.W_SPEAR) else 0.0
        out[base + 4] = 1.0 if (showing and w == L.W_HAMMER) else 0.0
        if showing:
            out[base + 5] = _unsigned(it[m, i, L.ITIMER], float(P.SPAWN_DESPAWN))
        else:
            out[base + 5] = _unsigned(it[m, i, L.ITIMER], float(P.SPAWN_COOLDOWN_MAX) * P.SPAWN_REDRAW_HI)
    for j in range(L.N_LOOSE):
        i = L.N_SPAWNERS + j
        base = W_LS0 + j * _LS
        live = it[m, i, L.IKIND] == L.I_LOOSE
        w = it[m, i, L.IWEAPON]
        out[base] = 1.0 if live else 0.0
        out[base + 1] = _signed(itf[m, i, L.IX], 15.0) if live else 0.0
        out[base + 2] = _signed(itf[m, i, L.IY], 9.0) if live else 0.0
        out[base + 3] = 1.0 if (live and w == L.W_SPEAR) else 0.0
        out[base + 4] = 1.0 if (live and w == L.W_HAMMER) else 0.0
        out[base + 5] = _unsigned(it[m, i, L.ILIFE], float(P.DROPPED_LIFE)) if live else 0.0


@helper
def write_obs(s, cfg, m):
    """Write both agents' observations of match ``m`` (each sees itself first).

    Each player block and the world's item fields are computed once and copied to the other view.
    """
    pf, pi, mf, mi, obs = s.pf, s.pi, s.mf, s.mi, s.obs
    stocks0 = float(max(cfg[L.CFG_STOCKS], 1))
    max_frames = float(max(cfg[L.CFG_MAX_FRAMES], 1))
    a = obs[m, 0]
    b = obs[m, 1]
    _write_player(a, ME_BASE, pf, pi, m, 0, stocks0)
    _write_player(b, ME_BASE, pf, pi, m, 1, stocks0)
    a[OPP_BASE : OPP_BASE + PLAYER_BLOCK] = b[ME_BASE : ME_BASE + PLAYER_BLOCK]
    b[OPP_BASE : OPP_BASE + PLAYER_BLOCK] = a[ME_BASE : ME_BASE + PLAYER_BLOCK]
    dx = pf[m, 1, L.PX] - pf[m, 0, L.PX]
    dy = pf[m, 1, L.PY] - pf[m, 0, L.PY]
    a[W_DX] = _signed(dx, 30.0)
    a[W_DY] = _signed(dy, 17.0)
    a[W_DIST] = _unsigned(np.sqrt(dx * dx + dy * dy), 34.0)
    b[W_DX] = -a[W_DX]
    b[W_DY] = -a[W_DY]
    b[W_DIST] = a[W_DIST]
    a[W_PX] = _signed(mf[m, L.PLAT_X], 2.0)
    a[W_PY] = _signed(mf[m, L.PLAT_Y], 2.0)
    a[W_PVX] = _signed(mf[m, L.PLAT_VX], 1.1)
    a[W_PVY] = _signed(mf[m, L.PLAT_VY], 1.1)
    _write_items(a, s.it, s.itf, m)
    a[W_TIME_LEFT] = _unsigned(max_frames - mi[m, L.FRAME], max_frames)
    b[W_PX:] = a[W_PX:]
