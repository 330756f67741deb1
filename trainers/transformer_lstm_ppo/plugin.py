"""The ``transformer-lstm-ppo`` trainer plugin: config in, a run directory out.

A run directory holds, written as the run goes (so a crash loses at most the last few episodes):

- ``config.toml``: the resolved config, written first;
- ``league/``: the run's league (players, matches, Elo, snapshots);
- ``checkpoints/rl_model_<steps>_steps.zip``: SB3 checkpoints at exact step counts, written
  atomically, loadable with ``RecurrentPPO.load`` (also on a CPU-only machine), with a model card and the
  training state our own loader reads (``checkpoint``: never SB3's pickled ``data``);
- ``monitor.csv`` (per episode: return, length, time), ``reward_breakdown.csv`` (per episode: every
  reward term's sum), ``behavior_metrics.csv`` (per episode: damage, knockouts, pickups, attacks, hits,
  time alive, result, opponent) and ``evaluation_results.csv`` (every evaluation: win rate against
  BasedBot over seeded matches, damage, knockouts, time, the learner's Elo).
- ``.train.lock``: held while a process trains the run (``trainers.base.run_lock``).

**Resuming** (``train(resume=True)``) continues from the newest checkpoint, as if the run had stopped there:
weights, optimizer, counters and the reward normaliser come from the checkpoint (read safely); every CSV
is cut back to the bytes it held when the checkpoint was written, so rows of the stretch after it (lost
with the process) go; ``monitor.csv``'s ``t`` continues from the checkpoint's elapsed time; an evaluation
or snapshot due at the checkpoint's step that the stop interrupted is made first; ``config.toml`` is
rewritten with the settings the run now continues under. The env, sampler and torch are seeded from (seed,
step), so a resumed run is reproducible but does not replay its first episodes. The league keeps the games
the lost stretch played (they were played; ratings are a running record of games, not of checkpoints); its
snapshots leave the self-play pool, and a step snapshotted again gets the name ``<run>@<step>-2``.
"""

from __future__ import annotations

import csv
import json
import logging
import time
from collections import defaultdict, deque
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from brawl_env.config import MAX_FRAMES
from brawl_env.files import atomic_write
from league import run_folder as RF
from league.run_folder import checkpoints

from ..base import Progress, ProgressHook, Trainer
from .checkpoint import MAX_FILE_BYTES
from .config import TrainConfig, build_config, to_toml

log = logging.getLogger(__name__)



def resolve_device(requested: str) -> tuple[str, str]:
    """The torch device to use and why (``auto`` prefers CUDA, then Apple's MPS, then the CPU)."""
    import torch

    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda", f"auto: CUDA is available ({torch.cuda.get_device_name(0)})"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps", "auto: no CUDA; Apple MPS is available"
        return "cpu", "auto: no CUDA or MPS device found"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {requested!r} asked for, but torch sees no CUDA device")
    if requested == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("device 'mps' asked for, but torch sees no MPS device")
    return requested, f"as asked (--device {requested})"


class RunFinishedError(ValueError):
    """``--resume`` of a run that already reached its ``run.total_steps``."""


@dataclass(frozen=True)
class Drawn:
    """One opponent draw for the env: ``kind``/``name`` for the logs, ``key`` for the opponent cache."""

    kind: str
    name: str
    key: Any
    draw: Any = None


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


BEHAVIOR_COLUMNS = ["episode", "step", "damage_dealt", "damage_taken", "damage_ratio", "knockouts_dealt",
                    "knockouts_taken", "weapon_pickups", "attacks_started", "hits_landed", "time_alive_s", "result",
                    "opponent", "opponent_kind", "slot"]
EVAL_COLUMNS = ["step", "opponent", "games", "win_rate", "draw_rate", "avg_damage_dealt", "avg_damage_taken",
                "avg_knockouts", "avg_knocked_out", "avg_time_s", "learner_elo", "wall_s"]


