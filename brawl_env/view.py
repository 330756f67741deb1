"""A named view over observation vectors, for scripted bots and tests.

``ObsView(obs)`` reads fields by name in world units: ``view.me.x`` (units), ``view.me.damage``
(points), ``view.opponent.state`` (state index), ``view.me.weapon`` (0 punch, 1 spear, 2 hammer),
``view.world.platform_x``. It works on one vector ``(D,)`` or on a batch ``(..., D)``, where every
field is an array. Values are decoded from the scaled observation, so a field that was clipped at its
bound (a speed past 30 u/s, say) reads as the bound.
"""

from __future__ import annotations

import numpy as np

from .engine.obs import (
    ME_BASE, OPP_BASE, PLAYER_FIELDS, PLAYER_OFFSETS, WORLD_FIELDS, WORLD_OFFSETS, Field,
)

_PLAYER = {f.name: f for f in PLAYER_FIELDS}
_WORLD = {f.name: f for f in WORLD_FIELDS}


def _decode(obs: np.ndarray, at: int, f: Field):
    if f.kind == "onehot":
        return np.argmax(obs[..., at:at + f.size], axis=-1)
    v = obs[..., at]
    if f.kind == "flag":
        return v > 0.5
    return v * f.scale


class _Block:
    __slots__ = ("_obs", "_base", "_fields", "_offsets")

    def __init__(self, obs, base, fields, offsets):
        self._obs, self._base, self._fields, self._offsets = obs, base, fields, offsets

    def __getattr__(self, name):
        try:
            f = self._fields[name]
        except KeyError:
            raise AttributeError(f"no observation field {name!r}; fields: {sorted(self._fields)}") from None
        return _decode(self._obs, self._base + self._offsets[name], f)

    def __dir__(self):
        return sorted(self._fields)


class ObsView:
    """Named access to one observation (or a batch); see the module docstring."""

    def __init__(self, obs):
        self.obs = np.asarray(obs)
        self.me = _Block(self.obs, ME_BASE, _PLAYER, PLAYER_OFFSETS)
        self.opponent = _Block(self.obs, OPP_BASE, _PLAYER, PLAYER_OFFSETS)
        self.world = _Block(self.obs, 0, _WORLD, WORLD_OFFSETS)
