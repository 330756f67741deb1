"""``TransformerLSTMPPO``: sb3-contrib's RecurrentPPO with fast sequence handling for our policy.

What it keeps from RecurrentPPO / SB3: hyper-parameters, schedules, ``learn``, callbacks, logging,
``save`` / ``load`` (a checkpoint loads with ``RecurrentPPO.load`` too). What it replaces:

- **Rollouts** (``collect_rollouts``): the policy acts with a per-env recurrent state (LSTM + encoder
  window, reset at episode starts); the LSTM state is stored only at chunk starts (every
  ``min(batch_size, n_steps)`` steps), not at every step, plus the encoder's last 89 input frames
  before the rollout (``carry``), so training can rebuild every step's exact inputs.
- **Updates** (``train``): a minibatch is a set of chunks (whole environments when ``batch_size >=
  n_steps``, as CleanRL's ``envinds``); each chunk is cut at episode starts into segments, padded, and
  the LSTM runs over all segments in one call, with episode resets applied to the initial states;
  the encoder encodes each frame once per minibatch. The stock update loops in Python over time steps
  whenever a sequence holds an episode start, which is 30-160x slower.
- bf16 autocast on CUDA (``bf16=True``).
- **A teacher** (optional, ``teacher="ArmoryBot"``): a scripted bot that watches every decision of the
  learner from the learner's own seat and says which keys it would press; the update adds
  ``teacher_coef * (1 - steps / teacher_steps)`` times the negative log-likelihood of those keys under the
  policy, so the learner starts by imitating the bot on the states it reaches itself (as in DAgger and
  "kickstarting") and the reward takes over as the weight decays to zero. For the first
  ``teacher_drive_steps`` the teacher's keys are also the ones played (behaviour cloning on the
  teacher's own games): those updates fit the value and the imitation loss only, since the policy
  gradient needs the learner's own actions.

The SB3 state the replaced methods read and write (the last observation, the update counter, the
schedules' progress ...) is reached only through :mod:`.sb3_adapter`, which also says which SB3 release
each piece needs.
"""

from __future__ import annotations

import contextlib
import time
from typing import NamedTuple

import numpy as np
import torch
from sb3_contrib import RecurrentPPO
from stable_baselines3.common.utils import explained_variance, obs_as_tensor
from torch.nn import functional as F

from . import sb3_adapter as sb3
from .policy import TransformerLstmPolicy


class Segments(NamedTuple):
    """A minibatch of a rollout cut into episode segments (``S`` segments, padded to length ``L``), as
    :meth:`TransformerLstmPolicy.evaluate_segments` takes it."""

    enc: torch.Tensor  # (S, W-1+L, in): encoder inputs, the W-1 before each segment first
    episode: torch.Tensor  # (S, W-1+L): 0 where a frame belongs to the segment's episode, -1 elsewhere
    obs: torch.Tensor  # (S, L, obs)
    actions: torch.Tensor  # (S, L, keys)
    h0: torch.Tensor  # (layers, S, hidden): LSTM state at each segment's start
    c0: torch.Tensor
    mask: torch.Tensor  # (S * L,): True at real (unpadded) steps
    old: dict  # flat (S * L,) rollout values: values, log_probs, advantages, returns, teacher


