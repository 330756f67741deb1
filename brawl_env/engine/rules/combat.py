"""GAME.md "Moves and combat": move selection, the phase script of a move, and simultaneous hits.

Frame data comes from ``moves.py`` as a ``MoveTable`` (``mt``). A move runs as a chain of phases; see
that module for the phase fields. Hits are resolved for both players from the same pre-step positions
and applied together, so trades happen and slot order never decides one.
"""

from __future__ import annotations

import math

from ..._jit import kernel
from .. import layout as L
from .. import moves as MV
from .. import params as P
from .common import clear_attack, ground_state, set_state, toward
from .input import held

# move slots (layout.MOVE_NAMES)
NLIGHT, DLIGHT, SLIGHT, NSIG, DSIG, SSIG, NAIR, DAIR, SAIR, RECOVERY, GROUNDPOUND = range(1, 12)


@kernel
def select_move(pi, m, p, grounded):
    """Moves (facts 3.1): the move slot the held keys ask for, 0 for none.

    Heavy (K) beats light (J); both start from held keys. Direction: neutral if W is held or neither a
    side key nor S is; down if S is held and not neutral; otherwise side.
    """
    heavy = held(pi, m, p, L.K_HEAVY)
    light = held(pi, m, p, L.K_LIGHT)
    if not heavy and not light:
        return 0
    side = held(pi, m, p, L.K_LEFT) or held(pi, m, p, L.K_RIGHT)
    down = held(pi, m, p, L.K_DOWN)
    neutral = held(pi, m, p, L.K_UP) or (not side and not down)
    way = 0 if neutral else (1 if down else 2)  # 0 neutral, 1 down, 2 side
    if grounded:
        if heavy:
            return NSIG + way
        return NLIGHT + way
    if heavy:
        return GROUNDPOUND if way == 1 else RECOVERY
    return NAIR + way


@kernel
def _enter_phase(pi, mt, m, p, ph):
    pi[m, p, L.PHASE] = ph
    pi[m, p, L.PHASE_FRAME] = 0
    pi[m, p, L.PHASE_HIT] = 0
    pi[m, p, L.CHARGE_FRAMES] = 1 if mt.pi[ph, MV.PH_CHARGE] != 0 else 0
    pi[m, p, L.NO_GRAVITY] = mt.pi[ph, MV.PH_NO_GRAVITY]


@kernel
def _phase_motion(pf, pi, mt, m, p):
    """Moves: the caster's velocity for this frame of its phase (lunges, hops, dives, hovering)."""
    ph = pi[m, p, L.PHASE]
    f = pi[m, p, L.PHASE_FRAME]
    mode = mt.pi[ph, MV.PH_VEL_MODE]
    facing = pi[m, p, L.FACING]
    grounded = pi[m, p, L.SUPPORT] != L.SUP_NONE
    moved = False
    if mode != MV.VEL_NONE and mt.pi[ph, MV.PH_VEL_FROM] <= f < mt.pi[ph, MV.PH_VEL_TO]:
        vx = mt.pf[ph, MV.PH_VEL_X] * facing
        vy = mt.pf[ph, MV.PH_VEL_Y]
        if mode == MV.VEL_SET:
            pf[m, p, L.VX] = vx
            pf[m, p, L.VY] = vy
        elif mode == MV.VEL_SET_X:
            pf[m, p, L.VX] = vx
        else:
            pf[m, p, L.VX] += vx
            pf[m, p, L.VY] += vy
        moved = True
        if pf[m, p, L.VY] > 0.0:
            pi[m, p, L.SUPPORT] = L.SUP_NONE
    if not moved and grounded:
        pf[m, p, L.VX] = toward(pf[m, p, L.VX], 0.0, P.GROUND_STOP)  # floor drag
    if mt.pi[ph, MV.PH_NO_GRAVITY] != 0 and not (moved and mode != MV.VEL_SET_X):
        pf[m, p, L.VY] = 0.0


@kernel
def try_start_attack(pf, pi, mt, m, p, grounded, dirn, ev, st):
    """Moves: start the move the keys ask for, if any; returns True when one started.

    Facing turns to the held direction. A recovery needs a recovery left this airtime; a ground
    attack refreshes it.
    """
    slot = select_move(pi, m, p, grounded)
    if slot == 0:
        return False
    ph = mt.first[pi[m, p, L.WEAPON], slot]
    if ph < 0:
        return False
    if slot == RECOVERY:
        if pi[m, p, L.RECOVERIES_LEFT] <= 0:
            return False
        pi[m, p, L.RECOVERIES_LEFT] -= 1
    elif grounded:
        pi[m, p, L.RECOVERIES_LEFT] = P.RECOVERIES
    if dirn != 0:
        pi[m, p, L.FACING] = dirn
    set_state(pi, m, p, L.S_ATTACK, 0)
    pi[m, p, L.MOVE] = slot
    pi[m, p, L.MOVE_FRAME] = 0
    pf[m, p, L.MOVE_CHARGE] = 0.0
    _enter_phase(pi, mt, m, p, ph)
    _phase_motion(pf, pi, mt, m, p)
    ev[m, p, L.EV_ATTACK_STARTED] = slot
    st[m, p, L.ST_ATTACKS] += 1.0
    return True


