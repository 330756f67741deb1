"""Network opponents deciding in one batched call (trainers/transformer_lstm_ppo/fused.py) play exactly
as each would alone: same probabilities to float rounding, same keys, same recurrent state; and a
LeagueVecEnv with fusion on replays a run with fusion off."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from brawl_env.engine import layout as L
from trainers.envs import LeagueVecEnv
from trainers.opponents import OpponentSpec
from trainers.transformer_lstm_ppo.config import build_config
from trainers.transformer_lstm_ppo.fused import Fuser, fuse_key
from trainers.transformer_lstm_ppo.policy import PolicyRunner, build_policy

MODEL = build_config("smoke", None, []).model


def _policy(seed: int, hit_features: bool = False):
    """A smoke-sized policy with weights far from their calm start (so every part of the step matters)."""
    torch.manual_seed(seed)
    policy = build_policy(MODEL.model_copy(update={"layers": 2, "hit_features": hit_features}), "cpu")
    with torch.no_grad():
        for p in policy.parameters():
            p.add_(torch.randn_like(p) * 0.2)
    policy.set_training_mode(False)
    return policy


def _like(seed: int, policies):
    """Another policy of the fixture's architecture (with or without hit features, as they are)."""
    return _policy(seed, policies[0].features_extractor.hits is not None)


@pytest.fixture(scope="module", params=[False, True], ids=["obs", "obs+hit_features"])
def policies(request):
    return [_policy(s, request.param) for s in (1, 2, 3)]


def _runners(policies, repeat):
    return [PolicyRunner(p, name=f"p{i}", repeat=repeat, seed=i) for i, p in enumerate(policies)]


@pytest.mark.parametrize("repeat", [1, 3])
def test_fused_decisions_equal_each_runner_alone(policies, repeat):
    alone, fused = _runners(policies, repeat), _runners(policies, repeat)
    fuser = Fuser()
    rng = np.random.default_rng(0)
    rows = [np.array([0, 3, 4, 9]), np.array([1, 2]), np.array([5, 6, 7, 8, 10])]  # unequal: padding
    for runners in (alone, fused):
        for r, rs in zip(runners, rows):
            r.reset_rows(rs, seeds=rs * 7 + 1)
    dim = policies[0].observation_space.shape[0]
    for frame in range(40):
        obs = rng.normal(size=(11, dim)).astype(np.float32)
        if frame in (13, 29):  # episodes restart in some rows
            for runners in (alone, fused):
                runners[0].reset_rows(np.array([3, 9]), seeds=np.array([5, 6]) + frame)
                runners[2].reset_rows(np.array([6]), seeds=np.array([frame]))
        want = [r.act(obs[rs], rs) for r, rs in zip(alone, rows)]
        got = fuser.act([(r, obs[rs], rs) for r, rs in zip(fused, rows)])
        for w, g in zip(want, got):
            np.testing.assert_array_equal(w, g)
    for a, f in zip(alone, fused):
        for name in ("h", "c"):
            torch.testing.assert_close(a.state[name], f.state[name], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(a.state["cache"].kv, f.state["cache"].kv, rtol=1e-5, atol=1e-5)
        assert torch.equal(a.state["cache"].valid, f.state["cache"].valid)
        assert torch.equal(a.state["cache"].ptr, f.state["cache"].ptr)
        np.testing.assert_array_equal(a._t, f._t)


def test_fused_probabilities_match_key_probs(policies):
    alone, fused = _runners(policies, 1), _runners(policies, 1)
    rows = [np.arange(0, 5), np.arange(5, 8), np.arange(8, 14)]
    for runners in (alone, fused):
        for r, rs in zip(runners, rows):
            r.reset_rows(rs)
    rng = np.random.default_rng(1)
    dim = policies[0].observation_space.shape[0]
    fuser = Fuser()
    for _ in range(5):
        obs = rng.normal(size=(14, dim)).astype(np.float32)
        want = [r._probs(obs[rs], rs) for r, rs in zip(alone, rows)]
        got = fuser._probs([(r, obs[rs], rs) for r, rs in zip(fused, rows)])
        for w, g in zip(want, got):
            assert not np.allclose(w, w.mean())  # weights far from the calm start: probabilities vary
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_weights_changed_in_place_are_restacked(policies):
    p = _like(9, policies)
    a, b = PolicyRunner(p, rows=2, seed=1), PolicyRunner(policies[0], rows=2, seed=2)
    fuser = Fuser()
    obs = np.ones((4, p.observation_space.shape[0]), np.float32)
    first = fuser._probs([(a, obs[:2], np.arange(2)), (b, obs[2:], np.arange(2))])[0]
    with torch.no_grad():
        p.action_net.bias.add_(3.0)  # as an optimiser step changes the mirror's (the learner's) weights
    a.reset_rows(np.arange(2)), b.reset_rows(np.arange(2))
    second = fuser._probs([(a, obs[:2], np.arange(2)), (b, obs[2:], np.arange(2))])[0]
    assert (second > first).all()


def test_a_policy_in_training_mode_is_not_fused(policies):
    p = _like(4, policies)
    assert fuse_key(p) == fuse_key(policies[0]) is not None
    assert fuse_key(p) != fuse_key(_policy(4, p.features_extractor.hits is None))  # another architecture
    p.set_training_mode(True)
    assert fuse_key(p) is None


def test_league_env_with_fused_opponents_replays_the_unfused_run(policies):
    specs = [OpponentSpec("snapshot", f"s{i}") for i in range(3)] + [OpponentSpec("bot", "ConstantBot")]

    def run(fuse: bool):
        from brawl_env.bots import bot_agent

        def make(spec):
            if spec.kind == "bot":
                return bot_agent(spec.name, seed=0)
            return PolicyRunner(policies[int(spec.name[1:])], name=spec.name, repeat=2)

        env = LeagueVecEnv(
            8,
            env_config=dict(max_frames=60),
            seed=3,
            action_repeat=2,
            fuse_opponents=fuse,
            choose_opponent=lambda rng: specs[int(rng.integers(len(specs)))],
            make_opponent=make,
        )
        obs = [env.reset()]
        fused_groups = 0
        rng = np.random.default_rng(5)
        for _ in range(70):
            o, r, d, _ = env.step(rng.integers(0, 2, (8, L.N_KEYS)).astype(np.float32))
            obs.append(o.copy())
            obs.append(r.copy())
            fused_groups = max(fused_groups, len(env.opponent_pool.fused))
        env.close()
        return obs, fused_groups

    plain, n_plain = run(False)
    fused, n_fused = run(True)
    assert n_plain == 0 and n_fused == 1
    for a, b in zip(plain, fused):
        np.testing.assert_array_equal(a, b)
