"""Seeded evaluation matches: a learner against an opponent, both agents of the one agent protocol
(``brawl_env.bots.Agent``), played by the match runner (``brawl_env.match.Lanes``).

The learner takes slot 0 in even games and slot 1 in odd ones, and game k starts from match seed
``match_seed(seed, k)``, so an evaluation is reproducible and fair to both sides. All games run together
in lock step. Both sides are the trainer's own, so an error in either is raised, not a forfeit.

:func:`play_bots` evaluates against several bots in one lock-step batch (one learner forward per
frame for all of them), under the tournament's default rules unless told otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from brawl_env.bots import bot_agent
from brawl_env.config import MAX_FRAMES, STOCKS
from brawl_env.engine.rng import match_seed
from brawl_env.match import Lanes


def play_games(
    learner,
    opponent,
    games: int,
    seed: int = 0,
    max_frames: int = MAX_FRAMES,
    stocks: int = STOCKS,
    damage_tiebreak: bool = False,
    seeds: list[int] | None = None,
) -> list[dict]:
    """Play ``games`` matches; returns one dict per game from the learner's side. Game ``k`` starts
    from ``match_seed(seed, k)``, or from ``seeds[k]`` when given."""
    if seeds is None:
        seeds = [match_seed(seed, k) for k in range(games)]
    lanes = Lanes(
        seeds,
        seeds=[seed] * games,
        max_frames=max_frames,
        stocks=stocks,
        damage_tiebreak=damage_tiebreak,
        errors="raise",
    )
    rows = np.arange(games)
    slot = rows % 2
    lanes.seat(learner, rows, slot)
    if isinstance(opponent, (list, tuple)):  # opponent i plays games [i * m, (i + 1) * m), m = games // len
        m = games // len(opponent)
        for i, opp in enumerate(opponent):
            lanes.seat(opp, rows[i * m : (i + 1) * m], 1 - slot[i * m : (i + 1) * m])
    else:
        lanes.seat(opponent, rows, 1 - slot)
    out = []
    for k, res in enumerate(lanes.run()):
        s = int(slot[k])
        out.append(
            {
                "game": k,
                "seed": int(seed),
                "slot": s,
                "result": res.result_for(s),
                "frames": res.frames,
                "truncated": res.ended_by == "time",
                "stats": res.stats[s],
                "opponent_stats": res.stats[1 - s],
            }
        )
    return out


EVAL_BOTS = ("ConstantBot", "RandomBot", "ClockworkBot", "BasedBot", "SpacerBot", "EdgeGuardBot", "ArmoryBot")
"""Every built-in bot, weakest first: what a training run is evaluated against."""


def play_bots(
    learner,
    bots: tuple[str, ...] | list[str] = EVAL_BOTS,
    games: int = 10,
    seed: int = 0,
    max_frames: int = MAX_FRAMES,
    stocks: int = STOCKS,
    damage_tiebreak: bool = False,
) -> dict[str, list[dict]]:
    """``games`` seeded matches against each bot, all in one batch; ``{bot: games from play_games}``.

    Game ``k`` against every bot starts from the same seed, so bots are compared on the same starts.
    ``learner`` must accept ``len(bots) * games`` rows.
    """
    bots = list(bots)
    opponents = [bot_agent(b, seed=seed) for b in bots]
    n = len(bots) * games
    results = play_games(
        learner,
        opponents,
        n,
        seed=seed,
        max_frames=max_frames,
        stocks=stocks,
        damage_tiebreak=damage_tiebreak,
        seeds=[match_seed(seed, k % games) for k in range(n)],
    )
    out: dict[str, list[dict]] = {b: [] for b in bots}
    for r in results:
        i = r["game"] // games
        out[bots[i]].append({**r, "game": r["game"] - i * games, "opponent": bots[i]})
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
