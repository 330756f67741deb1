"""Rule tests for the engine: movement, jumps, dodge, stage, blast zone, respawn, match end.

Every expected number is computed from ``params.py`` (GAME.md, facts file sections 1.2-1.5 and 2).
Scenarios are built by writing the state arrays directly (position, velocity, support, state) and then
stepping the real engine. World is y-up.
"""

from __future__ import annotations

import numpy as np
import pytest

from brawl_env.engine import layout as L
from brawl_env.engine import params as P
from helpers import (
    hold,
    idle,
    invulnerable_flag,
    make_engine,
    place,
    player,
    settle,
    standard_start,
    side_player,
    step,
)

DT = P.DT
G_STEP = P.GRAVITY * DT  # vy lost per frame to gravity
TOL = 1e-12


def _standing(seed: int = 0, **cfg):
    """An engine whose players have landed; returns (engine, right-side slot, left-side slot)."""
    e = make_engine(seed, **cfg)
    settle(e)
    return e, side_player(e, 0), side_player(e, 1)


def _airborne(e, p, x, y, vx=0.0, vy=0.0):
    place(e, p, x=x, y=y, vx=vx, vy=vy, support=L.SUP_NONE, state=L.S_IN_AIR)


def _dx(snaps, x0):
    xs = [x0] + [s["x"] for s in snaps]
    return np.diff(xs)


# --------------------------------------------------------------------------------------------------
# 1. walk, run, dash, backdash, turnaround
# --------------------------------------------------------------------------------------------------


def test_walk_speed_and_stop():
    e, r, _ = _standing()
    assert player(e, r)["facing"] == -1  # spawned on the right, facing the centre
    x0 = player(e, r)["x"]
    snaps = hold(e, r, [L.K_LEFT], 8)
    assert all(s["state"] == L.S_WALKING for s in snaps)
    assert all(s["support"] == L.SUP_FLOOR_RIGHT for s in snaps)
    np.testing.assert_allclose(_dx(snaps, x0), -P.WALK_SPEED * DT, rtol=0, atol=TOL)
    x1 = snaps[-1]["x"]
    stop = hold(e, r, [], 3)
    assert [s["state"] for s in stop] == [L.S_STANDING] * 3
    assert all(s["vx"] == 0.0 for s in stop)
    np.testing.assert_allclose(_dx(stop, x1), 0.0, atol=TOL)


def test_dash_from_standing_then_sprint_while_held():
    e, r, _ = _standing()
    place(e, r, x=6.5)
    x0 = 6.5
    # A and L pressed together, then both kept held: L held (not re-pressed) must not re-dash.
    snaps = hold(e, r, [L.K_LEFT, L.K_DASH], P.DASH_FRAMES + 5)
    states = [s["state"] for s in snaps]
    assert states == [L.S_DASH] * P.DASH_FRAMES + [L.S_SPRINTING] * 5
    dx = _dx(snaps, x0)
    np.testing.assert_allclose(dx[: P.DASH_FRAMES], -P.DASH_SPEED * DT, atol=TOL)
    np.testing.assert_allclose(dx[P.DASH_FRAMES :], -P.RUN_SPEED * DT, atol=TOL)
    assert all(s["facing"] == -1 for s in snaps)
    # Releasing the direction ends the sprint; ground stop takes GROUND_STOP off vx per frame.
    after = hold(e, r, [], 2)
    assert [s["state"] for s in after] == [L.S_STANDING] * 2
    assert abs(after[0]["vx"] - -max(P.RUN_SPEED - P.GROUND_STOP, 0.0)) < TOL
    assert after[1]["vx"] == 0.0


def test_dash_from_walking():
    e, r, _ = _standing()
    place(e, r, x=6.5)
    walk = hold(e, r, [L.K_LEFT], 2)
    assert [s["state"] for s in walk] == [L.S_WALKING] * 2
    x0 = walk[-1]["x"]
    dash = hold(e, r, [L.K_LEFT, L.K_DASH], 1) + hold(e, r, [L.K_LEFT], P.DASH_FRAMES - 1 + 4)
    assert [s["state"] for s in dash] == [L.S_DASH] * P.DASH_FRAMES + [L.S_SPRINTING] * 4
    dx = _dx(dash, x0)
    np.testing.assert_allclose(dx[: P.DASH_FRAMES], -P.DASH_SPEED * DT, atol=TOL)
    np.testing.assert_allclose(dx[P.DASH_FRAMES :], -P.RUN_SPEED * DT, atol=TOL)


