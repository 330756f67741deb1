"""Small helpers shared by the movement and combat rules."""

from __future__ import annotations

from ..._jit import kernel
from .. import layout as L
from .. import params as P


@kernel
def toward(v, target, step):
    """Move ``v`` toward ``target`` by at most ``step``."""
    if v < target:
        return min(v + step, target)
    return max(v - step, target)


@kernel
def set_state(pi, m, p, s, timer):
    """Players: enter state ``s`` for ``timer`` frames (0 for untimed states)."""
    pi[m, p, L.STATE] = s
    pi[m, p, L.TIMER] = timer
    pi[m, p, L.STATE_FRAMES] = 0


@kernel
def refresh_air_options(pi, m, p):
    """Players: touching ground (or walking off it) restores 2 air jumps and 1 recovery."""
    pi[m, p, L.JUMPS_LEFT] = P.AIR_JUMPS
    pi[m, p, L.RECOVERIES_LEFT] = P.RECOVERIES


@kernel
def ground_state(dirn):
    """Players: the plain grounded state for a held direction."""
    return L.S_WALKING if dirn != 0 else L.S_STANDING


@kernel
def clear_attack(pf, pi, m, p):
    """Moves: forget the current move (it ended, or was interrupted by a hit or a knockout)."""
    pi[m, p, L.MOVE] = 0
    pi[m, p, L.MOVE_FRAME] = 0
    pi[m, p, L.PHASE] = -1
    pi[m, p, L.PHASE_FRAME] = 0
    pi[m, p, L.PHASE_HIT] = 0
    pi[m, p, L.CHARGE_FRAMES] = 0
    pi[m, p, L.NO_GRAVITY] = 0
    pf[m, p, L.MOVE_CHARGE] = 0.0
