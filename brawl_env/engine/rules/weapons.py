"""GAME.md "Weapons": two seeded spawners, pickup and drop with H, dropped weapons that fall and expire.

Items live in ``it`` / ``itf`` (``layout`` I* columns): items 0 and 1 are the spawners, the rest are
dropped ("loose") weapons. Both players' pickups are decided from the same state, so slot order never
matters: when both reach one weapon on the same frame the nearer takes it, and an exact tie is settled
by the match's generator.
"""

from __future__ import annotations

from ..._jit import kernel
from .. import layout as L
from .. import params as P
from ..rng import randint, uniform
from .input import held, pressed
from .stage import collide_floor, lands_on_platform, over_surface, surface_top


@kernel
def reset_items(it, itf, rng, m):
    """Weapons: empty stage; each spawner draws its base cooldown and its first spawn frame."""
    it[m] = 0
    itf[m] = 0.0
    for i in range(L.N_SPAWNERS):
        it[m, i, L.IKIND] = L.I_WAITING
        it[m, i, L.ICOOLDOWN] = randint(rng, m, P.SPAWN_COOLDOWN_MIN, P.SPAWN_COOLDOWN_MAX)
        it[m, i, L.ITIMER] = randint(rng, m, 1, P.SPAWN_FIRST_MAX)  # spawns on that step, uniformly


@kernel
def _redraw_wait(it, rng, m, i, already):
    """Weapons: the next wait, base x uniform(0.5, 1.5), counted from the last spawn or pickup."""
    f = P.SPAWN_REDRAW_LO + (P.SPAWN_REDRAW_HI - P.SPAWN_REDRAW_LO) * uniform(rng, m)
    wait = int(it[m, i, L.ICOOLDOWN] * f) - already
    it[m, i, L.IKIND] = L.I_WAITING
    it[m, i, L.IWEAPON] = 0
    it[m, i, L.ITIMER] = max(wait, 1)
    it[m, i, L.IAGE] = 0


@kernel
def update_items(it, itf, mf, rng, m, pdx, plat_top0):
    """Weapons: spawner timers (spawn, despawn) and dropped weapons (fall, rest, ride, expire)."""
    for i in range(L.N_SPAWNERS):
        kind = it[m, i, L.IKIND]
        if kind == L.I_WAITING:
            it[m, i, L.ITIMER] -= 1
            if it[m, i, L.ITIMER] <= 0:
                lo = P.SPAWNER_X_RANGES[i][0]
                hi = P.SPAWNER_X_RANGES[i][1]
                it[m, i, L.IKIND] = L.I_SHOWING
                it[m, i, L.IWEAPON] = randint(rng, m, L.W_SPEAR, L.W_HAMMER)
                it[m, i, L.ITIMER] = P.SPAWN_DESPAWN
                it[m, i, L.IAGE] = 0
                itf[m, i, L.IX] = lo + (hi - lo) * uniform(rng, m)
                itf[m, i, L.IY] = P.SPAWNER_FLOOR_TOPS[i] + P.WEAPON_HALF
        elif kind == L.I_SHOWING:
            it[m, i, L.IAGE] += 1
            it[m, i, L.ITIMER] -= 1
            if it[m, i, L.ITIMER] <= 0:
                _redraw_wait(it, rng, m, i, P.SPAWN_DESPAWN)
    for i in range(L.N_SPAWNERS, L.N_ITEMS):
        if it[m, i, L.IKIND] != L.I_LOOSE:
            continue
        it[m, i, L.ILIFE] -= 1
        if it[m, i, L.ILOCK_TIMER] > 0:
            it[m, i, L.ILOCK_TIMER] -= 1
        if it[m, i, L.ILIFE] <= 0:
            it[m, i, L.IKIND] = L.I_EMPTY
            continue
        _fall(it, itf, mf, m, i, pdx, plat_top0)
        if abs(itf[m, i, L.IY]) > P.BLAST_Y or abs(itf[m, i, L.IX]) > P.BLAST_X:
            it[m, i, L.IKIND] = L.I_EMPTY  # fell out of the stage (the original let it fall for ever)


