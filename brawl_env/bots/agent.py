"""The one agent protocol: whatever plays -- a scripted bot, a trained network, a human -- acts for many
rows at once.

A row is one match an agent plays in (its own numbering: a batch's lane, a vector env's match). An
:class:`Agent` has a ``name`` and two methods:

- ``reset_rows(rows, seeds=None)``: new matches start in ``rows``; forget them and seed whatever
  randomness they have from ``seeds`` (one 63-bit seed per row);
- ``act(obs, rows)``: the observations ``(m, D)`` of the rows ``(m,)`` it plays (its own view, itself
  first) in, ``(m, 10)`` keys of 0/1 out. It is called once per frame for every row it plays, so a
  row's state advances by exactly one frame per call.

An agent that guarantees exact 0/1 keys of the right shape says so with a true ``trusted_keys``; the
match runner checks every other agent's keys. An agent that fails for some rows and not others raises
:class:`Faults` (which rows, why, and the keys of the rest); anything else it raises fails all the rows
of the call.

Scripted bots play through :func:`bot_agent`: a :class:`~brawl_env.bots.FrameBot` (its plan written on
arrays) through its batched form, :class:`FrameAgent`, in one call per frame for all rows; any other bot
through :class:`BotAgent`, one instance per row. Both give each row exactly the keys of one bot playing
that match alone.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..engine.layout import N_KEYS
from ..view import ObsView
from .base import Bot, FrameBot
from .registry import bot_class

__all__ = ["Agent", "Faults", "BotAgent", "FrameAgent", "bot_agent", "key_faults"]


@runtime_checkable
class Agent(Protocol):
    """See the module docstring."""

    name: str

    def reset_rows(self, rows: np.ndarray, seeds: np.ndarray | None = None) -> None: ...

    def act(self, obs: np.ndarray, rows: np.ndarray) -> np.ndarray: ...


class Faults(Exception):
    """Some rows of one call failed. ``reasons`` maps a position in the call's rows to why; ``keys`` holds
    the keys of every position (zeros where it failed), or is None when nothing else was acted."""

    def __init__(self, reasons: dict[int, str], keys: np.ndarray | None = None):
        first = next(iter(reasons.values()), "")
        super().__init__(f"{len(reasons)} row(s) failed; first: {first}")
        self.reasons = dict(reasons)
        self.keys = keys


def key_faults(keys: np.ndarray) -> dict[int, str]:
    """Reasons for the rows of ``keys`` ``(m, 10)`` that hold anything but exactly 0 or 1."""
    if keys.dtype.kind == "b":
        return {}
    if keys.dtype.kind not in "iuf":
        return {
            i: f"bad keys: keys must be bool, integer or float 0/1 values; got dtype {keys.dtype}"
            for i in range(len(keys))
        }
    bad = (keys != 0) & (keys != 1)  # NaN equals neither
    out = {}
    for i in np.flatnonzero(bad.any(axis=1)).tolist():
        j = int(np.flatnonzero(bad[i])[0])
        out[i] = f"bad keys: every key must be exactly 0 or 1; got {keys[i, j]:g} at index {j}"
    return out


def _as_keys(keys: Any, out: np.ndarray, i: int) -> str | None:
    """Copy one bot's keys into ``out[i]`` (values are checked afterwards); a reason if they cannot be keys."""
    a = keys if type(keys) is np.ndarray else None
    if a is None:
        try:
            a = np.asarray(keys)
        except Exception as err:  # noqa: BLE001 - whatever a bot returned
            return f"bad keys: not an array of {N_KEYS} keys ({type(err).__name__})"
    if a.shape != (N_KEYS,):
        return f"bad keys: an action is {N_KEYS} keys, shape ({N_KEYS},); got shape {a.shape}"
    if a.dtype.kind not in "biuf":
        return f"bad keys: keys must be bool, integer or float 0/1 values; got dtype {a.dtype}"
    out[i] = a
    return None


class _Seeds:
    """Per-row seeds for resets that come without any: drawn from a generator seeded once."""

    def __init__(self, seed: int):
        self._rng = np.random.default_rng(int(seed) & 0xFFFFFFFFFFFFFFFF)

    def fill(self, rows: np.ndarray, seeds) -> np.ndarray:
        if seeds is None:
            return self._rng.integers(0, 2**63, len(rows))
        return np.asarray(seeds).astype(np.uint64)


