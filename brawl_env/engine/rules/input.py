"""GAME.md "Action": ten keys per player per frame; just-pressed, held and released derived here."""

from __future__ import annotations

from ..._jit import kernel
from .. import layout as L


@kernel
def load_keys(pi, keys, m):
    """Action: latch this frame's keys (0/1 per key) as a bit mask, keeping last frame's for edges."""
    for p in range(2):
        bits = 0
        for k in range(L.N_KEYS):
            if keys[m, p, k] != 0:
                bits |= 1 << k
        pi[m, p, L.PREV_KEYS] = pi[m, p, L.KEYS]
        pi[m, p, L.KEYS] = bits
        # The horizontal key pressed most recently wins while both are held (the original's stack).
        if pressed(pi, m, p, L.K_LEFT) and not pressed(pi, m, p, L.K_RIGHT):
            pi[m, p, L.LAST_HDIR] = -1
        elif pressed(pi, m, p, L.K_RIGHT) and not pressed(pi, m, p, L.K_LEFT):
            pi[m, p, L.LAST_HDIR] = 1


@kernel
def held(pi, m, p, k):
    """Action: key ``k`` is down this frame."""
    return (pi[m, p, L.KEYS] >> k) & 1 == 1


@kernel
def pressed(pi, m, p, k):
    """Action: key ``k`` is down this frame and was up last frame."""
    return ((pi[m, p, L.KEYS] & ~pi[m, p, L.PREV_KEYS]) >> k) & 1 == 1


@kernel
def released(pi, m, p, k):
    """Action: key ``k`` is up this frame and was down last frame."""
    return ((~pi[m, p, L.KEYS] & pi[m, p, L.PREV_KEYS]) >> k) & 1 == 1


@kernel
def direction(pi, m, p):
    """Action: the held horizontal direction, -1, 0 or +1; with both keys held, the later-pressed one."""
    left = held(pi, m, p, L.K_LEFT)
    right = held(pi, m, p, L.K_RIGHT)
    if left and right:
        return pi[m, p, L.LAST_HDIR]
    if left:
        return -1
    if right:
        return 1
    return 0
