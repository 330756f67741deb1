"""Rule tests for weapons: spawners, pickup, drop, re-pick lock, falling dropped weapons, expiry, KO.

GAME.md "Weapons", facts file section 4, docs/rules.md "Weapons and spawners". Every expected number
comes from ``params.py``. Scenarios are built by writing the state arrays (player position and weapon,
spawner kind/age/timer/position) and then stepping the real engine. World is y-up.

Items: ``it[0, i]`` / ``itf[0, i]``; items 0 (right floor) and 1 (left floor) are the spawners, items
2.. are dropped ("loose") weapons.
"""

from __future__ import annotations

import numpy as np
import pytest

from brawl_env.config import make_config
from brawl_env.engine import layout as L
from brawl_env.engine import params as P
from brawl_env.engine.core import Engine
from brawl_env.engine.obs import WORLD_OFFSETS, bounds
from helpers import make_engine, place, settle, side_player, standard_start, step

H = (L.K_PICKUP,)
FREEZE = 10**6  # a spawner wait that never ends during a test
FLOOR_TOPS = {L.SUP_FLOOR_RIGHT: P.FLOOR_R_TOP, L.SUP_FLOOR_LEFT: P.FLOOR_L_TOP}
# Pickup area against the hurtbox, along each axis (the areas touch when centres are closer than this).
REACH_X = P.HURT_HALF_W + P.PICKUP_HALF_W  # 0.464 + 0.75
REACH_Y = P.HURT_HALF_H + P.PICKUP_HALF_H  # 0.512 + 0.415
LONG = dict(max_frames=100_000, stocks=99)  # matches that cannot end during a test


# --------------------------------------------------------------------------------------------------
# scenario helpers
# --------------------------------------------------------------------------------------------------


def _ready(seed: int = 0):
    """Players landed, both spawners waiting for ever; returns (engine, right slot, left slot)."""
    e = make_engine(seed, **LONG)
    settle(e)
    for i in range(L.N_SPAWNERS):
        it = e.state.it[0, i]
        it[L.IKIND] = L.I_WAITING
        it[L.IWEAPON] = 0
        it[L.ITIMER] = FREEZE
        it[L.IAGE] = 0
    return e, side_player(e, 0), side_player(e, 1)


def _stand(e, p, x, sup=L.SUP_FLOOR_RIGHT):
    place(e, p, x=x, y=FLOOR_TOPS[sup] + P.HALF_H, vx=0.0, vy=0.0, support=sup, state=L.S_STANDING)


def _air(e, p, x, y):
    place(e, p, x=x, y=y, vx=0.0, vy=0.0, support=L.SUP_NONE, state=L.S_IN_AIR)


def _show(e, i, x, weapon=L.W_SPEAR, age=P.SPAWN_PICKUP_LOCK):
    """Spawner ``i`` shows ``weapon`` resting on its floor at ``x``, spawned ``age`` frames ago."""
    it, itf = e.state.it[0, i], e.state.itf[0, i]
    it[L.IKIND] = L.I_SHOWING
    it[L.IWEAPON] = weapon
    it[L.IAGE] = age
    it[L.ITIMER] = P.SPAWN_DESPAWN - age
    itf[L.IX] = x
    itf[L.IY] = P.SPAWNER_FLOOR_TOPS[i] + P.WEAPON_HALF


def _arm(e, p, weapon):
    e.state.pi[0, p, L.WEAPON] = weapon


def _unpress(e, p):
    """Forget this frame's keys of ``p``, so that H on the next step is a fresh press."""
    e.state.pi[0, p, L.KEYS] = 0


def _ev(e, p, col):
    return float(e.state.ev[0, p, col])


def _weapon(e, p):
    return int(e.state.pi[0, p, L.WEAPON])


def _kind(e, i):
    return int(e.state.it[0, i, L.IKIND])


def _loose(e):
    """Indices of the live dropped weapons."""
    return [i for i in range(L.N_SPAWNERS, L.N_ITEMS) if _kind(e, i) == L.I_LOOSE]


def _keys(p, keys):
    """(keys0, keys1) with ``keys`` for player ``p`` and nothing for the other."""
    return (keys, ()) if p == 0 else ((), keys)


def _drop(e, p):
    """Player ``p`` (armed) presses H freshly: returns the index of the dropped weapon."""
    _unpress(e, p)
    step(e, *_keys(p, H))
    assert _ev(e, p, L.EV_DROP) == 1.0
    live = _loose(e)
    assert len(live) == 1
    return live[0]


# --------------------------------------------------------------------------------------------------
# 1-2. spawn schedule and seeding
# --------------------------------------------------------------------------------------------------


def _spawner_log(seeds, frames, keys=None):
    """Run idle (or with ``keys[t]``) matches; returns per-frame copies of the spawner rows."""
    e = Engine(len(seeds), make_config(**LONG))
    e.reset(np.asarray(seeds, np.uint64))
    it0, itf0 = e.state.it[:, : L.N_SPAWNERS].copy(), e.state.itf[:, : L.N_SPAWNERS].copy()
    its, itfs = [], []
    for t in range(frames):
        e.keys[:] = 0 if keys is None else keys[t]
        e.step(auto_reset=False)
        its.append(e.state.it[:, : L.N_SPAWNERS].copy())
        itfs.append(e.state.itf[:, : L.N_SPAWNERS].copy())
    return it0, itf0, np.stack(its), np.stack(itfs), e


