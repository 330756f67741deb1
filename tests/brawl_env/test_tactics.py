"""The pilot's parts on their own: the snapshot decodes every field as the offset table says."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest

from brawl_env.batch import BatchEnv
from brawl_env.bots import tactics as T
from brawl_env.engine import layout as L
from brawl_env.engine import params as P
from brawl_env.engine.obs import (
    ME_BASE,
    OBS_DIM,
    OPP_BASE,
    PLAYER_FIELDS,
    PLAYER_OFFSETS,
    WORLD_FIELDS,
    WORLD_OFFSETS,
    bounds,
)
from brawl_env.view import ObsView


def _observations() -> np.ndarray:
    """Engine observations of a random-key rollout, and observations drawn from the Box (corners too)."""
    env = BatchEnv(4, seed=3)
    rng = np.random.default_rng(3)
    obs = [env.reset(seed=3).reshape(-1, env.observation_space.shape[-1]).copy()]
    for _ in range(200):
        o, *_ = env.step((rng.random((4, 2, L.N_KEYS)) < 0.3).astype(np.int8))
        obs.append(o.reshape(len(obs[0]), -1).copy())
    low, high = bounds()
    box = rng.uniform(low, high, size=(300, len(low))).astype(np.float32)
    box[:100] = np.where(rng.random((100, len(low))) < 0.5, low, high)
    return np.concatenate(obs + [box])


OBS = _observations()


def _decoded(obs: np.ndarray, fields, offsets, base: int = 0) -> dict:
    """Every field of a block, decoded from the offset table the plain way: a value is the observation
    (as a double) times its scale, a flag the observation above 0.5, a one-hot its first largest entry."""
    v = obs.astype(np.float64).tolist()
    out = {}
    for f in fields:
        at = base + offsets[f.name]
        if f.kind == "onehot":
            run = v[at : at + f.size]
            out[f.name] = run.index(max(run))
        elif f.kind == "flag":
            out[f.name] = v[at] > 0.5
        else:
            out[f.name] = v[at] * float(f.scale)
    return out


def _body(b: dict) -> dict:
    """The Body attributes, from the decoded fields."""

    def count(name):
        return int(round(b[name]))

    return {
        "x": b["x"],
        "y": b["y"],
        "vx": b["vx"],
        "vy": b["vy"],
        "facing": 1 if b["facing"] >= 0 else -1,
        "grounded": b["grounded"],
        "on_platform": b["on_platform"],
        "jumps": count("jumps_left"),
        "recoveries": count("recoveries_left"),
        "jump_cd": count("jump_cooldown"),
        "dodge_cd": count("dodge_cooldown"),
        "state": b["state"],
        "stun": count("stun"),
        "invulnerable": b["invulnerable"],
        "damage": b["damage"],
        "stocks": b["stocks"],
        "respawn": count("respawn_timer"),
        "move": b["move"],
        "move_frame": count("move_frame"),
        "weapon": b["weapon"],
        "charge": b["charge"],
    }


def _items(w: dict, kind: str, n: int) -> list:
    return [
        (w[f"{kind}{k}_x"], w[f"{kind}{k}_y"], 1 + w[f"{kind}{k}_weapon"])
        for k in range(n)
        if w[f"{kind}{k}_active"]
    ]


@pytest.mark.parametrize("row", range(0, len(OBS), 7))
def test_snapshot_decodes_every_field_from_the_offset_table(row):
    obs = OBS[row]
    s = T.Snapshot(ObsView(obs))
    for body, base in ((s.me, ME_BASE), (s.opp, OPP_BASE)):
        want = _body(_decoded(obs, PLAYER_FIELDS, PLAYER_OFFSETS, base))
        got = {name: getattr(body, name) for name in want}
        assert got == want
        assert all(type(got[k]) is type(want[k]) for k in want)
    w = _decoded(obs, WORLD_FIELDS, WORLD_OFFSETS)
    assert (s.plat_x, s.plat_y, s.plat_vx, s.plat_vy) == (
        w["platform_x"],
        w["platform_y"],
        w["platform_vx"],
        w["platform_vy"],
    )
    assert s.spawners == _items(w, "spawner", 2) and s.loose == _items(w, "loose", 4)
    assert s.time_left == w["time_left"]


def test_snapshot_reads_float64_and_batched_views_alike():
    row = OBS[5]
    one = T.Snapshot(ObsView(row))
    for other in (ObsView(row.astype(np.float64)), ObsView(row[None])):
        s = T.Snapshot(other)
        assert (s.me.x, s.opp.vy, s.me.state, s.plat_x) == (one.me.x, one.opp.vy, one.me.state, one.plat_x)


# --- the compiled flights against their plain twins ----------------------------------------------------
# The pilot's flights (predict_landing, reachable) are compiled; below is each one in plain Python, as
# they were written before, with the floors as Floor objects. The compiled ones must agree exactly.


def _plain_steer(x, vx, facing, tx):
    d = tx - x
    if abs(d) < 0.15:
        return -facing if abs(vx) > 2.0 and vx * facing > 0 else 0
    sgn = 1 if d > 0 else -1
    if vx * sgn < -2.0 or (vx * sgn > 0 and vx * vx / (2 * P.AIR_ACCEL * P.FPS) > abs(d) + 0.25):
        return -facing if vx * facing > 0 or vx * sgn < -2.0 else sgn
    return sgn


def _plain_air_step(x, vx, facing, tx):
    if tx is None:
        return vx, facing
    dirn = _plain_steer(x, vx, facing, tx)
    if dirn != 0 and dirn != facing:
        return vx / P.AIR_TURN_DIVISOR, dirn
    if dirn != 0:
        target = dirn * P.WALK_SPEED
        vx = min(vx + P.AIR_ACCEL, target) if vx < target else max(vx - P.AIR_ACCEL, target)
    return vx, facing


def _plain_meet_floors(x, y, x1, y1, vx, vy):
    for f in T.FLOORS:
        if (
            x1 + P.HALF_W > f.x0
            and x1 - P.HALF_W < f.x1
            and y1 - P.HALF_H < f.top
            and y1 + P.HALF_H > f.bottom
        ):
            if y - P.HALF_H >= f.top - 1e-9:
                return f, x1, y1, vx, vy
            if y + P.HALF_H <= f.bottom + 1e-9:
                y1 = f.bottom - P.HALF_H
                vy = min(vy, 0.0)
            elif x < f.mid:
                x1 = f.x0 - P.HALF_W
                vx = min(vx, 0.0)
            else:
                x1 = f.x1 + P.HALF_W
                vx = max(vx, 0.0)
    return None, x1, y1, vx, vy


def _plain_predict_landing(x, y, vx, vy, tx, plat, frames=90, facing=None):
    if facing is None:
        facing = 1 if vx >= 0 else -1
    g = P.GRAVITY / P.FPS
    for k in range(1, frames + 1):
        vx, facing = _plain_air_step(x, vx, facing, tx)
        f, x1, y1, vx, vy = _plain_meet_floors(x, y, x + vx / P.FPS, y + vy / P.FPS, vx, vy)
        if f is not None:
            return f, k, x1
        if plat is not None and vy <= 0.0:
            px, ptop, pvx, pvy = plat
            t0, t1 = (k - 1) / P.FPS, k / P.FPS
            if (
                y - P.HALF_H >= ptop + pvy * t0 - 1e-9
                and y1 - P.HALF_H <= ptop + pvy * t1
                and abs(x1 - px - pvx * t1) < P.PLAT_HALF_W + P.HALF_W
            ):
                return T.PLATFORM, k, x1
        x, y = x1, y1
        if abs(x) > P.BLAST_X or abs(y) > P.BLAST_Y:
            return None, k, x
        vy = max(vy - g, -P.MAX_FALL_SPEED)
    return None, frames, x


def _plain_reachable(me, f, aim, frames=120):
    x, y, vx, vy, facing = me.x, me.y, me.vx, me.vy, me.facing
    jumps, cd = me.jumps, max(me.jump_cd, 0)
    g = P.GRAVITY / P.FPS
    for _ in range(frames):
        vx, facing = _plain_air_step(x, vx, facing, aim)
        if cd > 0:
            cd -= 1
        elif jumps > 0 and vy < 2.5 and (y + vy * 5 / P.FPS < f.top + 1.3 or y < f.top + 0.3):
            vy = P.JUMP_SPEED
            jumps -= 1
            cd = P.AIR_JUMP_COOLDOWN + 1
        g_hit, x1, y1, vx, vy = _plain_meet_floors(x, y, x + vx / P.FPS, y + vy / P.FPS, vx, vy)
        if g_hit is not None:
            return g_hit is f
        x, y = x1, y1
        if abs(x) > P.BLAST_X or abs(y) > P.BLAST_Y:
            return False
        vy = max(vy - g, -P.MAX_FALL_SPEED)
    return False


class _Flier(NamedTuple):
    """The fields of a Body that reachable reads."""

    x: float
    y: float
    vx: float
    vy: float
    facing: int
    jumps: int
    jump_cd: int


def _launches(n: int, seed: int):
    """Random bodies over the whole stage (beside walls, under floors, near the blast lines), with round
    numbers now and then (ties at thresholds), and random aims."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        x, y = rng.uniform(-14.0, 14.0), rng.uniform(-8.0, 8.0)
        vx, vy = rng.uniform(-25.0, 25.0), rng.uniform(-20.0, 20.0)
        if rng.random() < 0.2:
            x, y, vx, vy = (round(v * 4) / 4 for v in (x, y, vx, vy))
        if rng.random() < 0.1:
            vx = 0.0 if rng.random() < 0.5 else -0.0
        yield (
            float(x),
            float(y),
            float(vx),
            float(vy),
            int(rng.choice([-1, 1])),
            int(rng.integers(0, 3)),
            int(rng.integers(-1, 8)),
            float(rng.uniform(-9.0, 9.0)),
            (
                float(rng.uniform(-2, 2)),
                float(rng.uniform(-1, 3)),
                float(rng.uniform(-1, 1)),
                float(rng.uniform(-1, 1)),
            ),
        )


