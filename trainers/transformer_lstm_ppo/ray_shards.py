"""The plugin's side of ``run.backend = "ray"``: its opponents built inside Ray shards.

:mod:`trainers.ray_backend` runs the matches in Ray actors; this module says how this plugin's opponents
get there. The learner ships each bot, frozen agent or league snapshot as its
:class:`league.agents.AgentSpec` with the file's bytes (a shard may run on a machine without the run's
folder), and the shard builds it with :func:`league.agents.make_agent` on its CPU. The mirror is a copy
of the learner's policy in the shard, loaded with the learner's weights after every update (a local
run's mirror is the live policy, so both play the weights of the last update).
"""

from __future__ import annotations

from typing import Any

from .config import ModelConfig


class ShardOpponents:
    """Builds this plugin's opponents inside a shard (:class:`trainers.ray_backend.OpponentBuilder`).

    :param model: the run's model sizes (the mirror's network).
    :param seed: the run's seed (bots' and the mirror's seeds for resets without seeds).
    """

    def __init__(self, model: ModelConfig, seed: int):
        self.model, self.seed = model, int(seed)
        self._weights: Any = None
        self._policy = None

    def __getstate__(self) -> dict:  # settings travel to the shards, never a network
        return {"model": self.model, "seed": self.seed, "_weights": None, "_policy": None}

    def make(self, pick, payload):
        """A pick's opponent: an agent spec's agent, or the mirror when there is no payload."""
        _one_thread()
        if payload is None:
            from .policy import PolicyRunner

            return PolicyRunner(
                self._mirror(), name="mirror", kind="mirror", repeat=self.model.action_repeat, seed=self.seed
            )
        from league.agents import make_agent

        return make_agent(payload, device="cpu", seed=self.seed)

    def set_weights(self, weights: dict) -> None:
        """The learner's weights after its last update: the mirror plays them from the next frame."""
        self._weights = weights
        if self._policy is not None:
            self._policy.load_state_dict(weights)  # in place: the fused forward restacks on the new versions

    def _mirror(self):
        if self._policy is None:
            if self._weights is None:
                raise RuntimeError(
                    "a mirror opponent was picked before the learner's weights reached the shard"
                )
            from .policy import build_policy

            policy = build_policy(self.model, "cpu")
            policy.load_state_dict(self._weights)
            policy.set_training_mode(False)
            self._policy = policy
        return self._policy


def _one_thread() -> None:
    """One torch thread per shard: shards are the parallelism (as the tournament's workers are)."""
    import torch

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)


def weights_version(policy) -> tuple[int, ...]:
    """Changes whenever any weight is written in place (an optimizer step, a ``load_state_dict``)."""
    return tuple(p._version for p in policy.parameters())


def cpu_weights(policy) -> dict:
    """The policy's weights as CPU tensors (what a shard's mirror loads)."""
    return {k: v.detach().to("cpu", copy=True) for k, v in policy.state_dict().items()}


def ray_env(trainer, seed: int):
    """The trainer's matches as a :class:`trainers.ray_backend.RayVecEnv` of ``run.shards`` shards."""
    from trainers.ray_backend import RayVecEnv

    cfg = trainer.config

    def ship(drawn):
        return None if drawn.kind == "mirror" else trainer.opponent_spec(drawn).with_payload()

    return RayVecEnv(
        cfg.ppo.n_envs,
        cfg.run.shards,
        env_config=cfg.env,
        choose_opponent=trainer._choose,
        ship_opponent=ship,
        opponents=ShardOpponents(cfg.model, cfg.seed),
        seed=seed,
        action_repeat=cfg.model.action_repeat,
        weights_version=lambda: weights_version(trainer.model.policy),
        weights=lambda: cpu_weights(trainer.model.policy),
        address=cfg.run.address,
    )
