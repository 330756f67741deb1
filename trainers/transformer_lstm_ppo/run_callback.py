"""The SB3 callback of a ``transformer-lstm-ppo`` run: it writes the run's files (``monitor.csv``,
``reward_breakdown.csv``, ``behavior_metrics.csv``, ``evaluation_results.csv``), records training matches
into the league, and makes checkpoints, snapshots and evaluations at their cadences, reporting progress
to the trainer's hook.

A module of its own because it subclasses SB3's ``BaseCallback`` at import time: the plugin module stays
importable without torch and SB3 (config checks, listing trainers) and imports this one when training
starts.
"""

from __future__ import annotations

import csv
import json
import logging
import time
from collections import defaultdict, deque
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback

from brawl_env.files import atomic_write
from league import run_folder as RF
from league.run_folder import checkpoints

from ..base import Progress, Trainer
from . import sb3_adapter as sb3

log = logging.getLogger(__name__)


class _CsvLog:
    """Append rows to a CSV file with a fixed header, flushing each write (a crash loses nothing)."""

    def __init__(self, path: Path, header: list[str], preamble: str | None = None):
        self.path, self.header = path, header
        new = not path.exists() or path.stat().st_size == 0
        self.fh = open(path, "a", newline="")
        self.writer = csv.writer(self.fh)
        if new:
            if preamble:
                self.fh.write(preamble + "\n")
            self.writer.writerow(header)
            self.fh.flush()

    def write(self, row: dict) -> None:
        self.writer.writerow([_fmt(row.get(h, "")) for h in self.header])
        self.fh.flush()

    def size(self) -> int:
        """Bytes written so far (every row is flushed): where a resume from now would cut the file."""
        return self.fh.tell()

    def close(self) -> None:
        self.fh.close()


def _fmt(v):
    return f"{v:.6g}" if isinstance(v, float) else v


BEHAVIOR_COLUMNS = [
    "episode",
    "step",
    "damage_dealt",
    "damage_taken",
    "damage_ratio",
    "knockouts_dealt",
    "knockouts_taken",
    "weapon_pickups",
    "attacks_started",
    "hits_landed",
    "time_alive_s",
    "result",
    "opponent",
    "opponent_kind",
    "slot",
]
EVAL_COLUMNS = [
    "step",
    "opponent",
    "games",
    "win_rate",
    "draw_rate",
    "avg_damage_dealt",
    "avg_damage_taken",
    "avg_knockouts",
    "avg_knocked_out",
    "avg_time_s",
    "learner_elo",
    "wall_s",
]


def evaluate_bots(
    policy, bots, games: int, seed: int, action_repeat: int, seed_offset: int = 7919
) -> dict[str, list[dict]]:
    """Seeded matches of the policy (sampling its actions from a seeded torch generator) against each
    bot, all in one batch, under the tournament's default rules (2,700 frames, 3 stocks, no
    tie-break): what users judge an agent by, whatever rules it trained under."""
    import torch

    from brawl_env.config import EnvConfig
    from trainers.evaluate import play_bots

    from .policy import PolicyRunner

    rules = EnvConfig()
    devices = [policy.device] if policy.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed + seed_offset)
        runner = PolicyRunner(
            policy, len(bots) * games, deterministic=False, name="learner", repeat=action_repeat
        )
        return play_bots(
            runner,
            tuple(bots),
            games,
            seed=seed + seed_offset,
            max_frames=rules.max_frames,
            stocks=rules.stocks,
            damage_tiebreak=rules.damage_tiebreak,
        )