class BotAgent:
    """Any bot as an :class:`Agent`: one instance per row, created at the row's first reset.

    :param bot: a :class:`~brawl_env.bots.Bot` subclass or a bot spec (``"BasedBot"``, ``"file.py:Class"``,
        ``"module:Class"``).
    :param bot_kwargs: keyword arguments for the bot's constructor.
    :param seed: seeds the per-row seeds of resets that come without seeds.
    :param name: the agent's name (default: the class name).

    Every call into the bot goes through :meth:`_call`, which a guard overrides (the tournament's
    per-frame budget); by default an exception from the bot propagates. Keys that are not ten 0/1
    values fail their row (:class:`Faults`).
    """

    trusted_keys = True  # checked row by row here

    def __init__(
        self, bot: type[Bot] | str, bot_kwargs: dict | None = None, *, seed: int = 0, name: str | None = None
    ):
        cls = bot_class(bot) if isinstance(bot, str) else bot
        if not (isinstance(cls, type) and issubclass(cls, Bot)):
            raise TypeError(f"{type(self).__name__} needs a Bot subclass or a bot spec string; got {bot!r}")
        self.bot_class = cls
        self.bot_kwargs = dict(bot_kwargs or {})
        self.name = name or cls.__name__
        self._seeds = _Seeds(seed)
        self.bots: dict[int, Bot] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name})"

    def _call(self, row: int, fn, what: str) -> tuple[Any, str | None]:
        """Run ``fn`` (a call into the bot of ``row``); ``(value, None)``, or ``(None, reason)`` when a
        guard stopped it."""
        return fn(), None

    def reset_rows(self, rows: np.ndarray, seeds: np.ndarray | None = None) -> None:
        rows = np.asarray(rows, np.int64)
        seeds = self._seeds.fill(rows, seeds)
        reasons = {}
        for i, (row, seed) in enumerate(zip(rows.tolist(), seeds.tolist())):
            bot = self.bots.get(row)
            if bot is None:
                bot, why = self._call(row, lambda: self.bot_class(**self.bot_kwargs), "creating the bot")
                if why is not None:
                    reasons[i] = why
                    continue
                self.bots[row] = bot
            _, why = self._call(row, lambda b=bot, s=int(seed): b.reset(seed=s), "reset")
            if why is not None:
                reasons[i] = why
        if reasons:
            raise Faults(reasons)

    def act(self, obs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, np.int64)
        raw = np.zeros((len(rows), N_KEYS), np.float64)
        reasons: dict[int, str] = {}
        for i, row in enumerate(rows.tolist()):
            if row not in self.bots:  # a row never reset starts as reset_rows would start it
                self.reset_rows(np.array([row]))
            bot = self.bots[row]
            keys, why = self._call(row, lambda b=bot, o=obs[i]: b.act(ObsView(o)), "act")
            if why is None:
                why = _as_keys(keys, raw, i)
            if why is not None:
                reasons[i] = why
        reasons.update({i: why for i, why in key_faults(raw).items() if i not in reasons})
        if reasons:
            raw[list(reasons)] = 0
            raise Faults(reasons, raw.astype(np.int8))
        return raw.astype(np.int8)


class FrameAgent:
    """The batched form of a :class:`~brawl_env.bots.FrameBot`: one instance plays every row, from each
    row's frame count (see ``FrameBot``); the keys equal those of one bot per row. Its keys are the
    bot's own, unchecked: callers check them (``trusted_keys`` is False)."""

    trusted_keys = False

    def __init__(self, bot: FrameBot, name: str | None = None):
        self.bot = bot
        self.name = name or type(bot).__name__
        self.frames = np.zeros(0, np.int64)  # per row: frames played since its reset

    def __repr__(self) -> str:
        return f"FrameAgent({self.name})"

    def _grow(self, rows: np.ndarray) -> None:
        need = int(rows.max()) + 1 if len(rows) else 0
        if need > len(self.frames):
            self.frames = np.concatenate([self.frames, np.zeros(need - len(self.frames), np.int64)])

    def reset_rows(self, rows: np.ndarray, seeds: np.ndarray | None = None) -> None:
        rows = np.asarray(rows, np.int64)
        self._grow(rows)
        self.frames[rows] = 0

    def act(self, obs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, np.int64)
        self._grow(rows)  # rows never reset start at frame 0
        t = self.frames[rows]
        self.frames[rows] = t + 1
        return self.bot.act_batch(obs, t)


def bot_agent(
    bot: type[Bot] | str,
    bot_kwargs: dict | None = None,
    *,
    seed: int = 0,
    batched: bool = True,
    name: str | None = None,
) -> FrameAgent | BotAgent:
    """A bot (class or spec) as an :class:`Agent`: its batched form when it is a
    :class:`~brawl_env.bots.FrameBot` (and ``batched``), else one instance per row."""
    cls = bot_class(bot) if isinstance(bot, str) else bot
    if batched and isinstance(cls, type) and issubclass(cls, FrameBot):
        return FrameAgent(cls(**dict(bot_kwargs or {})), name=name)
    return BotAgent(cls, bot_kwargs, seed=seed, name=name)