def test_spawn_schedule_despawn_and_redraw():
    seeds = list(range(100, 108))
    frames = 3000
    it0, _, its, itfs, e = _spawner_log(seeds, frames)
    assert e.state.st[:, :, L.ST_PICKUPS].sum() == 0  # idle players never pick up
    gaps, weapons = [], set()
    for m in range(len(seeds)):
        for i in range(L.N_SPAWNERS):
            cd = int(it0[m, i, L.ICOOLDOWN])
            assert P.SPAWN_COOLDOWN_MIN <= cd <= P.SPAWN_COOLDOWN_MAX
            assert (its[:, m, i, L.ICOOLDOWN] == cd).all()  # the base cooldown is drawn once
            kind = its[:, m, i, L.IKIND]
            assert set(np.unique(kind)) <= {L.I_WAITING, L.I_SHOWING}
            showing = kind == L.I_SHOWING
            # frame number of row t is t + 1 (after the step); starts and ends of showing runs
            edges = np.diff(np.concatenate([[0], showing.astype(int), [0]]))
            starts = np.flatnonzero(edges == 1) + 1
            ends = np.flatnonzero(edges == -1) + 1  # first frame no longer showing
            assert len(starts) >= 2
            assert 0 <= starts[0] <= P.SPAWN_FIRST_MAX
            lo, hi = P.SPAWNER_X_RANGES[i]
            for s, end in zip(starts, ends):
                rows = slice(s - 1, end - 1)
                x = itfs[rows, m, i, L.IX]
                y = itfs[rows, m, i, L.IY]
                w = its[rows, m, i, L.IWEAPON]
                assert lo <= x[0] <= hi and (x == x[0]).all()
                assert (y == P.SPAWNER_FLOOR_TOPS[i] + P.WEAPON_HALF).all()  # resting on its floor
                assert w[0] in (L.W_SPEAR, L.W_HAMMER) and (w == w[0]).all()
                weapons.add(int(w[0]))
                np.testing.assert_array_equal(its[rows, m, i, L.IAGE], np.arange(end - s))
                if end <= frames:
                    assert end - s == P.SPAWN_DESPAWN  # untouched: gone after exactly 350 frames
            for a, b in zip(starts[:-1], starts[1:]):
                gap = b - a  # counted from the spawn: base x [0.5, 1.5], but never before the despawn
                assert (
                    max(int(P.SPAWN_REDRAW_LO * cd), P.SPAWN_DESPAWN + 1)
                    <= gap
                    <= int(P.SPAWN_REDRAW_HI * cd)
                )
                gaps.append(gap)
    assert weapons == {L.W_SPEAR, L.W_HAMMER}
    # Counted from the despawn the gap could never be under 350 + 0.5 x 500 = 600.
    assert min(gaps) < P.SPAWN_DESPAWN + P.SPAWN_REDRAW_LO * P.SPAWN_COOLDOWN_MIN


def test_seed_fixes_every_spawn():
    frames = 3000
    rng = np.random.default_rng(7)
    keys = (rng.random((frames, 1, 2, L.N_KEYS)) < 0.3).astype(np.uint8)
    it0a, itf0a, itsa, itfsa, ea = _spawner_log([42], frames, keys)
    it0b, itf0b, itsb, itfsb, eb = _spawner_log([42], frames, keys)
    np.testing.assert_array_equal(it0a, it0b)
    np.testing.assert_array_equal(itsa, itsb)
    np.testing.assert_array_equal(itfsa, itfsb)
    np.testing.assert_array_equal(ea.state.it, eb.state.it)  # dropped weapons too
    np.testing.assert_array_equal(ea.state.itf, eb.state.itf)
    assert (itsa[:, 0, :, L.IKIND] == L.I_SHOWING).any()

    def schedule(its, itfs):
        show = its[:, 0, :, L.IKIND] == L.I_SHOWING
        t, i = np.nonzero(show)
        return [
            (int(a), int(b), float(itfs[a, 0, b, L.IX]), int(its[a, 0, b, L.IWEAPON])) for a, b in zip(t, i)
        ]

    _, _, itsc, itfsc, _ = _spawner_log([43], frames, keys)
    assert schedule(itsa, itfsa) != schedule(itsc, itfsc)
    assert schedule(itsa, itfsa)[0][:3] != schedule(itsc, itfsc)[0][:3]  # first spawn frame / place


def test_whole_item_arrays_identical_every_frame_for_same_seed():
    frames = 3000
    rng = np.random.default_rng(11)
    keys = (rng.random((frames, 2, L.N_KEYS)) < 0.3).astype(np.uint8)
    keys[:, :, L.K_PICKUP] = rng.random((frames, 2)) < 0.6
    a, b = make_engine(5, **LONG), make_engine(5, **LONG)
    for t in range(frames):
        for e in (a, b):
            e.keys[0] = keys[t]
            e.step(auto_reset=False)
        np.testing.assert_array_equal(a.state.it, b.state.it)
        np.testing.assert_array_equal(a.state.itf, b.state.itf)


