"""The learner learns a problem with a known answer (SB3's IdentityEnv habit), and needs its memory
for one that only a recurrent policy can solve."""

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.vec_env import DummyVecEnv

from brawl_env.engine.obs import OBS_DIM, bounds
from trainers.transformer_lstm_ppo.algo import TransformerLSTMPPO

SMALL = dict(
    lstm_hidden_size=32,
    features_extractor_kwargs=dict(frame_dim=32, d_model=32, heads=4, layers=1, window=16, ffn=32),
)


class PressKeyZero(gym.Env):
    """+1 for holding key 0, -1 for key 1, on random observations: the best policy presses 0, never 1."""

    def __init__(self):
        low, high = bounds()
        self.observation_space = spaces.Box(low, high, dtype=np.float32)
        self.action_space = spaces.MultiBinary(10)
        self.t = 0

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self.observation_space.sample(), {}

    def step(self, action):
        self.t += 1
        reward = float(action[0] == 1) - float(action[1] == 1)
        return self.observation_space.sample(), reward, False, self.t >= 50, {}


class RememberTheSign(gym.Env):
    """The first frame shows +1 or -1 in the opponent's x field; ten frames later the agent must press
    key 0 for +1 and key 1 for -1. Every other frame shows zeros, so only memory can solve it."""

    def __init__(self):
        from brawl_env.engine.obs import OPP_BASE, PLAYER_OFFSETS

        low, high = bounds()
        self.observation_space = spaces.Box(low, high, dtype=np.float32)
        self.action_space = spaces.MultiBinary(10)
        self.cue_at = OPP_BASE + PLAYER_OFFSETS["x"]

    def _obs(self, cue):
        o = np.zeros(OBS_DIM, np.float32)
        o[self.cue_at] = cue
        return o

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.sign, self.t = (1.0 if self.np_random.random() < 0.5 else -1.0), 0
        return self._obs(self.sign), {}

    def step(self, action):
        self.t += 1
        reward = 0.0
        if self.t == 10:
            right = 0 if self.sign > 0 else 1
            reward = float(action[right] == 1) - float(action[1 - right] == 1)
        return self._obs(0.0), reward, False, self.t >= 10, {}


def _press_rates(model, env_cls, frames: int, rows: int = 16):
    torch.manual_seed(1234)  # the policy samples its keys: make the evaluation repeatable
    policy = model.policy
    policy.set_training_mode(False)
    state = policy.new_state(rows)
    envs = [env_cls() for _ in range(rows)]
    obs = torch.as_tensor(np.stack([e.reset(seed=i)[0] for i, e in enumerate(envs)]))
    actions = []
    with torch.no_grad():
        for _ in range(frames):
            a, _, _ = policy.rollout_step(obs, state)
            actions.append(a.numpy())
            obs = torch.as_tensor(np.stack([e.step(x)[0] for e, x in zip(envs, a.numpy())]))
    return np.stack(actions), envs


def test_learns_to_press_the_paying_key():
    env = DummyVecEnv([PressKeyZero for _ in range(8)])
    model = TransformerLSTMPPO(
        env=env,
        n_steps=64,
        batch_size=256,
        n_epochs=4,
        learning_rate=1e-3,
        seed=0,
        device="cpu",
        policy_kwargs=SMALL,
    )
    before, _ = _press_rates(model, PressKeyZero, 20)
    model.learn(16_384)
    after, _ = _press_rates(model, PressKeyZero, 20)
    assert before[..., 0].mean() < 0.2
    assert after[..., 0].mean() > 0.6 and after[..., 1].mean() < 0.05


def test_memory_solves_what_the_observation_hides():
    env = DummyVecEnv([RememberTheSign for _ in range(16)])
    model = TransformerLSTMPPO(
        env=env,
        n_steps=40,
        batch_size=320,
        n_epochs=4,
        learning_rate=2e-3,
        seed=0,
        device="cpu",
        ent_coef=0.0,
        policy_kwargs=SMALL,
    )
    model.learn(40_000)
    actions, envs = _press_rates(model, RememberTheSign, 10, rows=256)
    signs = np.array([e.sign for e in envs])
    last = actions[9]
    right = np.where(signs > 0, last[:, 0], last[:, 1])
    wrong = np.where(signs > 0, last[:, 1], last[:, 0])
    # A memoryless policy cannot tell the signs apart: its expected (right - wrong) is 0.
    assert (right - wrong).mean() > 0.3
    assert right.mean() > 2 * wrong.mean()