def test_backdash_keeps_facing():
    e, r, _ = _standing()
    before = player(e, r)
    assert before["facing"] == -1
    snaps = hold(e, r, [L.K_RIGHT, L.K_DASH], 1) + hold(e, r, [L.K_RIGHT], P.BACKDASH_FRAMES - 1)
    assert [s["state"] for s in snaps] == [L.S_BACKDASH] * P.BACKDASH_FRAMES
    assert all(s["facing"] == before["facing"] for s in snaps)
    np.testing.assert_allclose(_dx(snaps, before["x"]), P.BACKDASH_SPEED * DT, atol=TOL)
    x1 = snaps[-1]["x"]
    end = hold(e, r, [], 1)[0]
    assert end["state"] == L.S_STANDING
    assert end["facing"] == before["facing"]
    assert abs(end["x"] - x1) < TOL


def test_turnaround_one_frame_then_walk():
    e, r, _ = _standing()
    x0 = player(e, r)["x"]
    snaps = hold(e, r, [L.K_RIGHT], 5)
    assert snaps[0]["state"] == L.S_TURNAROUND
    assert snaps[0]["facing"] == 1
    assert [s["state"] for s in snaps[1:]] == [L.S_WALKING] * 4
    assert all(s["facing"] == 1 for s in snaps)
    dx = _dx(snaps, x0)
    assert abs(dx[0]) < TOL
    np.testing.assert_allclose(dx[1:], P.WALK_SPEED * DT, atol=TOL)


# --------------------------------------------------------------------------------------------------
# 2. jumps
# --------------------------------------------------------------------------------------------------


def _expected_jump_heights(n):
    """Heights above the start after each of n frames: position first, then gravity (capped)."""
    y, vy, out = 0.0, P.JUMP_SPEED, []
    for _ in range(n):
        y += vy * DT
        vy = max(vy - G_STEP, -P.MAX_FALL_SPEED)
        out.append(y)
    return out


def test_ground_jump_apex_and_airtime():
    e, r, _ = _standing()
    y0 = player(e, r)["y"]
    assert abs(y0 - (P.FLOOR_R_TOP + P.HALF_H)) < TOL
    snaps = hold(e, r, [L.K_JUMP], 1)
    assert e.state.ev[0, r, L.EV_JUMP] == 1.0
    for _ in range(60):
        if snaps[-1]["support"] != L.SUP_NONE:
            break
        snaps += hold(e, r, [], 1)
    grounded = [s["support"] != L.SUP_NONE for s in snaps]
    airtime = grounded.index(True) + 1  # frame number (jump frame = 1) on which it is grounded again
    # Count the frames on which the trajectory is still above the floor.
    expected = _expected_jump_heights(40)
    expected_airtime = next(k for k, h in enumerate(expected, 1) if h <= 0.0)
    assert expected_airtime == 31
    assert airtime == expected_airtime
    heights = np.array([s["y"] - y0 for s in snaps[: airtime - 1]])
    np.testing.assert_allclose(heights, expected[: airtime - 1], atol=1e-9)
    apex = sum((P.JUMP_SPEED - k * G_STEP) * DT for k in range(15))
    assert abs(apex - 2.372) < 5e-3  # facts 1.5: apex +2.37
    assert abs(heights.max() - apex) < 1e-9
    assert int(np.argmax(heights)) + 1 == 15  # 15th frame counting the jump frame as frame 1
    assert snaps[airtime - 1]["y"] == y0
    assert snaps[airtime - 1]["state"] == L.S_STANDING


def _jump_run(presses, frames):
    """Right-side player; Space held exactly on the frame numbers in ``presses`` (1-based)."""
    e, r, _ = _standing()
    jumped, snaps = [], []
    for f in range(1, frames + 1):
        snaps += hold(e, r, [L.K_JUMP] if f in presses else [], 1)
        jumped.append(e.state.ev[0, r, L.EV_JUMP] == 1.0)
    return e, r, jumped, snaps


def test_air_jump_cooldown_blocks_early_press():
    # Ground jump on 1, air jump on 3, press on 8 is 5 frames after: cooldown 6 blocks it; 10 works.
    _, _, jumped, snaps = _jump_run({1, 3, 3 + P.AIR_JUMP_COOLDOWN - 1, 10}, 12)
    assert [f for f, j in enumerate(jumped, 1) if j] == [1, 3, 10]
    assert snaps[2]["jumps"] == P.AIR_JUMPS - 1 and snaps[2]["jump_cd"] == P.AIR_JUMP_COOLDOWN
    assert snaps[7]["jumps"] == P.AIR_JUMPS - 1
    assert snaps[9]["jumps"] == 0
    assert all(s["support"] == L.SUP_NONE for s in snaps)


