"""The transformer-LSTM policy: the encoder's three layouts agree, training rebuilds every rollout step
exactly, gradients reach the encoder, the policy sees the observation, and state resets at episode starts."""

import numpy as np
import pytest
import torch
from stable_baselines3.common.callbacks import BaseCallback

from trainers.transformer_lstm_ppo.encoder import StrategyEncoder

SMALL = dict(
    lstm_hidden_size=32,
    features_extractor_kwargs=dict(frame_dim=32, d_model=32, heads=4, layers=2, window=16, ffn=64),
)


def _random_encoder(window=6):
    torch.manual_seed(0)
    enc = StrategyEncoder(7, d_model=32, heads=4, layers=3, window=window).eval()
    with torch.no_grad():
        enc.age_bias.normal_(0, 1.0)
    return enc


def test_encoder_step_equals_training_windows_and_the_literal_window():
    enc = _random_encoder()
    frames, t = torch.randn(2, 15, 7), 15
    episode = torch.zeros(2, t, dtype=torch.long)
    episode[1, 5:] = 1  # row 1 starts a new episode at frame 5
    cache = enc.new_cache(2)
    with torch.no_grad():
        stepped = []
        for i in range(t):
            if i == 5:
                cache.reset_rows(torch.tensor([1]))
            stepped.append(enc.step(frames[:, i], cache))
        stepped = torch.stack(stepped, 1)
        windows = enc.encode_windows(frames, episode, t)
        literal = []
        for i in range(t):
            win, ok = torch.zeros(2, 6, 7), torch.zeros(2, 6, dtype=torch.bool)
            for r in range(2):
                for j in range(6):
                    k = i - (5 - j)
                    if k >= 0 and episode[r, k] == episode[r, i]:
                        win[r, j], ok[r, j] = frames[r, k], True
            literal.append(enc.literal_window(win, ok))
        literal = torch.stack(literal, 1)
    assert torch.allclose(stepped, windows, atol=1e-5)
    assert torch.allclose(stepped, literal, atol=1e-5)
    # the latent really depends on the history: an older frame changes it
    frames2 = frames.clone()
    frames2[0, 10] += 1.0
    with torch.no_grad():
        changed = enc.encode_windows(frames2, episode, t)
    assert not torch.allclose(changed[0, 12], windows[0, 12], atol=1e-4)
    assert torch.allclose(changed[0, :10], windows[0, :10], atol=1e-6)


def test_rows_can_step_apart_and_peek_does_not_write():
    enc = _random_encoder()
    x = torch.randn(2, 3, 7)
    cache = enc.new_cache(3)
    with torch.no_grad():
        enc.step(x[:, 0], cache, rows=torch.tensor([2, 0]))
        peek = enc.step(x[:1, 1], cache, rows=torch.tensor([2]), write=False)
        real = enc.step(x[:, 1], cache, rows=torch.tensor([2, 0]))
        whole = enc.encode_windows(x[:, :2], torch.zeros(2, 2, dtype=torch.long), 2)
    assert torch.allclose(peek, real[:1], atol=1e-6)
    assert torch.allclose(real, whole[:, 1], atol=1e-5)
    assert not cache.valid[1].any()


class _Nop(BaseCallback):
    def _on_step(self):
        return True


def _model(n_steps=24, matches=2, max_frames=40, batch_size=None, **kw):
    from brawl_env.interop import sb3_vec_env
    from trainers.transformer_lstm_ppo.algo import TransformerLSTMPPO
    from trainers.transformer_lstm_ppo.sb3_adapter import prepare_learn

    env = sb3_vec_env(num_matches=matches, seed=0, rewards="guide", max_frames=max_frames)
    model = TransformerLSTMPPO(
        env=env,
        n_steps=n_steps,
        batch_size=batch_size or n_steps * 2,
        n_epochs=1,
        seed=0,
        policy_kwargs=SMALL,
        device="cpu",
        **kw,
    )
    cb = prepare_learn(model, 10_000, _Nop())
    return model, cb


