"""GAME.md "Players": the 13-state machine and movement (facts section 1.5 and section 2).

``apply_controls`` turns one frame of keys into a state and velocities; ``integrate`` then moves the
body and applies three named rules in order: ``_carry`` (a supported body rides its surface),
``_landing`` (contact with floors and the one-way platform) and ``_gravity``. Fast-fall is defined once,
in ``_fast_fall``, and drop-through once, in ``_try_drop_through`` (the platform catch reads the timer it
starts). Each player's frame reads only its own state and the platform, so the two players can be
processed in either order with the same result.

These named rules and the small shared pieces (``_take_off``, ``_fast_fall``, ``_try_drop_through``) were
once written out inline, so they are ``helper``s: inlined where they are called, the compiled step is
what it was (as separate calls the batch step ran about 8 % slower).
"""

from __future__ import annotations

from ..._jit import helper, kernel
from .. import layout as L
from .. import params as P
from ..rng import randint
from .combat import advance_attack, try_start_attack
from .common import ground_state as _ground_state
from .common import refresh_air_options, set_state
from .common import toward as _toward
from .input import direction, held, pressed
from .stage import collide_floor, lands_on_platform, over_surface, surface_top


@kernel
def _is_ground_control_state(s):
    return s == L.S_STANDING or s == L.S_WALKING or s == L.S_SPRINTING or s == L.S_DASH or s == L.S_TURNAROUND


@kernel
def _finish_timed_state(pi, m, p, s, grounded, dirn):
    """Players: the state that follows an expired timed state."""
    if s == L.S_AIR_TURNAROUND:
        return L.S_IN_AIR
    if not grounded:
        if s == L.S_STUN:
            pi[m, p, L.JUMPS_LEFT] = max(1, pi[m, p, L.JUMPS_LEFT])
        return L.S_IN_AIR
    if s == L.S_DASH:
        return L.S_SPRINTING if dirn == pi[m, p, L.FACING] else L.S_STANDING
    return _ground_state(dirn)


@kernel
def _start_dash(pf, pi, m, p):
    set_state(pi, m, p, L.S_DASH, P.DASH_FRAMES)
    pf[m, p, L.VX] = pi[m, p, L.FACING] * P.DASH_SPEED


@kernel
def _start_backdash(pf, pi, m, p, dirn):
    set_state(pi, m, p, L.S_BACKDASH, P.BACKDASH_FRAMES)
    pi[m, p, L.FACING] = -dirn  # keeps facing away from the way it moves
    pf[m, p, L.VX] = dirn * P.BACKDASH_SPEED


@kernel
def _start_turnaround(pf, pi, m, p, dirn):
    set_state(pi, m, p, L.S_TURNAROUND, 1)
    pi[m, p, L.FACING] = dirn
    pf[m, p, L.VX] = _toward(pf[m, p, L.VX], 0.0, P.GROUND_STOP)


@kernel
def _start_dodge(pf, pi, m, p, cooldown, ev, st):
    set_state(pi, m, p, L.S_DODGE, P.DODGE_FRAMES)
    pi[m, p, L.DODGE_COOLDOWN] = cooldown
    pf[m, p, L.VX] = 0.0
    pf[m, p, L.VY] = 0.0
    ev[m, p, L.EV_DODGE] = 1.0
    st[m, p, L.ST_DODGES] += 1.0


@helper
def _take_off(pi, m, p):
    """Players: leave the ground (jump, walk off a ledge, drop through): airborne, air options refreshed."""
    set_state(pi, m, p, L.S_IN_AIR, 0)
    pi[m, p, L.SUPPORT] = L.SUP_NONE
    refresh_air_options(pi, m, p)


@helper
def _fast_fall(pi, m, p, s):
    """Players: fast-fall, the one place that says what it is. Returns (pull, cap) for state ``s``.

    S held in the air (InAir, AirTurnaround) adds ``FAST_FALL_ACCEL`` per frame while falling (applied
    with the controls) and raises the fall cap from ``MAX_FALL_SPEED`` to ``FAST_FALL_SPEED`` (applied
    by ``_gravity``); otherwise there is no pull and the normal cap holds.
    """
    if (s == L.S_IN_AIR or s == L.S_AIR_TURNAROUND) and held(pi, m, p, L.K_DOWN):
        return P.FAST_FALL_ACCEL, P.FAST_FALL_SPEED
    return 0.0, P.MAX_FALL_SPEED