def test_exactly_two_air_jumps_then_landing_restores():
    c = P.AIR_JUMP_COOLDOWN
    presses = {1, 3, 3 + c, 3 + 2 * c, 3 + 2 * c + 2}
    e, r, jumped, snaps = _jump_run(presses, 3 + 2 * c + 4)
    # Second air jump exactly when the cooldown has run out; the 4th and 5th presses do nothing.
    assert [f for f, j in enumerate(jumped, 1) if j] == [1, 3, 3 + c]
    assert snaps[-1]["jumps"] == 0
    assert all(s["support"] == L.SUP_NONE for s in snaps)
    assert e.state.st[0, r, L.ST_JUMPS] == 3
    for _ in range(200):
        step(e)
        if player(e, r)["support"] != L.SUP_NONE:
            break
    assert player(e, r)["support"] == L.SUP_FLOOR_RIGHT
    assert player(e, r)["jumps"] == P.AIR_JUMPS


def test_air_jump_needs_fresh_press():
    _, _, jumped, _ = _jump_run(set(range(1, 13)) | {14}, 15)  # Space held 1..12, re-pressed on 14
    assert [f for f, j in enumerate(jumped, 1) if j] == [1, 14]


# --------------------------------------------------------------------------------------------------
# 3. fast-fall
# --------------------------------------------------------------------------------------------------


def _drop(keys, x=10.0, y=8.0):
    """Drop the right-side player from (x, y) beside the stage until it is knocked out; returns snaps."""
    e, r, _ = _standing()
    _airborne(e, r, x, y)
    snaps = [player(e, r)]
    for _ in range(120):
        snaps += hold(e, r, keys, 1)
        if snaps[-1]["state"] == L.S_KO:
            return snaps[:-1]  # the KO frame zeroes velocity
    raise AssertionError("never left through the bottom")


def test_fall_speed_capped_at_terminal():
    vys = np.array([s["vy"] for s in _drop([])])
    assert vys.min() == -P.MAX_FALL_SPEED
    assert (vys >= -P.MAX_FALL_SPEED).all()
    ys = np.array([s["y"] for s in _drop([])])
    assert (-np.diff(ys) <= P.MAX_FALL_SPEED * DT + 1e-12).all()


def test_fast_fall_faster_but_capped():
    vys = np.array([s["vy"] for s in _drop([L.K_DOWN])])
    assert vys.min() < -P.MAX_FALL_SPEED
    assert vys.min() == -P.FAST_FALL_SPEED
    assert (vys >= -P.FAST_FALL_SPEED).all()
    # Fast-fall adds FAST_FALL_ACCEL on top of gravity while falling.
    slow = np.array([s["vy"] for s in _drop([])])
    assert vys[5] < slow[5]


def test_fast_fall_displacement_capped():
    ys = np.array([s["y"] for s in _drop([L.K_DOWN])])
    assert (-np.diff(ys) <= P.FAST_FALL_SPEED * DT + 1e-12).all()


# --------------------------------------------------------------------------------------------------
# 4. dodge
# --------------------------------------------------------------------------------------------------


def test_ground_dodge_frames_and_invulnerability():
    e, r, _ = _standing()
    start = player(e, r)
    assert invulnerable_flag(e, r) == 0.0
    snaps, flags = [], []
    for f in range(P.DODGE_FRAMES + 2):
        snaps += hold(e, r, [L.K_DASH] if f == 0 else [], 1)
        flags.append(invulnerable_flag(e, r))
    assert e.state.st[0, r, L.ST_DODGES] == 1
    states = [s["state"] for s in snaps]
    assert states == [L.S_DODGE] * P.DODGE_FRAMES + [L.S_STANDING] * 2
    assert flags == [1.0] * P.DODGE_FRAMES + [0.0] * 2
    for s in snaps[: P.DODGE_FRAMES]:
        assert s["vx"] == 0.0 and s["vy"] == 0.0
        assert s["x"] == start["x"] and s["y"] == start["y"]


def _second_dodge_after(gap, airborne):
    """Dodge on frame 0, press L again on frame ``gap``; True when the second dodge started."""
    e, r, _ = _standing()
    started = []
    for f in range(gap + 1):
        if airborne:  # keep the player high above the side of the stage so it never lands
            _airborne(e, r, 10.0, 5.0) if f == 0 else place(e, r, y=5.0, vy=0.0)
        hold(e, r, [L.K_DASH] if f in (0, gap) else [], 1)
        started.append(e.state.ev[0, r, L.EV_DODGE] == 1.0)
        if airborne:
            assert player(e, r)["support"] == L.SUP_NONE
    assert started[0]
    assert not any(started[1:gap])
    return started[gap]


