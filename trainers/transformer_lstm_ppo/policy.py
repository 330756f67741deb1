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
from torch.distributions import Bernoulli

from brawl_env.engine.rng import mix64_array

from .encoder import StrategyEncoder
from .hit_features import N_HIT_FEATURES, HitFeatures


def encoder_input_slices() -> tuple[slice, slice]:
    """Where the encoder's per-frame input lies in the observation: the opponent block and the
    relative position (dx, dy, distance) in the world block."""
    from brawl_env.engine.obs import OPP_BASE, PLAYER_BLOCK, WORLD_OFFSETS

    rel = WORLD_OFFSETS["dx"]
    return slice(OPP_BASE, OPP_BASE + PLAYER_BLOCK), slice(rel, rel + 3)


class BrawlFeatures(BaseFeaturesExtractor):
    """Frame features and the strategy encoder (``forward`` alone sees one frame: no history)."""

    def __init__(
        self,
        observation_space: spaces.Box,
        frame_dim: int = 256,
        d_model: int = 256,
        heads: int = 8,
        layers: int = 6,
        window: int = 90,
        ffn: int = 1024,
        dropout: float = 0.0,
        hit_features: bool = False,
    ):
        super().__init__(observation_space, frame_dim + d_model)
        obs_dim = int(np.prod(observation_space.shape))
        opp, rel = encoder_input_slices()
        self.opp = (opp.start, opp.stop)
        self.rel = (rel.start, rel.stop)
        # model.hit_features: the frame MLP also reads which moves would land now (.hit_features)
        self.hits = HitFeatures() if hit_features else None
        self.frame = nn.Sequential(
            nn.Linear(obs_dim + (N_HIT_FEATURES if hit_features else 0), frame_dim),
            nn.LayerNorm(frame_dim),
            nn.GELU(),
            nn.Linear(frame_dim, frame_dim),
            nn.GELU(),
        )
        in_dim = (opp.stop - opp.start) + (rel.stop - rel.start)
        self.encoder = StrategyEncoder(in_dim, d_model, heads, layers, window, ffn, dropout)

    def frame_input(self, obs: torch.Tensor) -> torch.Tensor:
        """What the frame MLP reads: the observation, and the hit features when the model has them."""
        if self.hits is None:
            return obs
        return torch.cat([obs, self.hits(obs)], dim=-1)

    def encoder_input(self, obs: torch.Tensor) -> torch.Tensor:
        return torch.cat([obs[..., self.opp[0] : self.opp[1]], obs[..., self.rel[0] : self.rel[1]]], dim=-1)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = self.encoder_input(obs).unsqueeze(1)
        episode = torch.zeros(x.shape[:2], dtype=torch.long, device=obs.device)
        latent = self.encoder.encode_windows(x, episode, 1)[:, 0]
        return torch.cat([self.frame(self.frame_input(obs)), latent], dim=-1)


