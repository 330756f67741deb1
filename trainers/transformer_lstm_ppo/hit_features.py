"""Hit features: which moves would land if started now, worked out from the observation (``model.hit_features``).

The pilot bots win their fights by starting a move exactly when it will hit: the opponent's position is
led by its velocity over the move's startup and checked against the move's hit box
(:func:`brawl_env.bots.tactics.hits`, over the bots' move book :data:`brawl_env.bots.tactics.MOVES`). A
network has to learn that geometry (11 boxes per weapon, each with its own startup) from play; with
``hit_features`` on, the policy's per-frame MLP also reads the answers, computed in torch from the
observation it already gets:

- 22 flags: each of my 11 move slots (with the weapon I hold) started now facing right, then facing left,
  would hit the opponent where it will be at the move's first hit frame (``hits(s, slot, toward)``);
- 22 flags: the same for the opponent's moves against me (where it could hit me from now).

Nothing here has weights, and the flags are a fixed function of one frame's observation, so the features
need no state, add nothing to a checkpoint but the model card's ``hit_features = true``, and behave the
same in rollouts, training and every runner.
"""

from __future__ import annotations

import numpy as np
import torch

N_HIT_FEATURES = 44
"""Flags appended to the frame MLP's input: (mine, the opponent's) x (right, left) x 11 move slots."""


def move_table() -> np.ndarray:
    """The bots' move book as an array ``(weapons, 11, 5)``: first hit frame, fx0, fx1, dy0, dy1."""
    from brawl_env.bots.tactics import MOVES

    return np.array(
        [[(mv.first, mv.fx0, mv.fx1, mv.dy0, mv.dy1) for mv in weapon[1:]] for weapon in MOVES], np.float32
    )


class HitFeatures(torch.nn.Module):
    """``forward(obs (..., D)) -> (..., 44)`` float flags (see the module docstring)."""

    def __init__(self):
        super().__init__()
        from brawl_env.engine import params as P
        from brawl_env.engine.obs import OPP_BASE, PLAYER_FIELDS, PLAYER_OFFSETS

        scale = {f.name: f.scale for f in PLAYER_FIELDS}
        self.bases = (0, OPP_BASE)
        self.at = {k: PLAYER_OFFSETS[k] for k in ("x", "y", "vx", "vy", "grounded", "weapon")}
        self.scale = {k: float(scale[k]) for k in ("x", "y", "vx", "vy")}
        self.n_weapons = next(f.size for f in PLAYER_FIELDS if f.name == "weapon")
        from brawl_env.bots.tactics import LEAD_FALL_CAP

        self.gravity = float(P.GRAVITY)
        self.fall_cap = float(LEAD_FALL_CAP)  # the bots' own cap on how far a falling target is led
        self.fps = float(P.FPS)
        # not saved with the weights: the move book is the game's, not the checkpoint's
        self.register_buffer("moves", torch.from_numpy(move_table()), persistent=False)

    def _body(self, obs: torch.Tensor, base: int) -> dict[str, torch.Tensor]:
        at, sc = self.at, self.scale
        out = {k: obs[..., base + at[k]] * sc[k] for k in ("x", "y", "vx", "vy")}
        out["air"] = (obs[..., base + at["grounded"]] <= 0.5).to(obs.dtype)
        w = at["weapon"]
        out["weapon"] = obs[..., base + w : base + w + self.n_weapons].argmax(-1)
        return out

    def _hits(self, atk: dict, tgt: dict) -> torch.Tensor:
        """(..., 22): each of ``atk``'s slots facing right, then left, would hit ``tgt`` (lead 1)."""
        mv = self.moves[atk["weapon"]]  # (..., 11, 5)
        t = mv[..., 0] / self.fps  # seconds to the first hit
        e = lambda v: v.unsqueeze(-1)  # noqa: E731  (a body field against the 11 slots)
        ox = e(tgt["x"]) + e(tgt["vx"]) * t
        fall = e(tgt["vy"]) * t - 0.5 * self.gravity * t * t
        oy = e(tgt["y"]) + e(tgt["air"]) * fall.clamp(min=-self.fall_cap)
        mx = e(atk["x"]) + e(atk["air"]) * e(atk["vx"]) * t
        my = e(atk["y"]) + e(atk["air"]) * e(atk["vy"]) * t
        dx, dy = ox - mx, oy - my
        level = (mv[..., 3] <= dy) & (dy <= mv[..., 4])
        right = (mv[..., 1] <= dx) & (dx <= mv[..., 2]) & level
        left = (mv[..., 1] <= -dx) & (-dx <= mv[..., 2]) & level
        return torch.cat([right, left], dim=-1)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            x = obs.float()
            me, opp = (self._body(x, b) for b in self.bases)
            return torch.cat([self._hits(me, opp), self._hits(opp, me)], dim=-1).to(obs.dtype)
