"""GAME.md "Players" and "Match end and result": blast zone, stocks, respawn and the match result."""

from __future__ import annotations

from ..._jit import kernel
from .. import layout as L
from .. import params as P
from .common import clear_attack, set_state


@kernel
def check_blast_zone(pf, pi, m, p, ev, st):
    """Players: a centre beyond |x| > 14.9 or |y| > 8.4 is knocked out and loses a stock.

    The body freezes where it left the stage; the held weapon is lost at once.
    """
    if pi[m, p, L.STATE] == L.S_KO:
        return
    if abs(pf[m, p, L.PX]) <= P.BLAST_X and abs(pf[m, p, L.PY]) <= P.BLAST_Y:
        return
    q = 1 - p
    set_state(pi, m, p, L.S_KO, P.RESPAWN_FRAMES)
    pi[m, p, L.STOCKS] -= 1
    pi[m, p, L.SUPPORT] = L.SUP_NONE
    pi[m, p, L.WEAPON] = L.W_PUNCH
    clear_attack(pf, pi, m, p)
    pf[m, p, L.VX] = 0.0
    pf[m, p, L.VY] = 0.0
    ev[m, p, L.EV_KNOCKED_OUT] = 1.0
    ev[m, q, L.EV_KO_DEALT] = 1.0
    st[m, p, L.ST_KOS_TAKEN] += 1.0
    st[m, q, L.ST_KOS_DEALT] += 1.0


@kernel
def place_at_spawn(pf, pi, m, p):
    """Players: put a player at its spawn point, airborne, facing the other player's spawn point."""
    pf[m, p, L.PX] = pf[m, p, L.SPAWN_X]
    pf[m, p, L.PY] = pf[m, p, L.SPAWN_Y]
    pf[m, p, L.VX] = 0.0
    pf[m, p, L.VY] = 0.0
    pf[m, p, L.DAMAGE] = 0.0
    pf[m, p, L.MOVE_CHARGE] = 0.0
    pi[m, p, L.FACING] = -1 if pf[m, p, L.SPAWN_X] > pf[m, 1 - p, L.SPAWN_X] else 1  # face the other spawn
    pi[m, p, L.SUPPORT] = L.SUP_NONE
    pi[m, p, L.JUMPS_LEFT] = 0  # as in the original: no air options until the first landing
    pi[m, p, L.RECOVERIES_LEFT] = 0
    pi[m, p, L.JUMP_COOLDOWN] = 0
    pi[m, p, L.WEAPON] = L.W_PUNCH
    clear_attack(pf, pi, m, p)
    pi[m, p, L.DROP_TIMER] = 0
    set_state(pi, m, p, L.S_IN_AIR, 0)


@kernel
def tick_knockout(pf, pi, m, p, ev):
    """Players: count down a knocked-out player; after 90 frames it respawns with 90 frames of
    invulnerability (the respawn frame is the first), damage 0 and a Punch (while it has stocks left).

    Returns True on the respawn frame: the player takes no input on the frame it appears.
    """
    if pi[m, p, L.STATE] != L.S_KO:
        return False
    pi[m, p, L.TIMER] -= 1
    if pi[m, p, L.TIMER] > 0 or pi[m, p, L.STOCKS] <= 0:
        return False
    place_at_spawn(pf, pi, m, p)
    pi[m, p, L.INVULN_TIMER] = P.RESPAWN_INVULN_FRAMES
    ev[m, p, L.EV_RESPAWNED] = 1.0
    return True


@kernel
def check_match_end(pf, pi, mi, cfg, m, ev, st):
    """Match end: a player out of stocks ends the match that frame (terminated); the frame limit
    truncates it. More stocks wins; equal stocks draw unless the config asks for a damage tie-break."""
    s0 = pi[m, 0, L.STOCKS]
    s1 = pi[m, 1, L.STOCKS]
    if s0 <= 0 or s1 <= 0:
        mi[m, L.DONE] = L.TERMINATED
    elif mi[m, L.FRAME] >= cfg[L.CFG_MAX_FRAMES]:
        mi[m, L.DONE] = L.TRUNCATED
    else:
        return
    result = L.R_DRAW
    if s0 > s1:
        result = L.R_P0_WINS
    elif s1 > s0:
        result = L.R_P1_WINS
    elif cfg[L.CFG_DAMAGE_TIEBREAK] != 0:
        d0 = pf[m, 0, L.DAMAGE]
        d1 = pf[m, 1, L.DAMAGE]
        if d0 < d1:
            result = L.R_P0_WINS
        elif d1 < d0:
            result = L.R_P1_WINS
    mi[m, L.RESULT] = result
    for p in range(2):
        st[m, p, L.ST_STOCKS_LEFT] = max(pi[m, p, L.STOCKS], 0)
        if result == L.R_DRAW:
            ev[m, p, L.EV_DRAWN] = 1.0
        elif (result == L.R_P0_WINS) == (p == 0):
            ev[m, p, L.EV_WON] = 1.0
        else:
            ev[m, p, L.EV_LOST] = 1.0
