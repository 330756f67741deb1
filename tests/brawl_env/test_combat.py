"""Combat rules: knockback formula, simultaneous trades, chains, charge, recovery, ground-pound,
invulnerability, combos, stun bounce, damage cap, and that random play is no stalemate."""

import math

import numpy as np
import pytest

import brawl_env
from brawl_env.engine import layout as L
from brawl_env.engine import moves as MV
from brawl_env.engine import params as P
from brawl_env.engine.rules import combat as C

from helpers import make_engine, place, player, step

TOP_R = P.FLOOR_R_TOP + P.HALF_H
TOP_L = P.FLOOR_L_TOP + P.HALF_H


def _quiet_spawners(e):
    for i in range(L.N_SPAWNERS):
        e.state.it[0, i, L.IKIND] = L.I_WAITING
        e.state.it[0, i, L.ITIMER] = 10**6


def duel(gap, attacker_x=3.2, left=0, seed=0):
    """Both players standing on the right floor, ``left`` at attacker_x facing right, the other
    ``gap`` to its right facing left."""
    e = make_engine(seed, max_frames=100_000)
    _quiet_spawners(e)
    right = 1 - left
    for p, x, f in ((left, attacker_x, 1), (right, attacker_x + gap, -1)):
        place(e, p, x=x, y=TOP_R, vx=0.0, vy=0.0, support=L.SUP_FLOOR_RIGHT, state=L.S_STANDING)
        e.state.pi[0, p, L.FACING] = f
        e.state.pi[0, p, L.JUMPS_LEFT] = P.AIR_JUMPS
        e.state.pi[0, p, L.RECOVERIES_LEFT] = P.RECOVERIES
    return e


def _keys(p, keys):
    return {p: keys}


def tap(e, p, keys, then=()):
    """Press ``keys`` for player p for one frame."""
    k0 = keys if p == 0 else ()
    k1 = keys if p == 1 else ()
    step(e, k0, k1)


def phase_row(weapon, slot, name):
    mt = MV.load()
    import tomllib

    data = tomllib.loads(MV.default_path().read_text())
    wkey, skey = MV.WEAPON_KEYS[weapon], MV.SLOT_KEYS[slot - 1]
    names = [ph["name"] for ph in data[wkey][skey]["phase"]]
    return mt.first[weapon, slot] + names.index(name)


def first_hit_row(weapon, slot):
    """The first phase of a move that has hitboxes (skipping a charge phase)."""
    mt = MV.load()
    ph = mt.first[weapon, slot]
    while mt.pi[ph, MV.PH_NBOXES] == 0:
        ph = mt.pi[ph, MV.PH_ON_MISS]
    return ph


# --- knockback --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("before", [0.0, 100.0, 400.0, 700.0])
def test_knockback_speed_follows_the_formula(before):
    mt = MV.load()
    ph = first_hit_row(L.W_PUNCH, C.SLIGHT)
    assert mt.pi[ph, MV.PH_PULL] == 0 and mt.pf[ph, MV.PH_ANGLE] == 0.0
    e = duel(1.0)
    e.state.pf[0, 1, L.DAMAGE] = before
    tap(e, 0, (L.K_RIGHT, L.K_LIGHT))
    for _ in range(40):
        if e.state.ev[0, 1, L.EV_HIT_TAKEN] > 0:
            break
        step(e)
    assert e.state.ev[0, 1, L.EV_HIT_TAKEN] == 1
    after = min(before + mt.pf[ph, MV.PH_DAMAGE], P.DAMAGE_CAP)
    assert e.state.pf[0, 1, L.DAMAGE] == pytest.approx(after)
    x = after
    expected = 0.096 * (mt.pf[ph, MV.PH_KB_FIXED] + mt.pf[ph, MV.PH_KB_VAR] * (x / 70 + x * x / 12000))
    speed = math.hypot(e.state.pf[0, 1, L.VX], e.state.pf[0, 1, L.VY])
    assert speed == pytest.approx(expected, rel=0.01)
    assert e.state.pf[0, 1, L.VX] > 0  # away from the attacker
    assert player(e, 1)["state"] == L.S_STUN


