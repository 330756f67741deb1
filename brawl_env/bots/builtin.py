"""Built-in bots: the original's baselines, and a ladder of stronger styles to climb.

Each bot reads only the named view (``brawl_env.ObsView``) of its own observation.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..engine import layout as L
from ..view import ObsView
from .base import NO_KEYS, Bot, key_index, press


class ConstantBot(Bot):
    """Idles: presses nothing, ever."""

    def act(self, view: ObsView) -> np.ndarray:
        return NO_KEYS.copy()

    def act_batch(self, obs: np.ndarray) -> np.ndarray:
        return np.zeros((len(obs), L.N_KEYS), np.int8)


class RandomBot(Bot):
    """Presses each key with probability 1/2 every frame, from its own seeded generator."""

    def reset(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, view: ObsView) -> np.ndarray:
        return self.rng.integers(0, 2, L.N_KEYS, dtype=np.int8)

    def act_batch(self, obs: np.ndarray) -> np.ndarray:
        return self.rng.integers(0, 2, (len(obs), L.N_KEYS), dtype=np.int8)


class BasedBot(Bot):
    """The original's baseline: walks at the opponent, hops when below it or falling, jabs within 2 units.

    Adapted to our stage: it turns back 0.8 units before a floor's outer edge (the original used a
    stale edge of an older stage), and "fallen" means below the lower floor's standing height.
    """

    EDGE = 6.2
    LOW = -2.6  # below the left floor's standing height (-2.35): falling into the pit

    def reset(self, seed: int | None = None) -> None:
        self.t = 0

    def act(self, view: ObsView) -> np.ndarray:
        self.t += 1
        me, opp = view.me, view.opponent
        keys = np.zeros(L.N_KEYS, np.int8)
        opp_helpless = opp.state in (L.S_STUN, L.S_KO)
        if me.x > self.EDGE:
            keys[L.K_LEFT] = 1
        elif me.x < -self.EDGE:
            keys[L.K_RIGHT] = 1
        elif not opp_helpless:
            keys[L.K_RIGHT if opp.x > me.x else L.K_LEFT] = 1
        if (me.y < self.LOW or opp.y > me.y + 0.1) and self.t % 2 == 0:
            keys[L.K_JUMP] = 1
        if (opp.x - me.x) ** 2 + (opp.y - me.y) ** 2 < 4.0:
            keys[L.K_LIGHT] = 1
        return keys


class ClockworkBot(Bot):
    """Plays a timed key sheet: a list of (frames, [key names]); after the sheet it idles.

    The default sheet is the original's: 10 frames left, a dash, 20 frames left, 3 frames left+light,
    15 frames jump. (The original kept its last entry pressed for ever; ours stops.)
    """

    DEFAULT_SHEET: Sequence[tuple[int, Sequence[str]]] = (
        (10, ("left",)), (1, ("dash",)), (20, ("left",)), (3, ("left", "light")), (15, ("jump",)),
    )

    def __init__(self, sheet: Sequence[tuple[int, Sequence[str]]] | None = None, loop: bool = False):
        sheet = self.DEFAULT_SHEET if sheet is None else sheet
        self.frames: list[np.ndarray] = []
        for entry in sheet:
            if not (isinstance(entry, (tuple, list)) and len(entry) == 2 and isinstance(entry[0], int) and entry[0] > 0):
                raise ValueError(f"ClockworkBot: each sheet entry is (frames > 0, [keys]); got {entry!r}")
            keys = np.zeros(L.N_KEYS, np.int8)
            for name in entry[1]:
                keys[key_index(name)] = 1
            self.frames.extend([keys] * entry[0])
        self.loop = loop
        super().__init__()

    def reset(self, seed: int | None = None) -> None:
        self.t = 0

    def act(self, view: ObsView) -> np.ndarray:
        t = self.t
        self.t += 1
        if self.loop and self.frames:
            t %= len(self.frames)
        return self.frames[t].copy() if t < len(self.frames) else NO_KEYS.copy()


__all__ = ["ConstantBot", "RandomBot", "BasedBot", "ClockworkBot", "press"]