class TransformerLstmPolicy(RecurrentActorCriticPolicy):
    """See the module docstring. ``features_extractor_kwargs`` sizes the encoder (guide sizes by default)."""

    def __init__(
        self,
        observation_space,
        action_space,
        lr_schedule,
        lstm_hidden_size: int = 512,
        features_extractor_kwargs: dict[str, Any] | None = None,
        initial_press_prob: float = 0.1,
        **kwargs,
    ):
        kwargs.setdefault("net_arch", dict(pi=[], vf=[]))
        kwargs.setdefault("ortho_init", False)
        kwargs.pop("shared_lstm", None)
        kwargs.pop("enable_critic_lstm", None)
        super().__init__(
            observation_space,
            action_space,
            lr_schedule,
            lstm_hidden_size=lstm_hidden_size,
            features_extractor_class=BrawlFeatures,
            features_extractor_kwargs=features_extractor_kwargs or {},
            shared_lstm=True,
            enable_critic_lstm=False,
            **kwargs,
        )
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
        return {
            "h": torch.zeros(shape, device=self.device),
            "c": torch.zeros(shape, device=self.device),
            "cache": self.encoder.new_cache(rows, device=self.device),
        }

    def grow_state(self, state: dict, rows: int) -> dict:
        """``state`` for ``rows`` players: the first rows keep theirs, the new ones start fresh."""
        grown = self.new_state(rows)
        n = state["h"].shape[1]
        grown["h"][:, :n] = state["h"]
        grown["c"][:, :n] = state["c"]
        for name in ("kv", "valid", "ptr"):
            getattr(grown["cache"], name)[:n] = getattr(state["cache"], name)
        return grown

    @staticmethod
    def reset_state(state: dict, rows) -> None:
        """Episode starts in ``rows``: zero their LSTM state and forget their encoder window."""
        rows = torch.as_tensor(rows, device=state["h"].device)
        if rows.numel():
            state["h"][:, rows] = 0.0
            state["c"][:, rows] = 0.0
            state["cache"].reset_rows(rows)

    def _heads(self, out: torch.Tensor, feats: torch.Tensor, validate: bool = True):
        """The key distribution (SB3's Bernoulli distribution, MultiBinary) and the values.

        ``validate=False`` skips torch's argument checks (finite logits, 0/1 actions): the rollout step
        makes no other use of them, and on a GPU each check waits for the device (two waits a step).
        Updates keep them, so a diverged network still fails there with torch's message."""
        latent = torch.cat([out, feats], dim=-1)
        logits = self.action_net(latent)
        if validate:
            dist = self.action_dist.proba_distribution(action_logits=logits)  # SB3's public call
        else:  # what proba_distribution does, less the checks (SB3's public ``distribution`` attribute)
            dist = self.action_dist
            dist.distribution = Bernoulli(logits=logits, validate_args=False)
        return dist, self.value_net(latent).flatten()

    # -- rollouts and inference ----------------------------------------------------------------------------
    def _advance(self, obs: torch.Tensor, state: dict, rows: torch.Tensor | None):
        """One frame through encoder and LSTM for ``rows`` (all by default), updating the state in place;
        returns the heads' input parts (LSTM output, features)."""
        fx: BrawlFeatures = self.features_extractor
        latent = self.encoder.step(fx.encoder_input(obs), state["cache"], rows)
        feats = torch.cat([fx.frame(fx.frame_input(obs)), latent], dim=-1)
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

    def rollout_step(
        self,
        obs: torch.Tensor,
        state: dict,
        rows: torch.Tensor | None = None,
        deterministic: bool = False,
        actions: torch.Tensor | None = None,
    ):
        """One frame for ``rows`` of ``state`` (all rows by default): returns actions, values, log-probs
        and updates the state in place. Reset rows at episode starts first (:meth:`reset_state`). With
        ``actions`` (someone else's keys, e.g. a teacher's), those are returned with their log-probs."""
        dist, values = self._heads(*self._advance(obs, state, rows), validate=False)
        if actions is None:
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
        feats = torch.cat([fx.frame(fx.frame_input(obs)), latent], dim=-1)
        out, _ = self.lstm_actor(
            feats.unsqueeze(0), (state["h"][:, rows].contiguous(), state["c"][:, rows].contiguous())
        )
        return self.value_net(torch.cat([out[0], feats], dim=-1)).flatten()

    # -- training ------------------------------------------------------------------------------------------
    def evaluate_segments(
        self,
        frames_hist: torch.Tensor,
        episode_hist: torch.Tensor,
        obs: torch.Tensor,
        actions: torch.Tensor,
        h0: torch.Tensor,
        c0: torch.Tensor,
        also: torch.Tensor | None = None,
    ):
        """Log-probs, entropies and values of padded segments.

        ``obs`` (S, L, D) and ``actions`` (S, L, 10): the segments, padded to length L; ``frames_hist``
        (S, W-1+L, in) and ``episode_hist`` (S, W-1+L): the encoder's input for the W-1 frames before
        each segment and the segment itself, with an episode id per position (-1 = padding or another
        episode); ``h0``, ``c0`` (layers, S, hidden): each segment's initial LSTM state (zeros where it
        starts an episode). Returns flat (S*L,) tensors; the caller masks the padding. With ``also``
        (S, L, 10), other keys for the same steps (a teacher's), their log-probs come fourth (else None).
        """
        fx: BrawlFeatures = self.features_extractor
        s, length, _ = obs.shape
        latent = self.encoder.encode_windows(frames_hist, episode_hist, length)  # (S, L, d)
        feats = torch.cat([fx.frame(fx.frame_input(obs)), latent], dim=-1)  # (S, L, F)
        out, _ = self.lstm_actor(feats.transpose(0, 1), (h0.contiguous(), c0.contiguous()))  # one call
        latent_pi = out.transpose(0, 1).reshape(s * length, -1)
        dist, values = self._heads(latent_pi, feats.reshape(s * length, -1))
        flat_actions = actions.reshape(s * length, -1)
        other = None if also is None else dist.log_prob(also.reshape(s * length, -1))
        return dist.log_prob(flat_actions), dist.entropy(), values, other

    # -- SB3's own entry points ---------------------------------------------------------------------------
    # The recurrent state is this policy's own (:meth:`new_state`: the LSTM's (h, c) and the encoder's
    # window of the opponent's last frames), not sb3-contrib's (h, c) pair, which cannot hold the window.
    # ``forward`` and ``predict`` (what ``model.predict`` calls) therefore take and return that state and
    # act through :meth:`rollout_step`, the path rollouts use; the stock methods that take an (h, c) pair
    # would read one frame with no history, so they refuse, saying what to use.
    def forward(self, obs: torch.Tensor, state: dict | None, episode_starts, deterministic: bool = False):
        """One frame for every row: ``(actions, values, log_probs, state)``, as sb3-contrib's recurrent
        ``forward``, with this policy's state (None: fresh). Rows whose ``episode_starts`` is set are reset
        first; ``state`` is updated in place and returned."""
        if state is None:
            state = self.new_state(obs.shape[0])
        starts = torch.as_tensor(episode_starts, device=self.device).reshape(-1).bool()
        self.reset_state(state, torch.nonzero(starts).flatten())
        actions, values, log_probs = self.rollout_step(obs, state, deterministic=deterministic)
        return actions, values, log_probs, state

    def predict(
        self,
        observation: np.ndarray,
        state: dict | None = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = False,
    ) -> tuple[np.ndarray, dict]:
        """SB3's ``predict`` for users of ``RecurrentPPO.load``: keys for one observation ``(obs,)`` or a
        batch ``(n, obs)``; pass the returned state back in, with ``episode_start`` set where a match
        starts (the policy's own draws, not a :class:`PolicyRunner`'s seeded ones)."""
        self.set_training_mode(False)
        obs, vectorized = self.obs_to_tensor(observation)
        if episode_start is None:
            episode_start = np.zeros(obs.shape[0], bool)
        with torch.no_grad():
            actions, _, _, state = self.forward(obs, state, episode_start, deterministic)
        actions = actions.float().cpu().numpy().reshape((-1, *self.action_space.shape))
        return (actions if vectorized else actions[0]), state

    def _stock_path(self, *args, **kwargs):
        raise NotImplementedError(
            "TransformerLstmPolicy carries the encoder's frame window beside the LSTM state, which "
            "sb3-contrib's (h, c) methods cannot hold: act with predict() / forward() (this policy's "
            "state), rollout_step() or a PolicyRunner; train with evaluate_segments()"
        )

    get_distribution = predict_values = evaluate_actions = _predict = _stock_path