# --------------------------------------------------------------------------------------------------
# 3. pickup from a spawner
# --------------------------------------------------------------------------------------------------


def test_spawner_pickup_with_h_held_after_spawn_lock():
    e, r, l = _ready()
    _stand(e, r, 4.0)
    step(e, *_keys(r, H))  # H held from before the spawn: held is enough at a spawner
    e.state.it[0, 0, L.ITIMER] = 1  # spawner 0 spawns on the next step
    step(e, *_keys(r, H))
    assert _kind(e, 0) == L.I_SHOWING and int(e.state.it[0, 0, L.IAGE]) == 0
    e.state.itf[0, 0, L.IX] = 4.3  # under the player
    e.state.it[0, 0, L.IWEAPON] = L.W_HAMMER
    cd = int(e.state.it[0, 0, L.ICOOLDOWN])
    got = None
    for k in range(1, P.SPAWN_PICKUP_LOCK + 5):
        step(e, *_keys(r, H))
        if _ev(e, r, L.EV_PICKUP) != 0.0:
            got = k
            break
        assert _weapon(e, r) == L.W_PUNCH and _kind(e, 0) == L.I_SHOWING
        assert e.state.st[0, r, L.ST_PICKUPS] == 0
    assert got == P.SPAWN_PICKUP_LOCK  # blocked while 36 frames have not passed since the spawn
    assert _weapon(e, r) == L.W_HAMMER
    assert _ev(e, r, L.EV_PICKUP) == L.W_HAMMER
    assert _ev(e, r, L.EV_PICKUP_SOURCE) == 1.0
    assert _ev(e, r, L.EV_DROP) == 0.0
    assert e.state.st[0, r, L.ST_PICKUPS] == 1.0
    assert _ev(e, l, L.EV_PICKUP) == 0.0 and e.state.st[0, l, L.ST_PICKUPS] == 0.0
    # The spawner waits again: base x [0.5, 1.5], counted from the pickup frame.
    assert _kind(e, 0) == L.I_WAITING
    wait = int(e.state.it[0, 0, L.ITIMER])
    assert int(P.SPAWN_REDRAW_LO * cd) <= wait <= int(P.SPAWN_REDRAW_HI * cd)
    assert _loose(e) == []
    # Events last one frame; keeping H held does nothing more.
    step(e, *_keys(r, H))
    assert _ev(e, r, L.EV_PICKUP) == 0.0 and _ev(e, r, L.EV_DROP) == 0.0
    assert _weapon(e, r) == L.W_HAMMER and e.state.st[0, r, L.ST_PICKUPS] == 1.0
    assert int(e.state.it[0, 0, L.ITIMER]) == wait - 1
    for _ in range(wait - 2):
        step(e)
    assert _kind(e, 0) == L.I_WAITING
    step(e)
    assert _kind(e, 0) == L.I_SHOWING  # next spawn exactly `wait` frames after the pickup


def test_spawner_needs_h():
    e, r, _ = _ready()
    _stand(e, r, 4.0)
    _show(e, 0, 4.0)
    for _ in range(5):
        step(e)
        assert _weapon(e, r) == L.W_PUNCH and _kind(e, 0) == L.I_SHOWING
    step(e, *_keys(r, H))
    assert _weapon(e, r) == L.W_SPEAR


def test_no_spawner_pickup_while_attacking():
    e, r, _ = _ready()
    _stand(e, r, 4.0)
    _show(e, 0, 4.0)
    # J and H on the same frame: the attack starts first, so no pickup; H stays held throughout.
    step(e, *_keys(r, (L.K_LIGHT, L.K_PICKUP)))
    assert int(e.state.pi[0, r, L.STATE]) == L.S_ATTACK
    assert _weapon(e, r) == L.W_PUNCH and _ev(e, r, L.EV_PICKUP) == 0.0
    frames = 1
    while int(e.state.pi[0, r, L.STATE]) == L.S_ATTACK:
        e.state.itf[0, 0, L.IX] = e.state.pf[0, r, L.PX]  # keep touching whatever the move does
        step(e, *_keys(r, H))
        frames += 1
        assert frames < 200
        if int(e.state.pi[0, r, L.STATE]) == L.S_ATTACK:
            assert _weapon(e, r) == L.W_PUNCH and _ev(e, r, L.EV_PICKUP) == 0.0
    assert frames > 2
    # The first frame free to act again takes it (H still held).
    assert _weapon(e, r) == L.W_SPEAR and _ev(e, r, L.EV_PICKUP_SOURCE) == 1.0


def test_no_spawner_pickup_while_stunned():
    e, r, _ = _ready()
    _stand(e, r, 4.0)
    _show(e, 0, 4.0)
    place(e, r, state=L.S_STUN)
    e.state.pi[0, r, L.TIMER] = 10
    for k in range(1, 11):
        step(e, *_keys(r, H))
        stunned = int(e.state.pi[0, r, L.STATE]) == L.S_STUN
        assert stunned == (k < 10)
        assert (_weapon(e, r) == L.W_SPEAR) == (not stunned)
    assert _ev(e, r, L.EV_PICKUP) == L.W_SPEAR


