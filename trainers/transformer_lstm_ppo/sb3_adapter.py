"""The one place the trainer reaches below SB3's and sb3-contrib's public API.

Why it exists: :class:`~.algo.TransformerLSTMPPO` keeps RecurrentPPO's ``learn``, callbacks, logger and
``save``/``load`` but replaces its rollouts and updates, and those must read and write the state the
stock methods keep in private attributes (the last observation, the update counter, the progress that
drives the schedules ...). Every such access goes through a function here, each naming the SB3 attribute
it relies on and the release that has it, so an SB3 upgrade that renames one breaks one module, and
``tests/trainers/test_sb3_adapter.py`` checks every assumption against the installed SB3.

**Version floor: stable-baselines3 >= 2.7 and sb3-contrib >= 2.7** (``pyproject.toml``). 2.7 added
``stable_baselines3.common.utils.FloatSchedule``, which RecurrentPPO itself uses for its schedules since
then (``get_schedule_fn``, the older spelling, warns as deprecated), and which our checkpoints' pickled
``data`` member names: ``RecurrentPPO.load`` of one of our checkpoints needs 2.7 or later too. Everything
else used here is older (SB3 0.6 to 1.4, as each function says). Tested with 2.9.2.

The SB3 methods :class:`~.algo.TransformerLSTMPPO` overrides are SB3's extension points for algorithm
subclasses, listed in :data:`OVERRIDDEN_HOOKS` so the test can check they still exist and are still
called by ``learn`` and ``save``. Nothing here is imported at module import time: the checkpoint reader
takes :data:`POLICY_MEMBER` from here without loading SB3.
"""

from __future__ import annotations

from typing import Any

import numpy as np

SB3_FLOOR = "2.7"
"""The oldest stable-baselines3 and sb3-contrib release the trainer works with (module docstring)."""

OVERRIDDEN_HOOKS = ("_setup_model", "collect_rollouts", "train", "_excluded_save_params")
"""RecurrentPPO methods :class:`~.algo.TransformerLSTMPPO` overrides (SB3 0.9 or older; RecurrentPPO itself
since sb3-contrib 1.5)."""

POLICY_MEMBER = "policy.pth"
"""The policy's ``state_dict`` inside an SB3 save zip (``BaseAlgorithm.save``: one ``<name>.pth`` per entry
of ``_get_torch_save_params``; ``policy`` since SB3 0.9)."""

OPTIMIZER_MEMBER = "policy.optimizer.pth"
"""The optimizer's ``state_dict`` inside an SB3 save zip (``policy.optimizer``, since SB3 0.9)."""


def setup_schedules(algo: Any) -> None:
    """What RecurrentPPO's own ``_setup_model`` does for schedules, for an override that builds its own
    policy and buffer: ``algo.lr_schedule`` from ``learning_rate`` (``BaseAlgorithm._setup_lr_schedule``,
    SB3 0.6) and ``clip_range`` / ``clip_range_vf`` as ``FloatSchedule`` (SB3 2.7; a float or a schedule
    in, a picklable callable of the progress remaining out)."""
    from stable_baselines3.common.utils import FloatSchedule

    algo._setup_lr_schedule()
    algo.clip_range = FloatSchedule(algo.clip_range)
    if algo.clip_range_vf is not None:
        algo.clip_range_vf = FloatSchedule(algo.clip_range_vf)


def prepare_learn(algo: Any, total_timesteps: int, callback: Any = None) -> Any:
    """What ``learn`` does before its first rollout (``BaseAlgorithm._setup_learn``, SB3 0.6: resets the
    env into ``_last_obs``, sets the logger, wraps ``callback``); returns the callback to pass to
    ``collect_rollouts``. For tests and benchmarks that drive rollouts by hand."""
    _, callback = algo._setup_learn(total_timesteps, callback, reset_num_timesteps=True, progress_bar=False)
    return callback


def last_step(algo: Any) -> tuple[np.ndarray, np.ndarray]:
    """The observation the next rollout step acts on and which envs start an episode with it
    (``_last_obs``, SB3 0.6, and ``_last_episode_starts``, SB3 1.1; set by ``_setup_learn`` and kept across rollouts)."""
    if algo._last_obs is None:
        raise RuntimeError("no observation yet: learn() (or prepare_learn) resets the env first")
    return np.asarray(algo._last_obs), np.asarray(algo._last_episode_starts, dtype=bool)


def set_last_step(algo: Any, obs: np.ndarray, episode_starts: np.ndarray) -> None:
    """After a step: the new observation and the envs whose episode just ended (their next frame starts
    one), where SB3 keeps them for the next rollout (``_last_obs``, SB3 0.6; ``_last_episode_starts``, SB3 1.1)."""
    algo._last_obs = obs
    algo._last_episode_starts = episode_starts


def record_episodes(algo: Any, infos: list[dict], dones: np.ndarray) -> None:
    """Finished episodes' ``info["episode"]`` into ``algo.ep_info_buffer``, which SB3's logger averages
    into ``rollout/ep_rew_mean`` (``BaseAlgorithm._update_info_buffer(infos, dones)``, SB3 1.4)."""
    algo._update_info_buffer(infos, dones)


def update_learning_rate(algo: Any) -> None:
    """Set the optimizer's learning rate from the schedule at the current progress, and log it
    (``BaseAlgorithm._update_learning_rate``, SB3 0.6)."""
    algo._update_learning_rate(algo.policy.optimizer)


def progress_remaining(algo: Any) -> float:
    """1 at the start of ``learn``, 0 at its end: what schedules are called with
    (``_current_progress_remaining``, SB3 0.7; updated by ``learn`` after each rollout)."""
    return float(algo._current_progress_remaining)


def update_count(algo: Any) -> int:
    """Epochs of updates done over the run, as SB3 logs ``train/n_updates`` (``_n_updates``, SB3 0.6)."""
    return int(algo._n_updates)


def set_update_count(algo: Any, n: int) -> None:
    """Set ``_n_updates`` (SB3 0.6): one more after each epoch, or a resumed run's count."""
    algo._n_updates = int(n)