@pytest.mark.parametrize(
    "airborne, cooldown", [(False, P.DODGE_COOLDOWN_GROUND), (True, P.DODGE_COOLDOWN_AIR)]
)
def test_dodge_cooldown(airborne, cooldown):
    assert not _second_dodge_after(cooldown - 1, airborne)
    assert _second_dodge_after(cooldown, airborne)
    assert not _second_dodge_after(P.DODGE_FRAMES + 1, airborne)


def test_air_dodge_hovers():
    e, r, _ = _standing()
    _airborne(e, r, 5.0, 4.0, vx=-3.0)
    hold(e, r, [], 3)  # falling and drifting
    before = player(e, r)
    assert before["vy"] < 0.0
    snaps, flags = [], []
    for f in range(P.DODGE_FRAMES + 1):
        snaps += hold(e, r, [L.K_DASH] if f == 0 else [], 1)
        flags.append(invulnerable_flag(e, r))
    assert [s["state"] for s in snaps] == [L.S_DODGE] * P.DODGE_FRAMES + [L.S_IN_AIR]
    assert flags[: P.DODGE_FRAMES] == [1.0] * P.DODGE_FRAMES
    for s in snaps[: P.DODGE_FRAMES]:
        assert s["y"] == before["y"] and s["x"] == before["x"]
        assert s["vx"] == 0.0 and s["vy"] == 0.0
    assert snaps[-1]["vy"] < 0.0  # gravity resumes after the dodge
    assert snaps[0]["dodge_cd"] == P.DODGE_COOLDOWN_AIR


# --------------------------------------------------------------------------------------------------
# 5. the one-way moving platform
# --------------------------------------------------------------------------------------------------


def _plat(e):
    mf = e.state.mf[0]
    return float(mf[L.PLAT_X]), float(mf[L.PLAT_Y])


def _plat_top(e):
    return _plat(e)[1] + P.PLAT_HALF_H


def _land_on_platform(keys=()):
    e, r, _ = _standing()
    px, _ = _plat(e)
    _airborne(e, r, px, _plat_top(e) + P.HALF_H + 1.0)
    for _ in range(30):
        hold(e, r, keys, 1)
        if player(e, r)["support"] != L.SUP_NONE:
            return e, r
    raise AssertionError("never landed")


def test_platform_landing_and_carry():
    e, r = _land_on_platform()
    s = player(e, r)
    assert s["support"] == L.SUP_PLATFORM
    assert s["state"] == L.S_STANDING
    assert e.state.ev[0, r, L.EV_LANDED] == 1.0
    assert abs((s["y"] - P.HALF_H) - _plat_top(e)) < TOL
    for _ in range(20):
        x0, (px0, py0) = s["x"], _plat(e)
        s = hold(e, r, [], 1)[0]
        px1, py1 = _plat(e)
        assert s["support"] == L.SUP_PLATFORM
        assert abs((s["x"] - x0) - (px1 - px0)) < TOL
        assert abs((s["y"] - P.HALF_H) - _plat_top(e)) < TOL
        assert px1 != px0 and py1 != py0


def test_platform_jump_through_from_below():
    e, r, _ = _standing()
    px, py = _plat(e)
    y = py - P.PLAT_HALF_H - P.HALF_H - 0.3  # head 0.3 below the platform's underside
    _airborne(e, r, px, y, vy=P.JUMP_SPEED)
    snaps, tops = [], []
    for _ in range(40):
        snaps += hold(e, r, [], 1)
        tops.append(_plat_top(e))
    rising = [i for i, s in enumerate(snaps) if s["vy"] > 0.0]
    assert all(snaps[i]["support"] == L.SUP_NONE for i in rising)
    # It passed through while rising: its bottom got above the platform's top ...
    above = [i for i, s in enumerate(snaps) if s["y"] - P.HALF_H > tops[i]]
    assert above and above[0] in rising
    # ... and then fell back onto it from above.
    landed = [i for i, s in enumerate(snaps) if s["support"] == L.SUP_PLATFORM]
    assert landed and landed[0] > above[0]


def test_platform_drop_through_with_down_press():
    e, r = _land_on_platform()
    snaps = hold(e, r, [L.K_DOWN], 1) + hold(e, r, [], 20)
    assert snaps[0]["state"] == L.S_IN_AIR
    assert all(s["support"] == L.SUP_NONE for s in snaps)
    _, py = _plat(e)
    assert snaps[-1]["y"] + P.HALF_H < py - P.PLAT_HALF_H  # wholly below the platform


def test_platform_no_drop_while_down_only_held():
    e, r = _land_on_platform(keys=[L.K_DOWN])  # S held while falling and landing: not a fresh press
    snaps = hold(e, r, [L.K_DOWN], 10)
    assert all(s["support"] == L.SUP_PLATFORM for s in snaps)