def test_no_spawner_pickup_while_armed():
    e, r, _ = _ready()
    _stand(e, r, 4.0)
    _show(e, 0, 4.0, weapon=L.W_HAMMER)
    step(e, *_keys(r, ()))
    e.state.pi[0, r, L.KEYS] = 1 << L.K_PICKUP  # H already held: no fresh press, so no drop either
    _arm(e, r, L.W_SPEAR)
    for _ in range(5):
        step(e, *_keys(r, H))
        assert _weapon(e, r) == L.W_SPEAR
        assert _ev(e, r, L.EV_PICKUP) == 0.0 and _ev(e, r, L.EV_DROP) == 0.0
        assert _kind(e, 0) == L.I_SHOWING and _loose(e) == []


@pytest.mark.parametrize("dx, dy", [(1, 0), (-1, 0), (0, 1), (0, -1)])
@pytest.mark.parametrize("inside", [False, True])
def test_spawner_pickup_area_edges(dx, dy, inside):
    """Weapon 1.5 x 0.83 pickup area against the 0.928 x 1.024 hurtbox, just outside / just inside."""
    e, r, _ = _ready()
    _stand(e, r, 4.5)
    margin = -0.01 if inside else 0.01
    px, py = float(e.state.pf[0, r, L.PX]), float(e.state.pf[0, r, L.PY])
    _show(e, 0, 4.5)
    e.state.itf[0, 0, L.IX] = px + dx * (REACH_X + margin)
    e.state.itf[0, 0, L.IY] = py + dy * (REACH_Y + margin)
    for _ in range(3):
        step(e, *_keys(r, H))
        if inside:
            break
    assert (_weapon(e, r) == L.W_SPEAR) == inside
    assert (_kind(e, 0) == L.I_SHOWING) == (not inside)


# --------------------------------------------------------------------------------------------------
# 4. drop
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("side", [0, 1])
def test_grounded_drop_at_feet_behind(side):
    e, _, _ = _ready()
    p = side_player(e, side)
    sup = L.SUP_FLOOR_RIGHT if side == 0 else L.SUP_FLOOR_LEFT
    x = 4.0 if side == 0 else -4.0
    _stand(e, p, x, sup)
    facing = int(e.state.pi[0, p, L.FACING])
    assert facing == (-1 if side == 0 else 1)
    _arm(e, p, L.W_HAMMER)
    # H held (not freshly pressed) does not drop.
    e.state.pi[0, p, L.KEYS] = 1 << L.K_PICKUP
    step(e, *_keys(p, H))
    assert _weapon(e, p) == L.W_HAMMER and _ev(e, p, L.EV_DROP) == 0.0 and _loose(e) == []
    i = _drop(e, p)
    assert _weapon(e, p) == L.W_PUNCH
    assert _ev(e, p, L.EV_PICKUP) == 0.0 and _ev(e, 1 - p, L.EV_DROP) == 0.0
    it, itf = e.state.it[0, i], e.state.itf[0, i]
    px = float(e.state.pf[0, p, L.PX])
    assert it[L.IWEAPON] == L.W_HAMMER
    assert it[L.ILIFE] == P.DROPPED_LIFE
    assert it[L.ILOCK_PLAYER] == p and it[L.ILOCK_TIMER] == P.REPICK_LOCK
    assert it[L.ISUPPORT] == sup
    assert itf[L.IX] == pytest.approx(px + P.DROP_OFFSET_X * facing, abs=1e-12)
    assert (itf[L.IX] - px) * facing < 0  # behind the dropper
    assert itf[L.IY] == FLOOR_TOPS[sup] + P.WEAPON_HALF  # its bottom at the dropper's feet
    x0 = float(itf[L.IX])
    for _ in range(30):
        step(e)
        assert _kind(e, i) == L.I_LOOSE
        assert itf[L.IX] == x0 and itf[L.IY] == FLOOR_TOPS[sup] + P.WEAPON_HALF and itf[L.IVY] == 0.0


@pytest.mark.parametrize("side", [0, 1])
def test_airborne_drop_falls_and_rests_on_floor_top(side):
    e, _, _ = _ready()
    p = side_player(e, side)
    sup = L.SUP_FLOOR_RIGHT if side == 0 else L.SUP_FLOOR_LEFT
    x = 4.0 if side == 0 else -4.0
    _air(e, p, x, FLOOR_TOPS[sup] + 3.0)
    _arm(e, p, L.W_SPEAR)
    i = _drop(e, p)
    it, itf = e.state.it[0, i], e.state.itf[0, i]
    assert it[L.ISUPPORT] == L.SUP_NONE
    # It appears at the dropper's feet (the dropper has moved this frame already).
    assert itf[L.IY] == pytest.approx(float(e.state.pf[0, p, L.PY]) - P.HALF_H + P.WEAPON_HALF, abs=1e-12)
    y, vy = float(itf[L.IY]), 0.0
    x0 = float(itf[L.IX])
    rest = FLOOR_TOPS[sup] + P.WEAPON_HALF
    landed = None
    for k in range(1, 120):
        step(e)
        assert _kind(e, i) == L.I_LOOSE and itf[L.IX] == x0
        if it[L.ISUPPORT] != L.SUP_NONE:
            landed = k
            break
        vy = max(vy - P.GRAVITY * P.DT, -P.MAX_FALL_SPEED)  # free fall
        y = y + vy * P.DT
        assert itf[L.IY] == pytest.approx(y, abs=1e-9) and itf[L.IVY] == pytest.approx(vy, abs=1e-9)
        assert itf[L.IY] > rest
    assert landed is not None
    assert it[L.ISUPPORT] == sup
    assert itf[L.IY] == rest and itf[L.IVY] == 0.0  # exactly on the floor top
    for _ in range(10):
        step(e)
        assert itf[L.IY] == rest and itf[L.IX] == x0


