"""Seeded evaluation matches: a learner against an opponent, both agents of the one agent protocol
(``brawl_env.bots.Agent``), played by the match runner (``brawl_env.match.Lanes``).

The learner takes slot 0 in even games and slot 1 in odd ones, and game k starts from match seed
``match_seed(seed, k)``, so an evaluation is reproducible and fair to both sides. All games run together
in lock step. Both sides are the trainer's own, so an error in either is raised, not a forfeit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brawl_env.engine.rng import match_seed
from brawl_env.match import Lanes


def play_games(learner, opponent, games: int, seed: int = 0, max_frames: int = 2700, stocks: int = 3,
               damage_tiebreak: bool = False) -> list[dict]:
    """Play ``games`` matches; returns one dict per game from the learner's side."""
    lanes = Lanes([match_seed(seed, k) for k in range(games)], seeds=[seed] * games, max_frames=max_frames,
                  stocks=stocks, damage_tiebreak=damage_tiebreak, errors="raise")
    rows = np.arange(games)
    slot = rows % 2
    lanes.seat(learner, rows, slot)
    lanes.seat(opponent, rows, 1 - slot)
    out = []
    for k, res in enumerate(lanes.run()):
        s = int(slot[k])
        out.append({"game": k, "seed": int(seed), "slot": s, "result": res.result_for(s), "frames": res.frames,
                    "truncated": res.ended_by == "time", "stats": res.stats[s], "opponent_stats": res.stats[1 - s]})
    return out


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
