"""The policy: per-frame features + a transformer strategy latent -> a 512-unit LSTM -> Bernoulli keys.

Built as a subclass of sb3-contrib's ``RecurrentActorCriticPolicy`` so checkpoints load with
``RecurrentPPO.load``. Encoder and policy are one module trained by one optimiser. What differs from
the stock policy:

- the features are ``[frame MLP(obs), strategy latent]``, where the latent comes from
  :class:`~.encoder.StrategyEncoder` over the opponent's last 90 frames (its observation block and
  the relative position), so the encoder sits inside the policy's forward pass and gets gradients;
- the LSTM is shared by actor and critic, and the value loss trains it too (sb3-contrib detaches it);
- the action and value heads read ``[LSTM output, features]``: the LSTM adds memory to what the
  current frame and the strategy latent already say, instead of being the only road from them to the
  keys (with the LSTM alone in between, the smoke preset learned several times slower than a
  feed-forward policy on the same settings);
- rollouts call :meth:`rollout_step` (one frame, with a per-row encoder cache), and training calls
  :meth:`evaluate_segments`, which runs the LSTM over whole padded sequences in one call, with resets
  applied to the initial states (sequences are cut at episode starts), instead of a Python loop over
  time steps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from sb3_contrib.common.recurrent.policies import RecurrentActorCriticPolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

from .encoder import StrategyEncoder


def encoder_input_slices() -> tuple[slice, slice]:
    """Where the encoder's per-frame input lies in the observation: the opponent block and the
    relative position (dx, dy, distance) in the world block."""
    from brawl_env.engine.obs import OPP_BASE, PLAYER_BLOCK, WORLD_OFFSETS

    rel = WORLD_OFFSETS["dx"]
    return slice(OPP_BASE, OPP_BASE + PLAYER_BLOCK), slice(rel, rel + 3)


class BrawlFeatures(BaseFeaturesExtractor):
    """Frame features and the strategy encoder (``forward`` alone sees one frame: no history)."""

    def __init__(self, observation_space: spaces.Box, frame_dim: int = 256, d_model: int = 256, heads: int = 8,
                 layers: int = 6, window: int = 90, ffn: int = 1024, dropout: float = 0.0):
        super().__init__(observation_space, frame_dim + d_model)
        obs_dim = int(np.prod(observation_space.shape))
        opp, rel = encoder_input_slices()
        self.opp = (opp.start, opp.stop)
        self.rel = (rel.start, rel.stop)
        self.frame = nn.Sequential(nn.Linear(obs_dim, frame_dim), nn.LayerNorm(frame_dim), nn.GELU(),
                                   nn.Linear(frame_dim, frame_dim), nn.GELU())
        in_dim = (opp.stop - opp.start) + (rel.stop - rel.start)
        self.encoder = StrategyEncoder(in_dim, d_model, heads, layers, window, ffn, dropout)

    def encoder_input(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.cat([obs[..., self.opp[0]:self.opp[1]], obs[..., self.rel[0]:self.rel[1]]], dim=-1)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = self.encoder_input(obs).unsqueeze(1)
        episode = torch.zeros(x.shape[:2], dtype=torch.long, device=obs.device)
        latent = self.encoder.encode_windows(x, episode, 1)[:, 0]
        return torch.cat([self.frame(obs), latent], dim=-1)


class TransformerLstmPolicy(RecurrentActorCriticPolicy):
    """See the module docstring. ``features_extractor_kwargs`` sizes the encoder (guide sizes by default)."""

    def __init__(self, observation_space, action_space, lr_schedule, lstm_hidden_size: int = 512,
                 features_extractor_kwargs: dict[str, Any] | None = None, initial_press_prob: float = 0.1,
                 **kwargs):
        kwargs.setdefault("net_arch", dict(pi=[], vf=[]))
        kwargs.setdefault("ortho_init", False)
        kwargs.pop("shared_lstm", None)
        kwargs.pop("enable_critic_lstm", None)
        super().__init__(observation_space, action_space, lr_schedule, lstm_hidden_size=lstm_hidden_size,
                         features_extractor_class=BrawlFeatures,
                         features_extractor_kwargs=features_extractor_kwargs or {},
                         shared_lstm=True, enable_critic_lstm=False, **kwargs)
        # heads over [LSTM output, features] (see the module docstring); the optimiser is rebuilt to own them
        head_in = lstm_hidden_size + self.features_dim
        self.action_net = nn.Linear(head_in, self.action_net.out_features)
        self.value_net = nn.Linear(head_in, 1)
        self.action_net.to(self.device), self.value_net.to(self.device)
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)
        with torch.no_grad():
            # Start calm: each key pressed with probability initial_press_prob (a uniform 50 % policy
            # presses five keys a frame and mostly jumps off the stage), small weights.
            self.action_net.weight.mul_(0.01)
            p = min(max(initial_press_prob, 1e-3), 1 - 1e-3)
            self.action_net.bias.fill_(float(np.log(p / (1 - p))))

    # -- pieces ------------------------------------------------------------------------------------------
    @property
    def encoder(self) -> StrategyEncoder:
        return self.features_extractor.encoder

    def new_state(self, rows: int) -> dict:
        """Fresh recurrent state for ``rows`` players: LSTM (h, c) and the encoder's window."""
        shape = (self.lstm_actor.num_layers, rows, self.lstm_actor.hidden_size)
        return {"h": torch.zeros(shape, device=self.device), "c": torch.zeros(shape, device=self.device),
                "cache": self.encoder.new_cache(rows, device=self.device)}

    @staticmethod
    def reset_state(state: dict, rows) -> None:
        """Episode starts in ``rows``: zero their LSTM state and forget their encoder window."""
        rows = torch.as_tensor(rows, device=state["h"].device)
        if rows.numel():
            state["h"][:, rows] = 0.0
            state["c"][:, rows] = 0.0
            state["cache"].reset_rows(rows)

    def _heads(self, out: torch.Tensor, feats: torch.Tensor):
        latent = torch.cat([out, feats], dim=-1)
        dist = self._get_action_dist_from_latent(latent)
        return dist, self.value_net(latent).flatten()

    # -- rollouts and inference ----------------------------------------------------------------------------
    def _advance(self, obs: torch.Tensor, state: dict, rows: torch.Tensor | None):
        """One frame through encoder and LSTM for ``rows`` (all by default), updating the state in place;
        returns the heads' input parts (LSTM output, features)."""
        fx: BrawlFeatures = self.features_extractor
        latent = self.encoder.step(fx.encoder_input(obs), state["cache"], rows)
        feats = torch.cat([fx.frame(obs), latent], dim=-1)
        if rows is None:
            h, c = state["h"], state["c"]
        else:
            h, c = state["h"][:, rows], state["c"][:, rows]
        out, (h, c) = self.lstm_actor(feats.unsqueeze(0), (h.contiguous(), c.contiguous()))
        if rows is None:
            state["h"], state["c"] = h, c
        else:
            state["h"][:, rows], state["c"][:, rows] = h, c
        return out[0], feats

    def rollout_step(self, obs: torch.Tensor, state: dict, rows: torch.Tensor | None = None,
                     deterministic: bool = False):
        """One frame for ``rows`` of ``state`` (all rows by default): returns actions, values, log-probs
        and updates the state in place. Reset rows at episode starts first (:meth:`reset_state`)."""
        dist, values = self._heads(*self._advance(obs, state, rows))
        actions = dist.get_actions(deterministic=deterministic)
        return actions, values, dist.log_prob(actions)

    def key_probs(self, obs: torch.Tensor, state: dict, rows: torch.Tensor | None = None) -> torch.Tensor:
        """One frame for ``rows``, like :meth:`rollout_step`, but returns each key's press probability
        ``(m, 10)`` for callers that draw the keys themselves (tournaments use per-match seeded draws)."""
        out, feats = self._advance(obs, state, rows)
        return torch.sigmoid(self.action_net(torch.cat([out, feats], dim=-1)))

    def peek_value(self, obs: torch.Tensor, state: dict, rows: torch.Tensor) -> torch.Tensor:
        """Value of ``obs`` as the next frame of ``rows``, without changing the state (time-limit bootstraps)."""
        fx: BrawlFeatures = self.features_extractor
        latent = self.encoder.step(fx.encoder_input(obs), state["cache"], rows, write=False)
        feats = torch.cat([fx.frame(obs), latent], dim=-1)
        out, _ = self.lstm_actor(feats.unsqueeze(0), (state["h"][:, rows].contiguous(), state["c"][:, rows].contiguous()))
        return self.value_net(torch.cat([out[0], feats], dim=-1)).flatten()

    # -- training ------------------------------------------------------------------------------------------
    def evaluate_segments(self, frames_hist: torch.Tensor, episode_hist: torch.Tensor, obs: torch.Tensor,
                          actions: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor):
        """Log-probs, entropies and values of padded segments.

        ``obs`` (S, L, D) and ``actions`` (S, L, 10): the segments, padded to length L; ``frames_hist``
        (S, W-1+L, in) and ``episode_hist`` (S, W-1+L): the encoder's input for the W-1 frames before
        each segment and the segment itself, with an episode id per position (-1 = padding or another
        episode); ``h0``, ``c0`` (layers, S, hidden): each segment's initial LSTM state (zeros where it
        starts an episode). Returns flat (S*L,) tensors; the caller masks the padding.
        """
        fx: BrawlFeatures = self.features_extractor
        s, length, _ = obs.shape
        latent = self.encoder.encode_windows(frames_hist, episode_hist, length)      # (S, L, d)
        feats = torch.cat([fx.frame(obs), latent], dim=-1)                           # (S, L, F)
        out, _ = self.lstm_actor(feats.transpose(0, 1), (h0.contiguous(), c0.contiguous()))  # one call
        latent_pi = out.transpose(0, 1).reshape(s * length, -1)
        dist, values = self._heads(latent_pi, feats.reshape(s * length, -1))
        flat_actions = actions.reshape(s * length, -1)
        return dist.log_prob(flat_actions), dist.entropy(), values

    # -- SB3's own entry points (predict() for users) ------------------------------------------------------
    def forward(self, obs, lstm_states, episode_starts, deterministic: bool = False):  # pragma: no cover
        raise NotImplementedError("use TransformerLSTMPPO's rollouts, or brawl_league's PolicyAgent, to act")


