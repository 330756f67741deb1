"""The bring-your-own-learner route: SB3 PPO on brawl_v0 through SuperSuit (``brawl_env.interop``)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("supersuit")
pytest.importorskip("stable_baselines3")

import supersuit as ss  # noqa: E402
from stable_baselines3 import PPO  # noqa: E402
from stable_baselines3.common.vec_env import VecMonitor  # noqa: E402

import brawl_env  # noqa: E402
from brawl_env.interop import adapter_class, sb3_vec_env  # noqa: E402

TINY = dict(n_steps=32, batch_size=64, n_epochs=2, policy_kwargs=dict(net_arch=[16]))


def _raw_route(matches: int = 1):
    """SuperSuit's documented route, unwrapped."""
    vec = ss.pettingzoo_env_to_vec_env_v1(brawl_env.parallel_env(max_frames=60))
    return ss.concat_vec_envs_v1(vec, matches, num_cpus=0, base_class="stable_baselines3")


# -- (a) the two upstream failures are real. When one of these tests fails because nothing is raised,
# SuperSuit/SB3 fixed it upstream: check, then drop the matching part of brawl_env.interop.


def test_raw_route_seed_fails_upstream():
    with pytest.raises(AttributeError, match="'ConcatVecEnv' object has no attribute 'seed'"):
        PPO("MlpPolicy", _raw_route(), seed=0, **TINY)


def test_raw_route_float32_actions_fail_upstream():
    model = PPO("MlpPolicy", _raw_route(), **TINY)  # no seed: gets past the first failure
    with pytest.raises(TypeError, match=r"Cannot cast array data from dtype\('float32'\) to dtype\('int8'\)"):
        model.learn(64)


# -- (b) PPO trains through the wrapper --------------------------------------------------------------


def test_ppo_trains_through_wrapper():
    env = VecMonitor(sb3_vec_env(num_matches=2, max_frames=100, rewards="guide"))
    assert env.num_envs == 4  # each agent of each match is one SB3 env
    model = PPO("MlpPolicy", env, seed=0, **TINY)
    before = [p.detach().clone() for p in model.policy.parameters()]
    model.learn(2048)
    after = list(model.policy.parameters())
    assert any(not np.array_equal(b.numpy(), a.detach().numpy()) for b, a in zip(before, after))
    assert len(model.ep_info_buffer) >= 4  # episodes finished and were counted (frame limit 100)
    env.close()


# -- (c) seeding -----------------------------------------------------------------------------------


def _rollout(env, seed: int, frames: int = 120) -> np.ndarray:
    """Observations of a seeded rollout with fixed pseudo-random keys, across an auto-reset."""
    env.seed(seed)
    obs = [env.reset()]
    keys = np.random.default_rng(1).integers(0, 2, (frames, env.num_envs, 10)).astype(np.float32)
    for a in keys:
        obs.append(env.step(a)[0])
    return np.stack(obs)


def test_seed_gives_reproducible_observations():
    env = sb3_vec_env(num_matches=2, max_frames=50)
    first = _rollout(env, 7)
    assert np.array_equal(first, _rollout(env, 7))
    assert np.array_equal(first, _rollout(sb3_vec_env(num_matches=2, max_frames=50), 7))
    assert not np.array_equal(first[0], _rollout(env, 8)[0])
    # Matches differ from each other (match i gets seed + i); both agents of a match see one match.
    assert not np.array_equal(first[0, 0], first[0, 2])
    assert env.seed(7) == [7, 7, 8, 8]


def test_seed_argument_and_ppo_seed_reach_reset():
    a = sb3_vec_env(num_matches=1, seed=3).reset()
    b = sb3_vec_env(num_matches=1)
    b.seed(3)
    assert np.array_equal(a, b.reset())
    model = PPO("MlpPolicy", sb3_vec_env(num_matches=1), seed=3, **TINY)
    assert np.array_equal(a, model.env.reset())
    # a pending seed is used once: the next reset starts a fresh match
    c = sb3_vec_env(num_matches=1, seed=3)
    c.reset()
    assert not np.array_equal(a, c.reset())


# -- (d) actions are checked, never rounded ------------------------------------------------------


@pytest.mark.parametrize("value", [0.5, 2.0, np.nan, -1.0])
def test_non_binary_action_raises(value):
    env = sb3_vec_env(num_matches=1, seed=0)
    env.reset()
    keys = np.zeros((2, 10), np.float32)
    keys[1, 4] = value
    with pytest.raises(ValueError, match=r"0 or 1.*\(1, 4\)"):
        env.step(keys)


def test_binary_actions_of_any_dtype_step():
    env = sb3_vec_env(num_matches=1, seed=0)
    env.reset()
    for dtype in (np.float32, np.float64, np.int64, np.int8, bool):
        obs, rew, done, infos = env.step(np.ones((2, 10), dtype))
        assert obs.shape == (2, brawl_env.parallel_env().observation_space("player_0").shape[0])
    with pytest.raises(ValueError, match=r"shape \(2, 10\)"):
        env.step(np.ones((2, 9), np.float32))


def test_time_limit_is_reported_as_truncation():
    env = sb3_vec_env(num_matches=1, seed=0, max_frames=5)
    env.reset()
    for _ in range(5):
        obs, rew, done, infos = env.step(np.zeros((2, 10), np.float32))
    assert done.all()
    assert all(info.get("TimeLimit.truncated") for info in infos)
    assert all("terminal_observation" in info for info in infos)


def test_render_mode_attr_is_answered():
    env = sb3_vec_env(num_matches=2)
    assert env.get_attr("render_mode") == [None] * 4
    assert isinstance(env, adapter_class())


# -- lazy imports --------------------------------------------------------------------------------


def test_interop_imports_without_supersuit_or_sb3(monkeypatch):
    code = (
        "import sys, brawl_env, brawl_env.interop\n"
        "bad = [m for m in ('supersuit', 'stable_baselines3', 'torch') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    monkeypatch.setitem(sys.modules, "supersuit", None)  # as if not installed
    adapter_class.cache_clear()
    try:
        with pytest.raises(ImportError, match=r"brawl-league\[test\]"):
            sb3_vec_env()
    finally:
        adapter_class.cache_clear()
