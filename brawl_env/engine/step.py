"""One frame of N matches, in a documented order, plus reset and auto-reset.

Order of the rules inside one frame of one match (``step_match``):

1. ``load_keys``: latch both players' keys; just-pressed / released come from last frame's keys.
2. ``move_platform``: the platform moves first, so riders are carried by its displacement.
3. ``tick_knockout`` then ``apply_controls`` for both players: state machine, velocities.
   A player who respawns this frame takes no input on it. Attacks start or advance here.
4. ``resolve_hits``: both players' live hitboxes against both hurtboxes at the pre-step positions,
   decided together and then applied together (trades happen).
5. ``integrate`` for both players: move, land on surfaces, gravity.
6. ``check_blast_zone`` for both players: KO and stock loss.
7. ``update_items`` (spawners, dropped weapons), then ``drop_and_pickup`` for both players at once.
8. Frame count, frames-alive statistics, ``check_match_end``, then ``write_obs``.

Within steps 3, 5 and 6 each player's update reads only its own state (and the platform); steps 4 and 7
decide for both players from one state before changing anything, so slot order never matters.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._jit import kernel
from . import layout as L
from . import params as P
from .obs import write_obs
from .rng import episode_state, next_u64, uniform
from .rules.input import load_keys
from .rules.combat import resolve_hits
from .rules.movement import apply_controls, integrate
from .rules.stage import SEG_LEN, move_platform, place_platform
from .rules.stocks import check_blast_zone, check_match_end, place_at_spawn, tick_knockout
from .rules.weapons import drop_and_pickup, reset_items, update_items


class StepOut(NamedTuple):
    """Per-step outputs of a batch, preallocated once (see ``allocate_out``)."""

    terminated: np.ndarray  # (n,) bool
    truncated: np.ndarray  # (n,) bool
    final_obs: np.ndarray  # (n, 2, D) float32: last observation of a match that ended this step
    final_stats: np.ndarray  # (n, 2, N_ST) float64: its statistics
    final_pf: np.ndarray  # (n, 2, N_PF) float64: its players' final float state (for reward terms)
    final_pi: np.ndarray  # (n, 2, N_PI) int32: and int state
    result: np.ndarray  # (n,) int8: R_* of a match that ended this step, else R_NONE


def allocate_out(n: int, obs_dim: int) -> StepOut:
    return StepOut(
        terminated=np.zeros(n, np.bool_),
        truncated=np.zeros(n, np.bool_),
        final_obs=np.zeros((n, 2, obs_dim), np.float32),
        final_stats=np.zeros((n, 2, L.N_ST), np.float64),
        final_pf=np.zeros((n, 2, L.N_PF), np.float64),
        final_pi=np.zeros((n, 2, L.N_PI), np.int32),
        result=np.zeros(n, np.int8),
    )


@kernel
def reset_match(s, cfg, m, episode):
    """Start episode ``episode`` of match ``m`` from the match's own seed."""
    s.rng[m] = episode_state(s.seed[m], episode)
    s.mi[m, :] = 0
    s.mi[m, L.EPISODE] = episode
    s.st[m] = 0.0
    s.pf[m] = 0.0
    s.pi[m] = 0
    s.mf[m] = 0.0
    # Sides: a coin flip from the match generator puts player 0 on the right or the left.
    right = 0 if (next_u64(s.rng, m) & np.uint64(1)) == np.uint64(0) else 1
    for p in range(2):
        on_right = p == right
        s.pi[m, p, L.SIDE] = 0 if on_right else 1
        # Spawn points: drawn per episode around the side's base point (also where the player respawns).
        if cfg[L.CFG_SAME_FLOOR] != 0:
            base = P.SAME_FLOOR_RIGHT_X if on_right else P.SAME_FLOOR_LEFT_X
            jitter = P.SAME_FLOOR_JITTER
        else:
            base = P.SPAWN_RIGHT_X if on_right else P.SPAWN_LEFT_X
            jitter = P.SPAWN_JITTER
        s.pf[m, p, L.SPAWN_X] = base + jitter * (2.0 * uniform(s.rng, m) - 1.0)
        s.pf[m, p, L.SPAWN_Y] = P.SPAWN_Y
        s.pi[m, p, L.STOCKS] = cfg[L.CFG_STOCKS]
        s.pi[m, p, L.LAST_HDIR] = 1
    # The platform: anywhere on its track between the turning points, heading either way.
    plat_s = P.PLAT_TURN_DIST + (SEG_LEN - 2.0 * P.PLAT_TURN_DIST) * uniform(s.rng, m)
    plat_d = 1.0 if (next_u64(s.rng, m) & np.uint64(1)) == np.uint64(0) else -1.0
    place_platform(s.mf, m, plat_s, plat_d)
    for p in range(2):
        place_at_spawn(s.pf, s.pi, m, p)
    reset_items(s.it, s.itf, s.rng, m)
    write_obs(s, cfg, m)


@kernel
def reset_batch(s, cfg):
    """Start episode 0 of every match (seeds must be set in ``s.seed``)."""
    for m in range(s.mi.shape[0]):
        s.ev[m] = 0.0
        reset_match(s, cfg, m, 0)


@kernel
def step_match(s, mt, cfg, keys, m):
    """Advance match ``m`` one frame (see the module docstring for the order)."""
    pf, pi, mf, mi, ev, st, rng = s.pf, s.pi, s.mf, s.mi, s.ev, s.st, s.rng
    ev[m] = 0.0
    load_keys(pi, keys, m)
    plat_top0 = mf[m, L.PLAT_Y] + P.PLAT_HALF_H
    pdx, pdy = move_platform(mf, m)
    for p in range(2):
        if not tick_knockout(pf, pi, m, p, ev):
            apply_controls(pf, pi, mt, m, p, rng, ev, st)
    resolve_hits(pf, pi, mt, m, ev, st)
    for p in range(2):
        integrate(pf, pi, mf, m, p, pdx, pdy, plat_top0, ev)
    for p in range(2):
        check_blast_zone(pf, pi, m, p, ev, st)
    update_items(s.it, s.itf, mf, rng, m, pdx, plat_top0)
    drop_and_pickup(pf, pi, s.it, s.itf, rng, m, ev, st)
    mi[m, L.FRAME] += 1
    for p in range(2):
        pi[m, p, L.STATE_FRAMES] += 1
        if pi[m, p, L.STATE] != L.S_KO:
            st[m, p, L.ST_FRAMES_ALIVE] += 1.0
    check_match_end(pf, pi, mi, cfg, m, ev, st)
    write_obs(s, cfg, m)


@kernel
def step_batch(s, mt, cfg, keys, out, auto_reset):
    """Advance every running match one frame; finished matches report and (optionally) restart."""
    for m in range(s.mi.shape[0]):
        out.terminated[m] = False
        out.truncated[m] = False
        out.result[m] = L.R_NONE
        if s.mi[m, L.DONE] != L.RUNNING:
            continue
        step_match(s, mt, cfg, keys, m)
        done = s.mi[m, L.DONE]
        if done == L.RUNNING:
            continue
        out.terminated[m] = done == L.TERMINATED
        out.truncated[m] = done == L.TRUNCATED
        out.result[m] = s.mi[m, L.RESULT]
        out.final_obs[m] = s.obs[m]
        out.final_stats[m] = s.st[m]
        out.final_pf[m] = s.pf[m]
        out.final_pi[m] = s.pi[m]
        if auto_reset:
            reset_match(s, cfg, m, s.mi[m, L.EPISODE] + 1)
