"""The run folder's layout, written by a trainer plugin and read by the report and the agent parser.

``runs/<run>/`` holds ``config.toml`` (the run's whole config), ``monitor.csv``, ``evaluation_results.csv``,
``behavior_metrics.csv`` and ``reward_breakdown.csv`` (see docs/trainer.md, "The run directory"), the
league (``league_db/``, see :mod:`league.folders`) and ``checkpoints/rl_model_<steps>_steps.zip``.
"""

from __future__ import annotations

import re
from pathlib import Path

CONFIG = "config.toml"
MONITOR = "monitor.csv"
EVALUATIONS = "evaluation_results.csv"
BEHAVIOR = "behavior_metrics.csv"
REWARDS = "reward_breakdown.csv"
#: every file of a run the report reads
FILES = (CONFIG, MONITOR, EVALUATIONS, BEHAVIOR, REWARDS)
CHECKPOINTS = "checkpoints"

_CHECKPOINT = re.compile(r"rl_model_(\d+)_steps\.zip")


def checkpoint_path(run_dir: str | Path, steps: int) -> Path:
    """Where the checkpoint of ``steps`` steps goes."""
    return Path(run_dir) / CHECKPOINTS / f"rl_model_{int(steps)}_steps.zip"


def checkpoint_steps(path: str | Path) -> int | None:
    """The step count of a checkpoint file's name (``rl_model_<steps>_steps.zip``), or None."""
    m = _CHECKPOINT.fullmatch(Path(path).name)
    return int(m.group(1)) if m else None


def checkpoints(run_dir: str | Path) -> list[tuple[int, Path]]:
    """``(steps, path)`` of every complete checkpoint of a run, oldest first (temporary files skipped)."""
    found = [(checkpoint_steps(p), p) for p in (Path(run_dir) / CHECKPOINTS).glob("rl_model_*_steps.zip")]
    return sorted((s, p) for s, p in found if s is not None)
