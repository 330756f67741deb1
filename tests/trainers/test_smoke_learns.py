"""The smoke preset, run as shipped on the CPU (about 2.5 minutes on 2 cores), learns to beat the idle bot.

This is the trainer's end-to-end learning claim: the whole product path (preset file, league opponents,
LeagueVecEnv, encoder + LSTM policy, PPO updates, checkpoint) must produce a policy that, sampling its
own actions, wins at least 80 % of 50 seeded matches against ConstantBot under the run's match rules.
The same network untrained plays the same matches first and wins few of them, so the bar measures what
training added.
"""

from __future__ import annotations

import pytest
import torch
from rich.console import Console

from brawl_league.train_command import train
from trainers.evaluate import summarise
from trainers.transformer_lstm_ppo.algo import TransformerLSTMPPO
from trainers.transformer_lstm_ppo.config import build_config
from trainers.transformer_lstm_ppo.plugin import checkpoints, evaluate_policy
from trainers.transformer_lstm_ppo.policy import TransformerLstmPolicy

GAMES = 50


@pytest.mark.slow
def test_smoke_preset_beats_constantbot_after_its_run(tmp_path):
    summary = train(
        "transformer-lstm-ppo", "smoke", None, [], "cpu", 0, None, str(tmp_path), "smoke", Console(quiet=True)
    )
    cfg = build_config(None, f"{summary['run_dir']}/config.toml")
    assert summary["steps"] >= cfg.run.total_steps and not summary["interrupted"]
    steps, last = checkpoints(summary["run_dir"])[-1]
    model = TransformerLSTMPPO.load(last, device="cpu")
    model.policy.set_training_mode(False)
    after = summarise(evaluate_policy(model.policy, "ConstantBot", GAMES, cfg))

    # the same network untrained, on the same matches: the bar measures what training added
    torch.manual_seed(0)
    untrained = TransformerLstmPolicy(
        model.observation_space, model.action_space, lambda _: 0.0, **model.policy_kwargs
    )
    untrained.set_training_mode(False)
    before = summarise(evaluate_policy(untrained, "ConstantBot", GAMES, cfg))
    print(f"\nvs ConstantBot, untrained: {before}\nafter {steps} steps: {after}")
    assert before["win_rate"] < 0.3
    assert after["games"] == GAMES
    assert after["win_rate"] >= 0.80, after