def test_compiled_flights_agree_with_their_plain_twins():
    landings = surfaces = 0
    for x, y, vx, vy, facing, jumps, cd, aim, plat in _launches(3000, seed=5):
        for tx in (None, aim):
            for p in (None, plat):
                want = _plain_predict_landing(x, y, vx, vy, tx, p, facing=facing)
                got = T.predict_landing(x, y, vx, vy, tx, p, facing=facing)
                assert got[0] is want[0] and got[1:] == want[1:], (x, y, vx, vy, tx, p, facing)
                landings += want[0] is not None
        assert T.predict_landing(x, y, vx, vy, None, plat) == _plain_predict_landing(x, y, vx, vy, None, plat)
        me = _Flier(x, y, vx, vy, facing, jumps, cd)
        for f in T.FLOORS:
            want = _plain_reachable(me, f, aim)
            assert T.reachable(me, f, aim) == want, (x, y, vx, vy, facing, jumps, cd, f.name, aim)
            surfaces += want
        assert T.steer(x, vx, facing, aim) == _plain_steer(x, vx, facing, aim)
    assert landings > 3000 and surfaces > 1000  # the sample lands often, and misses often


def test_snapshot_refuses_a_short_observation():
    with pytest.raises(ValueError, match=f"{OBS_DIM} values; got {OBS_DIM - 1}"):
        T.Snapshot(ObsView(OBS[0][: OBS_DIM - 1]))