def _on_platform(e, p, dx=0.0):
    mf = e.state.mf[0]
    place(
        e,
        p,
        x=float(mf[L.PLAT_X]) + dx,
        y=float(mf[L.PLAT_Y]) + P.PLAT_HALF_H + P.HALF_H,
        vx=0.0,
        vy=0.0,
        support=L.SUP_PLATFORM,
        state=L.S_STANDING,
    )


def test_drop_on_platform_rides_it():
    e, r, _ = _ready()
    standard_start(e)  # the platform mid-track, where it moves fast enough to show the ride
    settle(e)
    _on_platform(e, r, 0.3)
    step(e)
    assert int(e.state.pi[0, r, L.SUPPORT]) == L.SUP_PLATFORM
    _arm(e, r, L.W_HAMMER)
    i = _drop(e, r)
    it, itf, mf = e.state.it[0, i], e.state.itf[0, i], e.state.mf[0]
    assert it[L.ISUPPORT] == L.SUP_PLATFORM
    off = float(itf[L.IX] - mf[L.PLAT_X])
    assert off == pytest.approx(0.3 + P.DROP_OFFSET_X * int(e.state.pi[0, r, L.FACING]), abs=1e-9)
    ys = []
    for _ in range(90):
        step(e)
        assert it[L.ISUPPORT] == L.SUP_PLATFORM
        assert float(itf[L.IX] - mf[L.PLAT_X]) == pytest.approx(off, abs=1e-9)
        assert itf[L.IY] == pytest.approx(float(mf[L.PLAT_Y]) + P.PLAT_HALF_H + P.WEAPON_HALF, abs=1e-12)
        ys.append(float(itf[L.IY]))
    assert max(ys) - min(ys) > 0.5  # the platform did carry it


def test_airborne_drop_lands_on_platform_and_rides():
    e, r, _ = _ready()
    mf = e.state.mf[0]
    _air(e, r, float(mf[L.PLAT_X]), float(mf[L.PLAT_Y]) + 2.0)
    _arm(e, r, L.W_SPEAR)
    i = _drop(e, r)
    it, itf = e.state.it[0, i], e.state.itf[0, i]
    for _ in range(60):
        step(e)
        if it[L.ISUPPORT] != L.SUP_NONE:
            break
    assert it[L.ISUPPORT] == L.SUP_PLATFORM
    for _ in range(30):
        step(e)
        assert it[L.ISUPPORT] == L.SUP_PLATFORM
        assert itf[L.IY] == pytest.approx(float(mf[L.PLAT_Y]) + P.PLAT_HALF_H + P.WEAPON_HALF, abs=1e-12)


# --------------------------------------------------------------------------------------------------
# 5. re-pick lock and dropped-weapon pickup
# --------------------------------------------------------------------------------------------------


def test_dropper_repick_lock():
    e, r, _ = _ready()
    _stand(e, r, 4.0)
    _arm(e, r, L.W_SPEAR)
    i = _drop(e, r)
    for k in range(1, P.REPICK_LOCK):
        _unpress(e, r)  # a fresh press of H every try
        step(e, *_keys(r, H))
        assert _weapon(e, r) == L.W_PUNCH and _ev(e, r, L.EV_PICKUP) == 0.0, k
        assert _kind(e, i) == L.I_LOOSE
    _unpress(e, r)
    step(e, *_keys(r, H))  # frame 15 after the drop: the lock is over
    assert _weapon(e, r) == L.W_SPEAR
    assert _ev(e, r, L.EV_PICKUP) == L.W_SPEAR and _ev(e, r, L.EV_PICKUP_SOURCE) == 2.0
    assert e.state.st[0, r, L.ST_PICKUPS] == 1.0
    assert _kind(e, i) == L.I_EMPTY


def test_other_player_takes_dropped_weapon_at_once_with_fresh_press():
    e, r, l = _ready()
    _stand(e, r, 4.0)
    _stand(e, l, 4.1)
    _arm(e, r, L.W_HAMMER)
    i = _drop(e, r)
    _unpress(e, l)
    step(e, *_keys(l, H))  # the frame after the drop, well inside the dropper's lock
    assert _weapon(e, l) == L.W_HAMMER
    assert _ev(e, l, L.EV_PICKUP) == L.W_HAMMER and _ev(e, l, L.EV_PICKUP_SOURCE) == 2.0
    assert e.state.st[0, l, L.ST_PICKUPS] == 1.0
    assert _kind(e, i) == L.I_EMPTY and _weapon(e, r) == L.W_PUNCH


