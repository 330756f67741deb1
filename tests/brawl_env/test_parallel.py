"""The PettingZoo doors: conformance tests, metadata, infos and bad input."""

from types import SimpleNamespace

import numpy as np
import pytest
from pettingzoo.test import api_test, max_cycles_test, parallel_api_test, parallel_seed_test, seed_test
from pettingzoo.utils.conversions import parallel_to_aec

import brawl_env
from brawl_env.engine import layout as L

AGENTS = ("player_0", "player_1")


def _frames_to_end(env, seed: int = 0) -> tuple[int, dict]:
    """Step a parallel env with no keys pressed until its agents are gone; (frames, last truncations)."""
    env.reset(seed=seed)
    frames, trunc = 0, {}
    while env.agents:
        _, _, _, trunc, _ = env.step({a: np.zeros(L.N_KEYS, np.int8) for a in env.agents})
        frames += 1
    return frames, trunc


def test_parallel_api():
    # pettingzoo's checker raises AssertionError on a broken env (test_the_conformance_checks_can_fail)
    parallel_api_test(brawl_env.parallel_env(max_frames=300), num_cycles=1000)
    assert _frames_to_end(brawl_env.parallel_env(max_frames=300))[0] == 300


def test_aec_api():
    api_test(brawl_env.env(max_frames=300), num_cycles=500)
    env = brawl_env.env(max_frames=300)
    env.reset(seed=0)
    moves = 0
    for agent in env.agent_iter():
        done = env.terminations[agent] or env.truncations[agent]
        env.step(None if done else np.zeros(L.N_KEYS, np.int8))
        moves += not done
    assert moves == 2 * 300 and env.agents == []  # both players act once a frame, for every frame


def test_seed():
    seed_test(lambda: brawl_env.env(max_frames=400), num_cycles=500)
    parallel_seed_test(lambda: brawl_env.parallel_env(max_frames=400), num_cycles=500)
    first = [brawl_env.parallel_env().reset(seed=s)[0]["player_0"] for s in (5, 5, 6)]
    assert np.array_equal(first[0], first[1]) and not np.array_equal(first[0], first[2])


def test_max_cycles_equivalent_is_max_frames():
    shim = SimpleNamespace(
        parallel_env=lambda max_cycles: brawl_env.parallel_env(max_frames=max_cycles),
        env=lambda max_cycles: brawl_env.env(max_frames=max_cycles),
    )
    max_cycles_test(shim)
    frames, trunc = _frames_to_end(brawl_env.parallel_env(max_frames=7))
    assert frames == 7 and all(trunc.values())


class _FreshSpaces(brawl_env.raw_env):
    """A deliberately broken env (a new space object on every call), to show the conformance checks
    can fail."""

    def observation_space(self, agent):
        import copy

        return copy.deepcopy(super().observation_space(agent))


class _Unseeded(brawl_env.raw_env):
    """A deliberately broken env that ignores its seed."""

    def reset(self, seed=None, options=None):
        return super().reset(seed=None, options=options)


def test_the_conformance_checks_can_fail():
    with pytest.raises(AssertionError):
        parallel_api_test(_FreshSpaces(max_frames=50), num_cycles=20)
    with pytest.raises(AssertionError):
        parallel_seed_test(lambda: _Unseeded(max_frames=400), num_cycles=100)
    with pytest.raises(AssertionError):
        api_test(parallel_to_aec(_FreshSpaces(max_frames=50)), num_cycles=20)
    with pytest.raises(AssertionError):
        seed_test(lambda: parallel_to_aec(_Unseeded(max_frames=400)), num_cycles=100)
    # a shim whose max_cycles does not reach the env: the episode outlives it and the check fails
    deaf = SimpleNamespace(
        parallel_env=lambda max_cycles: brawl_env.parallel_env(max_frames=max_cycles + 50),
        env=lambda max_cycles: brawl_env.env(max_frames=max_cycles + 50),
    )
    with pytest.raises(AssertionError):
        max_cycles_test(deaf)