class TransformerLstmPPOTrainer(Trainer):
    """Trains the transformer-LSTM recurrent PPO learner against league opponents (module docstring)."""

    name = "transformer-lstm-ppo"
    description = "transformer strategy encoder + 512-unit LSTM, recurrent PPO (sb3-contrib), league opponents"
    resolve_device = staticmethod(resolve_device)
    max_checkpoint_bytes = MAX_FILE_BYTES  # larger files are refused unread (checkpoint.py)

    @classmethod
    def load_config(cls, preset: str | None, config_file: str | None, overrides: list[str]) -> TrainConfig:
        return build_config(preset or ("standard" if config_file is None else None), config_file, list(overrides))

    @classmethod
    def is_checkpoint(cls, path: Path) -> bool:
        """Run checkpoints (``.zip``) and league snapshots (``.pt``): see ``checkpoint.py``."""
        from .checkpoint import is_checkpoint

        return is_checkpoint(path)

    @classmethod
    def named_agents(cls) -> dict[str, Path]:
        """``Champion``: the run checkpoint shipped in ``champion/champion.zip`` (how it was made:
        ``champion/README.md``), what a new user plays first and the bar new runs are compared with."""
        return {"Champion": Path(__file__).with_name("champion") / "champion.zip"}

    @classmethod
    def load_agent(cls, data: bytes, **kwargs):
        """A checkpoint's bytes as an agent (a ``PolicyRunner``), never unpickling: see ``checkpoint.py``."""
        from .checkpoint import load_agent

        return load_agent(data, **kwargs)

    # -- building blocks ----------------------------------------------------------------------------------
    def _policy_kwargs(self) -> dict:
        from .policy import policy_kwargs

        return policy_kwargs(self.config.model)

    def _new_policy(self):
        from .policy import build_policy

        return build_policy(self.config.model, self.device)

    def snapshot_bytes(self) -> bytes:
        """The learner's weights as a league snapshot (weights only: loading runs no pickled code)."""
        from .checkpoint import snapshot_bytes

        return snapshot_bytes(self.model.policy, self.config.model)

    def _make_opponent(self, drawn: Drawn):
        """The opponent agent of a draw: bots, frozen agents of the mix and league snapshots through the one
        agent parser (``league.agents``), the mirror from the learner's own policy."""
        from league.agents import make_agent

        from .policy import PolicyRunner

        if drawn.kind == "mirror":
            return PolicyRunner(self.model.policy, self.config.ppo.n_envs, name="mirror", kind="mirror",
                                repeat=self.config.model.action_repeat, seed=self.config.seed)
        return make_agent(self.opponent_spec(drawn), device=self.device, seed=self.config.seed)

    def opponent_spec(self, drawn: Drawn):
        """The agent spec of a bot, frozen agent (a checkpoint, Champion) or snapshot draw (the mirror has
        none: it is the learner). A snapshot's file hash is checked by the league; its network is loaded
        by this plugin, never unpickled."""
        from league.agents import parse_agent, snapshot_spec

        if drawn.kind in ("bot", "agent"):
            return parse_agent(drawn.draw.spec, check=False)
        return snapshot_spec(self.league, drawn.draw.player)

    def _choose(self, rng) -> Drawn:
        draw = self.sampler.sample()
        if draw.kind == "bot":
            return Drawn("bot", draw.spec, ("bot", draw.spec), draw)
        if draw.kind == "agent":
            return Drawn("agent", draw.player.name, ("agent", draw.spec), draw)
        if draw.kind == "mirror":
            return Drawn("mirror", "mirror", ("mirror",), draw)
        return Drawn("snapshot", draw.player.name, ("snapshot", draw.player.id), draw)

    # -- the run --------------------------------------------------------------------------------------------
    def train(self, resume: bool = False) -> dict[str, Any]:
        from ..base import run_lock

        self.device, self.device_reason = resolve_device(self.config.device)  # before anything is written
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with run_lock(self.run_dir):
            try:
                return self._train(resume)
            finally:
                env = getattr(self, "league_env", None)
                if env is not None and self.config.run.backend == "ray":
                    env.close()  # the shards' Ray actors (and Ray, if the run started it): also on errors

    def _resume_point(self):
        """The newest checkpoint, loaded safely with its training state; refusals say what to do."""
        from .checkpoint import read_checkpoint, read_file

        cfg = self.config
        found = checkpoints(self.run_dir)
        if not found:
            raise FileNotFoundError(f"--resume: no checkpoints in {self.run_dir / 'checkpoints'}")
        steps, path = found[-1]
        point = read_checkpoint(read_file(path), str(path), training=True)
        state = point.train_state
        if steps >= cfg.run.total_steps and (state is None or not any(
                _due(cfg.run, steps, state["last_eval_step"], state["last_snapshot_step"]))):
            raise RunFinishedError(
                f"--resume: {self.run_dir} is finished: its last checkpoint is at {steps:,} steps and "
                f"run.total_steps is {cfg.run.total_steps:,}. To train it further, give a larger total: "
                f"brawl-league train --resume {self.run_dir} --set run.total_steps=N (N > {steps})")
        if state is None or point.optimizer is None:
            raise ValueError(
                f"--resume: {path} was written before brawl-league saved its training state beside the "
                "weights, so the run cannot continue from it exactly (only SB3's pickled data holds its "
                "counters, and that is never loaded); it still plays as an agent (match, tournament); "
                "start a new run to train further")
        if point.model != cfg.model:
            raise ValueError(f"--resume: the model sizes of {self.run_dir / 'config.toml'} differ from those "
                             f"its checkpoint {path.name} was trained with ({point.model}); resume with the "
                             "run's own model settings")
        if point.train_state["num_timesteps"] != steps:
            raise ValueError(f"--resume: {path.name} holds training state for "
                             f"{point.train_state['num_timesteps']} steps, not {steps}")
        return steps, path, point

    def _train(self, resume: bool) -> dict[str, Any]:
        import torch

        from league.sampler import OpponentSampler
        from trainers.envs import LeagueVecEnv

        from .algo import TransformerLSTMPPO

        cfg: TrainConfig = self.config
        self.t_begin = time.perf_counter()
        point = None
        if resume:
            steps, path, point = self._resume_point()
        (self.run_dir / RF.CHECKPOINTS).mkdir(exist_ok=True)
        atomic_write(self.run_dir / RF.CONFIG, to_toml(cfg).encode())  # resumed settings too
        # a resumed run is seeded from (seed, step): reproducible, without replaying its first episodes
        seed = cfg.seed
        if point is not None:
            seed = int(np.random.SeedSequence([cfg.seed, steps]).generate_state(1)[0])
        torch.manual_seed(seed)
        self.run_id = self.run_dir.name
        self.learner = self._learner_player()
        lg = cfg.league
        self.sampler = OpponentSampler(self.league, mix=lg.get("mix"), strategy=lg.get("strategy"), seed=seed,
                                       learner=self.learner, run=self.run_id, curriculum=lg.get("curriculum"),
                                       pfsp_power=lg.get("pfsp_power"), pfsp_floor=lg.get("pfsp_floor"),
                                       pfsp_window=lg.get("pfsp_window"))
        if cfg.run.backend == "ray":  # the matches in Ray actors (ray_shards.py, trainers/ray_backend.py)
            from .ray_shards import ray_env

            self.env = ray_env(self, seed)
        else:
            self.env = LeagueVecEnv(cfg.ppo.n_envs, env_config=cfg.env, choose_opponent=self._choose,
                                    make_opponent=self._make_opponent, seed=seed,
                                    action_repeat=cfg.model.action_repeat)
        self.league_env = self.env
        if cfg.ppo.normalize_reward:
            from stable_baselines3.common.vec_env import VecNormalize

            # rewards only (observations are already scaled); episode infos keep the raw returns
            self.env = VecNormalize(self.league_env, norm_obs=False, norm_reward=True, gamma=cfg.ppo.gamma)
        p = cfg.ppo
        algo_kwargs = dict(n_steps=p.n_steps, batch_size=p.batch_size, n_epochs=p.n_epochs,
                           learning_rate=p.learning_rate, gamma=p.gamma, gae_lambda=p.gae_lambda,
                           clip_range=p.clip_range, ent_coef=p.ent_coef, vf_coef=p.vf_coef,
                           max_grad_norm=p.max_grad_norm, target_kl=p.target_kl, teacher=p.teacher,
                           teacher_coef=p.teacher_coef, teacher_steps=p.teacher_steps,
                           teacher_drive_steps=p.teacher_drive_steps)
        self.model = TransformerLSTMPPO(env=self.env, bf16=cfg.bf16, seed=seed, device=self.device,
                                        policy_kwargs=self._policy_kwargs(), **algo_kwargs)
        if point is not None:
            self._restore(point)
            log.info("resumed from %s (%d steps)", path, steps)
        callback = _RunCallback(self, point.train_state if point is not None else None)
        self.hook.on_start(self.run_dir, cfg)
        remaining = max(cfg.run.total_steps - self.model.num_timesteps, 0)
        interrupted = False
        try:
            if point is not None:
                callback.catch_up()
            if remaining:
                self.model.learn(remaining, callback=callback, reset_num_timesteps=point is None,
                                 progress_bar=False)
        except KeyboardInterrupt:
            interrupted = True
            log.warning("interrupted: saving a checkpoint at %d steps", self.model.num_timesteps)
        finally:
            callback.finish(save=True)
        summary = {"run_dir": str(self.run_dir), "steps": int(self.model.num_timesteps),
                   "interrupted": interrupted, "out_of_time": callback.out_of_time,
                   "device": self.device, "device_reason": self.device_reason,
                   "last_checkpoint": str(callback.last_checkpoint) if callback.last_checkpoint else None,
                   "learner_elo": self.league.rating(self.learner).rating,
                   "last_eval": callback.last_eval, "time": callback.times()}
        self.hook.on_end(callback.progress())
        return summary

    def _restore(self, point) -> None:
        """Weights, optimizer, counters and the reward normaliser from a checkpoint read safely; the run's
        files and the league's self-play pool back to what they were when it was written."""
        state = point.train_state
        model = self.model
        model.policy.load_state_dict(point.state_dict, strict=True)
        model.policy.optimizer.load_state_dict(point.optimizer)  # torch moves it to the params' device
        model.num_timesteps = state["num_timesteps"]
        model._n_updates = state["n_updates"]
        norm = state.get("reward_normaliser")
        if norm is not None and hasattr(self.env, "ret_rms"):
            rms = self.env.ret_rms
            rms.mean, rms.var = np.float64(norm["mean"]), np.float64(norm["var"])
            rms.count = float(norm["count"])
        for name, size in state["files"].items():
            path = self.run_dir / name
            have = path.stat().st_size if path.exists() else None
            if have is None or have < size:
                log.warning("resume: %s holds %s bytes, fewer than the %d it held at the checkpoint; "
                            "left as is", path, have, size)
            elif have > size:
                with open(path, "r+b") as fh:  # rows after the checkpoint: progress lost with the process
                    fh.truncate(size)
        for snap in self.league.snapshots(run=self.run_dir.name):
            if snap.step is not None and snap.step > state["num_timesteps"]:
                self.league.retire(snap)  # trained in the lost stretch: out of the self-play pool

    def _learner_player(self):
        name = f"learner:{self.run_id}"
        try:
            return self.league.player(name)
        except Exception:
            return self.league.add_player(name, kind="external")