@kernel
def _end_move(pf, pi, m, p, dirn):
    clear_attack(pf, pi, m, p)
    if pi[m, p, L.SUPPORT] != L.SUP_NONE:
        set_state(pi, m, p, ground_state(dirn), 0)
    else:
        set_state(pi, m, p, L.S_IN_AIR, 0)


@kernel
def advance_attack(pf, pi, mt, m, p, dirn):
    """Moves: one more frame of the current move: charge, phase timing, chains, landing.

    No cancels: the move runs to its end. A charge phase holds while K is held (between its minimum
    and its cap), then releases into its attack. After a phase's recovery the move goes on to the
    on-hit or on-miss phase, or ends; ``on_land`` cuts in on a real landing, ``instant`` on a hit.
    """
    ph = pi[m, p, L.PHASE]
    pi[m, p, L.MOVE_FRAME] += 1
    grounded = pi[m, p, L.SUPPORT] != L.SUP_NONE
    nxt = -2  # -2: stay in this phase
    if mt.pi[ph, MV.PH_CHARGE] != 0:
        c = pi[m, p, L.CHARGE_FRAMES]
        cap = mt.pi[ph, MV.PH_CHARGE_MAX]
        if c >= cap or (c >= mt.pi[ph, MV.PH_CHARGE_MIN] and not held(pi, m, p, L.K_HEAVY)):
            nxt = mt.pi[ph, MV.PH_ON_MISS]
            pf[m, p, L.MOVE_CHARGE] = (c - 1) / max(cap - 1, 1)
        else:
            pi[m, p, L.CHARGE_FRAMES] = c + 1
    else:
        pi[m, p, L.PHASE_FRAME] += 1
        f = pi[m, p, L.PHASE_FRAME]
        total = mt.pi[ph, MV.PH_STARTUP] + mt.pi[ph, MV.PH_ACTIVE] + mt.pi[ph, MV.PH_RECOVERY]
        hit = pi[m, p, L.PHASE_HIT] != 0
        if mt.pi[ph, MV.PH_ON_LAND] >= 0 and grounded:
            nxt = mt.pi[ph, MV.PH_ON_LAND]
        elif hit and mt.pi[ph, MV.PH_INSTANT] != 0 and mt.pi[ph, MV.PH_ON_HIT] >= 0:
            nxt = mt.pi[ph, MV.PH_ON_HIT]
        elif f >= total:
            nxt = mt.pi[ph, MV.PH_ON_HIT] if hit else mt.pi[ph, MV.PH_ON_MISS]
    if nxt == -1:
        _end_move(pf, pi, m, p, dirn)
        return
    if nxt >= 0:
        _enter_phase(pi, mt, m, p, nxt)
    _phase_motion(pf, pi, mt, m, p)


@kernel
def _active(pi, mt, m, p):
    """Moves: player ``p``'s current phase has live hitboxes this frame and has not hit yet."""
    if pi[m, p, L.STATE] != L.S_ATTACK:
        return False
    ph = pi[m, p, L.PHASE]
    if ph < 0 or mt.pi[ph, MV.PH_CHARGE] != 0 or mt.pi[ph, MV.PH_NBOXES] == 0 or pi[m, p, L.PHASE_HIT] != 0:
        return False
    f = pi[m, p, L.PHASE_FRAME]
    s = mt.pi[ph, MV.PH_STARTUP]
    return s <= f < s + mt.pi[ph, MV.PH_ACTIVE]


@kernel
def vulnerable(pi, m, q):
    """Combat: dodging, respawn invulnerability and knockout block hits."""
    s = pi[m, q, L.STATE]
    return s != L.S_KO and s != L.S_DODGE and pi[m, q, L.INVULN_TIMER] == 0


@kernel
def box_touches_hurtbox(cx, cy, hw, hh, qx, qy):
    """Combat: an axis-aligned box (centre, half sizes) against a player's upright hurtbox capsule.

    The capsule is a vertical segment with radius ``HURT_HALF_W``; they touch when the distance from
    the segment to the box is at most the radius.
    """
    r = P.HURT_HALF_W
    seg = P.HURT_HALF_H - r
    gx = max(abs(qx - cx) - hw, 0.0)
    gy = max(abs(qy - cy) - hh - seg, 0.0)
    return gx * gx + gy * gy <= r * r


@kernel
def hits_target(pf, pi, mt, m, p, q):
    """Combat: any of ``p``'s live hitboxes (mirrored by facing) touches ``q``'s hurtbox."""
    ph = pi[m, p, L.PHASE]
    facing = pi[m, p, L.FACING]
    px, py = pf[m, p, L.PX], pf[m, p, L.PY]
    qx, qy = pf[m, q, L.PX], pf[m, q, L.PY]
    for b in range(mt.pi[ph, MV.PH_NBOXES]):
        cx = px + facing * mt.boxes[ph, b, 0]
        cy = py + mt.boxes[ph, b, 1]
        if box_touches_hurtbox(cx, cy, 0.5 * mt.boxes[ph, b, 2], 0.5 * mt.boxes[ph, b, 3], qx, qy):
            return True
    return False


