"""Reward terms: each fires on its event with its weight for both agents; the breakdown sums to the
reward; nothing carries across a reset; weapon drop and re-pick never pays; config errors name the term."""

import numpy as np
import pytest

import brawl_env
from brawl_env import rewards as R
from brawl_env.engine import layout as L
from brawl_env.engine import params as P

TOP_R = P.FLOOR_R_TOP + P.HALF_H


def _env(rewards, n=1, **cfg):
    env = brawl_env.BatchEnv(n, seed=0, max_frames=100_000, rewards=rewards, **cfg)
    env.reset()
    for i in range(L.N_SPAWNERS):  # no weapons unless a test makes them
        env.engine.state.it[:, i, L.IKIND] = L.I_WAITING
        env.engine.state.it[:, i, L.ITIMER] = 10**6
    return env


def _stand(env, p, x, facing, weapon=L.W_PUNCH):
    pf, pi = env.engine.state.pf[0, p], env.engine.state.pi[0, p]
    pf[L.PX], pf[L.PY], pf[L.VX], pf[L.VY] = x, TOP_R, 0.0, 0.0
    pi[L.SUPPORT], pi[L.STATE], pi[L.FACING], pi[L.WEAPON] = L.SUP_FLOOR_RIGHT, L.S_STANDING, facing, weapon


def _keys(k0=(), k1=()):
    a = np.zeros((1, 2, 10), np.uint8)
    for k in k0:
        a[0, 0, k] = 1
    for k in k1:
        a[0, 1, k] = 1
    return a


def _run(env, frames, first=((), ())):
    """Step ``frames`` frames (``first`` keys on the first); returns summed rewards and term shares."""
    total = np.zeros((1, 2))
    parts = np.zeros((1, 2, len(env.reward_names)))
    for f in range(frames):
        obs, rew, term, trunc, info = env.step(_keys(*first) if f == 0 else _keys())
        assert np.allclose(info["reward_terms"].sum(axis=2), rew, atol=1e-6)
        total += rew
        parts += info["reward_terms"]
    return total, parts


def test_damage_interaction_and_combo_both_agents():
    env = _env({"damage_interaction": 2.0, "combo": 5.0})
    _stand(env, 0, 3.2, 1)
    _stand(env, 1, 4.0, -1)
    total, parts = _run(env, 40, first=((L.K_LIGHT,), ()))
    dealt = env.stats()["damage_dealt"][0, 0]
    assert dealt > 0
    assert parts[0, 0, 0] == pytest.approx(2.0 * dealt / 140, rel=1e-5)
    assert parts[0, 1, 0] == pytest.approx(-2.0 * dealt / 140, rel=1e-5)
    combos = 3  # the jab chain: three hits land on a stunned target
    assert parts[0, 0, 1] == pytest.approx(5.0 * combos) and parts[0, 1, 1] == pytest.approx(-5.0 * combos)


def test_knockout_and_win_fire_on_their_frames():
    env = _env({"knockout": 8.0, "win": 50.0}, stocks=1)
    st = env.engine.state
    st.pf[0, 1, L.PX], st.pf[0, 1, L.PY], st.pi[0, 1, L.SUPPORT] = 14.85, 3.0, L.SUP_NONE
    st.pi[0, 1, L.STATE], st.pf[0, 1, L.VX], st.pf[0, 1, L.VY] = L.S_IN_AIR, 6.0, 0.0
    obs, rew, term, trunc, info = env.step(_keys())
    assert term[0]
    assert info["reward_terms"][0, 0].tolist() == [8.0, 50.0]
    assert info["reward_terms"][0, 1].tolist() == [-8.0, -50.0]
    assert rew[0].tolist() == [58.0, -58.0]


def _armed_env(rewards, weapon):
    env = _env(rewards)
    _stand(env, 0, 4.0, 1)
    _stand(env, 1, 6.5, -1)
    it, itf = env.engine.state.it, env.engine.state.itf
    it[0, 0, L.IKIND], it[0, 0, L.IWEAPON], it[0, 0, L.IAGE], it[0, 0, L.ITIMER] = (
        L.I_SHOWING,
        weapon,
        100,
        200,
    )
    itf[0, 0, L.IX], itf[0, 0, L.IY] = 4.0, P.FLOOR_R_TOP + P.WEAPON_HALF
    return env


