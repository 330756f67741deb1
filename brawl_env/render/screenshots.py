"""The docs' screenshots: a scripted match (:func:`screenshot_states`) drawn at a few telling frames
(:func:`make_screenshots`)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pygame

from ..config import MAX_FRAMES
from ..engine import layout as L
from ..engine import moves as MV
from .draw import Renderer


def _scripted_keys(state, p: int, rng: np.random.Generator) -> np.ndarray:
    """A lively stand-in player for screenshots: fetch a weapon, then close in and attack."""
    pf, pi, it, itf = state.pf[0], state.pi[0], state.it[0], state.itf[0]
    x, y = pf[p, L.PX], pf[p, L.PY]
    q = 1 - p
    keys = np.zeros(L.N_KEYS, np.uint8)
    target = pf[q, L.PX]
    if pi[p, L.WEAPON] == L.W_PUNCH:
        best = None
        for i in range(L.N_ITEMS):
            if it[i, L.IKIND] in (L.I_SHOWING, L.I_LOOSE):
                d = abs(itf[i, L.IX] - x) + abs(itf[i, L.IY] - y)
                if best is None or d < best[0]:
                    best = (d, itf[i, L.IX])
        if best is not None:
            target = best[1]
            keys[L.K_PICKUP] = 1 if best[0] < 1.2 and rng.random() < 0.5 else 0
    if abs(target - x) > 0.4:
        keys[L.K_RIGHT if target > x else L.K_LEFT] = 1
    if y < -2.6 or (target < -2 and x > 0 and rng.random() < 0.1) or rng.random() < 0.03:
        keys[L.K_JUMP] = 1 if pi[0, L.STATE_FRAMES] % 2 == 0 or y < -2.6 else 0
    if abs(pf[q, L.PX] - x) < 1.6 and abs(pf[q, L.PY] - y) < 1.4:
        keys[L.K_LIGHT if rng.random() < 0.6 else L.K_HEAVY] = 1
        if rng.random() < 0.2:
            keys[L.K_DOWN] = 1
    if rng.random() < 0.02:
        keys[L.K_DASH] = 1
    return keys


def screenshot_states(seed: int = 7, frames: int = 900) -> list:
    """Play a scripted match and return copies of the states at a few telling frames:
    ``[(label, state)]`` with a fight in full swing (an attack live, a weapon on the stage, damage on
    both players) and a knockout burst, when the match has them."""
    from ..config import make_config
    from ..engine.core import Engine
    from ..engine.rng import match_seed
    from ..engine.state import State

    engine = Engine(1, make_config(max_frames=MAX_FRAMES))
    engine.reset(np.array([match_seed(seed, 0)], np.uint64))
    rng = np.random.default_rng(seed)
    renderer_moves = MV.load()
    picks: dict[str, State] = {}
    best_score = -1.0
    for _ in range(frames):
        st = engine.state
        for p in range(2):
            engine.keys[0, p] = _scripted_keys(st, p, rng)
        engine.step(auto_reset=False)
        if st.mi[0, L.DONE] != L.RUNNING:
            break
        pf, pi, it = st.pf[0], st.pi[0], st.it[0]
        live = []
        for p in range(2):
            ph = pi[p, L.PHASE]
            if pi[p, L.STATE] == L.S_ATTACK and ph >= 0:
                s = renderer_moves.pi[ph, MV.PH_STARTUP]
                a = renderer_moves.pi[ph, MV.PH_ACTIVE]
                live.append(s <= pi[p, L.PHASE_FRAME] < s + a and renderer_moves.pi[ph, MV.PH_NBOXES] > 0)
            else:
                live.append(False)
        on_screen = all(
            abs(pf[p, L.PX]) < 7.2 and -3.5 < pf[p, L.PY] < 3.5 and pi[p, L.STATE] != L.S_KO for p in range(2)
        )
        items = sum(1 for i in range(L.N_ITEMS) if it[i, L.IKIND] in (L.I_SHOWING, L.I_LOOSE))
        armed = sum(1 for p in range(2) if pi[p, L.WEAPON] != L.W_PUNCH)
        close = abs(pf[0, L.PX] - pf[1, L.PX]) < 2.2
        score = (
            on_screen * 4
            + any(live) * 3
            + close * 2
            + min(items, 1)
            + armed * 1.5
            + (pf[0, L.DAMAGE] > 20)
            + (pf[1, L.DAMAGE] > 20)
        )
        if score > best_score:
            best_score = score
            picks["fight"] = State(*(a.copy() for a in st))
        if "ko" not in picks and any(
            pi[p, L.STATE] == L.S_KO and pi[p, L.STATE_FRAMES] == 6 for p in range(2)
        ):
            picks["ko"] = State(*(a.copy() for a in st))
    return list(picks.items())


def make_screenshots(out_dir: str | os.PathLike = "docs", seed: int = 7) -> list[Path]:
    """Write the docs' screenshots: ``screenshot_480p.png``, ``screenshot_720p.png``,
    ``screenshot_hitboxes.png`` (720p, debug overlay) and ``screenshot_ko.png`` (480p)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    states = dict(screenshot_states(seed))
    names = ("Red", "Blue")
    jobs = [
        ("screenshot_480p.png", "480p", False, "fight"),
        ("screenshot_720p.png", "720p", False, "fight"),
        ("screenshot_hitboxes.png", "720p", True, "fight"),
        ("screenshot_ko.png", "480p", False, "ko"),
    ]
    written = []
    for filename, res, boxes, which in jobs:
        if which not in states:
            continue
        r = Renderer(resolution=res, names=names, hitboxes=boxes)
        r.draw(states[which])
        path = out / filename
        pygame.image.save(r.canvas, str(path))
        written.append(path)
        r.close()
    return written