def policy_kwargs(model) -> dict[str, Any]:
    """``TransformerLstmPolicy`` keyword arguments for a ``ModelConfig`` (or its dict)."""
    from .config import ModelConfig

    m = model if isinstance(model, ModelConfig) else ModelConfig(**model)
    return dict(lstm_hidden_size=m.lstm, initial_press_prob=m.initial_press_prob,
                features_extractor_kwargs=dict(frame_dim=m.frame_dim, d_model=m.d_model, heads=m.heads,
                                               layers=m.layers, window=m.window, ffn=m.ffn, dropout=m.dropout))


def build_policy(model, device: str | torch.device = "cpu") -> TransformerLstmPolicy:
    """A fresh policy for the game's observation and action spaces, sized by ``model`` (a ``ModelConfig``
    or its dict, e.g. a snapshot's or a checkpoint card's). The one place that knows how sizes map to
    constructor arguments: the trainer, its snapshot opponents and tournaments all build through it."""
    from gymnasium.spaces import Box, MultiBinary

    from brawl_env.engine import layout as L
    from brawl_env.engine.obs import bounds

    low, high = bounds()
    policy = TransformerLstmPolicy(Box(low, high, dtype=np.float32), MultiBinary(L.N_KEYS), lambda _: 0.0,
                                   **policy_kwargs(model))
    return policy.to(device)


