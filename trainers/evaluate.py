"""Seeded evaluation matches: a learner (anything with the opponent interface) against an opponent.

Both sides are "players" with ``reset_rows(rows)`` and ``act(obs, rows)``; the learner takes slot 0
in even games and slot 1 in odd ones, and every game starts from its own seed, so an evaluation is
reproducible and fair to both sides. All games run together in one BatchEnv.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brawl_env import BatchEnv
from brawl_env.engine import layout as L
from brawl_env.engine.rng import match_seed


def play_games(learner, opponent, games: int, seed: int = 0, max_frames: int = 2700, stocks: int = 3,
               damage_tiebreak: bool = False) -> list[dict]:
    """Play ``games`` matches; returns one dict per game from the learner's side."""
    env = BatchEnv(games, max_frames=max_frames, stocks=stocks, damage_tiebreak=damage_tiebreak)
    obs = env.reset(match_seeds=[match_seed(seed, k) for k in range(games)])
    rows = np.arange(games)
    slot = rows % 2
    learner.reset_rows(rows)
    opponent.reset_rows(rows)
    keys = np.zeros((games, 2, L.N_KEYS), np.uint8)
    done = np.zeros(games, bool)
    results: list[dict | None] = [None] * games
    for frame in range(max_frames):
        live = np.flatnonzero(~done)
        keys[:] = 0
        keys[live, slot[live]] = learner.act(obs[live, slot[live]], live)
        keys[live, 1 - slot[live]] = opponent.act(obs[live, 1 - slot[live]], live)
        obs, _, term, trunc, info = env.step(keys)
        for k in np.flatnonzero((term | trunc) & ~done):
            s = slot[k]
            st = info["final_stats"][k]
            res = int(info["result"][k])
            outcome = "draw" if res == L.R_DRAW else ("win" if res == (L.R_P0_WINS if s == 0 else L.R_P1_WINS) else "loss")
            results[k] = {
                "game": int(k), "seed": int(seed), "slot": int(s), "result": outcome, "frames": frame + 1,
                "truncated": bool(trunc[k]),
                "stats": {name: float(st[s, i]) for i, name in enumerate(L.STAT_NAMES)},
                "opponent_stats": {name: float(st[1 - s, i]) for i, name in enumerate(L.STAT_NAMES)},
            }
            done[k] = True
        if done.all():
            break
    return [r for r in results if r is not None]


def summarise(games: list[dict]) -> dict[str, Any]:
    """Win rate, average damage, knockouts and time of a list of games from :func:`play_games`."""
    n = max(len(games), 1)
    return {
        "games": len(games),
        "win_rate": sum(g["result"] == "win" for g in games) / n,
        "draw_rate": sum(g["result"] == "draw" for g in games) / n,
        "avg_damage_dealt": sum(g["stats"]["damage_dealt"] for g in games) / n,
        "avg_damage_taken": sum(g["stats"]["damage_taken"] for g in games) / n,
        "avg_knockouts": sum(g["stats"]["knockouts_dealt"] for g in games) / n,
        "avg_knocked_out": sum(g["stats"]["knockouts_taken"] for g in games) / n,
        "avg_time_s": sum(g["frames"] for g in games) / n / 30.0,
    }
