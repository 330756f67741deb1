"""Why does an agent lose to a bot? Its knock-outs split by cause, with damage and weapon pickups.

    python benchmarks/ko_causes.py Champion --games 30 [--bots BasedBot SpacerBot EdgeGuardBot ArmoryBot]

Plays ``--games`` seeded matches (seeds 1000, 1001, ...) of AGENT (any agent spec: a bot, a checkpoint,
``Champion``) in slot 0 against each bot under the tournament's default rules, all lanes of a bot in one
lock-step batch, and counts per game: the agent's knock-outs that came within 2 s (60 frames) of a hit it
took ("after a hit") and those with no hit in the 2 s before (walked or fell off: "self"), the same for
the bot, each side's weapon pickups and damage dealt. Used to choose what the learner should be taught
(docs/trainer.md, "League curriculum ablations").
"""

from __future__ import annotations

import argparse

import numpy as np

BOTS = ["BasedBot", "SpacerBot", "EdgeGuardBot", "ArmoryBot"]


def ko_causes(agent: str, bot: str, games: int, window: int = 60) -> dict:
    """One bot's figures (per game) for ``agent`` in slot 0; see the module docstring."""
    from brawl_env.engine import layout as L
    from brawl_env.match import Lanes
    from league.agents import make_agent, parse_agent

    ev_index = {k: i for i, k in enumerate(L.EVENT_NAMES)}
    lanes = Lanes([1000 + i for i in range(games)])
    lanes.seat(make_agent(parse_agent(agent)), np.arange(games), 0)
    lanes.seat(make_agent(parse_agent(bot)), np.arange(games), 1)
    lanes.start()
    last_hit = np.full((games, 2), -(10**6))
    after_hit, self_ko, pickups, dealt = (np.zeros(2) for _ in range(4))
    while lanes.live.any():
        live = lanes.live.copy()
        lanes.step()
        ev = lanes.engine.state.ev
        for p in range(2):
            last_hit[(ev[:, p, ev_index["hit_taken"]] > 0) & live, p] = lanes.frame
            ko = (ev[:, p, ev_index["knocked_out"]] > 0) & live
            recent = lanes.frame - last_hit[:, p] <= window
            after_hit[p] += (ko & recent).sum()
            self_ko[p] += (ko & ~recent).sum()
            pickups[p] += ((ev[:, p, ev_index["weapon_pickup"]] > 0) & live).sum()
            dealt[p] += (ev[:, p, ev_index["damage_dealt"]] * live).sum()
    results = [lanes.results[k].result_for(0) for k in range(games)]
    return {
        "bot": bot,
        "games": games,
        "wins": results.count("win"),
        "agent_ko_after_hit": after_hit[0] / games,
        "agent_ko_self": self_ko[0] / games,
        "bot_ko_after_hit": after_hit[1] / games,
        "bot_ko_self": self_ko[1] / games,
        "agent_pickups": pickups[0] / games,
        "bot_pickups": pickups[1] / games,
        "agent_damage_dealt": dealt[0] / games,
        "bot_damage_dealt": dealt[1] / games,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("agent")
    ap.add_argument("--games", type=int, default=30)
    ap.add_argument("--bots", nargs="+", default=BOTS)
    args = ap.parse_args(argv)
    if args.games < 1:
        ap.error("--games must be at least 1")
    for bot in args.bots:
        r = ko_causes(args.agent, bot, args.games)
        print(
            f"{args.agent} vs {bot}: wins {r['wins']}/{r['games']}; knocked out after a hit "
            f"{r['agent_ko_after_hit']:.2f}/game, self {r['agent_ko_self']:.2f}; the bot: after a hit "
            f"{r['bot_ko_after_hit']:.2f}, self {r['bot_ko_self']:.2f}; pickups {r['agent_pickups']:.2f} / "
            f"{r['bot_pickups']:.2f}; damage dealt {r['agent_damage_dealt']:.0f} / {r['bot_damage_dealt']:.0f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
