"""BatchEnv: determinism, batch-position independence, auto-reset, observation bounds, bad input."""

import numpy as np
import pytest

import brawl_env
from brawl_env.engine import layout as L


def _random_keys(rng, frames, n):
    return rng.integers(0, 2, size=(frames, n, 2, 10), dtype=np.uint8)


def test_observations_stay_in_box_for_10000_random_frames():
    env = brawl_env.BatchEnv(8, seed=11, max_frames=900)
    box = env.observation_space
    obs = env.reset()
    keys = _random_keys(np.random.default_rng(0), 1250, 8)
    for t in range(1250):  # 8 matches x 1250 frames = 10,000 match-frames, with auto-resets
        assert obs.dtype == np.float32
        assert np.all(obs >= box.low) and np.all(obs <= box.high), f"frame {t}"
        obs, _, _, _, info = env.step(keys[t])
        final = info["final_observation"]
        assert np.all(final >= box.low) and np.all(final <= box.high)


def test_same_seed_and_actions_give_identical_bytes():
    keys = _random_keys(np.random.default_rng(1), 600, 4)
    runs = []
    for _ in range(2):
        env = brawl_env.BatchEnv(4, seed=7, max_frames=500)
        trace = [env.reset().copy()]
        for t in range(600):
            trace.append(env.step(keys[t])[0].copy())
        runs.append(np.stack(trace))
    assert runs[0].tobytes() == runs[1].tobytes()


def test_match_k_of_a_batch_equals_the_match_alone():
    n, frames = 64, 700  # frame limit 300: every match auto-resets twice, so episode seeds are covered
    keys = _random_keys(np.random.default_rng(2), frames, n)
    batch = brawl_env.BatchEnv(n, seed=123, max_frames=300)
    trace = [batch.reset().copy()]
    for t in range(frames):
        trace.append(batch.step(keys[t])[0].copy())
    trace = np.stack(trace)
    for k in (0, 17, 63):
        alone = brawl_env.BatchEnv(1, max_frames=300)
        solo = [alone.reset(match_seeds=[brawl_env.match_seed(123, k)]).copy()]
        for t in range(frames):
            solo.append(alone.step(keys[t, k : k + 1])[0].copy())
        assert np.stack(solo)[:, 0].tobytes() == trace[:, k].tobytes()


def test_parallel_env_equals_batch_match_zero():
    keys = _random_keys(np.random.default_rng(3), 300, 2)
    batch = brawl_env.BatchEnv(2, seed=9)
    b_obs = [batch.reset()[0].copy()]
    for t in range(300):
        b_obs.append(batch.step(keys[t])[0][0].copy())
    env = brawl_env.parallel_env()
    obs, _ = env.reset(seed=9)
    p_obs = [np.stack([obs["player_0"], obs["player_1"]])]
    for t in range(300):
        obs, *_ = env.step({"player_0": keys[t, 0, 0], "player_1": keys[t, 0, 1]})
        p_obs.append(np.stack([obs["player_0"], obs["player_1"]]))
    assert np.stack(p_obs).tobytes() == np.stack(b_obs).tobytes()


def test_auto_reset_reports_final_observation_and_restarts():
    env = brawl_env.BatchEnv(3, seed=0, max_frames=10)
    env.reset()
    idle = np.zeros((3, 2, 10), np.uint8)
    for _ in range(9):
        obs, rew, term, trunc, info = env.step(idle)
        assert not trunc.any()
    obs, rew, term, trunc, info = env.step(idle)
    assert trunc.all() and not term.any()
    assert (info["result"] == L.R_DRAW).all()
    assert (info["final_stats"][:, :, L.STAT_NAMES.index("frames_alive")] == 10).all()
    assert (env.frame == 0).all()  # restarted
    assert not np.array_equal(info["final_observation"], obs)


