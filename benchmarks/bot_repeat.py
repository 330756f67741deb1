"""How much of a scripted bot's strength survives deciding only every k-th frame?

    python benchmarks/bot_repeat.py ArmoryBot --repeats 1 2 3 --games 40 [--bots SpacerBot EdgeGuardBot ArmoryBot]

The learner holds its keys for ``model.action_repeat`` frames and imitates a teacher bot (``ppo.teacher``),
so a perfect imitation is the teacher deciding every k-th frame: the bot is asked for keys only on the
frames a learner would decide on (its own memory of the keys it pressed stays true) and its keys are held
in between. Plays ``--games`` seeded matches (seeds 1000, 1001, ...) of the held bot in slot 0 against each
opponent under the tournament's default rules and prints its win rate per repeat: the ceiling of an
imitation at that action repeat (docs/trainer.md, "League curriculum ablations").
"""

from __future__ import annotations

import argparse

import numpy as np


class Held:
    """An agent that asks ``inner`` for keys on every ``k``-th frame of each row and holds them between."""

    def __init__(self, inner, k: int, rows: int):
        self.inner, self.k, self.name = inner, int(k), f"{inner.name}@{k}"
        self.keys = np.zeros((rows, 10), np.int8)
        self.age = np.zeros(rows, np.int64)

    def reset_rows(self, rows: np.ndarray, seeds: np.ndarray | None = None) -> None:
        self.inner.reset_rows(rows, seeds)
        self.age[rows] = 0

    def act(self, obs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        fresh = self.age[rows] % self.k == 0
        if fresh.any():
            self.keys[rows[fresh]] = self.inner.act(obs[fresh], rows[fresh])
        self.age[rows] += 1
        return self.keys[rows].copy()


def win_rate(bot: str, k: int, opponent: str, games: int) -> float:
    """Wins of ``bot`` deciding every ``k``-th frame against ``opponent`` in ``games`` seeded matches."""
    from brawl_env.match import Lanes
    from league.agents import make_agent, parse_agent

    lanes = Lanes([1000 + i for i in range(games)])
    rows = np.arange(games)
    lanes.seat(Held(make_agent(parse_agent(bot)), k, games), rows, 0)
    lanes.seat(make_agent(parse_agent(opponent)), rows, 1)
    results = lanes.run()
    return sum(r.result_for(0) == "win" for r in results) / games


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bot", help="the bot to hold (a bot spec)")
    ap.add_argument("--repeats", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--games", type=int, default=40)
    ap.add_argument("--bots", nargs="+", default=["BasedBot", "SpacerBot", "EdgeGuardBot", "ArmoryBot"])
    args = ap.parse_args(argv)
    if any(k < 1 for k in args.repeats) or args.games < 1:
        ap.error("--repeats and --games must be >= 1")
    print(f"{args.bot} deciding every k-th frame: wins in {args.games} games (slot 0, tournament rules)")
    print("k  " + "  ".join(f"{b:>12}" for b in args.bots))
    for k in args.repeats:
        rates = [win_rate(args.bot, k, b, args.games) for b in args.bots]
        print(f"{k:<2} " + "  ".join(f"{100 * r:11.0f}%" for r in rates), flush=True)


if __name__ == "__main__":
    main()
