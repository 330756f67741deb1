"""Slow, obvious twins of the built-in bots whose plans are written on arrays (``FrameBot``s), one frame
and one match at a time in plain Python: the tests compare the batched plans with them."""

from __future__ import annotations

import numpy as np

from brawl_env.bots import Bot
from brawl_env.bots import tactics as T
from brawl_env.engine import layout as L


class ReferenceBasedBot(Bot):
    """BasedBot's plan, frame by frame, as ``brawl_env.bots.builtin.BasedBot`` documents it."""

    EDGE = 0.8

    def reset(self, seed: int | None = None) -> None:
        self.t = 0

    def act(self, view) -> np.ndarray:
        self.t += 1
        me, opp = view.me, view.opponent
        mx, my, ox, oy = float(me.x), float(me.y), float(opp.x), float(opp.y)
        keys = np.zeros(L.N_KEYS, np.int8)
        over = T.floor_under(mx, my, slack=0.3)
        off_stage = not bool(me.grounded) and (over is None or not over.x0 < mx < over.x1)
        near = (ox - mx) ** 2 + (oy - my) ** 2 < 4.0
        falling = False
        if off_stage:
            goal = T.floor_under(ox, oy + 0.1) if bool(opp.grounded) else None
            goal = goal or T.nearest_floor(mx)
            keys[L.K_RIGHT if goal.clamp(mx, 1.0) > mx else L.K_LEFT] = 1
            falling = float(me.vy) < 0.0 and my < goal.top + 1.5
        elif mx > T.RIGHT.x1 - self.EDGE or mx < T.LEFT.x0 + self.EDGE:
            if not near:  # near the opponent it stands and jabs
                keys[L.K_LEFT if mx > 0 else L.K_RIGHT] = 1
        elif int(opp.state) not in (L.S_STUN, L.S_KO):
            keys[L.K_RIGHT if ox > mx else L.K_LEFT] = 1
        if (falling or oy > my + 0.1) and self.t % 2 == 0:
            keys[L.K_JUMP] = 1
        if not off_stage and near:
            keys[L.K_LIGHT] = 1
        return keys


class ReferenceClockworkBot(Bot):
    """ClockworkBot's sheet, one frame at a time."""

    def __init__(self, sheet=None, loop: bool = False):
        from brawl_env.bots.builtin import ClockworkBot

        self.frames = []
        for count, names in ClockworkBot.DEFAULT_SHEET if sheet is None else sheet:
            keys = np.zeros(L.N_KEYS, np.int8)
            for name in names:
                keys[L.KEY_NAMES.index(name)] = 1
            self.frames.extend([keys] * count)
        self.loop = loop
        super().__init__()

    def reset(self, seed: int | None = None) -> None:
        self.t = 0

    def act(self, view) -> np.ndarray:
        t = self.t
        self.t += 1
        if self.loop and self.frames:
            t %= len(self.frames)
        return self.frames[t].copy() if t < len(self.frames) else np.zeros(L.N_KEYS, np.int8)


class ReferenceConstantBot(Bot):
    def act(self, view) -> np.ndarray:
        return np.zeros(L.N_KEYS, np.int8)