def policy_kwargs(model) -> dict[str, Any]:
    """``TransformerLstmPolicy`` keyword arguments for a ``ModelConfig`` (or its dict)."""
    from .config import ModelConfig

    m = model if isinstance(model, ModelConfig) else ModelConfig(**model)
    return dict(
        lstm_hidden_size=m.lstm,
        initial_press_prob=m.initial_press_prob,
        features_extractor_kwargs=dict(
            frame_dim=m.frame_dim,
            d_model=m.d_model,
            heads=m.heads,
            layers=m.layers,
            window=m.window,
            ffn=m.ffn,
            dropout=m.dropout,
            hit_features=m.hit_features,
        ),
    )


def build_policy(model, device: str | torch.device = "cpu") -> TransformerLstmPolicy:
    """A fresh policy for the game's observation and action spaces, sized by ``model`` (a ``ModelConfig``
    or its dict, e.g. a snapshot's or a checkpoint card's). The one place that knows how sizes map to
    constructor arguments: the trainer, its snapshot opponents and tournaments all build through it."""
    from gymnasium.spaces import Box, MultiBinary

    from brawl_env.engine import layout as L
    from brawl_env.engine.obs import bounds

    low, high = bounds()
    policy = TransformerLstmPolicy(
        Box(low, high, dtype=np.float32), MultiBinary(L.N_KEYS), lambda _: 0.0, **policy_kwargs(model)
    )
    return policy.to(device)


_U53 = 1.0 / (1 << 53)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """One SplitMix64 step on uint64 arrays (add the golden gamma, then the engine's finaliser): a
    counter-based hash."""
    return mix64_array(x + np.uint64(0x9E3779B97F4A7C15))