@pytest.mark.parametrize("weapon, value", [(L.W_HAMMER, 10.0), (L.W_SPEAR, 5.0)])
def test_spawner_pickup_pays_hammer_10_spear_5(weapon, value):
    env = _armed_env({"weapon_pickup": 10.0}, weapon)
    total, _ = _run(env, 1, first=((L.K_PICKUP,), ()))
    assert total[0].tolist() == [value, 0.0]


def test_drop_and_repick_never_nets_positive():
    env = _armed_env(R.GUIDE, L.W_HAMMER)
    names = env.reward_names
    pick, drop = names.index("weapon_pickup"), names.index("weapon_drop")
    _, parts = _run(env, 1, first=((L.K_PICKUP,), ()))
    assert parts[0, 0, pick] == 10.0
    loop = 0.0
    for _ in range(10):  # drop, wait out the lock, pick it up again: each round costs 15 and pays 0
        _, parts = _run(env, 1, first=((L.K_PICKUP,), ()))
        loop += parts[0, 0, pick] + parts[0, 0, drop]
        _, parts = _run(env, P.REPICK_LOCK + 1)
        loop += parts[0, 0, pick] + parts[0, 0, drop]
        _, parts = _run(env, 1, first=((L.K_PICKUP,), ()))
        loop += parts[0, 0, pick] + parts[0, 0, drop]
    assert env.stats()["weapon_pickups"][0, 0] >= 5  # the re-picks did happen
    assert loop < 0


def test_per_second_terms_are_per_second():
    env = _env({"danger_zone": -0.5, "attack_state": -0.04, "more_than_3_keys": -0.01})
    st = env.engine.state
    st.pf[0, 0, L.PX], st.pf[0, 0, L.PY], st.pi[0, 0, L.SUPPORT] = -10.0, 0.0, L.SUP_NONE  # off stage...
    st.pf[0, 0, L.PY] = -4.5  # ... and low: in the danger zone, it will keep falling
    st.pf[0, 0, L.VY] = 0.0
    st.pi[0, 0, L.STATE] = L.S_IN_AIR
    _, parts = _run(env, 1)
    assert parts[0, 0, 0] == pytest.approx(-0.5 / 30)
    assert parts[0, 1, 0] == 0.0
    env = _env({"more_than_3_keys": -0.01})
    total = np.zeros((1, 2))
    for _ in range(30):
        _, rew, *_ = env.step(_keys((L.K_UP, L.K_LEFT, L.K_DOWN, L.K_RIGHT), ()))
        total += rew
    assert total[0, 0] == pytest.approx(-0.01) and total[0, 1] == 0.0


def test_distance_and_stage_centre_terms():
    env = _env({"distance_to_opponent": -1.0, "stage_centre": -1.0})
    _stand(env, 0, 3.0, 1)
    _stand(env, 1, 6.0, -1)
    _, parts = _run(env, 1)
    assert parts[0, 0, 0] == pytest.approx(-3.0 / 30) and parts[0, 1, 0] == pytest.approx(-3.0 / 30)
    assert parts[0, 0, 1] == pytest.approx(-3.0 / 30) and parts[0, 1, 1] == pytest.approx(-6.0 / 30)


def test_zero_sum_mode_makes_rewards_opposite():
    env = _env({"stage_centre": -1.0, "damage_interaction": 1.0}, zero_sum=True)
    _stand(env, 0, 3.0, 1)
    _stand(env, 1, 6.0, -1)
    _, rew, _, _, info = env.step(_keys())
    assert rew[0, 0] == pytest.approx(-rew[0, 1]) and rew[0, 0] == pytest.approx(0.5 * (-3.0 + 6.0) / 30)


