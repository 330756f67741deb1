"""Tournament benchmarks: a round robin of scripted bots, and lock-step batching of network agents.

    python benchmarks/bench_tournament.py bots [--games 20] [--frames 2700] [--workers 2] [--runs 3] [--json]
    python benchmarks/bench_tournament.py nets [--agents 8] [--games 10] [--frames 2700] [--runs 3] [--json]

``bots``: the 7 built-in bots plus the example bot of docs/bots.md (``examples/my_bot.py:Stalker``) as the
8th, every pair ``--games`` matches (28 pairs x 20 x 2,700 frames by default, about 1.5 M frames at most),
on ``--workers`` local worker processes, through :func:`tournament.runner.run_tournament` exactly as the
command runs it (replays, matches.jsonl, league database; bootstrap and plots excluded from the time).
Reports the wall time of each run and the median.

``nets``: ``--agents`` full-size networks (``ModelConfig`` defaults: 6 layers, 256 wide, LSTM 512; random
weights, which cost the same as trained ones) saved as league snapshots, every pair ``--games`` matches.
The same schedule is played twice in one process on one torch thread: in lock step (every match of the
schedule in one batch, each network one forward pass per frame for all its matches) and one match at a
time (a batch of one per match, two forward passes per frame). Reports matches/s of each and the ratio.
A run of many frames takes long on a CPU; ``--frames`` and ``--pairs`` cut it to a subset.

Both print the machine (CPU, cores) and the load average before and after, since other jobs may compete.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EIGHTH_BOT = f"{ROOT / 'examples' / 'my_bot.py'}:Stalker"


def _machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_before": list(os.getloadavg()),
    }


def bench_bots(games: int, frames: int, workers: int, runs: int) -> dict:
    from brawl_env.bots.registry import BUILTIN
    from tournament.config import TournamentConfig
    from tournament.runner import run_tournament

    bots = [*BUILTIN, EIGHTH_BOT]
    out = {
        "what": "bots",
        "bots": [*BUILTIN, "examples/my_bot.py:Stalker"],
        "games": games,
        "frames": frames,
        "workers": workers,
        "pairs": len(bots) * (len(bots) - 1) // 2,
        **_machine(),
        "runs": [],
    }
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            config = TournamentConfig(
                games=games,
                frames=frames,
                workers=workers,
                out=Path(tmp) / "t",
                bootstrap=0,
                write_files=False,
            )
            res = run_tournament(bots, config)
            wall = time.perf_counter() - start
        played = sum(r["frames"] or 0 for r in res.results)
        out["runs"].append(
            {
                "seconds": round(wall, 2),
                "matches": len(res.results),
                "frames_played": played,
                "forfeits": res.meta["forfeits"],
            }
        )
        print(
            f"  run: {wall:.1f} s, {len(res.results)} matches, {played:,} frames played, forfeits "
            f"{res.meta['forfeits'] or 'none'}",
            file=sys.stderr,
        )
    out["median_seconds"] = statistics.median(r["seconds"] for r in out["runs"])
    out["load_after"] = list(os.getloadavg())
    return out


def bench_nets(agents: int, games: int, frames: int, runs: int, pairs: int | None) -> dict:
    import torch

    from brawl_env.config import STOCKS
    from league.agents import parse_agents
    from tournament.config import BatchSettings
    from tournament.lanes import run_batch
    from tournament.schedule import make_schedule

    torch.set_num_threads(1)
    out = {"what": "nets", "agents": agents, "games": games, "frames": frames, **_machine(), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        specs = []
        for i in range(agents):
            specs.append(str(_full_size_snapshot(Path(tmp) / f"net{i}.pt", seed=i)))
        parsed = {a.name: a for a in parse_agents(specs)}
        sched = make_schedule(list(parsed), games, seed=0)
        if pairs is not None:
            sched = sched[: pairs * games]
        settings = BatchSettings(frames=frames, stocks=STOCKS)
        out["matches"] = len(sched)
        # warm-up: build the networks once (cached per process) and touch every code path
        run_batch(parsed, sched[:2], BatchSettings(frames=5, stocks=STOCKS), lambda r: None)
        for _ in range(runs):
            results: list[dict] = []
            start = time.perf_counter()
            run_batch(parsed, sched, settings, results.append)
            batched = time.perf_counter() - start
            frames_played = sum(r["frames"] for r in results)
            start = time.perf_counter()
            for e in sched:
                run_batch(parsed, [e], settings, lambda r: None)
            alone = time.perf_counter() - start
            row = {
                "batched_s": round(batched, 2),
                "alone_s": round(alone, 2),
                "frames_played": frames_played,
                "batched_matches_per_s": round(len(sched) / batched, 3),
                "alone_matches_per_s": round(len(sched) / alone, 3),
                "ratio": round(alone / batched, 2),
            }
            out["runs"].append(row)
            print(
                f"  run: lock step {batched:.1f} s, one at a time {alone:.1f} s, "
                f"ratio {alone / batched:.1f}x",
                file=sys.stderr,
            )
    for key in ("batched_matches_per_s", "alone_matches_per_s", "ratio"):
        out[f"median_{key}"] = statistics.median(r[key] for r in out["runs"])
    out["load_after"] = list(os.getloadavg())
    return out


def _full_size_snapshot(path: Path, seed: int) -> Path:
    import torch

    from trainers.transformer_lstm_ppo.config import ModelConfig
    from trainers.transformer_lstm_ppo.policy import build_policy

    torch.manual_seed(seed)
    m = ModelConfig()
    policy = build_policy(m)
    torch.save({"format": 1, "model": m.model_dump(), "state_dict": policy.state_dict()}, path)
    return path


def main(argv: list[str] | None = None) -> None:
    from brawl_env.config import MAX_FRAMES

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    b = sub.add_parser("bots", help="8 bots, every pair --games matches, on --workers processes")
    b.add_argument("--games", type=int, default=20)
    b.add_argument("--frames", type=int, default=MAX_FRAMES)
    b.add_argument("--workers", type=int, default=2)
    b.add_argument("--runs", type=int, default=3)
    b.add_argument("--json", action="store_true")
    n = sub.add_parser("nets", help="full-size networks: lock step against one match at a time")
    n.add_argument("--agents", type=int, default=8)
    n.add_argument("--games", type=int, default=10)
    n.add_argument("--frames", type=int, default=MAX_FRAMES)
    n.add_argument("--pairs", type=int, default=None, help="only the first N pairs of the schedule")
    n.add_argument("--runs", type=int, default=3)
    n.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.what == "bots":
        result = bench_bots(args.games, args.frames, args.workers, args.runs)
        summary = (
            f"{result['pairs']} pairs x {args.games} x {args.frames} frames: "
            f"median {result['median_seconds']} s"
        )
    else:
        result = bench_nets(args.agents, args.games, args.frames, args.runs, args.pairs)
        summary = (
            f"{result['matches']} matches x {args.frames} frames: lock step "
            f"{result['median_batched_matches_per_s']} matches/s, one at a time "
            f"{result['median_alone_matches_per_s']} matches/s, ratio {result['median_ratio']}x"
        )
    print(json.dumps(result) if args.json else summary)


if __name__ == "__main__":
    main()
