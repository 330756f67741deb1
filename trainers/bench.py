"""``brawl-league bench train``: steady-state training speed of a preset.

Runs the real trainer (league, env, opponents, updates) in a temporary directory, drops the first
rollout and update (compilation and warm-up), then measures for a fixed wall time: env-steps per
second, the learner's share of the wall time (PPO updates, as opposed to collecting rollouts), and
the process's peak memory.
"""

from __future__ import annotations

import os
import platform
import resource
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any


def run_train_bench(preset: str = "smoke", seconds: float = 60.0, overrides: list[str] = (),
                    device: str | None = None) -> dict[str, Any]:
    from league.store import League
    from trainers.base import ProgressHook
    from trainers.registry import trainer_class

    cls = trainer_class("transformer-lstm-ppo")
    sets = list(overrides) + ["run.total_steps=1000000000", "run.eval_every=1000000000",
                              "run.checkpoint_every=1000000000", "run.debug_logging=false"]
    if device:
        sets.append(f"device={device}")
    config = cls.load_config(preset, None, sets)
    marks: list[tuple[float, int, float]] = []

    class Timer(ProgressHook):
        def _on_progress(self, p):
            marks.append((time.perf_counter(), p.steps, p.metrics.get("charts/learner_share", 0.0)))
            return len(marks) < 2 or marks[-1][0] - marks[1][0] < seconds

    with tempfile.TemporaryDirectory(prefix="brawl-bench-train-") as tmp:
        run_dir = Path(tmp) / "run"
        league = League.open(Path(tmp) / "league", create=True)
        summary = cls(config, run_dir, league, Timer()).train()
    if len(marks) < 3:
        raise RuntimeError("the benchmark stopped before two timed rollouts; raise --seconds")
    (t1, s1, _), (t2, s2, _) = marks[1], marks[-1]
    share = marks[-1][2]  # share of wall time spent in PPO updates since training started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    import torch

    gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    return {
        "preset": preset, "overrides": list(overrides), "device": summary["device"],
        "steps_per_s": (s2 - s1) / (t2 - t1), "timed_steps": s2 - s1, "timed_s": t2 - t1,
        "frames_per_s": (s2 - s1) / (t2 - t1) * config.model.action_repeat,
        "learner_share": share, "peak_rss_mb": peak_mb, "peak_gpu_mb": gpu_mb,
        "model": config.model.model_dump(), "ppo": config.ppo.model_dump(),
        "cores": os.cpu_count(), "cpu": _cpu(), "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "python": platform.python_version(), "torch": torch.__version__,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _cpu() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