@kernel
def _fall(it, itf, mf, m, i, pdx, plat_top0):
    """Weapons: a dropped weapon falls, rests on floors and the platform, and rides the platform.

    The weapon is a box of the player body's width class; it reuses the stage's contact rules with its
    own half-height, by offsetting to a body-sized box centred on its bottom-aligned position.
    """
    x0 = itf[m, i, L.IX]
    y0 = itf[m, i, L.IY]
    sup = it[m, i, L.ISUPPORT]
    if sup != L.SUP_NONE:
        if sup == L.SUP_PLATFORM:
            x0 += pdx
        if over_surface(mf, m, sup, x0):
            itf[m, i, L.IX] = x0
            itf[m, i, L.IY] = surface_top(mf, m, sup) + P.WEAPON_HALF
            itf[m, i, L.IVY] = 0.0
            return
        it[m, i, L.ISUPPORT] = L.SUP_NONE
    vy = max(itf[m, i, L.IVY] - P.GRAVITY * P.DT, -P.MAX_FALL_SPEED)
    y1 = y0 + vy * P.DT
    # Contact tests use a body-sized box whose bottom is the weapon's bottom.
    shift = P.HALF_H - P.WEAPON_HALF
    bx, by, bvx, bvy, landed = collide_floor(
        x0, y0 + shift, x0, y1 + shift, 0.0, vy, P.FLOOR_R_X0, P.FLOOR_R_X1, P.FLOOR_R_TOP, P.FLOOR_R_BOTTOM
    )
    new_sup = L.SUP_FLOOR_RIGHT if landed else L.SUP_NONE
    if not landed:
        bx, by, bvx, bvy, landed = collide_floor(
            x0, y0 + shift, bx, by, 0.0, bvy, P.FLOOR_L_X0, P.FLOOR_L_X1, P.FLOOR_L_TOP, P.FLOOR_L_BOTTOM
        )
        if landed:
            new_sup = L.SUP_FLOOR_LEFT
    if not landed and lands_on_platform(mf, m, y0 + shift, bx, by, plat_top0):
        new_sup = L.SUP_PLATFORM
        by = mf[m, L.PLAT_Y] + P.PLAT_HALF_H + P.HALF_H
    itf[m, i, L.IX] = bx
    if new_sup != L.SUP_NONE:
        it[m, i, L.ISUPPORT] = new_sup
        itf[m, i, L.IY] = surface_top(mf, m, new_sup) + P.WEAPON_HALF
        itf[m, i, L.IVY] = 0.0
    else:
        itf[m, i, L.IY] = by - shift
        itf[m, i, L.IVY] = bvy


@kernel
def _can_handle(pi, m, p):
    s = pi[m, p, L.STATE]
    return s != L.S_ATTACK and s != L.S_KO and s != L.S_STUN


@kernel
def _touches(pf, itf, m, p, i):
    return (
        abs(pf[m, p, L.PX] - itf[m, i, L.IX]) < P.HURT_HALF_W + P.PICKUP_HALF_W
        and abs(pf[m, p, L.PY] - itf[m, i, L.IY]) < P.HURT_HALF_H + P.PICKUP_HALF_H
    )


@kernel
def _wants(pi, it, m, p, i, fresh):
    """Weapons: player ``p`` (empty-handed, free to act, H down) asks for item ``i``; a dropped weapon
    needs a fresh press of H and is locked to its dropper for 15 frames, a spawner's needs H held."""
    kind = it[m, i, L.IKIND]
    if kind == L.I_SHOWING:
        return it[m, i, L.IAGE] >= P.SPAWN_PICKUP_LOCK
    if kind == L.I_LOOSE:
        return fresh and not (it[m, i, L.ILOCK_TIMER] > 0 and it[m, i, L.ILOCK_PLAYER] == p)
    return False