def evaluate_policy(policy, bot: str, games: int, cfg: TrainConfig, seed_offset: int = 7919) -> list[dict]:
    """Seeded matches of the policy (sampling its own action distribution, each game's draws seeded by
    the match) against a bot, under the run's match rules (frame limit, stocks, tie-break)."""
    from league.agents import make_agent, parse_agent
    from trainers.evaluate import play_games

    from .policy import PolicyRunner

    env = cfg.env
    learner = PolicyRunner(policy, games, deterministic=False, name="learner", repeat=cfg.model.action_repeat)
    return play_games(learner, make_agent(parse_agent(bot, check=False), seed=cfg.seed), games,
                      seed=cfg.seed + seed_offset, max_frames=env.get("max_frames", MAX_FRAMES),
                      stocks=env.get("stocks", 3), damage_tiebreak=env.get("damage_tiebreak", False))


def evaluate_bots(policy, bots, games: int, seed: int, action_repeat: int, seed_offset: int = 7919) -> dict[str, list[dict]]:
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
        runner = PolicyRunner(policy, len(bots) * games, deterministic=False, name="learner", repeat=action_repeat)
        return play_bots(runner, tuple(bots), games, seed=seed + seed_offset, max_frames=rules.max_frames,
                         stocks=rules.stocks, damage_tiebreak=rules.damage_tiebreak)


