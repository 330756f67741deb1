"""The observation layout table, the Box bounds and the named view agree with each other and the engine."""

import numpy as np

import brawl_env
from brawl_env.engine import layout as L
from brawl_env.engine.obs import OBS_DIM, PLAYER_BLOCK, bounds, layout_table


def test_layout_table_covers_every_float_once():
    covered = np.zeros(OBS_DIM, int)
    for row in layout_table():
        covered[row["offset"] : row["offset"] + row["size"]] += 1
    assert (covered == 1).all()


def test_bounds_match_the_table():
    low, high = bounds()
    for row in layout_table():
        sl = slice(row["offset"], row["offset"] + row["size"])
        assert (low[sl] == row["low"]).all() and (high[sl] == 1.0).all()


def test_view_decodes_engine_state():
    env = brawl_env.BatchEnv(1, seed=2)
    env.reset()
    keys = np.zeros((1, 2, 10), np.uint8)
    keys[0, 0, L.K_JUMP] = 1
    for _ in range(40):
        obs = env.step(np.zeros_like(keys))[0]
    obs = env.step(keys)[0]
    st = env.engine.state
    v = brawl_env.ObsView(obs[0, 0])
    assert abs(v.me.x - st.pf[0, 0, L.PX]) < 1e-5
    assert abs(v.me.y - st.pf[0, 0, L.PY]) < 1e-5
    assert abs(v.me.vy - st.pf[0, 0, L.VY]) < 1e-4
    assert v.me.state == L.S_IN_AIR and v.opponent.state == L.S_STANDING
    assert v.me.grounded == False and v.opponent.grounded == True  # noqa: E712
    assert v.me.stocks == 1.0 and v.me.weapon == L.W_PUNCH
    assert v.world.time_left < 1.0


def test_view_works_on_batches():
    env = brawl_env.BatchEnv(5, seed=1)
    obs = env.reset()
    v = brawl_env.ObsView(obs[:, 0])
    assert v.me.x.shape == (5,) and v.me.state.shape == (5,)
    assert np.allclose(v.me.x, env.engine.state.pf[:, 0, L.PX], atol=1e-5)


def test_unknown_view_field_names_the_fields():
    v = brawl_env.ObsView(np.zeros(OBS_DIM, np.float32))
    try:
        v.me.hp
    except AttributeError as err:
        assert "damage" in str(err)
    else:
        raise AssertionError("no error")


def test_player_blocks_have_the_same_layout():
    names = [r["name"] for r in layout_table()]
    me = [n.split(".", 1)[1] for n in names if n.startswith("me.")]
    opp = [n.split(".", 1)[1] for n in names if n.startswith("opponent.")]
    assert me == opp and sum(r["size"] for r in layout_table() if r["name"].startswith("me.")) == PLAYER_BLOCK