class RunCallback(BaseCallback):
    """SB3's callback hooks (``_on_training_start``, ``_on_rollout_start``, ``_on_step``,
    ``_on_rollout_end``) drive the run's files, cadences and progress reports; :meth:`finish` closes them.

    :param trainer: the running plugin (config, run directory, league, model, hook).
    :param state: the training state of the checkpoint a resumed run continues from (None: a new run).
    """

    def __init__(self, trainer: Trainer, state: dict | None = None):
        super().__init__()
        self.t = trainer
        cfg = trainer.config
        rd = trainer.run_dir
        self.debug = cfg.run.debug_logging
        self.monitor = _CsvLog(
            rd / RF.MONITOR,
            ["r", "l", "t"],
            preamble="#" + json.dumps({"t_start": time.time(), "env_id": "brawl_v0"}),
        )
        self.behavior = _CsvLog(rd / RF.BEHAVIOR, BEHAVIOR_COLUMNS) if self.debug else None
        self.rewards = (
            _CsvLog(
                rd / RF.REWARDS,
                ["episode", "step", "opponent", "total"] + list(trainer.league_env.reward_names),
            )
            if self.debug
            else None
        )
        self.evals = _CsvLog(rd / RF.EVALUATIONS, EVAL_COLUMNS)
        self.episodes = state["episodes"] if state else self._count_rows(rd / RF.MONITOR)
        self.t_offset = state["elapsed_s"] if state else 0.0  # monitor.csv's t continues across resumes
        self.last_eval_step = state["last_eval_step"] if state else 0
        self.last_snapshot_step = state.get("last_snapshot_step", 0) if state else 0
        self.pending_matches: list[dict] = []
        self.recent = defaultdict(lambda: deque(maxlen=100))  # opponent kind -> results (1/0.5/0)
        self.returns = deque(maxlen=100)
        self.last_checkpoint: Path | None = None
        self.last_eval: dict | None = None
        self.t0 = time.perf_counter()
        self.steps0 = None
        self.deadline: float | None = None  # run.max_minutes, set when training starts
        self.out_of_time = False
        self.learn_s = 0.0
        self._train_t0: float | None = None  # when the running update started
        self.spent: dict[str, float] = defaultdict(float)  # wall seconds by part (see times())

    @staticmethod
    def _count_rows(path: Path) -> int:
        if not path.exists():
            return 0
        with open(path) as fh:
            return max(sum(1 for _ in fh) - 2, 0)

    # SB3 hooks ------------------------------------------------------------------------------------------------
    def _on_training_start(self) -> None:
        self.steps0 = self.num_timesteps
        minutes = self.t.config.run.max_minutes
        self.deadline = time.perf_counter() + 60.0 * minutes if minutes > 0 else None
        self.out_of_time = False
        self.spent["startup"] = time.perf_counter() - self.t.t_begin

    def _on_rollout_start(self) -> None:
        self._end_update()

    def _end_update(self) -> None:
        if self._train_t0 is not None:
            self.learn_s += time.perf_counter() - self._train_t0
            self._train_t0 = None

    def _on_rollout_end(self) -> None:
        self._flush_matches()
        progress = self.progress()
        self._train_t0 = time.perf_counter()  # the update starts now
        if not self.t.hook.on_progress(progress):
            raise KeyboardInterrupt  # the hook asked to stop: stop like Ctrl-C (checkpoint, clean exit)

    def _on_step(self) -> bool:
        t0 = time.perf_counter()
        infos = self.locals.get("infos", [])
        for info in infos:
            if "brawl" in info:
                self._episode(info)
        run = self.t.config.run
        n = self.num_timesteps
        step = self.training_env.num_envs
        self.spent["episode_logs"] += time.perf_counter() - t0
        # the checkpoint last, so that it holds everything done at its step (a resume redoes nothing twice)
        if n % run.eval_every < step:
            self._evaluate(n - n % run.eval_every)
        if n % run.snapshot_every < step:
            self._snapshot(n - n % run.snapshot_every)
        if n % run.checkpoint_every < step:
            self._checkpoint(n - n % run.checkpoint_every)
        if self.deadline is not None and time.perf_counter() >= self.deadline:
            self.out_of_time = (
                True  # run.max_minutes: SB3 ends learn() cleanly; finish() saves the checkpoint
            )
            log.info("run.max_minutes (%g) reached at %d steps: stopping", run.max_minutes, n)
            return False
        return True

    def catch_up(self) -> None:
        """On resume: an evaluation or snapshot due at the checkpoint's step that the stop interrupted
        (a Ctrl-C mid-evaluation saves a checkpoint at that step) is made now, and the checkpoint
        rewritten."""
        n = int(self.t.model.num_timesteps)
        evaluate, snapshot = self.t.config.run.missed(n, self.last_eval_step, self.last_snapshot_step)
        if evaluate:
            self._evaluate(n)
        if snapshot:
            self._snapshot(n)
        if evaluate or snapshot:
            self._checkpoint(n)

    @contextmanager
    def _timing(self, part: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.spent[part] += time.perf_counter() - t0

    def times(self) -> dict[str, float]:
        """Where the run's wall time went, in seconds: ``startup`` (config to the first step: env, model,
        league), ``updates`` (PPO), ``evaluation``, ``checkpoints``, ``snapshots``, ``league_writes``
        (training matches recorded after each rollout), ``episode_logs`` (per-episode CSV rows), and
        ``rollouts`` (the rest of the time since the first step: acting and stepping the game)."""
        total = time.perf_counter() - self.t.t_begin
        out = {k: round(v, 3) for k, v in self.spent.items()}
        out["updates"] = round(self.learn_s, 3)
        out["rollouts"] = round(max(total - sum(self.spent.values()) - self.learn_s, 0.0), 3)
        out["total"] = round(total, 3)
        return out

    # per episode --------------------------------------------------------------------------------------------
    def _episode(self, info: dict) -> None:
        b, ep = info["brawl"], info.get("episode", {})
        self.episodes += 1
        self.monitor.write(
            {
                "r": float(ep.get("r", 0.0)),
                "l": int(ep.get("l", b.get("frames", 0))),
                "t": round(self.t_offset + float(ep.get("t", 0.0)), 6),
            }
        )
        self.returns.append(float(ep.get("r", 0.0)))
        score = {"win": 1.0, "draw": 0.5, "loss": 0.0}[b["result"]]
        self.recent[b["opponent_kind"]].append(score)
        st = b["stats"]
        if self.behavior is not None:
            taken = st["damage_taken"]
            self.behavior.write(
                {
                    "episode": self.episodes,
                    "step": self.num_timesteps,
                    "damage_dealt": st["damage_dealt"],
                    "damage_taken": taken,
                    "damage_ratio": st["damage_dealt"] / max(taken, 1.0),
                    "knockouts_dealt": st["knockouts_dealt"],
                    "knockouts_taken": st["knockouts_taken"],
                    "weapon_pickups": st["weapon_pickups"],
                    "attacks_started": st["attacks_started"],
                    "hits_landed": st["hits_landed"],
                    "time_alive_s": st["frames_alive"] / 30.0,
                    "result": b["result"],
                    "opponent": b["opponent_name"],
                    "opponent_kind": b["opponent_kind"],
                    "slot": b["slot"],
                }
            )
        if self.rewards is not None:
            terms = b.get("reward_terms", {})
            row = {
                "episode": self.episodes,
                "step": self.num_timesteps,
                "opponent": b["opponent_name"],
                "total": float(sum(terms.values())),
            }
            row.update({k: float(v) for k, v in terms.items()})
            self.rewards.write(row)
        if b["opponent_kind"] != "mirror":  # a match against itself says nothing about its rating
            self.pending_matches.append(
                dict(
                    a=self.t.learner,
                    b=self._opponent_player(b),
                    result=b["result"],
                    seed=int(b.get("seed", 0)),
                    side_a=int(b["slot"]),
                    stocks=(int(st["stocks_left"]), int(b["opponent_stats"]["stocks_left"])),
                    damage=(st["damage_dealt"], st["damage_taken"]),
                    kos=(int(st["knockouts_dealt"]), int(b["opponent_stats"]["knockouts_dealt"])),
                    frames=int(b["frames"]),
                    source="training",
                )
            )

    def _opponent_player(self, b: dict):
        lg = self.t.league
        if b["opponent_kind"] == "bot":
            return lg.add_bot(b["opponent_name"])
        return lg.player(b["opponent_name"])

    def _flush_matches(self) -> None:
        if self.pending_matches:
            with self._timing("league_writes"):
                self.t.league.record_matches(self.pending_matches)
            self.pending_matches = []

    # cadences ---------------------------------------------------------------------------------------------
    def _train_state(self) -> dict:
        """What a resume needs besides the weights and the optimizer (``checkpoint.TRAIN_STATE``)."""
        model = self.t.model
        rms = getattr(self.t.env, "ret_rms", None)
        logs = (self.monitor, self.behavior, self.rewards, self.evals)
        return {
            "num_timesteps": int(model.num_timesteps),
            "n_updates": sb3.update_count(model),
            "episodes": self.episodes,
            "last_eval_step": self.last_eval_step,
            "last_snapshot_step": self.last_snapshot_step,
            "elapsed_s": round(self.t_offset + time.time() - self.t.league_env.t_start, 6),
            "files": {f.path.name: f.size() for f in logs if f is not None},
            "reward_normaliser": None
            if rms is None
            else {"mean": float(rms.mean), "var": float(rms.var), "count": float(rms.count)},
        }

    def _checkpoint(self, steps: int) -> Path:
        with self._timing("checkpoints"):
            return self._write_checkpoint(steps)

    def _write_checkpoint(self, steps: int) -> Path:
        from .checkpoint import checkpoint_bytes

        self._flush_matches()  # the league holds every game up to the checkpoint
        path = RF.checkpoint_path(self.t.run_dir, steps)
        atomic_write(path, checkpoint_bytes(self.t.model, self.t.config.model, self._train_state()))
        self.last_checkpoint = path
        keep = self.t.config.run.keep_checkpoints
        for _, old in checkpoints(self.t.run_dir)[:-keep]:
            old.unlink(missing_ok=True)
        self.t.hook.on_checkpoint(path, steps)
        return path

    def _snapshot(self, steps: int) -> None:
        self._flush_matches()
        with self._timing("snapshots"):
            lg, name = self.t.league, f"{self.t.run_id}@{steps}"
            taken = {p.name for p in lg.snapshots(run=self.t.run_id, active=None)}
            k = 1
            while name in taken:  # the step was snapshotted before a resume went back past it
                k += 1
                name = f"{self.t.run_id}@{steps}-{k}"
            lg.register_snapshot(
                self.t.snapshot_bytes(),
                step=steps,
                run=self.t.run_id,
                name=name,
                initial=self.t.learner,
                suffix=".pt",
            )
            self.last_snapshot_step = steps

    def _evaluate(self, steps: int) -> None:
        with self._timing("evaluation"):
            self._run_evaluation(steps)

    def _run_evaluation(self, steps: int) -> None:
        from trainers.evaluate import summarise

        t0 = time.perf_counter()
        cfg = self.t.config
        self.t.model.policy.set_training_mode(False)
        by_bot = evaluate_bots(
            self.t.model.policy, cfg.run.eval_bots, cfg.run.eval_games, cfg.seed, cfg.model.action_repeat
        )
        lg = self.t.league
        rows = []
        for bot, results in by_bot.items():
            player = lg.add_bot(bot)
            rows += [
                dict(
                    a=self.t.learner,
                    b=player,
                    result=g["result"],
                    seed=g["seed"],
                    side_a=g["slot"],
                    stocks=(int(g["stats"]["stocks_left"]), int(g["opponent_stats"]["stocks_left"])),
                    damage=(g["stats"]["damage_dealt"], g["stats"]["damage_taken"]),
                    kos=(int(g["stats"]["knockouts_dealt"]), int(g["opponent_stats"]["knockouts_dealt"])),
                    frames=g["frames"],
                    source="evaluation",
                )
                for g in results
            ]
        lg.record_matches(rows)
        elo = lg.rating(self.t.learner).rating
        wall = time.perf_counter() - t0
        summaries = {}
        for bot, results in by_bot.items():
            summary = summarise(results)
            summary.update(step=steps, opponent=bot, learner_elo=elo, wall_s=wall)
            self.evals.write(summary)
            summaries[bot] = summary
        self.last_eval = summaries
        self.last_eval_step = steps

    # reporting ----------------------------------------------------------------------------------------------
    def progress(self) -> Progress:
        elapsed = time.perf_counter() - self.t0
        done = self.num_timesteps - (self.steps0 or 0)
        metrics = {
            "charts/episodes": self.episodes,
            "charts/episodic_return": float(np.mean(self.returns)) if self.returns else None,
            "league/learner_elo": self.t.league.rating(self.t.learner).rating,
            "charts/learner_share": self.learn_s / elapsed if elapsed > 0 else 0.0,
            "charts/last_checkpoint": str(self.last_checkpoint) if self.last_checkpoint else None,
        }
        for kind, results in self.recent.items():
            metrics[f"charts/win_rate_vs_{kind}"] = float(np.mean(results)) if results else None
        for bot, summary in (self.last_eval or {}).items():
            metrics[f"eval/win_rate_vs_{bot}"] = summary["win_rate"]
        for part, seconds in self.times().items():
            metrics[f"time/{part}_s"] = seconds
        return Progress(
            self.num_timesteps, self.t.config.run.total_steps, done / elapsed if elapsed > 0 else 0.0, metrics
        )

    def finish(self, save: bool) -> None:
        self._end_update()  # the last update ran after the last rollout
        self._flush_matches()
        n = int(self.t.model.num_timesteps)
        done = self.last_checkpoint is not None and self.last_checkpoint.name.endswith(f"_{n}_steps.zip")
        if save and n and not done:
            self._checkpoint(n)
        for f in (self.monitor, self.behavior, self.rewards, self.evals):
            if f is not None:
                f.close()