@kernel
def knockback_speed(kb_fixed, kb_var, damage_after):
    """Combat: |v| = 0.096 * (fixed + var * (X/70 + X^2/12000)), X = victim damage after the hit."""
    x = damage_after
    return 0.096 * (kb_fixed + kb_var * (x / 70.0 + x * x / 12000.0))


@kernel
def _apply_hit(pf, pi, mt, m, p, q, ph, dmg, ev, st):
    """Combat: ``p``'s phase ``ph`` hits ``q``: damage, knockback (or pull), stun, events."""
    was_stunned = pi[m, q, L.STATE] == L.S_STUN
    before = pf[m, q, L.DAMAGE]
    after = min(before + dmg, P.DAMAGE_CAP)
    dealt = after - before
    pf[m, q, L.DAMAGE] = after
    facing = pi[m, p, L.FACING]
    if mt.pi[ph, MV.PH_PULL] != 0:
        mult = mt.pf[ph, MV.PH_PULL_MULT]
        vx = mult * (pf[m, p, L.PX] + facing * mt.pf[ph, MV.PH_PULL_X] - pf[m, q, L.PX])
        vy = mult * (pf[m, p, L.PY] + mt.pf[ph, MV.PH_PULL_Y] - pf[m, q, L.PY])
    else:
        speed = knockback_speed(mt.pf[ph, MV.PH_KB_FIXED], mt.pf[ph, MV.PH_KB_VAR], after)
        a = math.radians(mt.pf[ph, MV.PH_ANGLE])
        vx = speed * math.cos(a) * facing
        vy = speed * math.sin(a)
    if pi[m, q, L.SUPPORT] != L.SUP_NONE and vy < 0.0:
        vy = -vy * P.STUN_BOUNCE  # a downward hit on a grounded player bounces it up
    pf[m, q, L.VX] = vx
    pf[m, q, L.VY] = vy
    if vy > 0.0:
        pi[m, q, L.SUPPORT] = L.SUP_NONE
    if pi[m, q, L.STATE] == L.S_ATTACK:
        clear_attack(pf, pi, m, q)
        set_state(pi, m, q, L.S_IN_AIR if pi[m, q, L.SUPPORT] == L.SUP_NONE else L.S_STANDING, 0)
    stun = mt.pi[ph, MV.PH_STUN]
    if stun > 0:
        set_state(pi, m, q, L.S_STUN, stun)
    elif pi[m, q, L.SUPPORT] == L.SUP_NONE and pi[m, q, L.STATE] != L.S_IN_AIR:
        set_state(pi, m, q, L.S_IN_AIR, 0)
    pi[m, p, L.PHASE_HIT] = 1
    ev[m, p, L.EV_DAMAGE_DEALT] += dealt
    ev[m, q, L.EV_DAMAGE_TAKEN] += dealt
    ev[m, p, L.EV_HIT_LANDED] += 1.0
    ev[m, q, L.EV_HIT_TAKEN] += 1.0
    st[m, p, L.ST_DAMAGE_DEALT] += dealt
    st[m, q, L.ST_DAMAGE_TAKEN] += dealt
    st[m, p, L.ST_HITS] += 1.0
    if was_stunned:
        ev[m, p, L.EV_COMBO_LANDED] += 1.0
        ev[m, q, L.EV_COMBO_TAKEN] += 1.0


@kernel
def resolve_hits(pf, pi, mt, m, ev, st):
    """Combat: both players' live hitboxes against both hurtboxes, from the same pre-step positions;
    every hit is decided first and then all are applied, so trades happen and slot order never matters."""
    hit0 = _active(pi, mt, m, 0) and vulnerable(pi, m, 1) and hits_target(pf, pi, mt, m, 0, 1)
    hit1 = _active(pi, mt, m, 1) and vulnerable(pi, m, 0) and hits_target(pf, pi, mt, m, 1, 0)
    if not hit0 and not hit1:
        return
    ph0 = pi[m, 0, L.PHASE]
    ph1 = pi[m, 1, L.PHASE]
    dmg0 = 0.0
    dmg1 = 0.0
    if hit0:
        dmg0 = mt.pf[ph0, MV.PH_DAMAGE] * (1.0 + mt.pf[ph0, MV.PH_CHARGE_DAMAGE] * pf[m, 0, L.MOVE_CHARGE])
    if hit1:
        dmg1 = mt.pf[ph1, MV.PH_DAMAGE] * (1.0 + mt.pf[ph1, MV.PH_CHARGE_DAMAGE] * pf[m, 1, L.MOVE_CHARGE])
    # Positions are read by pulls; both hits read the pre-hit positions, which neither hit changes.
    if hit0:
        _apply_hit(pf, pi, mt, m, 0, 1, ph0, dmg0, ev, st)
    if hit1:
        _apply_hit(pf, pi, mt, m, 1, 0, ph1, dmg1, ev, st)
