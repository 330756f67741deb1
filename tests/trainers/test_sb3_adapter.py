"""The SB3 internals the trainer relies on (``trainers.transformer_lstm_ppo.sb3_adapter``) hold in the
installed stable-baselines3 and sb3-contrib: an upgrade that renames or changes one fails here, in one
place, before a run trains on a silently broken learner."""

from __future__ import annotations

import io
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
import torch
from stable_baselines3.common.callbacks import BaseCallback

from trainers.transformer_lstm_ppo import sb3_adapter as sb3

ROOT = Path(__file__).resolve().parents[2]
SMALL = dict(
    lstm_hidden_size=32,
    features_extractor_kwargs=dict(frame_dim=32, d_model=32, heads=4, layers=2, window=16, ffn=64),
)


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".")[:2])


class _Nop(BaseCallback):
    def _on_step(self) -> bool:
        return True


def _model(**kw):
    from brawl_env.interop import sb3_vec_env
    from trainers.transformer_lstm_ppo.algo import TransformerLSTMPPO

    env = sb3_vec_env(num_matches=2, seed=0, rewards="guide", max_frames=40)  # 4 envs: a seat each
    return TransformerLSTMPPO(
        env=env, n_steps=24, batch_size=48, n_epochs=1, seed=0, policy_kwargs=SMALL, device="cpu", **kw
    )


@pytest.mark.parametrize("dist", ["stable-baselines3", "sb3-contrib"])
def test_the_installed_release_meets_the_floor_pyproject_states(dist):
    floor = _release(sb3.SB3_FLOOR)
    assert _release(metadata.version(dist)) >= floor
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + sum(project["optional-dependencies"].values(), [])
    mine = [s.replace(" ", "") for s in specs if s.split(">")[0].split("=")[0].strip() == dist]
    assert mine and all(s == f"{dist}>={sb3.SB3_FLOOR}" for s in mine), mine


def test_the_hooks_the_learner_overrides_exist_in_recurrent_ppo():
    from sb3_contrib import RecurrentPPO

    from trainers.transformer_lstm_ppo.algo import TransformerLSTMPPO

    for name in sb3.OVERRIDDEN_HOOKS:
        assert callable(getattr(RecurrentPPO, name, None)), name
        assert name in vars(TransformerLSTMPPO), name
    # the attributes the adapter reads and writes, as SB3 creates them
    model = _model()
    for name in (
        "_last_obs",
        "_last_episode_starts",
        "_n_updates",
        "_current_progress_remaining",
        "lr_schedule",
    ):
        assert hasattr(model, name), name
    assert model._current_progress_remaining == 1.0 and sb3.update_count(model) == 0


def test_schedules_are_float_schedules_read_at_the_progress_remaining():
    from stable_baselines3.common.utils import FloatSchedule

    model = _model(learning_rate=lambda p: 1e-3 * (1.0 + p), clip_range=0.3)
    assert isinstance(model.clip_range, FloatSchedule) and model.clip_range(0.5) == pytest.approx(0.3)
    assert model.lr_schedule(1.0) == pytest.approx(2e-3)
    assert sb3.progress_remaining(model) == 1.0
    model.learn(model.n_envs * model.n_steps, callback=_Nop())  # one rollout, then one update at progress 0
    assert sb3.progress_remaining(model) == pytest.approx(0.0)
    assert model.policy.optimizer.param_groups[0]["lr"] == pytest.approx(1e-3)  # update_learning_rate
    assert sb3.update_count(model) == 1  # learn() ran our train(): one epoch
    sb3.set_update_count(model, 7)
    assert sb3.update_count(model) == 7


def test_prepare_learn_resets_the_env_and_the_last_step_round_trips():
    model = _model()
    with pytest.raises(RuntimeError, match="no observation yet"):
        sb3.last_step(model)
    callback = sb3.prepare_learn(model, 1_000, _Nop())
    assert isinstance(callback, BaseCallback) and callback.model is model
    obs, starts = sb3.last_step(model)
    assert obs.shape == (4, *model.observation_space.shape) and starts.dtype == bool and starts.all()
    sb3.set_last_step(model, obs + 1.0, np.array([False, True, False, True]))
    obs2, starts2 = sb3.last_step(model)
    assert np.array_equal(obs2, obs + 1.0) and starts2.tolist() == [False, True, False, True]
    assert model.collect_rollouts(model.env, callback, model.rollout_buffer, model.n_steps)
    obs3, _ = sb3.last_step(model)
    assert not np.array_equal(obs3, obs2)  # the rollout moved it on


def test_record_episodes_fills_the_buffer_sb3_logs():
    model = _model()
    sb3.prepare_learn(model, 1_000)
    before = len(model.ep_info_buffer)
    sb3.record_episodes(model, [{"episode": {"r": 1.5, "l": 30, "t": 0.1}}, {}], np.array([True, False]))
    assert len(model.ep_info_buffer) == before + 1 and model.ep_info_buffer[-1]["r"] == 1.5


def test_a_save_holds_the_members_the_checkpoint_reader_takes():
    model = _model()
    buf = io.BytesIO()
    model.save(buf)
    names = set(zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist())
    assert {sb3.POLICY_MEMBER, sb3.OPTIMIZER_MEMBER} <= names
    data = zipfile.ZipFile(io.BytesIO(buf.getvalue())).read("data").decode()
    assert '"_state"' not in data and '"_teacher"' not in data  # _excluded_save_params is honoured


def test_model_predict_acts_through_the_policy_state():
    model = _model()
    obs = model.env.reset()
    keys, state = model.predict(obs, state=None, episode_start=np.ones(4, bool))
    assert keys.shape == (4, 10) and set(np.unique(keys)) <= {0.0, 1.0}
    assert isinstance(state, dict) and state["h"].shape[1] == 4
    assert bool(state["cache"].valid.any())  # the encoder's window holds the frame just seen
    with torch.no_grad():
        keys2, state2 = model.predict(obs, state=state, deterministic=True)
    assert state2 is state and keys2.shape == (4, 10)