def test_metadata_and_spaces():
    env = brawl_env.parallel_env()
    assert env.metadata == {
        "name": "brawl_v0",
        "render_modes": ["human", "rgb_array"],
        "render_fps": 30,
        "is_parallelizable": True,
    }
    assert env.possible_agents == ["player_0", "player_1"]
    for agent in env.possible_agents:
        assert env.action_space(agent).n == 10
        assert env.observation_space(agent) is env.observation_space(agent)
        assert env.observation_space(agent).dtype == np.float32


def _idle():
    return np.zeros(10, np.int8)


def test_final_infos_hold_result_and_stats():
    env = brawl_env.parallel_env(max_frames=40)
    env.reset(seed=3)
    for _ in range(40):
        obs, rew, term, trunc, infos = env.step({"player_0": _idle(), "player_1": _idle()})
    assert trunc == {"player_0": True, "player_1": True}
    assert env.agents == []
    assert infos["player_0"]["result"] == "draw" and infos["player_1"]["result"] == "draw"
    assert set(infos["player_0"]["stats"]) == set(L.STAT_NAMES)
    assert infos["player_0"]["stats"]["frames_alive"] == 40.0
    assert rew == {"player_0": 0.0, "player_1": 0.0}


def test_win_reward_and_result_after_stock_out():
    env = brawl_env.parallel_env(stocks=1)
    env.reset(seed=5)
    # player_0 walks off its floor's outer edge and falls out; player_1 idles.
    right = env.engine.state.pi[0, 0, L.SIDE] == 0
    walk = np.zeros(10, np.int8)
    walk[L.K_RIGHT if right else L.K_LEFT] = 1
    for _ in range(200):
        obs, rew, term, trunc, infos = env.step({"player_0": walk, "player_1": _idle()})
        if term["player_0"]:
            break
    assert term == {"player_0": True, "player_1": True}
    assert rew == {"player_0": -1.0, "player_1": 1.0}
    assert infos["player_0"]["result"] == "loss" and infos["player_1"]["result"] == "win"
    assert infos["player_0"]["events"]["knocked_out"] == 1.0
    assert infos["player_1"]["events"]["knockout_dealt"] == 1.0


def test_events_name_what_happened():
    env = brawl_env.parallel_env()
    env.reset(seed=0)
    for _ in range(40):  # fall onto the floors
        env.step({"player_0": _idle(), "player_1": _idle()})
    jump = _idle()
    jump[L.K_JUMP] = 1
    _, _, _, _, infos = env.step({"player_0": jump, "player_1": _idle()})
    assert infos["player_0"]["events"] == {"jump": 1.0}
    assert infos["player_1"]["events"] == {}


# --- bad input -------------------------------------------------------------------------------------------


@pytest.fixture
def env():
    e = brawl_env.parallel_env()
    e.reset(seed=0)
    return e


@pytest.mark.parametrize(
    "action, match",
    [
        (np.zeros(9, np.int8), r"shape \(10,\)"),
        (np.zeros((2, 10), np.int8), r"shape \(10,\)"),
        (np.full(10, 2, np.int8), "0 or 1"),
        (np.full(10, -1, np.int64), "0 or 1"),
        (np.full(10, 0.5, np.float32), "0 or 1"),
        (np.array([np.nan] + [0.0] * 9), "0 or 1"),
    ],
)
def test_bad_action_values_raise(env, action, match):
    with pytest.raises(ValueError, match=match):
        env.step({"player_0": action, "player_1": _idle()})


def test_bad_action_dtype_raises(env):
    with pytest.raises(TypeError, match="dtype"):
        env.step({"player_0": np.array(["1"] * 10), "player_1": _idle()})


def test_float_actions_of_exact_zero_one_are_accepted(env):
    a = np.zeros(10, np.float32)
    a[L.K_RIGHT] = 1.0
    env.step({"player_0": a, "player_1": _idle()})
    assert env.engine.keys[0, 0].tolist() == a.astype(np.uint8).tolist()  # taken as the same keys, uncast


