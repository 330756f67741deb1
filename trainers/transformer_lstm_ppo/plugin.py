"""The ``transformer-lstm-ppo`` trainer plugin: config in, a run directory out.

A run directory holds, written as the run goes by the SB3 callback ``run_callback.RunCallback`` (so a crash
loses at most the last few episodes):

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

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from brawl_env.files import atomic_write
from league import run_folder as RF
from league.run_folder import checkpoints

from ..base import ProgressHook, Trainer
from . import sb3_adapter as sb3
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
    if requested == "mps" and not (
        getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
    ):
        raise ValueError("device 'mps' asked for, but torch sees no MPS device")
    return requested, f"as asked (--device {requested})"


def set_torch_threads(requested: int, device: str) -> int:
    """Set torch's intra-op CPU threads for a training process and return the number in use.

    ``0`` (auto) means one thread when training on the CPU: the learner's matrices are small (the
    ``standard`` preset's model is 32 wide) and the engine and bots share the process, so on the 2-core
    machine a second thread made training 2.4x slower for ``smoke`` and ``standard`` and no faster for
    the full-size model (docs/benchmarks.md, "Torch threads"). Beside a GPU torch's default is kept.
    """
    import torch

    if requested:
        torch.set_num_threads(int(requested))
    elif device == "cpu":
        torch.set_num_threads(1)
    return torch.get_num_threads()


class RunFinishedError(ValueError):
    """``--resume`` of a run that already reached its ``run.total_steps``."""


@dataclass(frozen=True)
class Drawn:
    """One opponent draw for the env: ``kind``/``name`` for the logs, ``key`` for the opponent cache."""

    kind: str
    name: str
    key: Any
    draw: Any = None


class TransformerLstmPPOTrainer(Trainer):
    """Trains the transformer-LSTM recurrent PPO learner against league opponents (module docstring)."""

    name = "transformer-lstm-ppo"
    description = (
        "transformer strategy encoder + 512-unit LSTM, recurrent PPO (sb3-contrib), league opponents"
    )
    resolve_device = staticmethod(resolve_device)
    max_checkpoint_bytes = MAX_FILE_BYTES  # larger files are refused unread (checkpoint.py)

    @classmethod
    def load_config(cls, preset: str | None, config_file: str | None, overrides: list[str]) -> TrainConfig:
        return build_config(
            preset or ("standard" if config_file is None else None), config_file, list(overrides)
        )

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
            return PolicyRunner(
                self.model.policy,
                self.config.ppo.n_envs,
                name="mirror",
                kind="mirror",
                repeat=self.config.model.action_repeat,
                seed=self.config.seed,
            )
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
        self.torch_threads = set_torch_threads(self.config.torch_threads, self.device)
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
        if steps >= cfg.run.total_steps and (
            state is None
            or not any(cfg.run.missed(steps, state["last_eval_step"], state["last_snapshot_step"]))
        ):
            raise RunFinishedError(
                f"--resume: {self.run_dir} is finished: its last checkpoint is at {steps:,} steps and "
                f"run.total_steps is {cfg.run.total_steps:,}. To train it further, give a larger total: "
                f"brawl-league train --resume {self.run_dir} --set run.total_steps=N (N > {steps})"
            )
        if state is None or point.optimizer is None:
            raise ValueError(
                f"--resume: {path} was written before brawl-league saved its training state beside the "
                "weights, so the run cannot continue from it exactly (only SB3's pickled data holds its "
                "counters, and that is never loaded); it still plays as an agent (match, tournament); "
                "start a new run to train further"
            )
        if point.model != cfg.model:
            raise ValueError(
                f"--resume: the model sizes of {self.run_dir / 'config.toml'} differ from those "
                f"its checkpoint {path.name} was trained with ({point.model}); resume with the "
                "run's own model settings"
            )
        if point.train_state["num_timesteps"] != steps:
            raise ValueError(
                f"--resume: {path.name} holds training state for "
                f"{point.train_state['num_timesteps']} steps, not {steps}"
            )
        return steps, path, point

    def _train(self, resume: bool) -> dict[str, Any]:
        import torch

        from league.sampler import OpponentSampler
        from trainers.envs import LeagueVecEnv

        from .algo import TransformerLSTMPPO
        from .run_callback import RunCallback

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
        self.sampler = OpponentSampler(
            self.league,
            mix=lg.mix,
            strategy=lg.strategy,
            seed=seed,
            recent_k=lg.recent_k,
            learner=self.learner,
            run=self.run_id,
            curriculum=lg.curriculum,
            pfsp_power=lg.pfsp_power,
            pfsp_floor=lg.pfsp_floor,
            pfsp_window=lg.pfsp_window,
        )
        if cfg.run.backend == "ray":  # the matches in Ray actors (ray_shards.py, trainers/ray_backend.py)
            from .ray_shards import ray_env

            self.env = ray_env(self, seed)
        else:
            self.env = LeagueVecEnv(
                cfg.ppo.n_envs,
                env_config=cfg.env,
                choose_opponent=self._choose,
                make_opponent=self._make_opponent,
                seed=seed,
                action_repeat=cfg.model.action_repeat,
            )
        self.league_env = self.env
        if cfg.ppo.normalize_reward:
            from stable_baselines3.common.vec_env import VecNormalize

            # rewards only (observations are already scaled); episode infos keep the raw returns
            self.env = VecNormalize(self.league_env, norm_obs=False, norm_reward=True, gamma=cfg.ppo.gamma)
        p = cfg.ppo
        algo_kwargs = dict(
            n_steps=p.n_steps,
            batch_size=p.batch_size,
            n_epochs=p.n_epochs,
            learning_rate=p.learning_rate,
            gamma=p.gamma,
            gae_lambda=p.gae_lambda,
            clip_range=p.clip_range,
            ent_coef=p.ent_coef,
            vf_coef=p.vf_coef,
            max_grad_norm=p.max_grad_norm,
            target_kl=p.target_kl,
            teacher=p.teacher,
            teacher_coef=p.teacher_coef,
            teacher_steps=p.teacher_steps,
            teacher_drive_steps=p.teacher_drive_steps,
        )
        self.model = TransformerLSTMPPO(
            env=self.env,
            bf16=cfg.bf16,
            seed=seed,
            device=self.device,
            policy_kwargs=self._policy_kwargs(),
            **algo_kwargs,
        )
        if point is not None:
            self._restore(point)
            log.info("resumed from %s (%d steps)", path, steps)
        callback = RunCallback(self, point.train_state if point is not None else None)
        self.hook.on_start(self.run_dir, cfg)
        remaining = max(cfg.run.total_steps - self.model.num_timesteps, 0)
        interrupted = False
        try:
            if point is not None:
                callback.catch_up()
            if remaining:
                self.model.learn(
                    remaining, callback=callback, reset_num_timesteps=point is None, progress_bar=False
                )
        except KeyboardInterrupt:
            interrupted = True
            log.warning("interrupted: saving a checkpoint at %d steps", self.model.num_timesteps)
        finally:
            callback.finish(save=True)
        summary = {
            "run_dir": str(self.run_dir),
            "steps": int(self.model.num_timesteps),
            "interrupted": interrupted,
            "out_of_time": callback.out_of_time,
            "device": self.device,
            "torch_threads": self.torch_threads,
            "device_reason": self.device_reason,
            "last_checkpoint": str(callback.last_checkpoint) if callback.last_checkpoint else None,
            "learner_elo": self.league.rating(self.learner).rating,
            "last_eval": callback.last_eval,
            "time": callback.times(),
        }
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
        sb3.set_update_count(model, state["n_updates"])
        norm = state.get("reward_normaliser")
        if norm is not None and hasattr(self.env, "ret_rms"):
            rms = self.env.ret_rms
            rms.mean, rms.var = np.float64(norm["mean"]), np.float64(norm["var"])
            rms.count = float(norm["count"])
        for name, size in state["files"].items():
            path = self.run_dir / name
            have = path.stat().st_size if path.exists() else None
            if have is None or have < size:
                log.warning(
                    "resume: %s holds %s bytes, fewer than the %d it held at the checkpoint; left as is",
                    path,
                    have,
                    size,
                )
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
    return play_games(
        learner,
        make_agent(parse_agent(bot, check=False), seed=cfg.seed),
        games,
        seed=cfg.seed + seed_offset,
        max_frames=env.max_frames,
        stocks=env.stocks,
        damage_tiebreak=env.damage_tiebreak,
    )


__all__ = ["TransformerLstmPPOTrainer", "ProgressHook", "resolve_device", "checkpoints"]