@helper
def _try_drop_through(pi, m, p, sup):
    """Stage (ours): S pressed while standing on the platform drops through it; returns whether it did.

    The platform is then ignored for ``DROP_THROUGH_FRAMES`` (``_landing`` skips the platform catch while
    ``DROP_TIMER`` runs). Only a fresh press drops, so S held for a fast-fall landing stays on it.
    """
    if sup != L.SUP_PLATFORM or not pressed(pi, m, p, L.K_DOWN):
        return False
    _take_off(pi, m, p)
    pi[m, p, L.DROP_TIMER] = P.DROP_THROUGH_FRAMES
    return True


@kernel
def _jump(pf, pi, m, p, ev, st):
    pf[m, p, L.VY] = P.JUMP_SPEED
    ev[m, p, L.EV_JUMP] = 1.0
    st[m, p, L.ST_JUMPS] += 1.0


@kernel
def _ground_controls(pf, pi, mt, m, p, rng, ev, st, dirn):
    """Players: a grounded, controllable player. Checks in the original's order: jump, fell off,
    dodge, attack, then (ours) drop through the platform, taunt, and finally walking and running."""
    s = pi[m, p, L.STATE]
    facing = pi[m, p, L.FACING]
    sup = pi[m, p, L.SUPPORT]
    if pressed(pi, m, p, L.K_JUMP):
        _take_off(pi, m, p)
        _jump(pf, pi, m, p, ev, st)
        return
    if sup == L.SUP_NONE:  # walked off a ledge
        _take_off(pi, m, p)
        return
    dash = pressed(pi, m, p, L.K_DASH)
    if dirn == 0 and dash and pi[m, p, L.DODGE_COOLDOWN] == 0:
        _start_dodge(pf, pi, m, p, P.DODGE_COOLDOWN_GROUND, ev, st)
        return
    if try_start_attack(pf, pi, mt, m, p, True, dirn, ev, st):
        return
    if _try_drop_through(pi, m, p, sup):
        return
    if pressed(pi, m, p, L.K_TAUNT):
        set_state(pi, m, p, L.S_TAUNT, P.TAUNT_FRAMES)
        pi[m, p, L.TAUNT_VARIANT] = randint(rng, m, 0, P.TAUNT_VARIANTS - 1)
        pf[m, p, L.VX] = _toward(pf[m, p, L.VX], 0.0, P.GROUND_STOP)
        return
    if dirn == 0:
        if s != L.S_STANDING:
            set_state(pi, m, p, L.S_STANDING, 0)
        pf[m, p, L.VX] = _toward(pf[m, p, L.VX], 0.0, P.GROUND_STOP)
        return
    if dirn != facing:
        if dash:
            _start_backdash(pf, pi, m, p, dirn)
        else:
            _start_turnaround(pf, pi, m, p, dirn)
        return
    if dash and s != L.S_DASH:
        _start_dash(pf, pi, m, p)
        return
    if s == L.S_DASH:
        pf[m, p, L.VX] = facing * P.DASH_SPEED
    elif s == L.S_SPRINTING:
        pf[m, p, L.VX] = facing * P.RUN_SPEED
    else:
        if s != L.S_WALKING:
            set_state(pi, m, p, L.S_WALKING, 0)
        pf[m, p, L.VX] = facing * P.WALK_SPEED


