"""Bot benchmark: microseconds per ``act`` call of the pilot bots (SpacerBot, ArmoryBot, EdgeGuardBot).

    python benchmarks/bench_bots.py [--json] [--repeats R] [--seeds S] [--bots NAME ...]

Method (STYLE.md, "Benchmarks live apart from tests"):

- For each bot, the observations it sees in a fixed set of seeded matches (against each of the other
  bots of SpacerBot, ArmoryBot, EdgeGuardBot and BasedBot, seeds ``0 .. S-1``, sides swapped on odd
  seeds) are recorded first, so neither the engine nor the opponent is timed.
- A fresh bot then replays each match's observations in order (it presses the same keys as in the
  match, so it walks the same code paths); every ``act(view)`` call is timed on its own (the view is
  built outside the timer). One untimed pass warms up first.
- The clock is the thread's CPU time (``thread_time_ns``; reading it costs about 0.25 us, included):
  on a shared machine a call that is preempted takes milliseconds of wall time, and a few dozen such
  calls were half of a pass's wall time at a load of 8 on 2 cores. ``--clock wall`` times elapsed time.
- Per bot and pass: each match's mean microseconds per call, and their median over the matches
  (``median_us_per_act``, the headline figure); beside it the median single call
  (``median_us_per_call``; airborne frames cost most, so this is the cheap, grounded frame). Each figure
  is the median over ``--repeats`` passes. The bots take turns within a pass, so a change of load hits
  all of them alike.

The machine's load average is printed before and after: on a shared machine, say what it was.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

PILOTS = ("SpacerBot", "ArmoryBot", "EdgeGuardBot")
OPPONENTS = PILOTS + ("BasedBot",)


class _Recorder:
    """Plays a bot and keeps every observation it is shown."""

    def __init__(self, bot):
        self.bot, self.name, self.seen = bot, bot.name, []

    def reset(self, seed=None):
        self.bot.reset(seed)

    def act(self, obs):
        from brawl_env.view import ObsView

        self.seen.append(np.array(obs, copy=True))
        return self.bot.act(ObsView(obs))


def record(name: str, seeds: int) -> list[tuple[int, np.ndarray]]:
    """(reset seed, observations ``(frames, D)``) of every match ``name`` plays in the benchmark."""
    from brawl_env.bots import load_bot
    from brawl_env.engine.rng import match_seed
    from brawl_env.match import run_match

    out = []
    for opp in OPPONENTS:
        if opp == name:
            continue
        for seed in range(seeds):
            me, other = _Recorder(load_bot(name)), load_bot(opp)
            slot = seed % 2
            run_match(*((me, other) if slot == 0 else (other, me)), seed=seed)
            out.append(((match_seed(seed, 0) + slot) & 0x7FFFFFFFFFFFFFFF, np.stack(me.seen)))
    return out


CLOCKS = {"cpu": time.thread_time_ns, "wall": time.perf_counter_ns}


def time_calls(name: str, games: list[tuple[int, np.ndarray]], clock=time.thread_time_ns) -> list[np.ndarray]:
    """Nanoseconds of every ``act`` call of a fresh bot replaying ``games``, one array per game."""
    from brawl_env.bots import load_bot
    from brawl_env.view import ObsView

    bot = load_bot(name)
    out = []
    for seed, frames in games:
        bot.reset(seed=seed)
        ns = []
        for view in [ObsView(row) for row in frames]:
            t0 = clock()
            bot.act(view)
            ns.append(clock() - t0)
        out.append(np.array(ns))
    return out


def machine() -> dict:
    try:
        from brawl_league.bench import machine_info
    except ImportError:  # before the application layer moved out of league/
        from league.bench import machine_info
    return machine_info()


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="timed passes (default 5)")
    ap.add_argument("--seeds", type=int, default=2, help="seeds per opponent (default 2)")
    ap.add_argument("--bots", nargs="+", default=list(PILOTS), choices=PILOTS)
    ap.add_argument(
        "--clock",
        choices=list(CLOCKS),
        default="cpu",
        help="cpu: the thread's CPU time (default); wall: elapsed time, preemptions included",
    )
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args(argv)

    load_before = os.getloadavg()
    games = {name: record(name, args.seeds) for name in args.bots}
    clock = CLOCKS[args.clock]
    for name in args.bots:  # warm-up: compiled helpers, caches
        time_calls(name, games[name], clock)
    per_match = {name: [] for name in args.bots}  # per pass: median over matches of the mean per call
    per_call = {name: [] for name in args.bots}  # per pass: median over all calls
    for _ in range(args.repeats):
        for name in args.bots:
            ns = time_calls(name, games[name], clock)
            per_match[name].append(statistics.median(float(g.mean()) for g in ns) / 1000)
            per_call[name].append(float(np.median(np.concatenate(ns))) / 1000)
    result = {
        "bots": {
            name: {
                "median_us_per_act": round(statistics.median(per_match[name]), 2),
                "median_us_per_call": round(statistics.median(per_call[name]), 2),
                "passes_us_per_act": [round(m, 2) for m in per_match[name]],
                "calls_per_pass": int(sum(len(f) for _, f in games[name])),
            }
            for name in args.bots
        },
        "clock": args.clock,
        "matches_per_bot": (len(OPPONENTS) - 1) * args.seeds,
        "repeats": args.repeats,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "machine": machine(),
    }
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for name, r in result["bots"].items():
            print(
                f"{name:14s} {r['median_us_per_act']:8.1f} us/act (median over matches)   "
                f"{r['median_us_per_call']:8.1f} us (median call)   {r['calls_per_pass']} calls a pass"
            )
        print(f"load average {result['load_average_before']} -> {result['load_average_after']}")
    return result


if __name__ == "__main__":
    main()