def test_platform_period_and_path():
    e = make_engine(0)
    mf = e.state.mf[0]
    dirs, xs, ys, ss = [mf[L.PLAT_DIR]], [mf[L.PLAT_X]], [mf[L.PLAT_Y]], [mf[L.PLAT_S]]
    for _ in range(1000):
        step(e)
        dirs.append(mf[L.PLAT_DIR])
        xs.append(mf[L.PLAT_X])
        ys.append(mf[L.PLAT_Y])
        ss.append(mf[L.PLAT_S])
    xs, ys = np.array(xs), np.array(ys)
    flips = [k for k in range(1, len(dirs)) if dirs[k] != dirs[k - 1]]
    assert len(flips) >= 5
    periods = [flips[i + 2] - flips[i] for i in range(len(flips) - 2)]
    assert all(abs(per - 290) <= 3 for per in periods), periods
    halves = np.diff(flips)
    assert all(abs(h - 145) <= 3 for h in halves), halves
    # On the segment from A (1, 0) to B (-1, -2).
    assert (xs <= max(P.PLAT_AX, P.PLAT_BX)).all() and (xs >= min(P.PLAT_AX, P.PLAT_BX)).all()
    slope = (P.PLAT_BY - P.PLAT_AY) / (P.PLAT_BX - P.PLAT_AX)
    np.testing.assert_allclose(ys - P.PLAT_AY, slope * (xs - P.PLAT_AX), atol=1e-9)
    # It actually travels most of the segment.
    assert xs.max() > 0.9 and xs.min() < -0.9


# --------------------------------------------------------------------------------------------------
# 6. walking off a floor into the pit
# --------------------------------------------------------------------------------------------------


def test_walk_off_right_floor_outer_edge_falls_to_ko():
    e, r, _ = _standing()
    place(e, r, x=6.0)
    e.state.pi[0, r, L.FACING] = 1
    e.state.pi[0, r, L.JUMPS_LEFT] = 0  # so that the refresh on walking off is visible
    snaps = hold(e, r, [L.K_RIGHT], 60)
    left_at = next(i for i, s in enumerate(snaps) if s["support"] == L.SUP_NONE)
    # It leaves once its body no longer overlaps the floor.
    assert snaps[left_at]["x"] - P.HALF_W >= P.FLOOR_R_X1
    assert snaps[left_at - 1]["x"] - P.HALF_W < P.FLOOR_R_X1
    nxt = snaps[left_at + 1]
    assert nxt["state"] == L.S_IN_AIR and nxt["jumps"] == P.AIR_JUMPS
    ko_frame = next(i for i, s in enumerate(snaps, 1) if s["state"] == L.S_KO)
    assert 30 <= ko_frame <= 50  # facts 1.3: 40 frames in the original
    assert snaps[ko_frame - 1]["y"] < -P.BLAST_Y  # through the bottom line
    assert snaps[ko_frame - 1]["stocks"] == 2


def test_walk_off_left_floor_inner_edge_falls():
    e, _, lp = _standing()
    assert player(e, lp)["facing"] == 1
    place(e, lp, x=-3.0)
    snaps = hold(e, lp, [L.K_RIGHT], 20)
    left_at = next(i for i, s in enumerate(snaps) if s["support"] == L.SUP_NONE)
    assert snaps[left_at]["x"] - P.HALF_W >= P.FLOOR_L_X1
    assert snaps[left_at + 1]["state"] == L.S_IN_AIR
    assert snaps[left_at + 1]["jumps"] == P.AIR_JUMPS
    ys = [s["y"] for s in snaps[left_at:]]
    assert all(b < a for a, b in zip(ys[1:], ys[2:]))
    assert ys[-1] < P.FLOOR_L_TOP  # into the pit


# --------------------------------------------------------------------------------------------------
# 7. blast zone
# --------------------------------------------------------------------------------------------------

EDGES = {
    "right": dict(x=14.85, y=0.0, vx=0.9, vy=0.0),
    "left": dict(x=-14.85, y=0.0, vx=-0.9, vy=0.0),
    "top": dict(x=10.0, y=8.35, vx=0.0, vy=1.2),
    "bottom": dict(x=10.0, y=-8.35, vx=0.0, vy=-0.6),
}