def test_no_reward_carried_across_a_reset():
    env = _env({"win": 50.0, "knockout": 8.0}, stocks=1)
    st = env.engine.state
    st.pf[0, 1, L.PX], st.pf[0, 1, L.VX], st.pi[0, 1, L.SUPPORT] = 14.85, 6.0, L.SUP_NONE
    st.pi[0, 1, L.STATE] = L.S_IN_AIR
    _, rew, term, _, _ = env.step(_keys())
    assert term[0] and rew[0, 0] == 58.0
    _, rew, term, _, info = env.step(_keys())  # first frame of the next episode
    assert (rew == 0).all() and (info["reward_terms"] == 0).all()
    pz = brawl_env.parallel_env(rewards="guide")
    obs, infos = pz.reset(seed=1)
    idle = np.zeros(10, np.int8)
    _, rewards, _, _, infos = pz.step({"player_0": idle, "player_1": idle})
    assert set(infos["player_0"]["reward_terms"]) == set(R.GUIDE)
    assert sum(infos["player_0"]["reward_terms"].values()) == pytest.approx(rewards["player_0"])


def test_parallel_env_default_reward_terms():
    pz = brawl_env.parallel_env()
    pz.reset(seed=0)
    idle = np.zeros(10, np.int8)
    _, rewards, _, _, infos = pz.step({"player_0": idle, "player_1": idle})
    assert infos["player_0"]["reward_terms"] == {"win": 0.0}


def test_config_errors_name_the_term():
    with pytest.raises(ValueError, match=r"unknown reward term 'dmg'; known terms: \[.*'damage_interaction'"):
        brawl_env.parallel_env(rewards={"dmg": 1.0})
    with pytest.raises(ValueError, match="unknown parameter"):
        brawl_env.parallel_env(rewards={"danger_zone": {"weight": -0.5, "depth": 3}})
    with pytest.raises(ValueError, match="finite number"):
        brawl_env.parallel_env(rewards={"win": float("nan")})
    with pytest.raises(ValueError, match="unknown reward preset"):
        brawl_env.parallel_env(rewards="dense")


def test_user_terms_register_with_a_decorator():
    @R.reward_term("test_always_one", "per_second", "1/30 every frame")
    def always(ctx, scale=1.0):
        return scale * np.full(ctx.ev.shape[:2], R.DT)

    env = _env({"test_always_one": {"weight": 2.0, "scale": 3.0}})
    _, rew, *_ = env.step(_keys())
    assert rew[0].tolist() == pytest.approx([0.2, 0.2])
    assert "test_always_one" in R.known_terms()
    with pytest.raises(ValueError, match="already registered"):
        R.reward_term("test_always_one", "event")(lambda ctx: 0)


# --- the manager's shortcut: event terms skipped on frames where none of their events fired ------------


def _random_context(rng, n=64, quiet=()):
    """A frame of ``n`` made-up matches: every event random (small counts, weapons, sources, damage),
    except the events in ``quiet``, which are 0 in every row."""
    ev = rng.integers(0, 3, (n, 2, L.N_EV)).astype(np.float32) * (rng.random((n, 2, L.N_EV)) < 0.3)
    ev[:, :, L.EVENT_NAMES.index("damage_dealt")] *= 7.25
    for name in quiet:
        ev[:, :, L.EVENT_NAMES.index(name)] = 0.0
    pf = rng.normal(0.0, 5.0, (n, 2, L.N_PF))
    pi = rng.integers(0, 6, (n, 2, L.N_PI)).astype(np.int32)
    keys = rng.integers(0, 2, (n, 2, L.N_KEYS)).astype(np.uint8)
    return R.RewardContext(pf=pf, pi=pi, ev=ev, keys=keys)


def test_every_event_term_declares_the_events_that_make_it_pay():
    rng = np.random.default_rng(0)
    event_terms = {name: info for name, info in R.known_terms().items() if info.kind == "event"}
    assert set(event_terms) >= {
        "win",
        "damage_interaction",
        "knockout",
        "combo",
        "weapon_pickup",
        "weapon_drop",
    }
    for name, info in event_terms.items():
        if name.startswith("test_"):
            continue
        assert info.events, f"{name} declares no events, so it would be computed every frame"
        for _ in range(20):
            value = np.asarray(info.fn(_random_context(rng, quiet=info.events)), np.float64)
            # exactly +0.0 (not -0.0): a skipped share is weight * 0.0, and skipping must change no bit
            assert not value.any() and not np.signbit(value).any(), name
            assert np.asarray(info.fn(_random_context(rng))).any(), name  # and the events do make it pay