def test_damage_is_capped_at_700():
    e = duel(1.0)
    e.state.pf[0, 1, L.DAMAGE] = 695.0
    tap(e, 0, (L.K_RIGHT, L.K_LIGHT))
    for _ in range(20):
        step(e)
    assert e.state.pf[0, 1, L.DAMAGE] == P.DAMAGE_CAP
    assert e.state.st[0, 0, L.ST_DAMAGE_DEALT] == pytest.approx(5.0)


# --- trades and slot order ----------------------------------------------------------------------------------


@pytest.mark.parametrize("left", [0, 1])
def test_mirror_attacks_trade_on_the_same_frame(left):
    e = duel(1.2, left=left)
    right = 1 - left
    step(e, *((L.K_RIGHT, L.K_LIGHT), (L.K_LEFT, L.K_LIGHT))[:: 1 if left == 0 else -1])
    hit_frames = {0: None, 1: None}
    for f in range(2, 30):
        step(e)
        for p in (0, 1):
            if hit_frames[p] is None and e.state.ev[0, p, L.EV_HIT_TAKEN] > 0:
                hit_frames[p] = f
    assert hit_frames[0] is not None and hit_frames[0] == hit_frames[1]
    assert e.state.pf[0, 0, L.DAMAGE] == e.state.pf[0, 1, L.DAMAGE] > 0
    assert e.state.pf[0, left, L.VX] == -e.state.pf[0, right, L.VX]


# --- chains, charge, recovery, ground-pound ---------------------------------------------------------------------


def _run_move(e, p, keys, hold_frames=1, limit=200):
    """Press keys (held for hold_frames), then idle; returns the frames p spent attacking."""
    frames = 0
    for f in range(limit):
        held = keys if f < hold_frames else ()
        step(e, held if p == 0 else (), held if p == 1 else ())
        if e.state.pi[0, p, L.STATE] == L.S_ATTACK:
            frames += 1
        elif frames:
            break
    return frames


def _chain_damage(weapon, slot):
    mt = MV.load()
    total, ph = 0.0, mt.first[weapon, slot]
    while ph >= 0:
        total += mt.pf[ph, MV.PH_DAMAGE]
        ph = mt.pi[ph, MV.PH_ON_HIT]
    return total


def test_chain_continues_only_on_hit():
    whiff = duel(3.0)
    whiff_frames = _run_move(whiff, 0, (L.K_LIGHT,))
    assert whiff.state.pf[0, 1, L.DAMAGE] == 0
    hit = duel(0.8)
    hit_frames = _run_move(hit, 0, (L.K_LIGHT,))
    assert hit.state.pf[0, 1, L.DAMAGE] == _chain_damage(L.W_PUNCH, C.NLIGHT)
    assert hit.state.st[0, 0, L.ST_HITS] == 4
    assert hit_frames > whiff_frames


def test_hits_on_a_stunned_target_are_combos():
    e = duel(0.8)
    combos = 0
    for f in range(40):
        step(e, (L.K_LIGHT,) if f == 0 else ())
        combos += e.state.ev[0, 0, L.EV_COMBO_LANDED]
        assert e.state.ev[0, 0, L.EV_COMBO_LANDED] == e.state.ev[0, 1, L.EV_COMBO_TAKEN]
    assert combos == 3  # the first jab lands on a free target, the next three on a stunned one


def _first_hit_frame(e, p, keys, hold_frames):
    q = 1 - p
    for f in range(1, 200):
        held = keys if f <= hold_frames else ()
        step(e, held if p == 0 else (), held if p == 1 else ())
        if e.state.ev[0, q, L.EV_HIT_TAKEN] > 0:
            return f
    return None