class _Rollout:
    """Numpy storage of one rollout: (T, N, ...) arrays, plus the state at its start."""

    def __init__(self, t: int, n: int, obs_dim: int, n_keys: int, enc_dim: int, window: int, chunk: int):
        self.t, self.n, self.window, self.chunk = t, n, window, chunk
        self.obs = np.zeros((t, n, obs_dim), np.float32)
        self.actions = np.zeros((t, n, n_keys), np.float32)
        self.rewards = np.zeros((t, n), np.float32)
        self.starts = np.zeros((t, n), np.float32)
        self.values = np.zeros((t, n), np.float32)
        self.log_probs = np.zeros((t, n), np.float32)
        self.advantages = np.zeros((t, n), np.float32)
        self.returns = np.zeros((t, n), np.float32)
        self.carry = np.zeros((n, window - 1, enc_dim), np.float32)  # encoder input before the rollout
        self.carry_valid = np.zeros((n, window - 1), bool)  # ... belonging to step 0's episode
        self.h_at = self.c_at = None  # LSTM state at every chunk start: (chunks, layers, N, hidden)
        self.enc_in = np.zeros((t, n, enc_dim), np.float32)
        self.teacher = np.zeros((t, n, n_keys), np.float32)  # the teacher's keys (when there is one)
        self.driven = False  # the teacher played this rollout (behaviour cloning)
        self.pending_carry = None

    def compute_returns_and_advantage(
        self, last_values: np.ndarray, dones: np.ndarray, gamma: float, lam: float
    ):
        last = 0.0
        for step in reversed(range(self.t)):
            if step == self.t - 1:
                not_done, next_v = 1.0 - dones.astype(np.float32), last_values
            else:
                not_done, next_v = 1.0 - self.starts[step + 1], self.values[step + 1]
            delta = self.rewards[step] + gamma * next_v * not_done - self.values[step]
            last = delta + gamma * lam * not_done * last
            self.advantages[step] = last
        self.returns = self.advantages + self.values

    def next_carry(self, enc_in: np.ndarray, next_start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The carry for the rollout after this one: the last W-1 encoder inputs, valid where they
        belong to the episode running when that rollout starts."""
        w1 = self.window - 1
        frames = np.concatenate([self.carry, enc_in.transpose(1, 0, 2)], axis=1)  # (N, W-1+T, in)
        starts = self.starts.T.astype(bool)  # (N, T)
        valid = np.concatenate([self.carry_valid, np.ones_like(starts)], axis=1)
        # positions before the last episode start inside the rollout belong to an older episode
        t_idx = np.arange(self.t)
        last_start = np.where(starts, t_idx[None, :], -1).max(axis=1)  # (N,)
        pos = np.arange(w1 + self.t) - w1
        threshold = np.where(last_start >= 0, last_start, -w1 - 1)
        valid &= pos[None, :] >= threshold[:, None]
        valid[next_start.astype(bool)] = False
        return frames[:, -w1:].copy(), valid[:, -w1:].copy()


class TransformerLSTMPPO(RecurrentPPO):
    """See the module docstring. Extra argument: ``bf16`` (autocast on CUDA)."""

    def __init__(
        self,
        policy=TransformerLstmPolicy,
        env=None,
        bf16: bool = True,
        bootstrap_truncation: bool = False,
        teacher: str | None = None,
        teacher_coef: float = 1.0,
        teacher_steps: int = 0,
        teacher_drive_steps: int = 0,
        **kwargs,
    ):
        self.bf16 = bf16
        self.teacher = teacher
        self.teacher_coef = float(teacher_coef)
        self.teacher_steps = int(teacher_steps)
        self.teacher_drive_steps = int(teacher_drive_steps)
        self._teacher = None
        # A match that reaches its frame limit has really ended (the result is decided, and the time left
        # is in the observation), so by default it is not bootstrapped like an artificial time limit.
        self.bootstrap_truncation = bootstrap_truncation
        super().__init__(policy, env, **kwargs)

    def _setup_model(self) -> None:
        sb3.setup_schedules(self)
        self.set_random_seed(self.seed)
        self.policy = self.policy_class(
            self.observation_space, self.action_space, self.lr_schedule, use_sde=False, **self.policy_kwargs
        ).to(self.device)
        enc = self.policy.encoder
        chunk = min(self.batch_size, self.n_steps)
        self.rollout_buffer = _Rollout(
            self.n_steps,
            self.n_envs,
            int(np.prod(self.observation_space.shape)),
            int(np.prod(self.action_space.shape)),
            enc.in_dim,
            enc.window,
            chunk,
        )
        self._state = self.policy.new_state(self.n_envs)
        self._pack_to_host = self.device.type != "cpu"  # see _to_host
        if self.n_steps % chunk or self.batch_size % chunk:
            raise ValueError(
                f"batch_size ({self.batch_size}) and n_steps ({self.n_steps}) must divide one another: "
                "a minibatch is made of whole chunks of an env's rollout"
            )
        units = self.n_envs * (self.n_steps // chunk)
        if units % (self.batch_size // chunk):
            raise ValueError(
                f"the rollout ({self.n_envs} envs x {self.n_steps} steps) must split into whole "
                f"minibatches of {self.batch_size} steps"
            )

    def _autocast(self):
        if self.bf16 and self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()  # autocast is off unless asked for: nothing to enter every step

    def _excluded_save_params(self) -> list[str]:
        return super()._excluded_save_params() + ["_state", "_teacher", "_pack_to_host"]

    def teacher_weight(self) -> float:
        """The imitation loss's weight now: ``teacher_coef`` decaying linearly to 0 at ``teacher_steps``."""
        if self.teacher is None:
            return 0.0
        if self.num_timesteps < self.teacher_drive_steps:
            return self.teacher_coef
        if self.teacher_steps <= 0:
            return 0.0
        return self.teacher_coef * max(0.0, 1.0 - self.num_timesteps / self.teacher_steps)

    def teacher_drives(self) -> bool:
        """Whether the teacher's keys are the ones played now (behaviour cloning)."""
        return self.teacher is not None and self.num_timesteps < self.teacher_drive_steps

    def _teacher_keys(self, obs: np.ndarray, starts: np.ndarray) -> np.ndarray | None:
        """The teacher's keys for the learner's observations (one decision each), or None without one."""
        if self.teacher_weight() <= 0.0:
            return None
        if getattr(self, "_teacher", None) is None:
            from brawl_env.bots import bot_agent

            self._teacher = bot_agent(self.teacher, seed=0 if self.seed is None else self.seed)
            self._teacher.reset_rows(np.arange(self.n_envs))
        rows = np.arange(self.n_envs)
        if starts.any():
            self._teacher.reset_rows(rows[starts])
        return self._teacher.act(obs, rows)

    # -- rollouts ----------------------------------------------------------------------------------------------
    # A rollout step's parts are methods of their own (host to device, the learner's forward in
    # ``policy.rollout_step``, device to host, buffer writes), so that ``brawl-league bench train --profile``
    # can time each one (brawl_league/bench.py, ``Parts``).
    def _to_device(
        self, obs: np.ndarray, played: np.ndarray | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The learner's inputs on its device: the observations, and the keys played for it (a driving
        teacher's) when there are any."""
        obs_t = obs_as_tensor(obs, self.device)
        if played is None:
            return obs_t, None
        return obs_t, torch.as_tensor(played, dtype=torch.float32, device=self.device)

    def _to_host(
        self, actions: torch.Tensor, values: torch.Tensor, log_probs: torch.Tensor, enc: torch.Tensor
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """What the step returns to the host, as float32 arrays: actions, values, log-probs and the
        encoder's input. On an accelerator they come back in one copy (one wait for the device instead
        of four); on the CPU a tensor's array is a view with nothing to copy, and packing them first
        would cost more than it saves (docs/benchmarks.md, "A lean rollout step")."""
        if not self._pack_to_host:
            return tuple(t.float().cpu().numpy() for t in (actions, values, log_probs, enc))
        k = actions.shape[1]
        packed = (actions.float(), values.float()[:, None], log_probs.float()[:, None], enc.float())
        host = torch.cat(packed, 1).cpu().numpy()
        return host[:, :k], host[:, k], host[:, k + 1], host[:, k + 2 :]

    @staticmethod
    def _store_step(
        roll: _Rollout,
        step: int,
        obs: np.ndarray,
        actions: np.ndarray,
        rewards: np.ndarray,
        starts: np.ndarray,
        values: np.ndarray,
        log_probs: np.ndarray,
    ) -> None:
        """One step into the rollout buffer (copies: the buffer keeps no reference to its inputs)."""
        roll.obs[step] = obs
        roll.actions[step] = actions
        roll.rewards[step] = rewards
        roll.starts[step] = starts
        roll.values[step] = values
        roll.log_probs[step] = log_probs

    def collect_rollouts(self, env, callback, rollout_buffer: _Rollout, n_rollout_steps: int) -> bool:
        self.policy.set_training_mode(False)
        fx = self.policy.features_extractor
        roll = rollout_buffer
        if getattr(roll, "pending_carry", None) is not None:  # the encoder input before this rollout
            roll.carry, roll.carry_valid = roll.pending_carry
            roll.pending_carry = None
        state = self._state
        n_chunks = n_rollout_steps // roll.chunk
        roll.h_at = torch.zeros((n_chunks,) + tuple(state["h"].shape), device=self.device)
        roll.c_at = torch.zeros_like(roll.h_at)
        callback.on_rollout_start()
        enc_in = roll.enc_in
        roll.driven = self.teacher_drives()
        for step in range(n_rollout_steps):
            last_obs, starts = sb3.last_step(self)
            taught = self._teacher_keys(last_obs, starts)
            if taught is not None:
                roll.teacher[step] = taught
            with torch.no_grad(), self._autocast():
                if starts.any():
                    self.policy.reset_state(state, np.flatnonzero(starts))
                if step % roll.chunk == 0:  # a chunk starts: remember the LSTM state (after resets)
                    roll.h_at[step // roll.chunk] = state["h"].float()
                    roll.c_at[step // roll.chunk] = state["c"].float()
                obs_t, played = self._to_device(last_obs, taught if roll.driven else None)
                actions, values, log_probs = self.policy.rollout_step(obs_t, state, actions=played)
                enc = fx.encoder_input(obs_t)
            actions_np, values_np, log_probs_np, enc_in[step] = self._to_host(actions, values, log_probs, enc)
            new_obs, rewards, dones, infos = env.step(actions_np)
            self.num_timesteps += env.num_envs
            callback.update_locals(locals())
            if not callback.on_step():
                return False
            # only ended episodes carry news (SB3 sets info["episode"] at an episode's end): no loop over
            # every env's info
            ended = np.flatnonzero(dones).tolist()
            if ended:
                sb3.record_episodes(self, [infos[i] for i in ended], np.ones(len(ended), bool))
            rewards = np.asarray(rewards, np.float32).copy()
            trunc = (
                [
                    i
                    for i in ended
                    if infos[i].get("TimeLimit.truncated")
                    and infos[i].get("terminal_observation") is not None
                ]
                if self.bootstrap_truncation
                else []
            )
            if trunc:  # bootstrap the time limit with the value of the terminal observation
                term_obs = torch.as_tensor(
                    np.stack([infos[i]["terminal_observation"] for i in trunc]),
                    dtype=torch.float32,
                    device=self.device,
                )
                with torch.no_grad(), self._autocast():
                    tv = self.policy.peek_value(term_obs, state, torch.as_tensor(trunc, device=self.device))
                rewards[trunc] += self.gamma * tv.float().cpu().numpy()
            self._store_step(roll, step, last_obs, actions_np, rewards, starts, values_np, log_probs_np)
            sb3.set_last_step(self, new_obs, dones)
        with torch.no_grad(), self._autocast():
            # value of the next observation, continuing each env's state (reset where it starts anew)
            peek_state = {"h": state["h"].clone(), "c": state["c"].clone(), "cache": state["cache"]}
            nxt = np.asarray(dones, bool)
            peek_state["h"][:, torch.as_tensor(np.flatnonzero(nxt), device=self.device)] = 0.0
            peek_state["c"][:, torch.as_tensor(np.flatnonzero(nxt), device=self.device)] = 0.0
            rows = torch.arange(self.n_envs, device=self.device)
            last_obs = obs_as_tensor(new_obs, self.device)
            if nxt.any():
                # an env whose next frame starts an episode reads an empty window: peek on a fresh copy
                valid = state["cache"].valid.clone()
                state["cache"].valid[torch.as_tensor(np.flatnonzero(nxt), device=self.device)] = False
                last_values = self.policy.peek_value(last_obs, peek_state, rows)
                state["cache"].valid.copy_(valid)
            else:
                last_values = self.policy.peek_value(last_obs, peek_state, rows)
        roll.compute_returns_and_advantage(
            last_values.float().cpu().numpy(), np.asarray(dones), self.gamma, self.gae_lambda
        )
        roll.pending_carry = roll.next_carry(enc_in, np.asarray(dones))
        callback.update_locals(locals())
        callback.on_rollout_end()
        return True

    # -- updates -----------------------------------------------------------------------------------------------
    def _segments(self, units: np.ndarray) -> Segments:
        """Cut chunks into segments at episode starts; returns padded tensors for ``evaluate_segments``.

        ``units``: chunk numbers, ``env * chunks_per_env + chunk``. Each segment reads its encoder
        history from the rollout (and the carry before it) where that history is of its own episode.
        """
        roll = self.rollout_buffer
        t_len, w1, chunk = roll.t, roll.window - 1, roll.chunk
        per_env = t_len // chunk
        u_env, u_chunk = units // per_env, units % per_env
        dev = self.device
        # the units' steps, (U, chunk): env and time of each
        t_idx = u_chunk[:, None] * chunk + np.arange(chunk)[None, :]
        e_idx = np.broadcast_to(u_env[:, None], t_idx.shape)
        starts = roll.starts[t_idx, e_idx].astype(bool)
        cut = starts.copy()
        cut[:, 0] = True
        seg_of = np.cumsum(cut.ravel()).reshape(cut.shape) - 1
        n_seg = int(seg_of[-1, -1]) + 1
        first = np.flatnonzero(cut.ravel())
        seg_unit, seg_pos0 = first // chunk, first % chunk
        pos = np.arange(chunk)[None, :] - seg_pos0[seg_of]
        max_len = int(np.bincount(seg_of.ravel(), minlength=n_seg).max())
        s_idx, p_idx = seg_of.ravel(), pos.ravel()
        tt, ee = t_idx.ravel(), e_idx.ravel()

        def pad(arr):  # arr (T, N, ...) -> (S, L, ...)
            out = np.zeros((n_seg, max_len) + arr.shape[2:], arr.dtype)
            out[s_idx, p_idx] = arr[tt, ee]
            return torch.as_tensor(out, device=dev)

        obs, actions = pad(roll.obs), pad(roll.actions)
        teacher = pad(roll.teacher) if self.teacher_weight() > 0 else None
        mask = np.zeros((n_seg, max_len), bool)
        mask[s_idx, p_idx] = True
        flat = {
            k: pad(getattr(roll, k)).reshape(-1) for k in ("values", "log_probs", "advantages", "returns")
        }
        # episode ids on each env's extended timeline (carry, then the rollout): carry frames of step 0's
        # episode share its id 0; every episode start in the rollout opens a new id
        ext_frames = np.concatenate([roll.carry.transpose(1, 0, 2), roll.enc_in], axis=0)  # (W-1+T, N, in)
        ext_ep = np.concatenate(
            [np.where(roll.carry_valid.T, 0, -1), np.cumsum(roll.starts, axis=0, dtype=np.int64)], axis=0
        )  # (W-1+T, N)
        seg_env = u_env[seg_unit]
        seg_t0 = u_chunk[seg_unit] * chunk + seg_pos0  # rollout time
        idx = seg_t0[:, None] + np.arange(-w1, max_len)[None, :] + w1  # extended index
        inside = idx < w1 + t_len
        idx = np.minimum(idx, w1 + t_len - 1)
        enc = ext_frames[idx, seg_env[:, None]]
        episode = ext_ep[idx, seg_env[:, None]]
        own = ext_ep[seg_t0 + w1, seg_env]
        episode = np.where(inside & (episode == own[:, None]) & (episode >= 0), 0, -1)
        episode[:, w1:][~mask] = -1
        # initial LSTM states: the stored chunk-start state where a segment opens its chunk mid-episode
        layers, hidden = roll.h_at.shape[1], roll.h_at.shape[3]
        h0 = torch.zeros((layers, n_seg, hidden), device=dev)
        c0 = torch.zeros_like(h0)
        carried = np.flatnonzero((seg_pos0 == 0) & ~starts[seg_unit, 0])
        if carried.size:
            ch = torch.as_tensor(u_chunk[seg_unit[carried]], device=dev)
            en = torch.as_tensor(seg_env[carried], device=dev)
            keep = torch.as_tensor(carried, device=dev)
            h0[:, keep] = roll.h_at[ch, :, en].transpose(0, 1)
            c0[:, keep] = roll.c_at[ch, :, en].transpose(0, 1)
        flat["teacher"] = teacher
        return Segments(
            enc=torch.as_tensor(enc, device=dev),
            episode=torch.as_tensor(episode, device=dev),
            obs=obs,
            actions=actions,
            h0=h0,
            c0=c0,
            mask=torch.as_tensor(mask.reshape(-1), device=dev),
            old=flat,
        )

    def train(self) -> None:
        self.policy.set_training_mode(True)
        sb3.update_learning_rate(self)
        progress = sb3.progress_remaining(self)
        clip_range = self.clip_range(progress)
        clip_range_vf = self.clip_range_vf(progress) if self.clip_range_vf else None
        roll = self.rollout_buffer
        units_total = self.n_envs * (self.n_steps // roll.chunk)
        units_per_batch = self.batch_size // roll.chunk
        pg_losses, value_losses, entropy_losses, clip_fractions, approx_kls = [], [], [], [], []
        teach_w = self.teacher_weight()
        imitation_losses = []
        t_start = time.perf_counter()
        continue_training = True
        for _epoch in range(self.n_epochs):
            order = np.random.permutation(units_total)
            for start in range(0, units_total, units_per_batch):
                units = np.sort(order[start : start + units_per_batch])
                seg = self._segments(units)
                mask, old = seg.mask, seg.old
                with self._autocast():
                    log_prob, entropy, values, taught = self.policy.evaluate_segments(
                        seg.enc, seg.episode, seg.obs, seg.actions, seg.h0, seg.c0, also=old["teacher"]
                    )
                log_prob, entropy, values = (
                    log_prob.float()[mask],
                    entropy.float()[mask],
                    values.float()[mask],
                )
                adv = old["advantages"][mask]
                if self.normalize_advantage and adv.numel() > 1:
                    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                ratio = torch.exp(log_prob - old["log_probs"][mask])
                pg_loss = -torch.min(
                    adv * ratio, adv * torch.clamp(ratio, 1 - clip_range, 1 + clip_range)
                ).mean()
                old_v = old["values"][mask]
                if clip_range_vf is not None:
                    values = old_v + torch.clamp(values - old_v, -clip_range_vf, clip_range_vf)
                value_loss = F.mse_loss(old["returns"][mask], values)
                entropy_loss = -entropy.mean()
                if getattr(roll, "driven", False):  # the teacher played: no policy gradient from its keys
                    pg_loss = pg_loss.detach()
                    loss = self.vf_coef * value_loss
                else:
                    loss = pg_loss + self.ent_coef * entropy_loss + self.vf_coef * value_loss
                if taught is not None:  # the teacher's keys' negative log-likelihood (summed over keys)
                    imitation = -taught.float()[mask].mean()
                    loss = loss + teach_w * imitation
                    imitation_losses.append(imitation.item())
                with torch.no_grad():
                    log_ratio = log_prob - old["log_probs"][mask]
                    approx_kl = torch.mean((torch.exp(log_ratio) - 1) - log_ratio).item()
                pg_losses.append(pg_loss.item())
                value_losses.append(value_loss.item())
                entropy_losses.append(entropy_loss.item())
                clip_fractions.append(torch.mean((torch.abs(ratio - 1) > clip_range).float()).item())
                approx_kls.append(approx_kl)
                if self.target_kl is not None and approx_kl > 1.5 * self.target_kl:
                    continue_training = False
                    break
                self.policy.optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
                self.policy.optimizer.step()
            sb3.set_update_count(self, sb3.update_count(self) + 1)
            if not continue_training:
                break
        ev = explained_variance(roll.values.ravel(), roll.returns.ravel())
        self.logger.record("losses/entropy", float(np.mean(entropy_losses)))
        self.logger.record("losses/policy_gradient", float(np.mean(pg_losses)))
        self.logger.record("losses/value", float(np.mean(value_losses)))
        self.logger.record("losses/approx_kl", float(np.mean(approx_kls)))
        self.logger.record("losses/clip_fraction", float(np.mean(clip_fractions)))
        self.logger.record("losses/explained_variance", float(ev))
        self.logger.record("losses/clip_range", clip_range)
        if imitation_losses:
            self.logger.record("losses/imitation", float(np.mean(imitation_losses)))
            self.logger.record("losses/teacher_weight", teach_w)
        self.logger.record("charts/update_seconds", time.perf_counter() - t_start)
        self.logger.record("train/n_updates", sb3.update_count(self), exclude="tensorboard")