@pytest.mark.parametrize("edge", list(EDGES))
def test_ko_at_blast_edge(edge):
    e, r, other = _standing()
    _airborne(e, r, **EDGES[edge])
    for frame in range(1, 10):
        s = player(e, r)
        xn, yn = s["x"] + s["vx"] * DT, s["y"] + s["vy"] * DT  # centre after this frame's move
        crosses = abs(xn) > P.BLAST_X or abs(yn) > P.BLAST_Y
        hold(e, r, [], 1)
        after = player(e, r)
        if not crosses:
            assert after["state"] != L.S_KO
            assert e.state.ev[0, r, L.EV_KNOCKED_OUT] == 0.0
            continue
        assert frame >= 2  # the scenario starts inside the zone
        assert after["state"] == L.S_KO
        assert after["stocks"] == 2 and player(e, other)["stocks"] == 3
        assert e.state.ev[0, r, L.EV_KNOCKED_OUT] == 1.0
        assert e.state.ev[0, other, L.EV_KO_DEALT] == 1.0
        assert e.state.ev[0, other, L.EV_KNOCKED_OUT] == 0.0
        assert e.state.st[0, r, L.ST_KOS_TAKEN] == 1 and e.state.st[0, other, L.ST_KOS_DEALT] == 1
        assert e.state.mi[0, L.DONE] == L.RUNNING
        return
    raise AssertionError("never knocked out")


# --------------------------------------------------------------------------------------------------
# 8. respawn
# --------------------------------------------------------------------------------------------------


def _ko(e, p):
    """Knock player p out this frame by putting it beyond the right blast line."""
    place(e, p, x=P.BLAST_X + 1.0, y=0.0, vx=0.0, vy=0.0, support=L.SUP_NONE, state=L.S_IN_AIR)
    step(e)
    assert player(e, p)["state"] == L.S_KO


def test_respawn_after_90_frames():
    e, r, _ = _standing()
    e.state.pf[0, r, L.DAMAGE] = 123.0
    e.state.pi[0, r, L.WEAPON] = L.W_SPEAR
    _ko(e, r)
    assert player(e, r)["weapon"] == L.W_PUNCH  # lost at once
    frozen = player(e, r)
    for _ in range(P.RESPAWN_FRAMES - 1):
        step(e)
        s = player(e, r)
        assert s["state"] == L.S_KO
        assert (s["x"], s["y"]) == (frozen["x"], frozen["y"])
        assert e.state.ev[0, r, L.EV_RESPAWNED] == 0.0
    step(e)  # the 90th frame after the KO frame
    s = player(e, r)
    assert e.state.ev[0, r, L.EV_RESPAWNED] == 1.0
    assert s["state"] == L.S_IN_AIR and s["support"] == L.SUP_NONE
    assert s["x"] == e.state.pf[0, r, L.SPAWN_X]  # its own spawn point of this episode
    assert abs(s["x"] - P.SPAWN_RIGHT_X) <= P.SPAWN_JITTER
    assert s["y"] == e.state.pf[0, r, L.SPAWN_Y] == P.SPAWN_Y
    assert s["damage"] == 0.0 and s["weapon"] == L.W_PUNCH
    assert s["jumps"] == 0  # as in the original, until the first landing
    assert s["stocks"] == 2
    assert invulnerable_flag(e, r) == 1.0
    # The invulnerability timer counts down one per frame and then stays at 0.
    timers = [s["invuln"]]
    for _ in range(P.RESPAWN_INVULN_FRAMES + 5):
        step(e)
        timers.append(player(e, r)["invuln"])
    assert P.RESPAWN_INVULN_FRAMES - 1 <= timers[0] <= P.RESPAWN_INVULN_FRAMES
    assert all(b == max(a - 1, 0) for a, b in zip(timers, timers[1:]))
    assert timers[-1] == 0 and invulnerable_flag(e, r) == 0.0


def test_respawn_invulnerability_lasts_90_frames():
    e, r, _ = _standing()
    _ko(e, r)
    idle(e, P.RESPAWN_FRAMES)
    assert e.state.ev[0, r, L.EV_RESPAWNED] == 1.0
    flags = [invulnerable_flag(e, r)]
    for _ in range(P.RESPAWN_INVULN_FRAMES + 2):
        step(e)
        flags.append(invulnerable_flag(e, r))
    # Observations after the respawn frame and the next 89: invulnerable; then not.
    assert flags[: P.RESPAWN_INVULN_FRAMES] == [1.0] * P.RESPAWN_INVULN_FRAMES
    assert flags[P.RESPAWN_INVULN_FRAMES :] == [0.0] * 3