def test_charge_holds_extend_startup_up_to_the_cap():
    mt = MV.load()
    charge = mt.first[L.W_PUNCH, C.NSIG]
    assert mt.pi[charge, MV.PH_CHARGE] == 1
    cap = mt.pi[charge, MV.PH_CHARGE_MAX]
    tap_frame = _first_hit_frame(duel(0.4), 0, (L.K_HEAVY,), 1)
    held10 = _first_hit_frame(duel(0.4), 0, (L.K_HEAVY,), 10)
    held_long = _first_hit_frame(duel(0.4), 0, (L.K_HEAVY,), cap + 30)
    assert held10 == tap_frame + 9
    assert held_long == tap_frame + cap - 1


def test_recovery_only_once_per_airtime():
    e = duel(5.0)
    place(e, 0, y=4.0, vy=0.0, support=L.SUP_NONE, state=L.S_IN_AIR)
    e.state.pi[0, 0, L.RECOVERIES_LEFT] = 1
    frames = _run_move(e, 0, (L.K_HEAVY,))
    assert frames > 0 and e.state.pi[0, 0, L.RECOVERIES_LEFT] == 0
    assert e.state.pi[0, 0, L.SUPPORT] == L.SUP_NONE
    step(e, (L.K_HEAVY,))
    assert e.state.pi[0, 0, L.STATE] != L.S_ATTACK and e.state.ev[0, 0, L.EV_ATTACK_STARTED] == 0
    for _ in range(300):  # land on the floor below
        step(e)
        if e.state.pi[0, 0, L.SUPPORT] != L.SUP_NONE:
            break
    assert e.state.pi[0, 0, L.RECOVERIES_LEFT] == 1
    step(e, (L.K_JUMP,))
    step(e)
    step(e, (L.K_HEAVY,))
    assert e.state.ev[0, 0, L.EV_ATTACK_STARTED] == C.RECOVERY


@pytest.mark.parametrize("surface", ["right", "left", "platform"])
def test_ground_pound_ends_on_real_landing(surface):
    e = duel(6.0)
    place(e, 1, x=-6.5, y=TOP_L, support=L.SUP_FLOOR_LEFT, state=L.S_STANDING)
    if surface == "right":
        x, top = 4.5, P.FLOOR_R_TOP
    elif surface == "left":
        x, top = -4.5, P.FLOOR_L_TOP
    else:
        x, top = None, None
    if surface == "platform":
        x = e.state.mf[0, L.PLAT_X]
        top = e.state.mf[0, L.PLAT_Y] + P.PLAT_HALF_H
    place(e, 0, x=x, y=top + 2.5, vy=0.0, vx=0.0, support=L.SUP_NONE, state=L.S_IN_AIR)
    impact = phase_row(L.W_PUNCH, C.GROUNDPOUND, "impact")
    step(e, (L.K_DOWN, L.K_HEAVY))
    assert e.state.pi[0, 0, L.MOVE] == C.GROUNDPOUND
    landed_at = entered_at = None
    for f in range(1, 80):
        step(e)
        pi = e.state.pi[0, 0]
        if landed_at is None and pi[L.SUPPORT] != L.SUP_NONE:
            landed_at = f
            expected = (
                L.SUP_PLATFORM
                if surface == "platform"
                else (L.SUP_FLOOR_RIGHT if surface == "right" else L.SUP_FLOOR_LEFT)
            )
            assert pi[L.SUPPORT] == expected
            surf_top = e.state.mf[0, L.PLAT_Y] + P.PLAT_HALF_H if surface == "platform" else top
            assert e.state.pf[0, 0, L.PY] == pytest.approx(surf_top + P.HALF_H, abs=1e-12)
        if entered_at is None and pi[L.PHASE] == impact:
            entered_at = f
        if pi[L.STATE] != L.S_ATTACK:
            break
    assert landed_at is not None and entered_at == landed_at + 1