@pytest.mark.parametrize(
    "table, zero_sum",
    [
        (R.GUIDE, False),
        (R.GUIDE, True),
        (R.SPARSE, False),
        ({"weapon_drop": -15.0, "knockout": 0.0, "win": 1.0}, True),
    ],
)
def test_skipping_quiet_event_terms_changes_no_bit(table, zero_sum):
    rng = np.random.default_rng(1)
    manager = R.RewardManager.from_config(table, zero_sum=zero_sum)
    for n in (1, 1, 1, 8):
        for quiet in (
            (),
            ("won", "lost"),
            tuple(L.EVENT_NAMES),
            ("damage_dealt", "damage_taken", "weapon_drop"),
        ):
            ctx = _random_context(rng, n=n, quiet=quiet)
            fired = np.flatnonzero(ctx.ev.reshape(-1, L.N_EV).any(axis=0)).tolist()
            full_reward, full_parts = manager.compute(ctx)  # every term computed
            reward, parts = manager.compute(ctx, fired)
            assert reward.tobytes() == full_reward.tobytes() and parts.tobytes() == full_parts.tobytes()
            assert parts.shape == (n, 2, len(table)) and reward.dtype == parts.dtype == np.float32
            if n == 1:
                r, p = manager.compute_one(ctx, fired)
                assert np.array(r, np.float32).tobytes() == full_reward[0].tobytes()
                assert np.array(p, np.float32).tobytes() == full_parts[0].tobytes()


def test_a_declared_event_term_runs_only_on_frames_its_events_fire():
    calls = []

    @R.reward_term("test_counted_win", "event", "win, counted", events=("won", "lost"))
    def counted(ctx):
        calls.append(1)
        return R.win(ctx)

    manager = R.RewardManager.from_config({"test_counted_win": 3.0, "weapon_drop": -15.0})
    rng = np.random.default_rng(3)
    ctx = _random_context(rng, n=1, quiet=("won", "lost", "weapon_drop"))
    fired = np.flatnonzero(ctx.ev[0].any(axis=0)).tolist()
    assert manager.compute_one(ctx, fired) == ((0.0, 0.0), ((0.0, -0.0), (0.0, -0.0))) and calls == []
    ctx.ev[0, 0, L.EVENT_NAMES.index("won")] = ctx.ev[0, 1, L.EVENT_NAMES.index("lost")] = 1.0
    r, p = manager.compute_one(ctx, [*fired, L.EVENT_NAMES.index("won"), L.EVENT_NAMES.index("lost")])
    assert calls == [1] and list(r) == [3.0, -3.0]


def test_a_term_computed_every_frame_is_never_skipped():
    calls = []

    @R.reward_term("test_undeclared_event", "event", "pays 1 every frame, whatever fired")
    def undeclared(ctx):
        calls.append(1)
        return np.ones(ctx.ev.shape[:2])

    manager = R.RewardManager.from_config({"win": 1.0, "test_undeclared_event": 2.0})
    ctx = _random_context(np.random.default_rng(2), n=1, quiet=tuple(L.EVENT_NAMES))
    r, p = manager.compute_one(ctx, [])
    assert calls == [1] and list(r) == [2.0, 2.0] and [list(x) for x in p] == [[0.0, 2.0], [0.0, 2.0]]


def test_event_declarations_are_checked():
    with pytest.raises(ValueError, match=r"unknown event\(s\) \['wonn'\]; events are \['damage_dealt'"):
        R.reward_term("test_bad_event", "event", events=("wonn",))
    with pytest.raises(ValueError, match="only event terms declare events"):
        R.reward_term("test_bad_kind", "per_second", events=("won",))