class PolicyRunner:
    """Acts for many players with one policy: per-row LSTM states and encoder windows, batched.

    Implements the trainer's opponent interface (``reset_rows``, ``act``) and serves evaluation. It acts
    in whatever mode the policy is in (the trainer keeps policies in eval mode outside its updates).
    ``repeat`` (the model's ``action_repeat``): ``act`` is called every frame, but each row decides only
    on the first frame of each block of ``repeat`` frames and holds those keys for the block, as the
    policy did in training; only the deciding frames reach the network.
    """

    trusted_keys = True  # Bernoulli samples are exactly 0/1

    def __init__(self, policy: TransformerLstmPolicy, rows: int, deterministic: bool = False,
                 name: str = "policy", kind: str = "snapshot", repeat: int = 1):
        if isinstance(repeat, bool) or not isinstance(repeat, (int, np.integer)) or repeat < 1:
            raise ValueError(f"repeat must be an integer >= 1; got {repeat!r}")
        self.policy = policy
        self.rows = rows
        self.deterministic = deterministic
        self.name, self.kind = name, kind
        self.repeat = int(repeat)
        self.state = policy.new_state(rows)
        self._left = np.zeros(rows, np.int64)            # frames left in each row's current block
        self._held = np.zeros((rows, 10), np.int8)

    def reset_rows(self, rows, seeds=None) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        self.policy.reset_state(self.state, rows)
        self._left[rows] = 0

    def act(self, obs: np.ndarray, rows) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if self.repeat == 1:
            return self._decide(obs, rows)
        due = self._left[rows] == 0
        if due.any():
            self._held[rows[due]] = self._decide(obs[due], rows[due])
            self._left[rows[due]] = self.repeat
        self._left[rows] -= 1
        return self._held[rows].copy()

    @torch.no_grad()
    def _decide(self, obs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        if rows.size == 0:
            return np.zeros((0, 10), np.int8)
        device = self.policy.device
        o = torch.as_tensor(obs, dtype=torch.float32, device=device)
        idx = None if (rows.size == self.rows and (rows == np.arange(self.rows)).all()) else torch.as_tensor(rows, device=device)
        actions, _, _ = self.policy.rollout_step(o, self.state, idx, deterministic=self.deterministic)
        return actions.to(torch.int8).cpu().numpy()

