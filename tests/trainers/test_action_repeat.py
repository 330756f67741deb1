"""Action repeat: one decision held for k frames, in the training env and in the policy runner.

The k-frame env is checked against the 1-frame env stepped k times with the same held keys (same seed,
so the same slots, opponents and matches), including blocks in which an episode ends part-way.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from brawl_env.engine import layout as L
from brawl_env.bots import bot_agent
from trainers.envs import LeagueVecEnv

N, K, SEED = 6, 4, 5
CFG = dict(rewards="guide", max_frames=90, stocks=1)


def make(k):
    return LeagueVecEnv(
        N,
        env_config=CFG,
        choose_opponent=lambda rng: ("ConstantBot", "BasedBot")[int(rng.integers(2))],
        make_opponent=lambda spec: bot_agent(spec),
        seed=SEED,
        action_repeat=k,
    )


def decisions(rng):
    """Even rows run right (off the stage: knockouts at various frames), odd rows press random keys."""
    a = rng.integers(0, 2, (N, L.N_KEYS)).astype(np.float32)
    a[0::2] = 0
    a[0::2, L.K_RIGHT] = 1
    return a


def test_k_frame_steps_equal_k_single_frames_with_held_keys():
    fast, slow = make(K), make(1)
    obs_f, obs_s = fast.reset(), slow.reset()
    np.testing.assert_array_equal(obs_f, obs_s)
    rng = np.random.default_rng(0)
    ends_mid_block = 0
    episodes = 0
    for _ in range(60):
        a = decisions(rng)
        obs_f, rew_f, done_f, infos_f = fast.step(a)
        held = a.copy()
        rew_s = np.zeros(N)
        done_s = np.zeros(N, bool)
        frames_info = {}
        for j in range(K):
            o, r, d, infos = slow.step(held)
            rew_s += np.where(done_s, 0.0, r)
            for i in np.flatnonzero(d):
                frames_info[i] = infos[i]["brawl"]["frames"]
                ends_mid_block += j < K - 1
            held[d] = 0  # the next episode's first frames: no decision yet
            done_s |= d
        np.testing.assert_array_equal(obs_f, o)
        np.testing.assert_allclose(rew_f, rew_s, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(done_f, done_s)
        np.testing.assert_array_equal(fast.episode_starts, done_s)
        for i in np.flatnonzero(done_f):
            episodes += 1
            assert infos_f[i]["brawl"]["frames"] == frames_info[i]  # lengths are in frames
            assert "terminal_observation" in infos_f[i]
    assert episodes >= N and ends_mid_block > 0  # the case the test is about did happen


def test_action_repeat_must_be_a_positive_integer():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="action_repeat"):
            LeagueVecEnv(
                2,
                env_config=CFG,
                choose_opponent=lambda rng: "ConstantBot",
                make_opponent=lambda spec: bot_agent(spec),
                action_repeat=bad,
            )


def test_policy_runner_decides_once_per_block_and_holds_the_keys():
    from trainers.transformer_lstm_ppo.config import ModelConfig
    from trainers.transformer_lstm_ppo.policy import PolicyRunner, TransformerLstmPolicy

    env = make(1)
    m = ModelConfig(
        frame_dim=16, d_model=16, heads=2, layers=1, window=8, ffn=16, lstm=16, initial_press_prob=0.5
    )
    torch.manual_seed(0)
    policy = TransformerLstmPolicy(
        env.observation_space,
        env.action_space,
        lambda _: 0.0,
        lstm_hidden_size=m.lstm,
        initial_press_prob=m.initial_press_prob,
        features_extractor_kwargs=dict(frame_dim=16, d_model=16, heads=2, layers=1, window=8, ffn=16),
    )
    calls = []
    real = policy.key_probs

    def counted(obs, state, rows=None):
        calls.append(obs.shape[0])
        return real(obs, state, rows)

    policy.key_probs = counted
    runner = PolicyRunner(policy, 3, repeat=3)
    rows = np.arange(3)
    runner.reset_rows(rows)
    rng = np.random.default_rng(1)
    out = []
    for frame in range(9):
        if frame == 4:
            runner.reset_rows(np.array([1]))  # row 1 starts a new episode mid-block
        out.append(runner.act(rng.random((3, env.observation_space.shape[0]), dtype=np.float32), rows))
    out = np.stack(out)  # (frames, rows, keys)
    # rows 0 and 2 decide at frames 0, 3, 6; row 1 at 0, 3, then at 4 (its reset) and 7
    assert calls == [3, 3, 1, 2, 1]
    for r, starts in ((0, (0, 3, 6)), (1, (0, 3, 4, 7)), (2, (0, 3, 6))):
        for s, e in zip(starts, starts[1:] + (9,)):
            assert (out[s:e, r] == out[s, r]).all()  # held between decisions
    assert out.dtype == np.int8 and set(np.unique(out)) <= {0, 1}