# --------------------------------------------------------------------------------------------------
# 9. match end
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("victim_side", [0, 1])
def test_three_kos_end_the_match(victim_side):
    e, _, _ = _standing(stocks=3, max_frames=10_000)
    v = side_player(e, victim_side)
    w = 1 - v
    for k in range(3):
        _ko(e, v)
        assert player(e, v)["stocks"] == 2 - k
        if k < 2:
            assert e.state.mi[0, L.DONE] == L.RUNNING
            assert e.out.terminated[0] == False  # noqa: E712
            idle(e, P.RESPAWN_FRAMES)
            assert player(e, v)["state"] == L.S_IN_AIR
            assert e.state.mi[0, L.DONE] == L.RUNNING
    assert e.state.mi[0, L.DONE] == L.TERMINATED
    assert e.out.terminated[0] and not e.out.truncated[0]
    want = L.R_P0_WINS if w == 0 else L.R_P1_WINS
    assert e.state.mi[0, L.RESULT] == want and e.out.result[0] == want
    assert e.state.ev[0, w, L.EV_WON] == 1.0 and e.state.ev[0, v, L.EV_LOST] == 1.0
    assert e.state.ev[0, w, L.EV_LOST] == 0.0 and e.state.ev[0, v, L.EV_WON] == 0.0
    assert e.state.st[0, v, L.ST_STOCKS_LEFT] == 0 and e.state.st[0, w, L.ST_STOCKS_LEFT] == 3


def test_truncation_with_equal_stocks_is_a_draw():
    n = 20
    e = make_engine(0, max_frames=n)
    e.state.pf[0, 0, L.DAMAGE] = 50.0  # damage does not decide without the tie-break
    idle(e, n - 1)
    assert e.state.mi[0, L.DONE] == L.RUNNING
    step(e)
    assert e.state.mi[0, L.DONE] == L.TRUNCATED and e.state.mi[0, L.FRAME] == n
    assert e.out.truncated[0] and not e.out.terminated[0]
    assert e.state.mi[0, L.RESULT] == L.R_DRAW
    assert (e.state.ev[0, :, L.EV_DRAWN] == 1.0).all()
    assert (e.state.ev[0, :, L.EV_WON] == 0.0).all()


@pytest.mark.parametrize(
    "d0, d1, want", [(50.0, 10.0, L.R_P1_WINS), (10.0, 50.0, L.R_P0_WINS), (30.0, 30.0, L.R_DRAW)]
)
def test_damage_tiebreak(d0, d1, want):
    n = 20
    e = make_engine(0, max_frames=n, damage_tiebreak=True)
    e.state.pf[0, 0, L.DAMAGE] = d0
    e.state.pf[0, 1, L.DAMAGE] = d1
    idle(e, n)
    assert e.state.mi[0, L.DONE] == L.TRUNCATED
    assert e.state.mi[0, L.RESULT] == want


@pytest.mark.parametrize("victim", [0, 1])
def test_more_stocks_wins_at_the_frame_limit(victim):
    n = 30
    e = make_engine(0, max_frames=n, damage_tiebreak=True)
    e.state.pf[0, 1 - victim, L.DAMAGE] = 300.0  # stocks come before the damage tie-break
    _ko(e, victim)
    idle(e, n - 2)
    assert e.state.mi[0, L.DONE] == L.RUNNING
    step(e)
    assert e.state.mi[0, L.DONE] == L.TRUNCATED
    want = L.R_P1_WINS if victim == 0 else L.R_P0_WINS
    assert e.state.mi[0, L.RESULT] == want
    assert e.state.ev[0, 1 - victim, L.EV_WON] == 1.0 and e.state.ev[0, victim, L.EV_LOST] == 1.0


def test_both_lose_last_stock_same_frame_is_a_draw():
    e = make_engine(0, stocks=1)
    for p in range(2):
        place(e, p, x=(-1) ** p * (P.BLAST_X + 1.0), y=0.0, support=L.SUP_NONE, state=L.S_IN_AIR)
    step(e)
    assert (e.state.pi[0, :, L.STOCKS] == 0).all()
    assert e.state.mi[0, L.DONE] == L.TERMINATED
    assert e.state.mi[0, L.RESULT] == L.R_DRAW
    assert (e.state.ev[0, :, L.EV_DRAWN] == 1.0).all()
    assert (e.state.ev[0, :, L.EV_WON] == 0.0).all() and (e.state.ev[0, :, L.EV_LOST] == 0.0).all()


# --------------------------------------------------------------------------------------------------
# 10. taunt
# --------------------------------------------------------------------------------------------------


def test_taunt_on_ground():
    e, r, _ = _standing()
    x0 = player(e, r)["x"]
    snaps = hold(e, r, [L.K_TAUNT], 1) + hold(e, r, [], P.TAUNT_FRAMES + 1)
    assert [s["state"] for s in snaps] == [L.S_TAUNT] * P.TAUNT_FRAMES + [L.S_STANDING] * 2
    assert all(s["x"] == x0 for s in snaps)
    assert 0 <= e.state.pi[0, r, L.TAUNT_VARIANT] < P.TAUNT_VARIANTS