class PolicyRunner:
    """A policy as an agent of the one agent protocol (``brawl_env.bots.Agent``): one network acting for
    many rows at once, each row with its own LSTM state and encoder window.

    The trainer's snapshot and mirror opponents, its evaluations, tournaments and the ``match`` command
    all play networks through it. It acts in whatever mode the policy is in (the trainer keeps policies
    in eval mode outside its updates).

    - **Keys**: each row's keys are drawn from the policy's Bernoulli probabilities with a counter-based
      hash of (the row's reset seed, its decisions so far, the key), so a row's draws are its own: the
      same in any batch, and independent of torch's generator. ``deterministic``: a key is pressed when
      its probability is above 1/2.
    - **Action repeat** (``repeat``, the model's ``action_repeat``): ``act`` is called every frame, but
      each row decides only on the first frame of each block of ``repeat`` frames and holds those keys
      for the block, as the policy did in training; only the deciding frames reach the network.
    - **Rows** grow as they are first seen; a row never reset starts with fresh state and seed 0.
    """

    trusted_keys = True  # Bernoulli draws are exactly 0/1

    def __init__(
        self,
        policy: TransformerLstmPolicy,
        rows: int = 0,
        deterministic: bool = False,
        name: str = "policy",
        kind: str = "snapshot",
        repeat: int = 1,
        seed: int = 0,
    ):
        if isinstance(repeat, bool) or not isinstance(repeat, (int, np.integer)) or repeat < 1:
            raise ValueError(f"repeat must be an integer >= 1; got {repeat!r}")
        self.policy = policy
        self.deterministic = deterministic
        self.name, self.kind = name, kind
        self.repeat = int(repeat)
        self._seeder = np.random.default_rng(int(seed) & 0xFFFFFFFFFFFFFFFF)
        self.rows = 0
        self.state: dict | None = None
        self._seed = np.zeros(0, np.uint64)  # each row's reset seed
        self._t = np.zeros(0, np.uint64)  # decisions made, per row (the sampling counter)
        self._left = np.zeros(0, np.int64)  # frames left in each row's current block
        self._held = np.zeros((0, 10), np.int8)
        self._grow(int(rows))

    def _grow(self, rows: int) -> None:
        if rows <= self.rows:
            return
        if self.state is None:
            self.state = self.policy.new_state(rows)
        else:
            self.state = self.policy.grow_state(self.state, rows)
        more = rows - self.rows
        self._seed = np.concatenate([self._seed, np.zeros(more, np.uint64)])
        self._t = np.concatenate([self._t, np.zeros(more, np.uint64)])
        self._left = np.concatenate([self._left, np.zeros(more, np.int64)])
        self._held = np.concatenate([self._held, np.zeros((more, 10), np.int8)])
        self.rows = rows

    def reset_rows(self, rows, seeds=None) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if not rows.size:
            return
        self._grow(int(rows.max()) + 1)
        self.policy.reset_state(self.state, rows)
        if seeds is None:
            seeds = self._seeder.integers(0, 2**63, len(rows))
        self._seed[rows] = np.asarray(seeds).astype(np.uint64)
        self._t[rows] = 0
        self._left[rows] = 0

    def act(self, obs: np.ndarray, rows) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        due = self._due(rows)
        return self._hold(rows, due, self._decide(obs[due], rows[due]))

    # -- acting in pieces: act = _due, _decide, _hold (a fused call runs several runners' _probs at once) --
    @property
    def fuse_key(self):
        """Runners with equal keys can decide in one batched call (:mod:`.fused`): same architecture,
        device and mode. None: this one acts alone (a policy in training mode, e.g. with dropout)."""
        from .fused import fuse_key

        return fuse_key(self.policy)

    @staticmethod
    def make_fuser():
        """What acts for several runners of one ``fuse_key`` in one call (:class:`.fused.Fuser`)."""
        from .fused import Fuser

        return Fuser()

    def _due(self, rows: np.ndarray) -> np.ndarray:
        """Which of ``rows`` decide this frame (the first frame of their block), as a mask over ``rows``."""
        if rows.size:
            self._grow(int(rows.max()) + 1)
        if self.repeat == 1:
            return np.ones(rows.size, bool)
        return self._left[rows] == 0

    def _hold(self, rows: np.ndarray, due: np.ndarray, decided: np.ndarray) -> np.ndarray:
        """The keys of ``rows`` this frame, given the keys ``decided`` for ``rows[due]``."""
        if self.repeat == 1:
            return decided
        if due.any():
            self._held[rows[due]] = decided
            self._left[rows[due]] = self.repeat
        self._left[rows] -= 1
        return self._held[rows].copy()

    def _decide(self, obs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        if rows.size == 0:
            return np.zeros((0, 10), np.int8)
        return self._draw(self._probs(obs, rows), rows)

    @torch.no_grad()
    def _probs(self, obs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Each key's press probability ``(m, 10)`` (float64) for ``rows``, advancing their state a frame."""
        policy = self.policy
        o = torch.as_tensor(obs, dtype=torch.float32, device=policy.device)
        everyone = rows.size == self.rows and (rows == np.arange(self.rows)).all()
        idx = None if everyone else torch.as_tensor(rows, device=policy.device)
        return policy.key_probs(o, self.state, idx).double().cpu().numpy()

    def _draw(self, p: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Keys from probabilities ``p`` for ``rows``: each row's own counter-based draws (see the class)."""
        if self.deterministic:
            return (p > 0.5).astype(np.int8)
        t = self._t[rows]
        self._t[rows] = t + np.uint64(1)
        base = _splitmix64(self._seed[rows] ^ _splitmix64(t))
        h = _splitmix64(base[:, None] ^ np.arange(1, p.shape[1] + 1, dtype=np.uint64)[None, :])
        u = (h >> np.uint64(11)).astype(np.float64) * _U53
        return (u < p).astype(np.int8)
