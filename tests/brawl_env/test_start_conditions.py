"""Seeds vary the game: each match seed draws its own start conditions (docs/rules.md, "Randomness").

Before rules version 2 the seed decided only the sides (and the spawners' schedule, which two weapon-blind
bots ignore), so two deterministic bots played 2 distinct games whatever the number of seeds.
"""

from __future__ import annotations

import numpy as np
from helpers import make_engine, player

from brawl_env.bots.registry import bot_class
from brawl_env.engine import layout as L
from brawl_env.engine import params as P
from brawl_env.engine.rules.stage import SEG_LEN
from brawl_env.match import run_match


def _start(seed: int, **cfg):
    e = make_engine(seed, **cfg)
    players = {int(e.state.pi[0, p, L.SIDE]): player(e, p)["x"] for p in range(2)}
    return players[0], players[1], float(e.state.mf[0, L.PLAT_S]), float(e.state.mf[0, L.PLAT_DIR])


def test_start_conditions_are_drawn_within_their_ranges_and_repeat_per_seed():
    starts = [_start(seed) for seed in range(200)]
    right = np.array([s[0] for s in starts])
    left = np.array([s[1] for s in starts])
    plat = np.array([s[2] for s in starts])
    heading = np.array([s[3] for s in starts])
    assert np.all(np.abs(right - P.SPAWN_RIGHT_X) <= P.SPAWN_JITTER)
    assert np.all(np.abs(left - P.SPAWN_LEFT_X) <= P.SPAWN_JITTER)
    # spread over the range, not stuck at the base point
    assert right.max() - right.min() > 1.5 and left.max() - left.min() > 1.5
    assert np.all((plat >= P.PLAT_TURN_DIST) & (plat <= SEG_LEN - P.PLAT_TURN_DIST))
    assert plat.max() - plat.min() > 0.8 * (SEG_LEN - 2 * P.PLAT_TURN_DIST)
    assert set(heading.tolist()) == {-1.0, 1.0}
    assert [_start(seed) for seed in range(20)] == starts[:20]  # the same seed, the same start


def test_same_floor_spawns_stay_on_the_right_floor():
    for seed in range(50):
        e = make_engine(seed, spawn="same_floor")
        for p in range(2):
            x = player(e, p)["x"]
            assert P.FLOOR_R_X0 + P.HALF_W < x < P.FLOOR_R_X1 - P.HALF_W


def test_two_deterministic_bots_play_distinct_games_for_distinct_seeds():
    games = set()
    for seed in range(20):
        r = run_match(bot_class("EdgeGuardBot")(), bot_class("BasedBot")(), seed=seed)
        games.add((r.frames, r.winner, tuple(round(s["damage_dealt"], 6) for s in r.stats)))
    assert len(games) >= 15
