"""Small drivers for rule tests: step an Engine with chosen keys and read a player's state."""

from __future__ import annotations

import numpy as np

from brawl_env.config import make_config
from brawl_env.engine import layout as L
from brawl_env.engine.core import Engine
from brawl_env.engine.obs import ME_BASE, PLAYER_OFFSETS

GROUNDED_STATES = (L.S_STANDING, L.S_WALKING)


def make_engine(seed: int = 0, **cfg) -> Engine:
    """One match, reset from ``seed`` (config keys as for ``make_config``)."""
    e = Engine(1, make_config(**cfg))
    e.reset(np.array([seed], np.uint64))
    return e


def standard_start(e: Engine) -> Engine:
    """Undo the seed's start conditions in match 0: each player at its side's base spawn point, the
    platform in the middle of its track heading for its lower end. For rule tests that compare runs from
    different seeds as if they started alike (the seed still decides sides and spawners)."""
    from brawl_env.engine import params as P
    from brawl_env.engine.obs import write_obs
    from brawl_env.engine.rules.stage import SEG_LEN, place_platform
    from brawl_env.engine.rules.stocks import place_at_spawn

    s = e.state
    for p in range(2):
        s.pf[0, p, L.SPAWN_X] = P.SPAWN_RIGHT_X if s.pi[0, p, L.SIDE] == 0 else P.SPAWN_LEFT_X
    place_platform(s.mf, 0, 0.5 * SEG_LEN, 1.0)
    for p in range(2):
        place_at_spawn(s.pf, s.pi, 0, p)
    write_obs(s, e.cfg, 0)
    return e


def player(e: Engine, p: int) -> dict:
    """A snapshot of player ``p`` of match 0."""
    pf, pi = e.state.pf[0, p], e.state.pi[0, p]
    return dict(
        x=float(pf[L.PX]),
        y=float(pf[L.PY]),
        vx=float(pf[L.VX]),
        vy=float(pf[L.VY]),
        damage=float(pf[L.DAMAGE]),
        state=int(pi[L.STATE]),
        timer=int(pi[L.TIMER]),
        facing=int(pi[L.FACING]),
        support=int(pi[L.SUPPORT]),
        jumps=int(pi[L.JUMPS_LEFT]),
        stocks=int(pi[L.STOCKS]),
        jump_cd=int(pi[L.JUMP_COOLDOWN]),
        dodge_cd=int(pi[L.DODGE_COOLDOWN]),
        invuln=int(pi[L.INVULN_TIMER]),
        weapon=int(pi[L.WEAPON]),
        side=int(pi[L.SIDE]),
    )


def invulnerable_flag(e: Engine, p: int) -> float:
    """Player ``p``'s own 'invulnerable' observation flag."""
    return float(e.state.obs[0, p, ME_BASE + PLAYER_OFFSETS["invulnerable"]])


def set_keys(e: Engine, p: int, keys=()) -> None:
    """Hold exactly ``keys`` (layout K_* indices) for player ``p`` on the next step."""
    e.keys[0, p, :] = 0
    for k in keys:
        e.keys[0, p, k] = 1


def step(e: Engine, keys0=(), keys1=()):
    """One frame with the given held keys for both players."""
    set_keys(e, 0, keys0)
    set_keys(e, 1, keys1)
    return e.step(auto_reset=False)


def hold(e: Engine, p: int, keys, frames: int) -> list[dict]:
    """Step ``frames`` frames, player ``p`` holding ``keys`` and the other idle; returns p's snapshots."""
    snaps = []
    for _ in range(frames):
        set_keys(e, p, keys)
        set_keys(e, 1 - p, ())
        e.step(auto_reset=False)
        snaps.append(player(e, p))
    return snaps


def idle(e: Engine, frames: int) -> None:
    """Step ``frames`` frames with no keys."""
    for _ in range(frames):
        step(e)


def settle(e: Engine, max_frames: int = 200) -> int:
    """Step with no keys until both players stand on a surface; returns the frames stepped."""
    for n in range(max_frames):
        if all(e.state.pi[0, p, L.SUPPORT] != L.SUP_NONE for p in range(2)):
            return n
        step(e)
    raise AssertionError("players did not land")


def side_player(e: Engine, side: int) -> int:
    """The slot of the player that spawned on ``side`` (0 right, 1 left)."""
    return 0 if e.state.pi[0, 0, L.SIDE] == side else 1


def place(e: Engine, p: int, x=None, y=None, vx=None, vy=None, support=None, state=None) -> None:
    """Overwrite some of player ``p``'s fields to build a scenario."""
    pf, pi = e.state.pf[0, p], e.state.pi[0, p]
    if x is not None:
        pf[L.PX] = x
    if y is not None:
        pf[L.PY] = y
    if vx is not None:
        pf[L.VX] = vx
    if vy is not None:
        pf[L.VY] = vy
    if support is not None:
        pi[L.SUPPORT] = support
    if state is not None:
        pi[L.STATE] = state
        pi[L.TIMER] = 0
        pi[L.STATE_FRAMES] = 0
