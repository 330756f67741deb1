"""A named view over observation vectors, for scripted bots and tests.

``ObsView(obs)`` reads fields by name in world units: ``view.me.x`` (units), ``view.me.damage``
(points), ``view.opponent.state`` (state index), ``view.me.weapon`` (0 punch, 1 spear, 2 hammer),
``view.world.platform_x``. It works on one vector ``(D,)`` or on a batch ``(..., D)``, where every
field is an array. Values are decoded from the scaled observation, so a field that was clipped at its
bound (a speed past 30 u/s, say) reads as the bound.

Each player block also answers the questions bot authors ask in plain words (see ``docs/bots.md``):
``attacking`` (also ``is_attacking``: a move is under way), ``in_air`` (not standing on anything, and
not knocked out), ``facing_me`` / ``facing_opponent`` (this player faces the other one), ``knocked_out``,
``stunned``, ``dodging``, and the names ``state_name``, ``move_name``, ``weapon_name``. On a batch they
are arrays too.
"""

from __future__ import annotations

import numpy as np

from .engine.layout import MOVE_NAMES, S_DODGE, S_KO, S_STUN, STATE_NAMES, WEAPON_NAMES
from .engine.obs import (
    ME_BASE,
    OPP_BASE,
    PLAYER_FIELDS,
    PLAYER_OFFSETS,
    WORLD_FIELDS,
    WORLD_OFFSETS,
    Field,
)

_PLAYER = {f.name: f for f in PLAYER_FIELDS}
_WORLD = {f.name: f for f in WORLD_FIELDS}


def _decode(obs: np.ndarray, at: int, f: Field):
    if f.kind == "onehot":
        return np.argmax(obs[..., at : at + f.size], axis=-1)
    v = obs[..., at]
    if f.kind == "flag":
        return v > 0.5
    return v * f.scale


def _names(table, index):
    index = np.asarray(index)
    return table[int(index)] if index.ndim == 0 else np.asarray(table)[index]


class _Block:
    __slots__ = ("_obs", "_base", "_fields", "_offsets", "_other")

    def __init__(self, obs, base, fields, offsets, other: int | None = None):
        self._obs, self._base, self._fields, self._offsets = obs, base, fields, offsets
        self._other = other  # the other player's block base, for facing_me

    def __getattr__(self, name):
        try:
            f = self._fields[name]
        except KeyError:
            raise AttributeError(f"no observation field {name!r}; fields: {sorted(self._fields)}") from None
        return _decode(self._obs, self._base + self._offsets[name], f)

    def __dir__(self):
        return sorted(self._fields) + (_HELPERS if self._other is not None else [])

    # plain-language helpers (player blocks only)
    @property
    def attacking(self):
        """True while a move (any attack, recovery or ground pound) is under way: ``move != 0``."""
        return self.move != 0

    is_attacking = attacking

    @property
    def in_air(self):
        """True when standing on neither a floor nor the platform, and not knocked out."""
        return ~np.asarray(self.grounded) & (np.asarray(self.state) != S_KO)

    @property
    def facing_me(self):
        """True when this player faces the other one (read on the opponent: it faces me)."""
        other = _Block(self._obs, self._other, self._fields, self._offsets)
        return np.sign(other.x - self.x) == np.sign(self.facing)

    facing_opponent = facing_me

    @property
    def knocked_out(self):
        """True while knocked out (waiting to respawn)."""
        return self.state == S_KO

    @property
    def stunned(self):
        """True while stunned by a hit."""
        return self.state == S_STUN

    @property
    def dodging(self):
        """True during a dodge."""
        return self.state == S_DODGE

    @property
    def state_name(self):
        """The state by name (``layout.STATE_NAMES``: ``"standing"``, ``"in_air"``, ``"attack"`` ...)."""
        return _names(STATE_NAMES, self.state)

    @property
    def move_name(self):
        """The move by name (``layout.MOVE_NAMES``; ``"none"`` when not attacking)."""
        return _names(MOVE_NAMES, self.move)

    @property
    def weapon_name(self):
        """The held weapon by name: ``"punch"`` (none), ``"spear"`` or ``"hammer"``."""
        return _names(WEAPON_NAMES, self.weapon)


_HELPERS = [
    "attacking",
    "is_attacking",
    "in_air",
    "facing_me",
    "facing_opponent",
    "knocked_out",
    "stunned",
    "dodging",
    "state_name",
    "move_name",
    "weapon_name",
]


class ObsView:
    """Named access to one observation (or a batch); see the module docstring."""

    def __init__(self, obs):
        self.obs = np.asarray(obs)
        self.me = _Block(self.obs, ME_BASE, _PLAYER, PLAYER_OFFSETS, other=OPP_BASE)
        self.opponent = _Block(self.obs, OPP_BASE, _PLAYER, PLAYER_OFFSETS, other=ME_BASE)
        self.world = _Block(self.obs, 0, _WORLD, WORLD_OFFSETS)