@kernel
def _air_controls(pf, pi, mt, m, p, ev, st, dirn):
    """Players: an airborne, controllable player: air turn, fast-fall and drift, jump, air dodge."""
    if dirn != 0 and dirn != pi[m, p, L.FACING]:
        set_state(pi, m, p, L.S_AIR_TURNAROUND, 1)
        pi[m, p, L.FACING] = dirn
        pf[m, p, L.VX] = pf[m, p, L.VX] / P.AIR_TURN_DIVISOR
        return
    pull, cap = _fast_fall(pi, m, p, pi[m, p, L.STATE])
    if pull > 0.0 and pf[m, p, L.VY] < 0.0:
        pf[m, p, L.VY] = max(pf[m, p, L.VY] - pull, -cap)
    if dirn != 0:
        pf[m, p, L.VX] = _toward(pf[m, p, L.VX], dirn * P.WALK_SPEED, P.AIR_ACCEL)
    if pressed(pi, m, p, L.K_JUMP) and pi[m, p, L.JUMP_COOLDOWN] <= 0 and pi[m, p, L.JUMPS_LEFT] > 0:
        pi[m, p, L.JUMPS_LEFT] -= 1
        pi[m, p, L.JUMP_COOLDOWN] = P.AIR_JUMP_COOLDOWN
        _jump(pf, pi, m, p, ev, st)
        return
    if pressed(pi, m, p, L.K_DASH) and pi[m, p, L.DODGE_COOLDOWN] == 0:
        _start_dodge(pf, pi, m, p, P.DODGE_COOLDOWN_AIR, ev, st)
        return
    try_start_attack(pf, pi, mt, m, p, False, dirn, ev, st)


@helper
def apply_controls(pf, pi, mt, m, p, rng, ev, st):
    """Players: one frame of the state machine (facts section 2), from keys to state and velocity."""
    s = pi[m, p, L.STATE]
    if s == L.S_KO:
        return
    for col in (L.DODGE_COOLDOWN, L.JUMP_COOLDOWN, L.INVULN_TIMER, L.DROP_TIMER):
        if pi[m, p, col] > 0:
            pi[m, p, col] -= 1
    dirn = direction(pi, m, p)
    grounded = pi[m, p, L.SUPPORT] != L.SUP_NONE

    timed = (
        s == L.S_DASH
        or s == L.S_BACKDASH
        or s == L.S_DODGE
        or s == L.S_TAUNT
        or s == L.S_STUN
        or s == L.S_TURNAROUND
        or s == L.S_AIR_TURNAROUND
    )
    if timed:
        pi[m, p, L.TIMER] -= 1
        if pi[m, p, L.TIMER] <= 0:
            s = _finish_timed_state(pi, m, p, s, grounded, dirn)
            set_state(pi, m, p, s, 0)

    if _is_ground_control_state(s):
        _ground_controls(pf, pi, mt, m, p, rng, ev, st, dirn)
    elif s == L.S_IN_AIR:
        _air_controls(pf, pi, mt, m, p, ev, st, dirn)
    elif s == L.S_ATTACK:
        advance_attack(pf, pi, mt, m, p, dirn)
    elif s == L.S_DODGE:
        pf[m, p, L.VX] = 0.0
        pf[m, p, L.VY] = 0.0
    elif s == L.S_BACKDASH:
        if not grounded:
            _take_off(pi, m, p)
        else:
            pf[m, p, L.VX] = -pi[m, p, L.FACING] * P.BACKDASH_SPEED
    elif s == L.S_TAUNT:
        pf[m, p, L.VX] = _toward(pf[m, p, L.VX], 0.0, P.GROUND_STOP)
    elif s == L.S_STUN:
        pf[m, p, L.VX] = _toward(pf[m, p, L.VX], 0.0, P.STUN_DRIFT_DAMP)
    # S_AIR_TURNAROUND: a one-frame state with no control.


@kernel
def _land(pf, pi, m, p, sup, ev):
    """Players: touch down on ``sup``: airborne states become ground states, air options refresh."""
    pi[m, p, L.SUPPORT] = sup
    pf[m, p, L.VY] = 0.0
    refresh_air_options(pi, m, p)
    s = pi[m, p, L.STATE]
    if s == L.S_IN_AIR or s == L.S_AIR_TURNAROUND:
        set_state(pi, m, p, _ground_state(direction(pi, m, p)), 0)
    ev[m, p, L.EV_LANDED] = 1.0


@helper
def _carry(mf, m, sup, x1, y1, vy, pdx):
    """Stage: a supported body rides its surface. Returns (x1, y1, vy, sup) after the carry.

    The platform carries its rider by its displacement this frame. A body that is not rising rests
    exactly on its surface's (new) top while over it; walking off clears the support, and the body
    falls from the next frame. A rising body (a jump) leaves its surface.
    """
    if sup == L.SUP_PLATFORM:
        x1 += pdx
    if sup != L.SUP_NONE and vy <= 0.0:
        y1 = surface_top(mf, m, sup) + P.HALF_H
        vy = 0.0
        if not over_surface(mf, m, sup, x1):
            sup = L.SUP_NONE
    else:
        sup = L.SUP_NONE
    return x1, y1, vy, sup