@pytest.mark.parametrize("batch_size", [48, 8], ids=["whole-envs", "chunks-of-8"])
def test_training_rebuilds_every_rollout_step_exactly(batch_size):
    model, cb = _model(batch_size=batch_size)
    with torch.no_grad():  # large heads, so log-probs and values depend strongly on the inputs
        model.policy.action_net.weight.normal_(0, 2.0)
        model.policy.value_net.weight.normal_(0, 2.0)
        model.policy.encoder.age_bias.normal_(0, 1.0)
    for _ in range(4):  # episodes of 40 frames over rollouts of 24: carries and mid-rollout resets
        model.collect_rollouts(model.env, cb, model.rollout_buffer, model.n_steps)
        enc, ep, obs, act, h0, c0, mask, old = model._segments(
            np.arange(model.n_envs * (model.n_steps // model.rollout_buffer.chunk))
        )
        with torch.no_grad():
            log_prob, _, values, _ = model.policy.evaluate_segments(enc, ep, obs, act, h0, c0)
        assert old["log_probs"][mask].std() > 0.5
        assert torch.allclose(log_prob[mask], old["log_probs"][mask], atol=1e-4)
        assert torch.allclose(values[mask], old["values"][mask], atol=1e-4)
    model.rollout_buffer.carry[:] = 0.0  # without the carried history the rebuild is wrong
    enc, ep, obs, act, h0, c0, mask, old = model._segments(
        np.arange(model.n_envs * (model.n_steps // model.rollout_buffer.chunk))
    )
    with torch.no_grad():
        log_prob, _, _, _ = model.policy.evaluate_segments(enc, ep, obs, act, h0, c0)
    assert not torch.allclose(log_prob[mask], old["log_probs"][mask], atol=1e-2)


def test_one_update_changes_the_encoder_and_gradients_reach_it():
    model, cb = _model()
    model.collect_rollouts(model.env, cb, model.rollout_buffer, model.n_steps)
    enc, ep, obs, act, h0, c0, mask, old = model._segments(
        np.arange(model.n_envs * (model.n_steps // model.rollout_buffer.chunk))
    )
    log_prob, _, _, _ = model.policy.evaluate_segments(enc, ep, obs, act, h0, c0)
    model.policy.zero_grad()
    (-(log_prob[mask] * old["advantages"][mask]).mean()).backward()  # the policy loss alone
    grads = [p.grad for p in model.policy.encoder.parameters()]
    assert any(g is not None and g.abs().sum() > 0 for g in grads)
    before = [p.detach().clone() for p in model.policy.encoder.parameters()]
    model.train()
    assert any(not torch.equal(b, p) for b, p in zip(before, model.policy.encoder.parameters()))


def test_the_action_distribution_depends_on_the_observation():
    model, _ = _model()
    policy = model.policy
    obs = torch.as_tensor(np.stack([model.env.reset()[0]] * 2), dtype=torch.float32)
    obs[1, :20] += 0.5  # change only the observation
    state = policy.new_state(2)
    with torch.no_grad():
        fx = policy.features_extractor
        latent = policy.encoder.step(fx.encoder_input(obs), state["cache"])
        feats = torch.cat([fx.frame(obs), latent], -1)
        out, _ = policy.lstm_actor(feats.unsqueeze(0), (state["h"], state["c"]))
        probs = policy._heads(out[0], feats)[0].distribution.probs
    assert not torch.allclose(probs[0], probs[1], atol=1e-5)


def test_state_resets_at_episode_starts():
    model, _ = _model()
    policy = model.policy
    obs = torch.as_tensor(np.stack([model.env.reset()[0]] * 2), dtype=torch.float32)
    state = policy.new_state(2)
    with torch.no_grad():
        for _ in range(5):
            policy.rollout_step(obs + torch.randn_like(obs) * 0.3, state, deterministic=True)
        policy.reset_state(state, [1])
        assert (state["h"][:, 1] == 0).all() and not state["cache"].valid[1].any()
        assert state["cache"].valid[0].any()
        torch.manual_seed(1)
        fresh = policy.new_state(2)
        _, v_fresh, _ = policy.rollout_step(obs, fresh, deterministic=True)
        _, v_reset, _ = policy.rollout_step(obs, state, deterministic=True)
    assert v_reset[1].item() == pytest.approx(v_fresh[1].item(), abs=1e-6)
    assert v_reset[0].item() != pytest.approx(v_fresh[0].item(), abs=1e-6)


def _small_policy():
    from trainers.transformer_lstm_ppo.config import ModelConfig
    from trainers.transformer_lstm_ppo.policy import build_policy

    torch.manual_seed(0)
    policy = build_policy(
        ModelConfig(frame_dim=32, d_model=32, heads=4, layers=2, window=16, ffn=64, lstm=32)
    )
    with torch.no_grad():  # large heads, so log-probs and values depend strongly on the inputs
        policy.action_net.weight.normal_(0, 2.0)
        policy.value_net.weight.normal_(0, 2.0)
    policy.set_training_mode(False)
    return policy


def _obs(policy, n, t, seed=0):
    low, high = policy.observation_space.low, policy.observation_space.high
    x = np.random.default_rng(seed).normal(0.0, 0.5, (t, n) + low.shape)
    return torch.as_tensor(np.clip(x, low, high), dtype=torch.float32)


def test_forward_is_the_rollout_path_with_resets_at_episode_starts():
    policy = _small_policy()
    obs = _obs(policy, 3, 6)
    ref, state, none = policy.new_state(3), None, torch.zeros(3)
    with torch.no_grad():
        for t in range(6):
            a2, v2, lp2, state = policy.forward(obs[t], state, none)
            _, v, lp = policy.rollout_step(obs[t], ref, actions=a2)  # the same keys' log-probs
            assert torch.allclose(lp, lp2, atol=1e-5) and torch.allclose(v, v2, atol=1e-5)
        _, carried, _, _ = policy.forward(obs[0], state, none)
        _, fresh, _, _ = policy.forward(obs[0], None, none)
        starts = torch.tensor([1.0, 0.0, 1.0])
        _, reset, _, _ = policy.forward(obs[0], state, starts)
    assert not torch.allclose(carried, fresh, atol=1e-3)  # the state carries history
    assert torch.allclose(reset[[0, 2]], fresh[[0, 2]], atol=1e-5)  # episode starts forget it


def test_predict_takes_one_observation_or_a_batch_and_stock_paths_refuse():
    policy = _small_policy()
    obs = _obs(policy, 3, 1)[0].numpy()
    keys, state = policy.predict(obs[0])
    assert keys.shape == (10,) and state["h"].shape[1] == 1
    keys, state = policy.predict(obs, episode_start=np.ones(3, bool), deterministic=True)
    assert keys.shape == (3, 10) and set(np.unique(keys)) <= {0.0, 1.0}
    h = torch.zeros(1, 3, 32)
    for stock in (policy.predict_values, policy.get_distribution):
        with pytest.raises(NotImplementedError, match="predict"):
            stock(torch.as_tensor(obs), (h, h), torch.zeros(3))
