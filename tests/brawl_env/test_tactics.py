"""The pilot's parts on their own: the snapshot decodes every field as the offset table says."""

from __future__ import annotations

import numpy as np
import pytest

from brawl_env.batch import BatchEnv
from brawl_env.bots import tactics as T
from brawl_env.engine import layout as L
from brawl_env.engine.obs import (
    ME_BASE, OPP_BASE, PLAYER_FIELDS, PLAYER_OFFSETS, WORLD_FIELDS, WORLD_OFFSETS, bounds,
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
            run = v[at:at + f.size]
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

    return {"x": b["x"], "y": b["y"], "vx": b["vx"], "vy": b["vy"], "facing": 1 if b["facing"] >= 0 else -1,
            "grounded": b["grounded"], "on_platform": b["on_platform"], "jumps": count("jumps_left"),
            "recoveries": count("recoveries_left"), "jump_cd": count("jump_cooldown"),
            "dodge_cd": count("dodge_cooldown"), "state": b["state"], "stun": count("stun"),
            "invulnerable": b["invulnerable"], "damage": b["damage"], "stocks": b["stocks"],
            "respawn": count("respawn_timer"), "move": b["move"], "move_frame": count("move_frame"),
            "weapon": b["weapon"], "charge": b["charge"]}


def _items(w: dict, kind: str, n: int) -> list:
    return [(w[f"{kind}{k}_x"], w[f"{kind}{k}_y"], 1 + w[f"{kind}{k}_weapon"]) for k in range(n)
            if w[f"{kind}{k}_active"]]


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
    assert (s.plat_x, s.plat_y, s.plat_vx, s.plat_vy) == (w["platform_x"], w["platform_y"], w["platform_vx"],
                                                          w["platform_vy"])
    assert s.spawners == _items(w, "spawner", 2) and s.loose == _items(w, "loose", 4)
    assert s.time_left == w["time_left"]


def test_snapshot_reads_float64_and_batched_views_alike():
    row = OBS[5]
    one = T.Snapshot(ObsView(row))
    for other in (ObsView(row.astype(np.float64)), ObsView(row[None])):
        s = T.Snapshot(other)
        assert (s.me.x, s.opp.vy, s.me.state, s.plat_x) == (one.me.x, one.opp.vy, one.me.state, one.plat_x)