@helper
def _landing(pf, pi, mf, m, p, s, sup, x0, y0, x1, y1, vx, vy, plat_top0, ev):
    """Stage and Players: the moved body meets the surfaces, and the result is written back.

    Solid floors push the body out of them (a body coming from above lands on top). The one-way
    platform catches a body whose bottom crossed its top from above, unless the body is dropping
    through it (``DROP_TIMER``, see ``_try_drop_through``). A body that was not supported and touched
    down lands, or bounces if it is stunned and falling fast.
    """
    landed_on = L.SUP_NONE
    x1, y1, vx, vy, hit = collide_floor(
        x0, y0, x1, y1, vx, vy, P.FLOOR_R_X0, P.FLOOR_R_X1, P.FLOOR_R_TOP, P.FLOOR_R_BOTTOM
    )
    if hit:
        landed_on = L.SUP_FLOOR_RIGHT
    x1, y1, vx, vy, hit = collide_floor(
        x0, y0, x1, y1, vx, vy, P.FLOOR_L_X0, P.FLOOR_L_X1, P.FLOOR_L_TOP, P.FLOOR_L_BOTTOM
    )
    if hit:
        landed_on = L.SUP_FLOOR_LEFT
    if (
        sup == L.SUP_NONE
        and landed_on == L.SUP_NONE
        and pi[m, p, L.DROP_TIMER] == 0
        and lands_on_platform(mf, m, y0, x1, y1, plat_top0)
    ):
        landed_on = L.SUP_PLATFORM
        y1 = mf[m, L.PLAT_Y] + P.PLAT_HALF_H
        y1 += P.HALF_H
    pf[m, p, L.PX] = x1
    pf[m, p, L.PY] = y1
    pf[m, p, L.VX] = vx
    pf[m, p, L.VY] = vy
    pi[m, p, L.SUPPORT] = sup
    if landed_on != L.SUP_NONE and sup == L.SUP_NONE:
        if s == L.S_STUN and vy < -P.STUN_BOUNCE_MIN:
            pf[m, p, L.VY] = -vy * P.STUN_BOUNCE  # a stunned body bounces off the floor
        else:
            _land(pf, pi, m, p, landed_on, ev)


@helper
def _gravity(pf, pi, m, p, s):
    """Players: an airborne body falls, up to its fall cap (``_fast_fall``); dodges and hovering phases
    are exempt. A stunned body keeps a faster spike it was hit with (no drag, no speed-up)."""
    if pi[m, p, L.SUPPORT] == L.SUP_NONE and s != L.S_DODGE and pi[m, p, L.NO_GRAVITY] == 0:
        vy = pf[m, p, L.VY] - P.GRAVITY * P.DT
        _, cap = _fast_fall(pi, m, p, s)
        floor = min(pf[m, p, L.VY], -cap) if s == L.S_STUN else -cap
        pf[m, p, L.VY] = max(vy, floor)


@helper
def integrate(pf, pi, mf, m, p, pdx, pdy, plat_top0, ev):
    """Stage and Players: move the body one frame, then carry, land and apply gravity, in that order.

    Position first, then gravity (so a jump's first frame rises the full 8.9/30: apex 2.37 units at
    frame 15 and 31 frames floor to floor, as measured in the original).
    """
    s = pi[m, p, L.STATE]
    if s == L.S_KO:
        return
    x0 = pf[m, p, L.PX]
    y0 = pf[m, p, L.PY]
    vx = pf[m, p, L.VX]
    vy = pf[m, p, L.VY]
    x1 = x0 + vx * P.DT
    y1 = y0 + vy * P.DT
    x1, y1, vy, sup = _carry(mf, m, pi[m, p, L.SUPPORT], x1, y1, vy, pdx)
    _landing(pf, pi, mf, m, p, s, sup, x0, y0, x1, y1, vx, vy, plat_top0, ev)
    _gravity(pf, pi, m, p, s)