def test_dropped_weapon_needs_fresh_press():
    e, r, l = _ready()
    _stand(e, r, 4.0)
    _stand(e, l, 4.1)
    _arm(e, r, L.W_HAMMER)
    keys = lambda kr, kl: (kr, kl) if r == 0 else (kl, kr)  # noqa: E731
    step(e, *keys((), H))  # l holds H from before the drop
    step(e, *keys(H, H))  # r drops; l's H is held, not pressed
    assert _ev(e, r, L.EV_DROP) == 1.0
    [i] = _loose(e)
    for _ in range(4):  # held is not enough for a dropped weapon
        assert _weapon(e, l) == L.W_PUNCH and _ev(e, l, L.EV_PICKUP) == 0.0 and _kind(e, i) == L.I_LOOSE
        step(e, *keys((), H))
    assert _weapon(e, l) == L.W_PUNCH and _kind(e, i) == L.I_LOOSE
    step(e, *keys((), ()))  # l releases ...
    assert _weapon(e, l) == L.W_PUNCH
    step(e, *keys((), H))  # ... and presses again
    assert _weapon(e, l) == L.W_HAMMER and _ev(e, l, L.EV_PICKUP_SOURCE) == 2.0
    assert _kind(e, i) == L.I_EMPTY


def test_fifth_drop_replaces_the_dropped_weapon_closest_to_expiry():
    e, r, _ = _ready()
    _stand(e, r, 4.0)
    lives = [120, 40, 200, 90]
    for j, life in enumerate(lives):
        i = L.N_SPAWNERS + j
        it, itf = e.state.it[0, i], e.state.itf[0, i]
        it[L.IKIND], it[L.IWEAPON], it[L.ILIFE], it[L.ISUPPORT] = (
            L.I_LOOSE,
            L.W_SPEAR,
            life,
            L.SUP_FLOOR_RIGHT,
        )
        itf[L.IX], itf[L.IY] = 6.0, P.FLOOR_R_TOP + P.WEAPON_HALF
    _arm(e, r, L.W_HAMMER)
    _unpress(e, r)
    step(e, *_keys(r, H))
    assert _ev(e, r, L.EV_DROP) == 1.0 and _weapon(e, r) == L.W_PUNCH
    assert len(_loose(e)) == L.N_LOOSE
    new = L.N_SPAWNERS + int(np.argmin(lives))
    assert e.state.it[0, new, L.IWEAPON] == L.W_HAMMER and e.state.it[0, new, L.ILIFE] == P.DROPPED_LIFE
    for j, life in enumerate(lives):
        if L.N_SPAWNERS + j != new:
            assert e.state.it[0, L.N_SPAWNERS + j, L.ILIFE] == life - 1


# --------------------------------------------------------------------------------------------------
# 6. expiry and falling out
# --------------------------------------------------------------------------------------------------


def test_dropped_weapon_expires_after_250_frames():
    e, r, _ = _ready()
    _stand(e, r, 4.0)
    _arm(e, r, L.W_SPEAR)
    i = _drop(e, r)
    o = WORLD_OFFSETS[f"loose{i - L.N_SPAWNERS}_active"]
    for k in range(1, P.DROPPED_LIFE):
        step(e)
        assert _kind(e, i) == L.I_LOOSE and int(e.state.it[0, i, L.ILIFE]) == P.DROPPED_LIFE - k, k
        assert e.state.obs[0, 0, o] == 1.0 and e.state.obs[0, 1, o] == 1.0
    step(e)  # frame 250 after the drop
    assert _kind(e, i) == L.I_EMPTY and _loose(e) == []
    assert e.state.obs[0, 0, o] == 0.0 and e.state.obs[0, 1, o] == 0.0


def test_weapon_dropped_over_pit_falls_out_past_blast_line():
    e, r, _ = _ready()
    _air(e, r, 0.0, -3.5)  # in the pit, under the platform
    _arm(e, r, L.W_HAMMER)
    i = _drop(e, r)
    itf = e.state.itf[0, i]
    y, vy = float(itf[L.IY]), 0.0
    gone = None
    for k in range(1, P.DROPPED_LIFE):
        vy = max(vy - P.GRAVITY * P.DT, -P.MAX_FALL_SPEED)
        y = y + vy * P.DT
        step(e)
        if y < -P.BLAST_Y:
            gone = k
            break
        assert _kind(e, i) == L.I_LOOSE and e.state.it[0, i, L.ISUPPORT] == L.SUP_NONE
        assert itf[L.IY] == pytest.approx(y, abs=1e-9)
    assert gone is not None and gone < P.DROPPED_LIFE - 100
    assert _kind(e, i) == L.I_EMPTY  # removed on the frame it passed the blast line


# --------------------------------------------------------------------------------------------------
# 7. knockout
# --------------------------------------------------------------------------------------------------