def test_bad_keys_name_the_agent_and_the_key_and_change_nothing(env):
    before = env.engine.keys.copy()
    right = np.zeros(10, np.uint8)
    right[L.K_RIGHT] = 1
    bad = _idle()
    bad[3] = 2
    with pytest.raises(
        ValueError, match=r"^player_1: every key must be exactly 0 or 1; got np\.int8\(2\) at index \(3,\)$"
    ):
        env.step({"player_0": right, "player_1": bad})
    with pytest.raises(ValueError, match=r"^player_0: an action is 10 keys .* got shape \(9,\)$"):
        env.step({"player_0": np.zeros(9, np.int8), "player_1": bad})  # both bad: the first is named
    with pytest.raises(TypeError, match=r"^player_1: actions must be bool, integer or float"):
        env.step({"player_0": right, "player_1": np.ones(10, complex)})
    assert np.array_equal(env.engine.keys, before)  # a refused step wrote no key
    env.step({"player_0": right, "player_1": [0] * 10})  # mixed dtypes and a list, taken together
    assert env.engine.keys[0].tolist() == [right.tolist(), [0] * 10]


def _play_both_doors(cfg: dict, seed: int, frames: int):
    """The PettingZoo door and BatchEnv(1) (the array door, no shortcuts) on one match with the same keys:
    yields both doors' step results until the match ends."""
    rng = np.random.default_rng(seed)
    door = brawl_env.parallel_env(**cfg)
    door.reset(options={"match_seed": seed})
    batch = brawl_env.BatchEnv(1, **cfg)
    batch.reset(match_seeds=[seed])
    for _ in range(frames):
        keys = (rng.random((2, 10)) < 0.3).astype(np.uint8)
        yield door.step({"player_0": keys[0], "player_1": keys[1]}), batch.step(keys[None])
        if not door.agents:
            return


@pytest.mark.parametrize(
    "cfg", [{}, {"rewards": "guide"}, {"rewards": "guide", "zero_sum": True, "stocks": 1}]
)
def test_the_door_reports_what_the_engine_arrays_say_bit_for_bit(cfg):
    """The door's fast paths (events found once, reward terms skipped when their events did not fire)
    hand out exactly BatchEnv's figures: every float compared by its bits, the sign of a zero included."""
    names = brawl_env.BatchEnv(1, **cfg).reward_names
    event_terms = {n: brawl_env.rewards.known_terms()[n].kind == "event" for n in names}
    seen = {"events": 0, "event_rewards": 0}
    for (obs, rew, term, trunc, infos), (b_obs, b_rew, b_term, b_trunc, b_info) in _play_both_doors(
        cfg, 7, 2700
    ):
        for i, a in enumerate(AGENTS):
            ended = b_term[0] or b_trunc[0]  # BatchEnv has restarted the match: its last frame is kept aside
            assert obs[a].tobytes() == (b_info["final_observation"] if ended else b_obs)[0, i].tobytes()
            assert np.float32(rew[a]).tobytes() == b_rew[0, i].tobytes()
            assert (
                np.array(list(infos[a]["reward_terms"].values()), np.float32).tobytes()
                == b_info["reward_terms"][0, i].tobytes()
            )
            assert list(infos[a]["reward_terms"]) == list(names)
            nz = np.flatnonzero(b_info["events"][0, i])
            assert infos[a]["events"] == {L.EVENT_NAMES[k]: float(b_info["events"][0, i, k]) for k in nz}
            assert (term[a], trunc[a]) == (bool(b_term[0]), bool(b_trunc[0]))
            seen["events"] += len(nz)
            seen["event_rewards"] += any(v for n, v in infos[a]["reward_terms"].items() if event_terms[n])
    assert seen["events"] > 10 and (seen["event_rewards"] > 0 or cfg == {})  # the slow paths ran too