@kernel
def _choose(pf, pi, it, itf, m, p):
    """Weapons: the first item player ``p`` asks for and touches this frame, or -1."""
    if not held(pi, m, p, L.K_PICKUP) or pi[m, p, L.WEAPON] != L.W_PUNCH or not _can_handle(pi, m, p):
        return -1
    fresh = pressed(pi, m, p, L.K_PICKUP)
    for i in range(L.N_ITEMS):
        if _wants(pi, it, m, p, i, fresh) and _touches(pf, itf, m, p, i):
            return i
    return -1


@kernel
def drop_and_pickup(pf, pi, it, itf, rng, m, ev, st):
    """Weapons: H drops a held weapon (first), then H picks up a touching one (spawner or dropped).

    Dropping first means H next to a spawner while armed swaps weapons in one frame, as in the
    original; the dropper's own weapon stays locked to it for 15 frames.
    """
    for p in range(2):
        if pi[m, p, L.WEAPON] != L.W_PUNCH and _can_handle(pi, m, p) and pressed(pi, m, p, L.K_PICKUP):
            slot = L.N_SPAWNERS
            for i in range(L.N_SPAWNERS, L.N_ITEMS):
                if it[m, i, L.IKIND] != L.I_LOOSE:
                    slot = i
                    break
                if it[m, i, L.ILIFE] < it[m, slot, L.ILIFE]:
                    slot = i  # all slots busy: replace the one closest to expiring
            it[m, slot, L.IKIND] = L.I_LOOSE
            it[m, slot, L.IWEAPON] = pi[m, p, L.WEAPON]
            it[m, slot, L.ILIFE] = P.DROPPED_LIFE
            it[m, slot, L.ILOCK_PLAYER] = p
            it[m, slot, L.ILOCK_TIMER] = P.REPICK_LOCK
            # It appears just behind the dropper, its bottom at the dropper's feet, on the same surface.
            it[m, slot, L.ISUPPORT] = pi[m, p, L.SUPPORT]
            itf[m, slot, L.IX] = pf[m, p, L.PX] + P.DROP_OFFSET_X * pi[m, p, L.FACING]
            itf[m, slot, L.IY] = pf[m, p, L.PY] - P.HALF_H + P.WEAPON_HALF
            itf[m, slot, L.IVY] = 0.0
            pi[m, p, L.WEAPON] = L.W_PUNCH
            ev[m, p, L.EV_DROP] = 1.0
    # Pickups: each player takes the first touching item it asks for; a contested item goes to the
    # nearer player (a coin from the match generator on an exact tie).
    # A player who respawned this frame takes no input on it.
    choice0 = _choose(pf, pi, it, itf, m, 0) if ev[m, 0, L.EV_RESPAWNED] == 0.0 else -1
    choice1 = _choose(pf, pi, it, itf, m, 1) if ev[m, 1, L.EV_RESPAWNED] == 0.0 else -1
    if choice0 >= 0 and choice0 == choice1:
        d0 = (pf[m, 0, L.PX] - itf[m, choice0, L.IX]) ** 2 + (pf[m, 0, L.PY] - itf[m, choice0, L.IY]) ** 2
        d1 = (pf[m, 1, L.PX] - itf[m, choice0, L.IX]) ** 2 + (pf[m, 1, L.PY] - itf[m, choice0, L.IY]) ** 2
        if d0 < d1 or (d0 == d1 and randint(rng, m, 0, 1) == 0):
            choice1 = -1
        else:
            choice0 = -1
    if choice0 >= 0:
        _take(pi, it, rng, m, 0, choice0, ev, st)
    if choice1 >= 0:
        _take(pi, it, rng, m, 1, choice1, ev, st)


@kernel
def _take(pi, it, rng, m, p, i, ev, st):
    weapon = it[m, i, L.IWEAPON]
    pi[m, p, L.WEAPON] = weapon
    ev[m, p, L.EV_PICKUP] = weapon
    st[m, p, L.ST_PICKUPS] += 1.0
    if i < L.N_SPAWNERS:
        ev[m, p, L.EV_PICKUP_SOURCE] = 1.0
        _redraw_wait(it, rng, m, i, 0)
    else:
        ev[m, p, L.EV_PICKUP_SOURCE] = 2.0
        it[m, i, L.IKIND] = L.I_EMPTY