def _due(run, steps: int, last_eval: int, last_snapshot: int) -> tuple[bool, bool]:
    """(evaluation, snapshot): whether one was due at ``steps`` and is missing (a stop cut it short)."""
    return (bool(steps) and steps % run.eval_every == 0 and last_eval < steps,
            bool(steps) and steps % run.snapshot_every == 0 and last_snapshot < steps)


class _RunCallback:
    """SB3 callback (built lazily so this module imports without SB3) that writes the run's files,
    checkpoints, snapshots, evaluates and reports progress."""

    def __new__(cls, trainer: TransformerLstmPPOTrainer, state: dict | None = None):
        from stable_baselines3.common.callbacks import BaseCallback

        class RunCallback(_RunCallbackMixin, BaseCallback):
            pass

        obj = RunCallback()
        obj._setup(trainer, state)
        return obj


class _RunCallbackMixin:
    def _setup(self, trainer: TransformerLstmPPOTrainer, state: dict | None) -> None:
        """``state``: the training state of the checkpoint a resumed run continues from (None: a new run)."""
        self.t = trainer
        cfg = trainer.config
        rd = trainer.run_dir
        self.debug = cfg.run.debug_logging
        self.monitor = _CsvLog(rd / RF.MONITOR, ["r", "l", "t"],
                               preamble="#" + json.dumps({"t_start": time.time(), "env_id": "brawl_v0"}))
        self.behavior = _CsvLog(rd / RF.BEHAVIOR, BEHAVIOR_COLUMNS) if self.debug else None
        self.rewards = (_CsvLog(rd / RF.REWARDS, ["episode", "step", "opponent", "total"]
                                + list(trainer.league_env.reward_names)) if self.debug else None)
        self.evals = _CsvLog(rd / RF.EVALUATIONS, EVAL_COLUMNS)
        self.episodes = state["episodes"] if state else self._count_rows(rd / RF.MONITOR)
        self.t_offset = state["elapsed_s"] if state else 0.0   # monitor.csv's t continues across resumes
        self.last_eval_step = state["last_eval_step"] if state else 0
        self.last_snapshot_step = state.get("last_snapshot_step", 0) if state else 0
        self.pending_matches: list[dict] = []
        self.recent = defaultdict(lambda: deque(maxlen=100))   # opponent kind -> results (1/0.5/0)
        self.returns = deque(maxlen=100)
        self.last_checkpoint: Path | None = None
        self.last_eval: dict | None = None
        self.t0 = time.perf_counter()
        self.steps0 = None
        self.deadline: float | None = None   # run.max_minutes, set when training starts
        self.out_of_time = False
        self.learn_s = 0.0
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
        if getattr(self, "_train_t0", None) is not None:
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
            self.out_of_time = True  # run.max_minutes: SB3 ends learn() cleanly; finish() saves the checkpoint
            log.info("run.max_minutes (%g) reached at %d steps: stopping", run.max_minutes, n)
            return False
        return True

    def catch_up(self) -> None:
        """On resume: an evaluation or snapshot due at the checkpoint's step that the stop interrupted
        (a Ctrl-C mid-evaluation saves a checkpoint at that step) is made now, and the checkpoint
        rewritten."""
        n = int(self.t.model.num_timesteps)
        evaluate, snapshot = _due(self.t.config.run, n, self.last_eval_step, self.last_snapshot_step)
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
        self.monitor.write({"r": float(ep.get("r", 0.0)), "l": int(ep.get("l", b.get("frames", 0))),
                            "t": round(self.t_offset + float(ep.get("t", 0.0)), 6)})
        self.returns.append(float(ep.get("r", 0.0)))
        score = {"win": 1.0, "draw": 0.5, "loss": 0.0}[b["result"]]
        self.recent[b["opponent_kind"]].append(score)
        st = b["stats"]
        if self.behavior is not None:
            taken = st["damage_taken"]
            self.behavior.write({
                "episode": self.episodes, "step": self.num_timesteps, "damage_dealt": st["damage_dealt"],
                "damage_taken": taken, "damage_ratio": st["damage_dealt"] / max(taken, 1.0),
                "knockouts_dealt": st["knockouts_dealt"], "knockouts_taken": st["knockouts_taken"],
                "weapon_pickups": st["weapon_pickups"], "attacks_started": st["attacks_started"],
                "hits_landed": st["hits_landed"], "time_alive_s": st["frames_alive"] / 30.0, "result": b["result"],
                "opponent": b["opponent_name"], "opponent_kind": b["opponent_kind"], "slot": b["slot"]})
        if self.rewards is not None:
            terms = b.get("reward_terms", {})
            row = {"episode": self.episodes, "step": self.num_timesteps, "opponent": b["opponent_name"],
                   "total": float(sum(terms.values()))}
            row.update({k: float(v) for k, v in terms.items()})
            self.rewards.write(row)
        if b["opponent_kind"] != "mirror":  # a match against itself says nothing about its rating
            self.pending_matches.append(dict(
                a=self.t.learner, b=self._opponent_player(b), result=b["result"], seed=int(b.get("seed", 0)),
                side_a=int(b["slot"]), stocks=(int(st["stocks_left"]), int(b["opponent_stats"]["stocks_left"])),
                damage=(st["damage_dealt"], st["damage_taken"]),
                kos=(int(st["knockouts_dealt"]), int(b["opponent_stats"]["knockouts_dealt"])),
                frames=int(b["frames"]), source="training"))

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
        return {"num_timesteps": int(model.num_timesteps), "n_updates": int(model._n_updates),
                "episodes": self.episodes, "last_eval_step": self.last_eval_step,
                "last_snapshot_step": self.last_snapshot_step,
                "elapsed_s": round(self.t_offset + time.time() - self.t.league_env.t_start, 6),
                "files": {f.path.name: f.size() for f in logs if f is not None},
                "reward_normaliser": None if rms is None else {"mean": float(rms.mean), "var": float(rms.var),
                                                               "count": float(rms.count)}}

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
            lg.register_snapshot(self.t.snapshot_bytes(), step=steps, run=self.t.run_id, name=name,
                                 initial=self.t.learner, suffix=".pt")
            self.last_snapshot_step = steps

    def _evaluate(self, steps: int) -> None:
        with self._timing("evaluation"):
            self._run_evaluation(steps)

    def _run_evaluation(self, steps: int) -> None:
        from trainers.evaluate import summarise

        t0 = time.perf_counter()
        cfg = self.t.config
        self.t.model.policy.set_training_mode(False)
        by_bot = evaluate_bots(self.t.model.policy, cfg.run.eval_bots, cfg.run.eval_games, cfg.seed,
                               cfg.model.action_repeat)
        lg = self.t.league
        rows = []
        for bot, results in by_bot.items():
            player = lg.add_bot(bot)
            rows += [dict(a=self.t.learner, b=player, result=g["result"], seed=g["seed"], side_a=g["slot"],
                          stocks=(int(g["stats"]["stocks_left"]), int(g["opponent_stats"]["stocks_left"])),
                          damage=(g["stats"]["damage_dealt"], g["stats"]["damage_taken"]),
                          kos=(int(g["stats"]["knockouts_dealt"]), int(g["opponent_stats"]["knockouts_dealt"])),
                          frames=g["frames"], source="evaluation") for g in results]
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
        metrics = {"charts/episodes": self.episodes,
                   "charts/episodic_return": float(np.mean(self.returns)) if self.returns else None,
                   "league/learner_elo": self.t.league.rating(self.t.learner).rating,
                   "charts/learner_share": self.learn_s / elapsed if elapsed > 0 else 0.0,
                   "charts/last_checkpoint": str(self.last_checkpoint) if self.last_checkpoint else None}
        for kind, results in self.recent.items():
            metrics[f"charts/win_rate_vs_{kind}"] = float(np.mean(results)) if results else None
        for bot, summary in (self.last_eval or {}).items():
            metrics[f"eval/win_rate_vs_{bot}"] = summary["win_rate"]
        for part, seconds in self.times().items():
            metrics[f"time/{part}_s"] = seconds
        return Progress(self.num_timesteps, self.t.config.run.total_steps, done / elapsed if elapsed > 0 else 0.0,
                        metrics)

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


__all__ = ["TransformerLstmPPOTrainer", "ProgressHook", "resolve_device", "checkpoints"]