def test_weapon_lost_on_knockout_and_respawn_with_punch():
    e, r, _ = _ready()
    _arm(e, r, L.W_HAMMER)
    _air(e, r, P.BLAST_X - 0.05, 0.0)
    place(e, r, vx=6.0)  # flies out of the side this frame
    step(e)
    assert int(e.state.pi[0, r, L.STATE]) == L.S_KO and _ev(e, r, L.EV_KNOCKED_OUT) == 1.0
    assert _weapon(e, r) == L.W_PUNCH  # lost at once ...
    assert _ev(e, r, L.EV_DROP) == 0.0 and _loose(e) == []  # ... not dropped
    respawned = False
    for _ in range(P.RESPAWN_FRAMES + 2):
        step(e, *_keys(r, H))
        assert _weapon(e, r) == L.W_PUNCH and _loose(e) == []
        if _ev(e, r, L.EV_RESPAWNED) == 1.0:
            respawned = True
            break
    assert respawned and int(e.state.pi[0, r, L.STATE]) != L.S_KO


def test_no_pickup_on_the_respawn_frame():
    e, r, _ = _ready()
    _air(e, r, P.BLAST_X + 0.5, 0.0)
    step(e)
    assert int(e.state.pi[0, r, L.STATE]) == L.S_KO
    _show(e, 0, float(e.state.pf[0, r, L.SPAWN_X]), weapon=L.W_SPEAR, age=P.SPAWN_PICKUP_LOCK)
    for _ in range(P.RESPAWN_FRAMES + 2):
        step(e, *_keys(r, H))
        if _ev(e, r, L.EV_RESPAWNED) == 1.0:
            break
    assert _ev(e, r, L.EV_RESPAWNED) == 1.0
    assert _weapon(e, r) == L.W_PUNCH and _kind(e, 0) == L.I_SHOWING  # no input on the respawn frame
    step(e, *_keys(r, H))
    assert _weapon(e, r) == L.W_SPEAR  # the next frame, H held takes it


# --------------------------------------------------------------------------------------------------
# 8. contested pickup
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("nearer", [0, 1])
@pytest.mark.parametrize("sign", [1, -1])
def test_contested_spawner_pickup_goes_to_nearer(nearer, sign):
    e, _, _ = _ready()
    far = 1 - nearer
    _stand(e, nearer, 4.5 + sign * 0.2)
    _stand(e, far, 4.5 - sign * 0.5)  # both inside the pickup area
    _show(e, 0, 4.5, weapon=L.W_HAMMER, age=P.SPAWN_PICKUP_LOCK - 1)  # both may take it from this frame
    step(e, H, H)
    assert _weapon(e, nearer) == L.W_HAMMER and _weapon(e, far) == L.W_PUNCH
    assert _ev(e, nearer, L.EV_PICKUP) == L.W_HAMMER and _ev(e, far, L.EV_PICKUP) == 0.0
    assert e.state.st[0, nearer, L.ST_PICKUPS] == 1.0 and e.state.st[0, far, L.ST_PICKUPS] == 0.0
    assert _kind(e, 0) == L.I_WAITING


def test_contested_exact_tie_gives_it_to_one_player_either_slot():
    winners = []
    for seed in range(16):
        e, _, _ = _ready(seed)
        _stand(e, 0, 4.25)
        _stand(e, 1, 4.75)  # both exactly 0.25 from the weapon
        _show(e, 0, 4.5, weapon=L.W_SPEAR, age=P.SPAWN_PICKUP_LOCK - 1)
        step(e, H, H)
        got = [_weapon(e, p) == L.W_SPEAR for p in range(2)]
        assert sum(got) == 1
        winners.append(got.index(True))
    assert set(winners) == {0, 1}  # not always slot 0


def test_contested_pickup_nearer_by_distance_not_only_x():
    e, r, l = _ready()
    _show(e, 0, 4.5, weapon=L.W_HAMMER, age=P.SPAWN_PICKUP_LOCK - 1)
    wy = float(e.state.itf[0, 0, L.IY])
    _stand(e, r, 4.8)  # dx 0.3, dy 0.085: distance 0.31
    _air(e, l, 4.45, wy + 0.85)  # dx 0.05, dy 0.85: distance 0.85, still inside the pickup area
    step(e, H, H)
    assert abs(float(e.state.pf[0, l, L.PY]) - wy) < REACH_Y  # l did touch it this frame
    assert _weapon(e, r) == L.W_HAMMER and _weapon(e, l) == L.W_PUNCH


# --------------------------------------------------------------------------------------------------
# 9. swap
# --------------------------------------------------------------------------------------------------


def test_swap_spear_for_spawned_hammer_in_one_frame():
    e, r, _ = _ready()
    _stand(e, r, 4.0)
    _show(e, 0, 4.2, weapon=L.W_HAMMER)
    _arm(e, r, L.W_SPEAR)
    _unpress(e, r)
    step(e, *_keys(r, H))
    assert _weapon(e, r) == L.W_HAMMER
    assert _ev(e, r, L.EV_DROP) == 1.0
    assert _ev(e, r, L.EV_PICKUP) == L.W_HAMMER and _ev(e, r, L.EV_PICKUP_SOURCE) == 1.0
    assert e.state.st[0, r, L.ST_PICKUPS] == 1.0
    assert _kind(e, 0) == L.I_WAITING
    [i] = _loose(e)
    assert e.state.it[0, i, L.IWEAPON] == L.W_SPEAR and e.state.it[0, i, L.ILOCK_PLAYER] == r
    for _ in range(5):  # H kept held: nothing more happens
        step(e, *_keys(r, H))
        assert _weapon(e, r) == L.W_HAMMER and _ev(e, r, L.EV_DROP) == 0.0 and _loose(e) == [i]