def test_ground_pound_off_the_stage_never_lands():
    """No hard-coded landing height: beyond the right floor's outer edge the pound falls out."""
    e = duel(6.0)
    place(e, 0, x=7.6, y=1.0, vy=0.0, support=L.SUP_NONE, state=L.S_IN_AIR)
    impact = phase_row(L.W_PUNCH, C.GROUNDPOUND, "impact")
    step(e, (L.K_DOWN, L.K_HEAVY))
    seen = set()
    for _ in range(60):
        step(e)
        seen.add(int(e.state.pi[0, 0, L.PHASE]))
        if e.state.pi[0, 0, L.STATE] == L.S_KO:
            break
    assert impact not in seen and e.state.pi[0, 0, L.STATE] == L.S_KO


# --- invulnerability, stun bounce ------------------------------------------------------------------------------


def test_dodge_and_respawn_invulnerability_block_hits():
    e = duel(1.0)
    step(e, (L.K_RIGHT, L.K_LIGHT), (L.K_DASH,))  # the target dodges on the attack's first frame
    for _ in range(20):
        step(e)
    assert e.state.pf[0, 1, L.DAMAGE] == 0 and e.state.st[0, 0, L.ST_HITS] == 0
    e = duel(1.0)
    e.state.pi[0, 1, L.INVULN_TIMER] = 60
    step(e, (L.K_RIGHT, L.K_LIGHT))
    for _ in range(20):
        step(e)
    assert e.state.pf[0, 1, L.DAMAGE] == 0


def test_a_stunned_player_bounces_off_the_floor():
    e = duel(6.0)
    place(e, 1, x=5.0, y=TOP_R + 0.2, vy=-8.0, vx=0.0, support=L.SUP_NONE, state=L.S_STUN)
    e.state.pi[0, 1, L.TIMER] = 20
    step(e)
    assert e.state.pf[0, 1, L.VY] == pytest.approx(8.0 * P.STUN_BOUNCE - P.GRAVITY * P.DT)
    assert e.state.pi[0, 1, L.SUPPORT] == L.SUP_NONE


# --- events and stats through the PettingZoo door -------------------------------------------------------------


def test_attack_and_hit_events_reach_infos_and_stats():
    env = brawl_env.parallel_env(max_frames=3000)
    env.reset(seed=0)
    eng = env.engine
    _quiet_spawners(eng)
    for p, x, f in ((0, 3.2, 1), (1, 4.0, -1)):
        place(eng, p, x=x, y=TOP_R, vx=0.0, vy=0.0, support=L.SUP_FLOOR_RIGHT, state=L.S_STANDING)
        eng.state.pi[0, p, L.FACING] = f
    idle = np.zeros(10, np.int8)
    jab = idle.copy()
    jab[L.K_LIGHT] = 1
    _, _, _, _, infos = env.step({"player_0": jab, "player_1": idle})
    assert infos["player_0"]["events"]["attack_started"] == C.NLIGHT
    dealt = taken = 0.0
    for _ in range(10):
        _, _, _, _, infos = env.step({"player_0": idle, "player_1": idle})
        dealt += infos["player_0"]["events"].get("damage_dealt", 0.0)
        taken += infos["player_1"]["events"].get("damage_taken", 0.0)
    assert dealt == taken > 0


# --- the game is not a stalemate --------------------------------------------------------------------------------


def test_random_play_ends_by_knockouts_well_before_the_limit():
    n = 60
    env = brawl_env.BatchEnv(n, seed=2024)
    env.reset()
    rng = np.random.default_rng(0)
    ended = np.full(n, -1)
    for t in range(2700):
        _, _, term, trunc, _ = env.step(rng.integers(0, 2, (n, 2, 10), dtype=np.uint8))
        ended[(term | trunc) & (ended < 0)] = t + 1
        if (ended > 0).all():
            break
    by_ko = (ended > 0) & (ended < 2700)
    assert by_ko.mean() >= 0.8
    assert np.median(ended[by_ko]) < 2000