def test_taunt_in_air_does_nothing():
    e, r, _ = _standing()
    hold(e, r, [L.K_JUMP], 1)
    snaps = hold(e, r, [L.K_TAUNT], 1) + hold(e, r, [], 5)
    assert all(s["state"] == L.S_IN_AIR for s in snaps)


# --------------------------------------------------------------------------------------------------
# 11. landing
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("side, top", [(0, P.FLOOR_R_TOP), (1, P.FLOOR_L_TOP)])
@pytest.mark.parametrize("drop, keys", [(1.0, []), (8.0, [L.K_DOWN])])
def test_landing_rests_exactly_on_top(side, top, drop, keys):
    e = make_engine(0)
    p = side_player(e, side)
    x = P.SPAWN_RIGHT_X if side == 0 else P.SPAWN_LEFT_X
    _airborne(e, p, x, top + P.HALF_H + drop)
    for _ in range(60):
        hold(e, p, keys, 1)
        if player(e, p)["support"] != L.SUP_NONE:
            break
    s = player(e, p)
    assert s["support"] == (L.SUP_FLOOR_RIGHT if side == 0 else L.SUP_FLOOR_LEFT)
    assert e.state.ev[0, p, L.EV_LANDED] == 1.0
    assert abs(s["y"] - (top + P.HALF_H)) <= TOL
    y_rest = s["y"]
    for _ in range(100):
        s = hold(e, p, [], 1)[0]
        assert s["y"] == y_rest and s["vy"] == 0.0 and s["support"] != L.SUP_NONE


# --------------------------------------------------------------------------------------------------
# 12. slot order
# --------------------------------------------------------------------------------------------------

MOVE_KEYS = [L.K_UP, L.K_LEFT, L.K_DOWN, L.K_RIGHT, L.K_JUMP, L.K_DASH]


def _key_script(seed, frames):
    """Sticky random presses of the movement keys (no taunt: its variant comes from the match seed)."""
    rng = np.random.default_rng(seed)
    held = np.zeros(len(MOVE_KEYS), bool)
    out = []
    for _ in range(frames):
        held ^= rng.random(len(MOVE_KEYS)) < 0.15
        out.append([k for k, h in zip(MOVE_KEYS, held) if h])
    return out


def _seed_with_right_slot(slot):
    for seed in range(100):
        e = make_engine(seed)
        if side_player(e, 0) == slot:
            return seed
    raise AssertionError("no seed found")


def test_slot_order_does_not_matter():
    frames = 300
    script_right, script_left = _key_script(1, frames), _key_script(2, frames)
    runs = []
    for right_slot in (0, 1):
        e = standard_start(make_engine(_seed_with_right_slot(right_slot)))  # same spawn points and platform
        rs, ls = side_player(e, 0), side_player(e, 1)
        assert rs == right_slot
        traj_r, traj_l = [], []
        for f in range(frames):
            e.keys[0] = 0
            for k in script_right[f]:
                e.keys[0, rs, k] = 1
            for k in script_left[f]:
                e.keys[0, ls, k] = 1
            e.step(auto_reset=False)
            traj_r.append((e.state.pf[0, rs].copy(), e.state.pi[0, rs].copy(), e.state.ev[0, rs].copy()))
            traj_l.append((e.state.pf[0, ls].copy(), e.state.pi[0, ls].copy(), e.state.ev[0, ls].copy()))
        runs.append((traj_r, traj_l))
    (r0, l0), (r1, l1) = runs
    for f in range(frames):
        for a, b in zip(r0[f] + l0[f], r1[f] + l1[f]):
            assert np.array_equal(a, b), f"trajectories differ at frame {f + 1}"
    # The script actually moved the right-side player around.
    xs = [t[0][L.PX] for t in r0]
    assert max(xs) - min(xs) > 2.0


def test_same_floor_spawn_puts_both_players_on_the_right_floor_facing_each_other():
    e = make_engine(3, spawn="same_floor")
    settle(e)
    a, b = player(e, 0), player(e, 1)
    assert a["support"] == b["support"] == L.SUP_FLOOR_RIGHT
    near, far = sorted((a["x"], b["x"]))
    assert abs(near - P.SAME_FLOOR_LEFT_X) <= P.SAME_FLOOR_JITTER
    assert abs(far - P.SAME_FLOOR_RIGHT_X) <= P.SAME_FLOOR_JITTER
    left, right = (a, b) if a["x"] < b["x"] else (b, a)
    assert left["facing"] == 1 and right["facing"] == -1
    apart = make_engine(3)
    settle(apart)
    assert {player(apart, 0)["support"], player(apart, 1)["support"]} == {L.SUP_FLOOR_RIGHT, L.SUP_FLOOR_LEFT}