def test_observations_are_mirrored_per_player():
    env = brawl_env.BatchEnv(1, seed=4)
    obs = env.reset()
    me0 = brawl_env.ObsView(obs[0, 0])
    me1 = brawl_env.ObsView(obs[0, 1])
    assert me0.me.x == pytest.approx(me1.opponent.x) and me0.opponent.x == pytest.approx(me1.me.x)
    assert me0.world.dx == pytest.approx(-me1.world.dx)
    pf = env.engine.state.pf
    assert me0.me.x == pytest.approx(pf[0, 0, L.PX], abs=1e-5)
    assert me1.me.x == pytest.approx(pf[0, 1, L.PX], abs=1e-5)


def test_stats_on_request():
    env = brawl_env.BatchEnv(2, seed=0)
    env.reset()
    for _ in range(5):
        env.step(np.zeros((2, 2, 10), np.uint8))
    stats = env.stats()
    assert set(stats) == set(L.STAT_NAMES)
    assert stats["frames_alive"].shape == (2, 2) and (stats["frames_alive"] == 5).all()


def test_state_is_small():
    env = brawl_env.BatchEnv(16)
    assert env.state_nbytes() / 16 < 4096


@pytest.mark.parametrize(
    "actions, err, match",
    [
        (np.zeros((2, 2, 10), np.uint8), ValueError, r"shape \(3, 2, 10\)"),
        (np.full((3, 2, 10), 3, np.uint8), ValueError, "0 or 1"),
        (np.full((3, 2, 10), np.nan), ValueError, "0 or 1"),
        (np.zeros((3, 2, 10), np.complex64), TypeError, "dtype"),
    ],
)
def test_bad_batch_actions_raise(actions, err, match):
    env = brawl_env.BatchEnv(3)
    env.reset()
    with pytest.raises(err, match=match):
        env.step(actions)


def test_bad_constructor_and_reset_arguments_raise():
    with pytest.raises(ValueError, match="positive integer"):
        brawl_env.BatchEnv(0)
    with pytest.raises(ValueError, match="unknown env config"):
        brawl_env.BatchEnv(2, frames=10)
    env = brawl_env.BatchEnv(2)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros((2, 2, 10), np.uint8))
    with pytest.raises(ValueError, match="match_seeds"):
        env.reset(match_seeds=[1, 2, 3])


@pytest.mark.parametrize("seed", [-1, 2**64, 2**70])
def test_seeds_outside_64_bits_are_refused(seed):
    with pytest.raises(ValueError, match=r"\[0, 2\*\*64\)"):
        brawl_env.BatchEnv(2, seed=seed)
    env = brawl_env.BatchEnv(2)
    with pytest.raises(ValueError, match=r"\[0, 2\*\*64\)"):
        env.reset(seed=seed)


def test_negative_match_seed_arrays_do_not_wrap():
    env = brawl_env.BatchEnv(2)
    with pytest.raises(ValueError, match="match_seeds"):
        env.reset(match_seeds=np.array([-1, 3], np.int64))


def test_batchenv_doc_states_the_shapes_and_info_keys_step_returns() -> None:
    """docs/env.md's BatchEnv section (brawl_env.batch's docstring) against a real step."""
    import re

    import numpy as np

    from brawl_env import batch
    from brawl_env.engine import layout as L

    doc = batch.__doc__
    env = batch.BatchEnv(3, max_frames=2)
    obs = env.reset(seed=1)
    assert obs.shape == (3, 2, env.obs_dim) and obs.dtype == np.float32
    for _ in range(2):
        obs, reward, terminated, truncated, info = env.step(np.zeros((3, 2, 10), np.int8))
    assert sorted(info) == sorted(re.findall(r'info\["(\w+)"\]` `\(', doc))
    assert reward.shape == (3, 2) and reward.dtype == np.float32
    assert terminated.shape == truncated.shape == (3,) and truncated.all()  # the frame limit
    assert info["final_stats"].shape == (3, 2, len(L.STAT_NAMES)) and info["result"].dtype == np.int8
    assert info["events"].shape == (3, 2, len(L.EVENT_NAMES)) and (info["result"] == 3).all()  # draws
    assert info["reward_terms"].shape == (3, 2, len(env.reward_names))
    assert (env.frame == 0).all()  # auto-reset: already the next episode
    assert "`(n, 2, 10)`" in doc
