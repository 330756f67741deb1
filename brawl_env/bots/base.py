"""The bot interface: a scripted player that reads the named observation view and presses keys.

A bot subclasses :class:`Bot`, states its plan in its docstring (the first line is its one-line
description in ``brawl-league bots list``), keeps its state in attributes that ``reset`` clears, and
returns ten keys per frame from ``act``. Build keys by name with :func:`press`::

    class Rusher(Bot):
        "Walks at the opponent and jabs."
        def act(self, view):
            toward = "right" if view.opponent.x > view.me.x else "left"
            return press(toward, "light")

A bot whose only memory is how many frames it has played since ``reset`` (no generator, nothing
learned about the opponent) can subclass :class:`FrameBot` instead and write its plan once, on arrays:
``act_batch(obs, frames)`` gives the keys of many matches at once. Its ``act`` is that plan for one row,
and :func:`brawl_env.bots.bot_agent` plays it for every match of a batch in one call. Bots never see the
engine: only what an agent sees.
"""

from __future__ import annotations

import numpy as np

from ..engine.layout import KEY_LETTERS, KEY_NAMES, N_KEYS
from ..view import ObsView

_ALIASES = {name: i for i, name in enumerate(KEY_NAMES)}
_ALIASES.update({letter.lower(): i for i, letter in enumerate(KEY_LETTERS)})
_ALIASES.update(
    {"space": KEY_NAMES.index("jump"), "dodge": KEY_NAMES.index("dash"), "drop": KEY_NAMES.index("pickup")}
)


def key_index(name: str) -> int:
    """The action index of a key named ``name`` (``"right"``, ``"D"``, ``"jump"``, ``"space"`` ...)."""
    try:
        return _ALIASES[name.lower()]
    except (KeyError, AttributeError):
        from ..names import did_you_mean

        hint = did_you_mean(str(name), list(_ALIASES))
        raise ValueError(
            f"unknown key {name!r}; keys: {list(KEY_NAMES)} (or letters {list(KEY_LETTERS)})"
            + (f" ({hint})" if hint else "")
        ) from None


def press(*names: str) -> np.ndarray:
    """Ten keys with the named ones down: ``press("right", "light")``."""
    keys = np.zeros(N_KEYS, np.int8)
    for name in names:
        keys[key_index(name)] = 1
    return keys


NO_KEYS = np.zeros(N_KEYS, np.int8)


def _accept_seed(fn):
    """``fn`` (a bot's ``reset``) as ``reset(self, seed=None)``: as it is when it takes ``seed`` by that name
    (or ``**kwargs``); else wrapped to pass the seed positionally if it has a second parameter, or drop it."""
    import functools
    import inspect

    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return fn  # cannot tell: called as documented
    if any(p.name == "seed" or p.kind is p.VAR_KEYWORD for p in params):
        return fn
    positional = any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params[1:]
    )

    @functools.wraps(fn)
    def reset(self, seed: int | None = None) -> None:
        return fn(self, seed) if positional else fn(self)

    return reset


class Bot:
    """Base class of scripted players (see the module docstring)."""

    #: per-frame time budget in seconds; a slower act is a forfeit in a match
    time_budget: float = 0.05

    def __init__(self) -> None:
        self.reset()

    def __init_subclass__(cls, **kwargs) -> None:
        """A subclass may write ``reset(self)`` without ``seed``: it is taken as ``reset(self, seed=None)``
        that ignores the seed, so every caller can pass one (the one place this is adapted)."""
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("reset")
        if own is not None and callable(own):
            cls.reset = _accept_seed(own)

    def reset(self, seed: int | None = None) -> None:
        """Forget everything about the last match; ``seed`` seeds any randomness the bot has."""

    def act(self, view: ObsView) -> np.ndarray:
        """Ten keys (0/1) for this frame, from the named view of this player's observation."""
        return NO_KEYS.copy()

    @classmethod
    def describe(cls) -> str:
        """The docstring's first line."""
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else cls.__name__

    @property
    def name(self) -> str:
        return type(self).__name__


class FrameBot(Bot):
    """A bot whose keys depend only on its observation and the frames it has played since ``reset``.

    Subclasses write :meth:`act_batch`, the plan for many matches at once; ``act`` plays it for one.
    The promise (no other memory, no randomness) is what lets one instance play every match of a batch.
    """

    def reset(self, seed: int | None = None) -> None:
        self.t = 0

    def act(self, view: ObsView) -> np.ndarray:
        keys = self.act_batch(np.asarray(view.obs)[None], np.array([self.t], np.int64))[0]
        self.t += 1
        return keys

    def act_batch(self, obs: np.ndarray, frames: np.ndarray) -> np.ndarray:
        """Keys ``(m, 10)`` of 0/1 for observations ``(m, D)`` of m matches, where match i has played
        ``frames[i]`` frames since its reset (0 on its first call)."""
        raise NotImplementedError
