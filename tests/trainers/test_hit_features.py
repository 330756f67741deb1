"""The hit features (model.hit_features) say what the bots' own hit test says, frame by frame of real
games, and a model with them trains, saves, loads and plays like any other."""

from __future__ import annotations

import numpy as np
import torch

from brawl_env.bots import bot_agent
from brawl_env.bots.tactics import Snapshot, hits
from brawl_env.match import Lanes
from brawl_env.view import ObsView
from trainers.transformer_lstm_ppo.config import build_config
from trainers.transformer_lstm_ppo.hit_features import N_HIT_FEATURES, HitFeatures
from trainers.transformer_lstm_ppo.policy import PolicyRunner, build_policy


class _Recorder:
    """Plays ``inner`` and keeps every observation it was shown."""

    def __init__(self, inner):
        self.inner, self.name, self.seen = inner, inner.name, []

    def reset_rows(self, rows, seeds=None):
        self.inner.reset_rows(rows, seeds)

    def act(self, obs, rows):
        self.seen.append(np.array(obs))
        return self.inner.act(obs, rows)


def _observations(games: int = 2, frames: int = 450) -> np.ndarray:
    """Observations from both sides of real fights (ArmoryBot against SpacerBot: moves, weapons, air)."""
    lanes = Lanes([11 + k for k in range(games)], max_frames=frames)
    rows = np.arange(games)
    a, b = _Recorder(bot_agent("ArmoryBot")), _Recorder(bot_agent("SpacerBot"))
    lanes.seat(a, rows, rows % 2)
    lanes.seat(b, rows, 1 - rows % 2)
    lanes.run()
    return np.concatenate(a.seen + b.seen)


def _expected(obs: np.ndarray) -> np.ndarray:
    """The bots' answers: tactics.hits for each slot and side, mine then the opponent's."""
    out = np.zeros((len(obs), N_HIT_FEATURES), bool)
    for i, o in enumerate(obs):
        mine = Snapshot(ObsView(o))
        theirs = Snapshot(ObsView(_swap(o)))
        for j, s in enumerate((mine, theirs)):
            for d, toward in enumerate((1, -1)):
                for slot in range(1, 12):
                    out[i, 22 * j + 11 * d + slot - 1] = hits(s, slot, toward)
    return out


def _swap(o: np.ndarray) -> np.ndarray:
    """The same frame with the two player blocks exchanged (the opponent's point of view of the bodies)."""
    from brawl_env.engine.obs import OPP_BASE, PLAYER_BLOCK

    s = o.copy()
    s[:PLAYER_BLOCK], s[OPP_BASE : OPP_BASE + PLAYER_BLOCK] = (
        o[OPP_BASE : OPP_BASE + PLAYER_BLOCK],
        o[:PLAYER_BLOCK],
    )
    return s


def test_hit_features_agree_with_the_bots_hit_test_on_real_games():
    obs = _observations()
    got = HitFeatures()(torch.as_tensor(obs)).numpy() > 0.5
    want = _expected(obs)
    assert want[:, :22].any(axis=1).mean() > 0.05  # real fights: my moves would land on many frames
    assert want[:, 22:].any(axis=1).mean() > 0.05  # and so would the opponent's
    # float32 here, float64 in the bots: only a hit box's exact edge may be read differently
    assert (got != want).mean() < 1e-3, np.argwhere(got != want)[:10]


def test_a_model_with_hit_features_reads_them_and_plays():
    model = build_config("smoke", None, []).model.model_copy(update={"hit_features": True})
    torch.manual_seed(0)
    policy = build_policy(model, "cpu")
    fx = policy.features_extractor
    obs = torch.as_tensor(_observations(games=2, frames=120)[:64])
    assert fx.frame[0].in_features == obs.shape[1] + N_HIT_FEATURES
    # the flags change the frame features: the same frame with them off gives other features
    with torch.no_grad():
        on = fx.frame(fx.frame_input(obs))
        off = fx.frame(torch.cat([obs, torch.zeros(len(obs), N_HIT_FEATURES)], dim=-1))
    assert not torch.allclose(on, off)
    policy.set_training_mode(False)
    runner = PolicyRunner(policy, rows=4, repeat=1)
    runner.reset_rows(np.arange(4))
    keys = runner.act(obs[:4].numpy(), np.arange(4))
    assert keys.shape == (4, 10) and set(np.unique(keys)) <= {0, 1}