def test_unknown_and_missing_agents_raise(env):
    with pytest.raises(ValueError, match="unknown: \\['player_2'\\]"):
        env.step({"player_0": _idle(), "player_1": _idle(), "player_2": _idle()})
    with pytest.raises(ValueError, match="missing: \\['player_1'\\]"):
        env.step({"player_0": _idle()})
    with pytest.raises(ValueError, match="unknown agent 'bob'"):
        env.observation_space("bob")
    with pytest.raises(ValueError, match="unknown agent"):
        env.action_space("bob")


def test_step_before_reset_and_after_end_raises():
    e = brawl_env.parallel_env(max_frames=2)
    with pytest.raises(RuntimeError, match="reset"):
        e.step({"player_0": _idle(), "player_1": _idle()})
    e.reset(seed=0)
    e.step({"player_0": _idle(), "player_1": _idle()})
    e.step({"player_0": _idle(), "player_1": _idle()})
    with pytest.raises(RuntimeError, match="reset"):
        e.step({"player_0": _idle(), "player_1": _idle()})
    aec = brawl_env.env()
    with pytest.raises(Exception, match="reset"):
        aec.step(_idle())


def test_unknown_config_keys_and_bad_values_raise():
    with pytest.raises(
        ValueError,
        match=r"unknown env config key\(s\) \['max_cycles'\]; allowed keys: \['damage_tiebreak', 'max_frames', 'rewards', 'spawn', 'stocks', 'zero_sum'\]",
    ):
        brawl_env.parallel_env(max_cycles=10)
    with pytest.raises(ValueError, match="stocks"):
        brawl_env.parallel_env(stocks=0)
    with pytest.raises(ValueError, match="max_frames"):
        brawl_env.parallel_env(max_frames="long")
    with pytest.raises(ValueError, match="render_mode"):
        brawl_env.parallel_env(render_mode="ascii")


def test_env_pickles():
    import pickle

    e = pickle.loads(pickle.dumps(brawl_env.parallel_env(max_frames=50)))
    e.reset(seed=1)
    assert e.config.max_frames == 50


@pytest.mark.parametrize(
    "cfg, field",
    [
        (dict(max_frames=True), "max_frames"),  # lenient parsing read this as a 1-frame match
        (dict(max_frames=900.0), "max_frames"),
        (dict(max_frames="900"), "max_frames"),
        (dict(stocks=True), "stocks"),
        (dict(damage_tiebreak="no"), "damage_tiebreak"),  # lenient parsing read "no" as False
        (dict(damage_tiebreak="yes"), "damage_tiebreak"),
        (dict(damage_tiebreak=1), "damage_tiebreak"),
        (dict(zero_sum="true"), "zero_sum"),
    ],
)
def test_config_types_are_strict(cfg, field):
    with pytest.raises(ValueError, match=field):
        brawl_env.parallel_env(**cfg)


def test_config_takes_numpy_integers():
    assert brawl_env.parallel_env(max_frames=np.int64(90), stocks=np.int32(2)).config.max_frames == 90


@pytest.mark.parametrize("seed", [-1, 2**64, 2**128, 2**64 + 5])
def test_reset_seeds_outside_64_bits_are_refused(seed):
    env = brawl_env.parallel_env(max_frames=50)
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, 2\*\*64\)"):
        env.reset(seed=seed)
    with pytest.raises(ValueError, match=r"match_seed.*\[0, 2\*\*64\)"):
        env.reset(options={"match_seed": seed})


def test_seed_types_are_checked_and_the_largest_seed_plays():
    env = brawl_env.parallel_env(max_frames=50)
    for bad in (True, 1.5, "3"):
        with pytest.raises(TypeError, match="seed must be an integer"):
            env.reset(seed=bad)
    env.reset(seed=2**64 - 1)
    a = env.reset(options={"match_seed": 2**64 - 1})[0]["player_0"]
    b = env.reset(options={"match_seed": np.uint64(2**64 - 1)})[0]["player_0"]
    assert np.array_equal(a, b)