# --------------------------------------------------------------------------------------------------
# 10-11. observation
# --------------------------------------------------------------------------------------------------


def _world(e, p, name, size=1):
    o = WORLD_OFFSETS[name]
    return e.state.obs[0, p, o : o + size]


def _item_block():
    lo = WORLD_OFFSETS["spawner0_active"]
    hi = WORLD_OFFSETS[f"loose{L.N_LOOSE - 1}_life"] + 1
    return slice(lo, hi)


def test_observation_shows_spawners_and_loose_weapons():
    e, r, l = _ready()
    step(e)
    for p in range(2):
        for i in range(L.N_SPAWNERS):
            assert _world(e, p, f"spawner{i}_active")[0] == 0.0
            assert (_world(e, p, f"spawner{i}_weapon", 2) == 0.0).all()
        for j in range(L.N_LOOSE):
            assert _world(e, p, f"loose{j}_active")[0] == 0.0
    _show(e, 0, 3.3, weapon=L.W_SPEAR, age=40)
    _show(e, 1, -5.2, weapon=L.W_HAMMER, age=100)
    _stand(e, r, 6.0)
    _arm(e, r, L.W_HAMMER)
    i = _drop(e, r)
    j = i - L.N_SPAWNERS
    it, itf = e.state.it[0], e.state.itf[0]
    f32 = lambda v: pytest.approx(np.float32(v), rel=1e-6, abs=1e-7)  # noqa: E731
    for p in range(2):
        for s, onehot in ((0, [1.0, 0.0]), (1, [0.0, 1.0])):
            assert _world(e, p, f"spawner{s}_active")[0] == 1.0
            assert _world(e, p, f"spawner{s}_x")[0] == f32(itf[s, L.IX] / 15.0)
            assert _world(e, p, f"spawner{s}_y")[0] == f32(itf[s, L.IY] / 9.0)
            assert list(_world(e, p, f"spawner{s}_weapon", 2)) == onehot
            assert _world(e, p, f"spawner{s}_timer")[0] == f32(it[s, L.ITIMER] / P.SPAWN_DESPAWN)
        assert _world(e, p, f"loose{j}_active")[0] == 1.0
        assert _world(e, p, f"loose{j}_x")[0] == f32(itf[i, L.IX] / 15.0)
        assert _world(e, p, f"loose{j}_y")[0] == f32(itf[i, L.IY] / 9.0)
        assert list(_world(e, p, f"loose{j}_weapon", 2)) == [0.0, 1.0]
        assert _world(e, p, f"loose{j}_life")[0] == f32(it[i, L.ILIFE] / P.DROPPED_LIFE)
        for k in range(L.N_LOOSE):
            if k != j:
                assert _world(e, p, f"loose{k}_active")[0] == 0.0
    blk = _item_block()
    np.testing.assert_array_equal(e.state.obs[0, 0, blk], e.state.obs[0, 1, blk])
    # The spawner's fields clear once its weapon is taken (by the left player, moved over).
    _stand(e, l, 3.3)
    step(e, *_keys(l, H))
    assert _weapon(e, l) == L.W_SPEAR
    for p in range(2):
        assert _world(e, p, "spawner0_active")[0] == 0.0
        assert (_world(e, p, "spawner0_weapon", 2) == 0.0).all()
        assert _world(e, p, "spawner0_x")[0] == 0.0
    np.testing.assert_array_equal(e.state.obs[0, 0, blk], e.state.obs[0, 1, blk])


def test_observations_stay_in_box_during_random_play_with_weapons():
    low, high = bounds()
    n, frames = 4, 3000
    e = Engine(n, make_config(**LONG))
    e.reset(np.arange(900, 900 + n, dtype=np.uint64))
    rng = np.random.default_rng(3)
    drops = 0
    loose_frames = 0
    for _ in range(frames):
        keys = rng.random((n, 2, L.N_KEYS)) < 0.2
        keys[..., L.K_PICKUP] = rng.random((n, 2)) < 0.6  # H often: pickups and drops happen
        e.keys[:] = keys
        e.step(auto_reset=False)
        obs = e.state.obs
        assert np.isfinite(obs).all()
        assert (obs >= low).all() and (obs <= high).all()
        drops += int(e.state.ev[:, :, L.EV_DROP].sum())
        loose_frames += int((e.state.it[:, L.N_SPAWNERS :, L.IKIND] == L.I_LOOSE).any())
    assert (e.state.mi[:, L.DONE] == L.RUNNING).all()
    assert e.state.st[:, :, L.ST_PICKUPS].sum() >= 4
    assert drops >= 2 and loose_frames > 0
